"""SQLAlchemy Core tables. Alembic migrations create and change them; nothing else does."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Column,
    Date,
    DateTime,
    Float,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData(
    naming_convention={
        "pk": "pk_%(table_name)s",
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    }
)


def _attributes() -> Column[object]:
    return Column("attributes", JSON, nullable=False)


accounts = Table(
    "accounts",
    metadata,
    Column("account_id", String, primary_key=True),
    Column("name", Text, nullable=False),
    Column("segment", String, nullable=False),
    Column("industry", String, nullable=False),
    Column("tier", Integer, nullable=False),
    Column("arr", Float, nullable=False),
    Column("region", String),
    Column("renewal_date", Date),
    Column("health", Float),
    _attributes(),
)

themes = Table(
    "themes",
    metadata,
    Column("theme", String, primary_key=True),
    Column("weight", Float, nullable=False),
    Column("description", Text),
    _attributes(),
)

teams = Table(
    "teams",
    metadata,
    Column("team", String, primary_key=True),
    Column("period", String, primary_key=True),
    Column("capacity_weeks", Float, nullable=False),
    _attributes(),
)

capabilities = Table(
    "capabilities",
    metadata,
    Column("capability_id", String, primary_key=True),
    Column("name", Text, nullable=False),
    Column("description", Text, nullable=False),
    Column("team", String, nullable=False),
    Column("effort_weeks", Float, nullable=False),
    Column("effort_low", Float),
    Column("effort_high", Float),
    Column("kind", String),
    Column("themes", JSON, nullable=False),
    Column("depends_on", JSON, nullable=False),
    Column("excludes", JSON, nullable=False),
    Column("must", String),
    Column("addresses", JSON, nullable=False),
    _attributes(),
)

guardrails = Table(
    "guardrails",
    metadata,
    Column("guardrail_id", String, primary_key=True),
    Column("rule", Text, nullable=False),
    Column("severity", String, nullable=False),
    Column("owner_role", String, nullable=False),
    Column("applies_to", JSON, nullable=False),
    Column("keywords", JSON, nullable=False),
    _attributes(),
)

model_constraints = Table(
    "model_constraints",
    metadata,
    Column("capability_id", String, primary_key=True),
    Column("requirement", String, primary_key=True),
    Column("feasibility", String, nullable=False),
    Column("confidence", Float, nullable=False),
    Column("note", Text),
    _attributes(),
)

deployments = Table(
    "deployments",
    metadata,
    Column("deployment_id", String, primary_key=True),
    Column("account_id", String, nullable=False, index=True),
    Column("phase", String, nullable=False),
    Column("started", Date, nullable=False),
    Column("fde_hours", Float, nullable=False),
    Column("ended", Date),
    Column("status", String),
    _attributes(),
)

signals = Table(
    "signals",
    metadata,
    Column("signal_id", String, primary_key=True),
    Column("date", Date, nullable=False, index=True),
    Column("source", String, nullable=False),
    Column("text", Text, nullable=False),
    Column("account_id", String, nullable=False, index=True),
    Column("deployment_id", String),
    Column("author_role", String),
    Column("kind", String),
    Column("urgency", Integer),
    Column("phase", String),
    _attributes(),
)

custom_work = Table(
    "custom_work",
    metadata,
    Column("work_id", String, primary_key=True),
    Column("account_id", String, nullable=False, index=True),
    Column("date", Date, nullable=False),
    Column("description", Text, nullable=False),
    Column("fde_hours", Float, nullable=False),
    Column("deployment_id", String),
    Column("component", String),
    _attributes(),
)

stances = Table(
    "stances",
    metadata,
    Column("role", String, primary_key=True),
    Column("capability_id", String, primary_key=True),
    Column("author", String, primary_key=True),
    Column("stance", Integer, nullable=False),
    Column("rationale", Text),
    _attributes(),
)

usage = Table(
    "usage",
    metadata,
    Column("date", Date, primary_key=True),
    Column("account_id", String, primary_key=True),
    Column("capability_id", String, primary_key=True),
    Column("metric", String, primary_key=True),
    Column("value", Float, nullable=False),
    _attributes(),
)


# --- pattern synthesis (migration 0002) -------------------------------------------------

embeddings = Table(
    "embeddings",
    metadata,
    Column("model_id", String, primary_key=True),
    Column("text_hash", String, primary_key=True),
    Column("vector", LargeBinary, nullable=False),
)

patterns = Table(
    "patterns",
    metadata,
    Column("pattern_id", String, primary_key=True),
    Column("label", Text, nullable=False),
    Column("label_source", String, nullable=False),
    Column("status", String, nullable=False),
    Column("merged_into", String),
    Column("key_phrases", JSON, nullable=False),
    Column("representatives", JSON, nullable=False),
    Column("summary", JSON, nullable=False),
    Column("created_run", Integer, nullable=False),
    Column("updated_run", Integer, nullable=False),
)

pattern_members = Table(
    "pattern_members",
    metadata,
    Column("item_kind", String, primary_key=True),
    Column("item_id", String, primary_key=True),
    Column("pattern_id", String, index=True),
    Column("duplicate_of", String),
    Column("text_hash", String, nullable=False),
    Column("run_id", Integer, nullable=False),
)

pattern_pins = Table(
    "pattern_pins",
    metadata,
    Column("item_kind", String, primary_key=True),
    Column("item_id", String, primary_key=True),
    Column("pattern_id", String, nullable=False),
    Column("reason", String, nullable=False),
    Column("created_at", DateTime, nullable=False),
)

pattern_edits = Table(
    "pattern_edits",
    metadata,
    Column("edit_id", Integer, primary_key=True, autoincrement=True),
    Column("action", String, nullable=False),
    Column("pattern_id", String, nullable=False),
    Column("other_id", String),
    Column("value", Text),
    Column("created_at", DateTime, nullable=False),
)

synthesis_runs = Table(
    "synthesis_runs",
    metadata,
    Column("run_id", Integer, primary_key=True, autoincrement=True),
    Column("started_at", DateTime, nullable=False),
    Column("seconds", Float, nullable=False),
    Column("mode", String, nullable=False),
    Column("model_id", String, nullable=False),
    Column("items", Integer, nullable=False),
    Column("new_items", Integer, nullable=False),
    Column("embedded", Integer, nullable=False),
    Column("patterns", Integer, nullable=False),
    Column("details", JSON, nullable=False),
)


# --- decision log (migration 0003) ------------------------------------------------------

decisions = Table(
    "decisions",
    metadata,
    Column("decision_id", String, primary_key=True),
    Column("subject", String, nullable=False, index=True),
    Column("subject_kind", String, nullable=False),
    Column("question", Text, nullable=False),
    Column("options", JSON, nullable=False),
    Column("choice", Text, nullable=False),
    Column("rationale", Text, nullable=False),
    Column("evidence", JSON, nullable=False),
    Column("decided_by", String, nullable=False),
    Column("decided_on", Date, nullable=False),
    Column("positions", JSON, nullable=False),
    Column("triggers", JSON, nullable=False),
    Column("supersedes", String),
)
"""Append-only: rows are inserted, never updated; a change is a row that supersedes one."""

TABLES: dict[str, Table] = {table.name: table for table in metadata.sorted_tables}
"""Every table by name."""
