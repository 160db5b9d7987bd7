"""Patterns as a PM reads them: the fields PRODUCT.md lists, from the stored synthesis."""

from __future__ import annotations

from collections import defaultdict

from pydantic import BaseModel, Field
from sqlalchemy import Connection, select

from controltower.errors import InputError
from controltower.store import patterns as store
from controltower.store.tables import custom_work, signals
from controltower.synthesize.recurrence import Recurrence
from controltower.synthesize.trend import Trend
from controltower.workspace import Workspace


class Quote(BaseModel):
    """A representative piece of evidence, quoted."""

    kind: str
    id: str
    account_id: str
    text: str


class PatternView(BaseModel):
    """One pattern with its evidence ids, recurrence, trend and reasons."""

    id: str
    label: str
    label_source: str = Field(description="'auto' (from key phrases) or 'manual' (renamed).")
    status: str = Field(description="'active', 'merged' (see merged_into) or 'retired'.")
    merged_into: str | None = None
    key_phrases: list[str]
    representatives: list[Quote]
    signal_ids: list[str]
    work_ids: list[str]
    account_ids: list[str]
    duplicates: dict[str, str] = Field(
        description="Near-duplicate item ('signal:ID') to the item it repeats."
    )
    recurrence: Recurrence | None
    trend: Trend | None
    reasons: list[str]


def _texts(connection: Connection, keys: list[list[str]]) -> dict[tuple[str, str], Quote]:
    wanted_signals = [i for k, i in keys if k == "signal"]
    wanted_work = [i for k, i in keys if k == "work"]
    quotes: dict[tuple[str, str], Quote] = {}
    for row in connection.execute(
        select(signals.c.signal_id, signals.c.account_id, signals.c.text).where(
            signals.c.signal_id.in_(wanted_signals)
        )
    ):
        quotes[("signal", row.signal_id)] = Quote(
            kind="signal", id=row.signal_id, account_id=row.account_id, text=row.text
        )
    for row in connection.execute(
        select(custom_work.c.work_id, custom_work.c.account_id, custom_work.c.description).where(
            custom_work.c.work_id.in_(wanted_work)
        )
    ):
        quotes[("work", row.work_id)] = Quote(
            kind="work", id=row.work_id, account_id=row.account_id, text=row.description
        )
    return quotes


def load_quotes(
    workspace: Workspace, *, signal_ids: list[str], work_ids: list[str]
) -> dict[tuple[str, str], Quote]:
    """The texts of some signals and custom-work notes, keyed ``(kind, id)``.

    Ids not in the store are left out of the result.
    """
    keys = [["signal", i] for i in signal_ids] + [["work", i] for i in work_ids]
    with workspace.engine.connect() as connection:
        return _texts(connection, keys)


def list_patterns(workspace: Workspace, *, include_inactive: bool = False) -> list[PatternView]:
    """The workspace's patterns, broadest first (accounts, then distinct reports).

    Args:
        workspace: The open workspace.
        include_inactive: Also list merged and retired patterns.
    """
    with workspace.engine.connect() as connection:
        stored = store.load_patterns(connection=connection)
        members = store.load_members(connection=connection)
        accounts_of = {
            ("signal", r.signal_id): r.account_id
            for r in connection.execute(select(signals.c.signal_id, signals.c.account_id))
        }
        accounts_of.update(
            {
                ("work", r.work_id): r.account_id
                for r in connection.execute(select(custom_work.c.work_id, custom_work.c.account_id))
            }
        )
        chosen = [p for p in stored.values() if include_inactive or p.status == "active"]
        quotes = _texts(connection, [key for p in chosen for key in p.representatives])
    by_pattern: dict[str, list[tuple[tuple[str, str], store.Membership]]] = defaultdict(list)
    for key, membership in members.items():
        if membership.pattern_id is not None:
            by_pattern[membership.pattern_id].append((key, membership))
    views = [
        _view(p, sorted(by_pattern.get(p.pattern_id, [])), accounts_of, quotes) for p in chosen
    ]
    return sorted(
        views,
        key=lambda v: (
            v.status != "active",
            -(v.recurrence.accounts if v.recurrence else 0),
            -len(v.signal_ids) - len(v.work_ids),
            v.id,
        ),
    )


def _view(
    pattern: store.StoredPattern,
    members: list[tuple[tuple[str, str], store.Membership]],
    accounts_of: dict[tuple[str, str], str],
    quotes: dict[tuple[str, str], Quote],
) -> PatternView:
    summary = pattern.summary
    # A merged or retired pattern holds no members: its last figures would contradict that.
    recurrence = summary.get("recurrence") if pattern.status == "active" else None
    return PatternView(
        id=pattern.pattern_id,
        label=pattern.label,
        label_source=pattern.label_source,
        status=pattern.status,
        merged_into=pattern.merged_into,
        key_phrases=pattern.key_phrases,
        representatives=[quotes[(k, i)] for k, i in pattern.representatives if (k, i) in quotes],
        signal_ids=[i for (k, i), _ in members if k == "signal"],
        work_ids=[i for (k, i), _ in members if k == "work"],
        account_ids=sorted({accounts_of[key] for key, _ in members if key in accounts_of}),
        duplicates={
            f"{k}:{i}": m.duplicate_of for (k, i), m in members if m.duplicate_of is not None
        },
        recurrence=Recurrence.model_validate(recurrence) if recurrence else None,
        trend=summary.get("trend"),
        reasons=list(summary.get("reasons", [])),
    )


def get_pattern(workspace: Workspace, pattern_id: str) -> PatternView:
    """One pattern by id (merged and retired ones too).

    Raises:
        InputError: No pattern has that id.
    """
    for view in list_patterns(workspace, include_inactive=True):
        if view.id == pattern_id:
            return view
    raise InputError(f"no pattern {pattern_id!r}; `tower patterns` lists them")
