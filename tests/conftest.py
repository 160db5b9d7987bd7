"""Shared fixtures: small bundles written by factories, temporary workspaces."""

from __future__ import annotations

import csv
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from controltower.store.tables import TABLES
from controltower.workspace import Workspace, init_workspace

Rows = Sequence[Mapping[str, Any]]


def write_csv(path: Path, rows: Rows, header: Sequence[str] | None = None) -> Path:
    """Write rows as a CSV file; the header is the union of keys unless given."""
    columns = (
        list(header) if header is not None else list(dict.fromkeys(k for r in rows for k in r))
    )
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, lineterminator="\r\n")
        writer.writeheader()
        for row in rows:
            writer.writerow(row)
    return path


def small_bundle() -> dict[str, list[dict[str, Any]]]:
    """A tiny valid bundle touching every file of the contract."""
    return {
        "accounts": [
            {
                "account_id": "a1",
                "name": "Acme Bank",
                "segment": "enterprise",
                "industry": "banking",
                "tier": "1",
                "arr": "2500000",
                "region": "emea",
                "renewal_date": "2027-01-31",
                "health": "0.8",
                "owner": "kim",
            },
            {
                "account_id": "a2",
                "name": "Beta Care",
                "segment": "mid-market",
                "industry": "healthcare",
                "tier": "2",
                "arr": "300000",
            },
            {
                "account_id": "a3",
                "name": "Gamma Shop",
                "segment": "smb",
                "industry": "retail",
                "tier": "3",
                "arr": "45000.5",
            },
        ],
        "themes": [
            {"theme": "trust", "weight": "0.6", "description": "Trust and compliance"},
            {"theme": "reach", "weight": "0.4"},
        ],
        "teams": [
            {"team": "core", "period": "2027-Q1", "capacity_weeks": "20"},
            {"team": "core", "period": "2027-Q2", "capacity_weeks": "20"},
            {"team": "data", "period": "2027-Q1", "capacity_weeks": "12"},
        ],
        "capabilities": [
            {
                "capability_id": "c1",
                "name": "SSO",
                "description": "Single sign-on and SCIM",
                "team": "core",
                "effort_weeks": "6",
                "effort_low": "4",
                "effort_high": "9",
                "kind": "capability",
                "themes": "trust",
                "depends_on": "",
                "excludes": "",
                "must": "no",
                "addresses": "",
            },
            {
                "capability_id": "c2",
                "name": "Redaction",
                "description": "PII redaction",
                "team": "data",
                "effort_weeks": "4",
                "themes": "trust;reach",
                "depends_on": "c1",
                "excludes": "c3",
            },
            {
                "capability_id": "c3",
                "name": "Regex redaction",
                "description": "Cheap redaction",
                "team": "data",
                "effort_weeks": "1",
                "excludes": "c2",
                "kind": "feature",
            },
        ],
        "guardrails": [
            {
                "guardrail_id": "g1",
                "rule": "No training on pooled customer data",
                "severity": "block",
                "owner_role": "ai-architect",
                "applies_to": "",
                "keywords": "fine-tune;pooled data",
            },
        ],
        "model_constraints": [
            {
                "capability_id": "c2",
                "requirement": "NER recall 0.95",
                "feasibility": "partial",
                "confidence": "0.6",
                "note": "needs eval",
            },
        ],
        "deployments": [
            {
                "deployment_id": "d1",
                "account_id": "a1",
                "phase": "implementation",
                "started": "2026-02-01",
                "fde_hours": "400",
                "ended": "",
                "status": "active",
            },
            {
                "deployment_id": "d2",
                "account_id": "a2",
                "phase": "discovery",
                "started": "2026-03-01",
                "fde_hours": "80",
            },
        ],
        "signals": [
            {
                "signal_id": "s1",
                "date": "2026-03-14",
                "source": "fde-note",
                "text": "They need SSO with Okta",
                "account_id": "a1",
                "deployment_id": "d1",
                "author_role": "fde",
                "kind": "request",
                "urgency": "4",
                "phase": "implementation",
            },
            {
                "signal_id": "s2",
                "date": "2026-04-02",
                "source": "support-ticket",
                "text": "PII leaked into a prompt log",
                "account_id": "a2",
                "kind": "pain",
                "urgency": "5",
            },
            {
                "signal_id": "s3",
                "date": "2026-04-20",
                "source": "sales-call",
                "text": "Wants redaction, SSO",
                "account_id": "a3",
            },
        ],
        "custom_work": [
            {
                "work_id": "w1",
                "account_id": "a1",
                "date": "2026-03-20",
                "description": "Custom SCIM bridge",
                "fde_hours": "60",
                "deployment_id": "d1",
                "component": "auth",
            },
        ],
        "stances": [
            {
                "role": "ml-engineer",
                "capability_id": "c2",
                "stance": "-1",
                "rationale": "recall too low",
                "author": "lee",
            },
            {"role": "leadership", "capability_id": "c1", "stance": "2"},
        ],
        "usage": [
            {
                "date": "2026-05-01",
                "account_id": "a1",
                "capability_id": "c1",
                "metric": "logins",
                "value": "120",
            },
        ],
    }


def write_bundle(folder: Path, files: Mapping[str, Rows] | None = None) -> Path:
    """Write a bundle folder (the small bundle unless ``files`` is given)."""
    folder.mkdir(parents=True, exist_ok=True)
    for entity, rows in (files if files is not None else small_bundle()).items():
        write_csv(folder / f"{entity}.csv", rows)
    return folder


def synthesized_workspace(root: Path, files: Mapping[str, Rows]) -> Workspace:
    """A workspace under ``root`` with ``files`` imported and synthesized (hashing embedder)."""
    from controltower.ingest.bundle import import_bundle
    from controltower.synthesize.embed import HashingEmbedder
    from controltower.synthesize.pipeline import synthesize

    workspace = init_workspace(root / "ws")
    import_bundle(write_bundle(root / "bundle", files), workspace=workspace)
    synthesize(workspace, embedder=HashingEmbedder())
    return workspace


def snapshot(workspace: Workspace) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, sorted, to compare workspace states."""
    with workspace.engine.connect() as connection:
        return {
            name: sorted(
                (tuple(str(value) for value in row) for row in connection.execute(select(table))),
            )
            for name, table in TABLES.items()
        }


@pytest.fixture
def workspace(tmp_path: Path) -> Iterator[Workspace]:
    with init_workspace(tmp_path / "ws") as ws:
        yield ws


@pytest.fixture
def bundle(tmp_path: Path) -> Path:
    return write_bundle(tmp_path / "bundle")
