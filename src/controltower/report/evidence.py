"""The evidence a report cites: account facts and the texts of the signals and work it quotes.

A plan holds ids; a reader wants the words behind them. :func:`load_evidence` reads, from
the workspace store, the accounts, the guardrail rules and the texts of every signal and
custom-work note the report will cite (a bounded number per claim, see
:func:`cite`), so that building and rendering the report need no store access.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field
from sqlalchemy import select

from controltower.domain import Account, Guardrail
from controltower.ingest.contract import SPEC_BY_ENTITY
from controltower.store.rows import count_rows, read_rows
from controltower.store.tables import signals
from controltower.synthesize.view import list_patterns, load_quotes

if TYPE_CHECKING:
    from controltower.plan import Plan
    from controltower.settings import ReportSettings
    from controltower.workspace import Workspace

__all__ = ["AccountFacts", "EvidenceBook", "QuoteText", "cite", "load_evidence"]


class AccountFacts(BaseModel):
    """What the report says about an account."""

    id: str
    name: str
    segment: str
    industry: str
    tier: int
    arr: float


class QuoteText(BaseModel):
    """A signal or custom-work note, quoted."""

    kind: str = Field(description="'signal' or 'work'.")
    id: str
    account_id: str
    text: str


class EvidenceBook(BaseModel):
    """Everything the report quotes, by id."""

    accounts: dict[str, AccountFacts] = Field(default_factory=dict)
    quotes: dict[str, QuoteText] = Field(
        default_factory=dict, description="Keyed by the signal or work id."
    )
    representatives: dict[str, list[str]] = Field(
        default_factory=dict, description="Pattern id to the ids of its representative quotes."
    )
    guardrails: dict[str, str] = Field(default_factory=dict, description="Id to rule text.")
    coverage: dict[str, int] = Field(
        default_factory=dict, description="Rows per imported file (entity name to count)."
    )
    name_words: list[str] = Field(
        default_factory=list,
        description="Words of account names that point at one account (see name_words).",
    )


def cite(ids: Sequence[str], limit: int) -> tuple[list[str], int]:
    """The ids a claim links (the first ``limit``) and how many more there are."""
    return list(ids[:limit]), max(len(ids) - limit, 0)


def _cited_items(plan: Plan, settings: ReportSettings) -> tuple[list[str], list[str]]:
    """Signal and work ids that the report cites (a superset: the builder picks from it)."""
    limit = settings.ids_per_claim
    signals: list[str] = []
    work: list[str] = []
    for pattern in plan.patterns:
        signals += cite(pattern.signal_ids, limit)[0]
        work += cite(pattern.work_ids, limit)[0]
    for candidate in plan.capabilities:
        signals += cite(candidate.model.signal_ids, limit)[0]
        work += cite(candidate.model.work_ids, limit)[0]
    loose = [i for finding in plan.diagnostics for i in cite(finding.evidence, limit)[0]]
    if plan.economics is not None:
        loose += cite(plan.economics.evidence, limit)[0]
    if plan.adoption is not None:
        loose += [i for c in plan.adoption.capabilities for i in cite(c.evidence, limit)[0]]
    if plan.productization is not None:
        work += [i for d in plan.productization.deployments for i in cite(d.evidence, limit)[0]]
    if plan.decisions is not None:
        loose += [d.subject for d in plan.decisions.standing]
    return _unique(signals + loose), _unique(work + loose)


def _unique(ids: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(ids))


def load_evidence(workspace: Workspace, plan: Plan, settings: ReportSettings) -> EvidenceBook:
    """Read from the store what the report about ``plan`` will quote.

    Args:
        workspace: The workspace the plan was built from.
        plan: The plan to report on.
        settings: The report settings (how many quotes and ids per claim).

    Returns:
        Accounts, guardrail rules, representative quotes per pattern, the texts of the
        cited signals and custom work, and the row count of each imported file.
    """
    with workspace.engine.connect() as connection:
        accounts = read_rows(connection=connection, spec=SPEC_BY_ENTITY["accounts"], model=Account)
        guardrails = read_rows(
            connection=connection, spec=SPEC_BY_ENTITY["guardrails"], model=Guardrail
        )
        coverage = {
            entity: count_rows(connection=connection, spec=spec)
            for entity, spec in SPEC_BY_ENTITY.items()
        }
    wanted = {p.id for p in plan.patterns}
    representatives: dict[str, list[str]] = {}
    quotes: dict[str, QuoteText] = {}
    for view in list_patterns(workspace):
        if view.id not in wanted:
            continue
        chosen = view.representatives[: settings.quotes_per_pattern]
        representatives[view.id] = [q.id for q in chosen]
        quotes.update({q.id: QuoteText(**q.model_dump()) for q in chosen})
    signal_ids, work_ids = _cited_items(plan, settings)
    loaded = load_quotes(workspace, signal_ids=signal_ids, work_ids=work_ids)
    quotes.update({q.id: QuoteText(**q.model_dump()) for q in loaded.values()})
    return EvidenceBook(
        accounts={
            a.account_id: AccountFacts(
                id=a.account_id,
                name=a.name,
                segment=a.segment,
                industry=a.industry,
                tier=a.tier,
                arr=a.arr,
            )
            for a in accounts
        },
        quotes=quotes,
        representatives=representatives,
        guardrails={g.guardrail_id: g.rule for g in guardrails},
        coverage=coverage,
        name_words=name_words(workspace, accounts),
    )


_WORD = re.compile(r"[^\W_][\w'’-]*")


def name_words(workspace: Workspace, accounts: Sequence[Account]) -> list[str]:
    """The words of account names that point at one account, as the evidence uses them.

    Key phrases and capability names can carry a fragment of a customer's name ("aurora"
    from "Aurora Women's Health"), which replacing whole names misses. A word of a name
    (three letters or more) points at its account when the signals holding it are mostly
    that account's (at least half), or when no signal holds it; words spread over many
    accounts' notes ("health" at a healthcare vendor) are ordinary vocabulary and stay.
    """
    owners: dict[str, set[str]] = {}
    for account in accounts:
        for word in _WORD.findall(account.name.lower()):
            if len(word) >= 3:
                owners.setdefault(word, set()).add(account.account_id)
    if not owners:
        return []
    holding: Counter[str] = Counter()
    own: Counter[str] = Counter()
    with workspace.engine.connect() as connection:
        for text, account_id in connection.execute(select(signals.c.text, signals.c.account_id)):
            for word in set(_WORD.findall(text.lower())) & owners.keys():
                holding[word] += 1
                own[word] += account_id in owners[word]
    return sorted(w for w in owners if holding[w] == 0 or own[w] >= holding[w] / 2)
