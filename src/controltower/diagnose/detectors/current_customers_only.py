"""current-customers-only: value on today's largest accounts, nothing widening reach.

Two checks:

- the share of planned P50 value resting on the largest accounts: each planned item's
  P50 value times the share of its evidence accounts that are among the largest
  ``diagnostics.large_accounts_share`` of all accounts by ARR, summed over the plan and
  divided by the plan's P50 value;
- whether any planned item widens reach: its ``reach`` (share of its evidence accounts
  that are mid-market, smb or tier 2-3) at least ``diagnostics.reach_min``.
"""

from __future__ import annotations

import math

from controltower.diagnose.detectors._common import (
    best_alternative,
    describe,
    evidence_of,
    grade,
    plural,
    share,
    swap_remedy,
    unique,
)
from controltower.diagnose.inputs import DiagnosisInputs, PlannedItem
from controltower.diagnose.models import Finding
from controltower.settings import Settings


def largest_accounts(inputs: DiagnosisInputs, fraction: float) -> list[str]:
    """The largest ``fraction`` of accounts by ARR (at least one), largest first."""
    ranked = sorted(inputs.accounts.values(), key=lambda a: (-a.arr, a.account_id))
    keep = max(1, math.ceil(fraction * len(ranked))) if ranked else 0
    return [a.account_id for a in ranked[:keep]]


def _large_share(item: PlannedItem, large: set[str]) -> float:
    return share(sum(a in large for a in item.accounts), len(item.accounts))


def _concentration(inputs: DiagnosisInputs, settings: Settings) -> list[Finding]:
    config = settings.diagnostics
    large_ids = largest_accounts(inputs, config.large_accounts_share)
    large = set(large_ids)
    items = [i for i in inputs.planned if i.accounts and i.value > 0]
    value = share(sum(i.value * _large_share(i, large) for i in items), sum(i.value for i in items))
    severity = grade(value, config.large_value_warn, config.large_value_critical)
    if severity is None:
        return []
    heavy = sorted(items, key=lambda i: (-i.value * _large_share(i, large), i.id))
    top = heavy[0]
    remedy, named = swap_remedy(
        inputs,
        top,
        lambda c: c.model.reach >= config.reach_min,
        fallback="collect evidence from mid-market, smb and tier 2-3 accounts (sales calls, "
        "surveys, FDE notes): no deferred candidate reaches beyond the largest accounts",
    )
    used = unique(a for i in items for a in i.accounts if a in large)
    return [
        Finding(
            code="current-customers-only",
            severity=severity,
            message=f"{value:.0%} of the plan's P50 value rests on the largest "
            f"{plural(len(large_ids), 'account')} by ARR (the top "
            f"{config.large_accounts_share:.0%} of accounts); most of all "
            + ", ".join(
                f"{i.id} ({_large_share(i, large):.0%} of its accounts)" for i in heavy[:3]
            ),
            metric="share of planned value resting on the largest accounts",
            value=value,
            threshold=config.large_value_warn,
            evidence=unique([*(i.id for i in heavy[:5]), *used]),
            remedy=remedy,
            subjects=unique([*(i.id for i in heavy[:5]), *named]),
        )
    ]


def _reach(inputs: DiagnosisInputs, settings: Settings) -> list[Finding]:
    floor = settings.diagnostics.reach_min
    items = [i for i in inputs.planned if i.accounts]
    if not items:
        return []
    widest = max(items, key=lambda i: (i.candidate.model.reach, i.id))
    value = widest.candidate.model.reach
    if value >= floor:
        return []
    found = best_alternative(inputs, lambda c: c.model.reach >= floor)
    if found is None:
        remedy = (
            "collect evidence from mid-market, smb and tier 2-3 accounts to find what they "
            "need: no candidate reaches them yet"
        )
        named: list[str] = []
    else:
        entry, candidate = found
        remedy = (
            f"plan {describe(candidate, inputs.kind_of(candidate))}, {entry.effort_weeks:g} "
            f"weeks on {entry.team}: {candidate.model.reach:.0%} of its evidence accounts are "
            "mid-market, smb or tier 2-3"
        )
        named = [candidate.id]
    return [
        Finding(
            code="current-customers-only",
            severity="warn",
            message=f"no planned item widens reach: the widest, {widest.id}, has "
            f"{value:.0%} of its evidence accounts in mid-market, smb or tier 2-3 "
            f"(needs {floor:.0%})",
            metric="highest reach of a planned item",
            value=value,
            threshold=floor,
            evidence=unique([*evidence_of([widest]), *named]),
            remedy=remedy,
            subjects=unique([widest.id, *named]),
        )
    ]


def detect_current_customers_only(inputs: DiagnosisInputs, settings: Settings) -> list[Finding]:
    """Flag a plan serving today's largest accounts and nobody new."""
    return [*_concentration(inputs, settings), *_reach(inputs, settings)]
