"""chasing-requests: roadmap effort going to demand from a single account or very few.

Metric: the share of planned engineer-weeks on *narrow* items, those whose evidence
(signals and custom work) comes from at least one and at most
``diagnostics.narrow_max_accounts`` distinct accounts. Items with no evidence at all are
left to ignoring-field-feedback.
"""

from __future__ import annotations

from collections import defaultdict

from controltower.diagnose.detectors._common import (
    evidence_of,
    grade,
    listing,
    share,
    swap_remedy,
    weeks_of,
)
from controltower.diagnose.inputs import DiagnosisInputs, PlannedItem
from controltower.diagnose.models import Finding
from controltower.settings import Settings


def _dominant_account(narrow: list[PlannedItem]) -> tuple[str, float]:
    """The account behind the most narrow weeks, and those weeks."""
    weeks: dict[str, float] = defaultdict(float)
    for item in narrow:
        for account in item.accounts:
            weeks[account] += item.effort
    return min(weeks.items(), key=lambda kv: (-kv[1], kv[0]))


def detect_chasing_requests(inputs: DiagnosisInputs, settings: Settings) -> list[Finding]:
    """Flag a roadmap whose effort goes mostly to one or a few accounts' requests."""
    config = settings.diagnostics
    limit = config.narrow_max_accounts
    narrow = [i for i in inputs.planned if 0 < len(i.accounts) <= limit]
    value = share(weeks_of(narrow), inputs.planned_effort)
    severity = grade(value, config.narrow_effort_warn, config.narrow_effort_critical)
    if severity is None:
        return []
    account, account_weeks = _dominant_account(narrow)
    biggest = max(narrow, key=lambda i: (i.effort, i.id))
    remedy, named = swap_remedy(
        inputs,
        biggest,
        lambda c: len(c.model.account_ids) > limit,
        fallback=f"move {biggest.id} back to FDE-owned custom work for its account(s) until "
        f"more than {limit} accounts ask for it; no deferred candidate has broader evidence",
    )
    return [
        Finding(
            code="chasing-requests",
            severity=severity,
            message=f"{value:.0%} of planned effort ({weeks_of(narrow):g} of "
            f"{inputs.planned_effort:g} weeks) goes to items whose evidence comes from at "
            f"most {limit} account(s): {listing(narrow)}; account {account} alone backs "
            f"{account_weeks:g} weeks",
            metric="share of planned effort on narrow demand",
            value=value,
            threshold=config.narrow_effort_warn,
            evidence=evidence_of(narrow, field=True),
            remedy=remedy,
            subjects=sorted({i.id for i in narrow} | set(named)),
        )
    ]
