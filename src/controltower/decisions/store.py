"""Keyword-only access to the decision log table: append, read, next id. No updates, ever."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, select

from controltower.decisions.models import Decision
from controltower.store.patterns import pattern_redirects
from controltower.store.rows import Record, bulk_insert
from controltower.store.tables import decisions

__all__ = [
    "append_decisions",
    "from_record",
    "load_decisions",
    "next_decision_id",
    "pattern_redirects",
    "to_record",
]


def to_record(decision: Decision) -> Record:
    """A decision as a table record (dates stay dates, nested models become JSON)."""
    data: dict[str, Any] = decision.model_dump(mode="json")
    data["decided_on"] = decision.decided_on
    return data


def from_record(record: Record) -> Decision:
    """A table record back as a decision."""
    return Decision.model_validate(dict(record))


def append_decisions(*, connection: Connection, records: Sequence[Record]) -> tuple[int, int, int]:
    """Append new decisions (their ids must not be stored yet).

    Returns:
        ``(inserted, updated, unchanged)`` as an import's writer counts them (updated is
        always 0: the log is append-only).
    """
    if records:
        bulk_insert(connection=connection, table=decisions, records=records)
    return len(records), 0, 0


def load_decisions(*, connection: Connection) -> list[Decision]:
    """Every decision, oldest first (by id)."""
    statement = select(decisions).order_by(decisions.c.decision_id)
    found = [from_record(dict(row)) for row in connection.execute(statement).mappings()]
    return sorted(found, key=lambda d: (len(d.decision_id), d.decision_id))


def next_decision_id(existing: Sequence[str]) -> str:
    """The id after the highest of ``existing``: D0001, D0002 … (more digits past D9999)."""
    highest = max((int(d[1:]) for d in existing), default=0)
    return f"D{highest + 1:04d}"
