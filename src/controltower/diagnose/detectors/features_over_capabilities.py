"""features-over-capabilities: a roadmap mostly of single-use features.

Two checks:

- the share of planned engineer-weeks on *single-use* items: ``kind=feature``, or no kind
  given and the item addresses at most one pattern from at most
  ``diagnostics.narrow_max_accounts`` accounts;
- a planned feature excluding a capability (``excludes`` in capabilities.csv, either
  side) that is deferred: the roadmap took the feature instead of the reusable capability.
"""

from __future__ import annotations

from controltower.diagnose.detectors._common import (
    describe,
    evidence_of,
    grade,
    listing,
    share,
    swap_remedy,
    unique,
    weeks_of,
)
from controltower.diagnose.inputs import DiagnosisInputs, PlannedItem
from controltower.diagnose.models import Finding
from controltower.settings import Settings
from controltower.value import CandidateResult


def is_single_use(kind: str | None, candidate: CandidateResult, narrow_max_accounts: int) -> bool:
    """Whether a candidate is a single-use feature rather than a reusable capability."""
    if kind is not None:
        return kind == "feature"
    model = candidate.model
    return len(model.pattern_ids) <= 1 and len(model.account_ids) <= narrow_max_accounts


def _feature_share(inputs: DiagnosisInputs, settings: Settings) -> list[Finding]:
    config = settings.diagnostics
    limit = config.narrow_max_accounts
    single = [i for i in inputs.planned if is_single_use(i.kind, i.candidate, limit)]
    value = share(weeks_of(single), inputs.planned_effort)
    severity = grade(value, config.feature_effort_warn, config.feature_effort_critical)
    if severity is None:
        return []
    biggest = max(single, key=lambda i: (i.effort, i.id))
    remedy, named = swap_remedy(
        inputs,
        biggest,
        lambda c: not is_single_use(inputs.kind_of(c), c, limit),
        fallback=f"turn {biggest.id} into a capability several accounts reuse (generalise "
        "it, kind=capability) or cut it: no deferred capability is plannable",
    )
    return [
        Finding(
            code="features-over-capabilities",
            severity=severity,
            message=f"{value:.0%} of planned effort ({weeks_of(single):g} of "
            f"{inputs.planned_effort:g} weeks) goes to single-use features: {listing(single)}",
            metric="share of planned effort on single-use features",
            value=value,
            threshold=config.feature_effort_warn,
            evidence=evidence_of(single),
            remedy=remedy,
            subjects=sorted({i.id for i in single} | set(named)),
        )
    ]


def _excluded_capabilities(
    inputs: DiagnosisInputs, item: PlannedItem, deferred: set[str]
) -> list[CandidateResult]:
    """Deferred capabilities that a planned feature excludes (or that exclude it)."""
    own = inputs.capabilities.get(item.id)
    rivals = set(own.excludes if own else [])
    rivals |= {c.capability_id for c in inputs.capabilities.values() if item.id in c.excludes}
    found = []
    for rival in sorted(rivals & deferred):
        candidate = inputs.candidate(rival)
        if candidate is not None and inputs.kind_of(candidate) == "capability":
            found.append(candidate)
    return found


def _feature_over_rival(inputs: DiagnosisInputs) -> list[Finding]:
    deferred = {e.capability_id for e in inputs.entries if e.status == "deferred"}
    pairs = [
        (item, rival)
        for item in inputs.planned
        if item.kind == "feature"
        for rival in _excluded_capabilities(inputs, item, deferred)
    ]
    if not pairs:
        return []
    item, rival = max(pairs, key=lambda p: (len(p[1].model.account_ids), p[1].id))
    rival_effort = next(e.effort_weeks for e in inputs.entries if e.capability_id == rival.id)
    shown = "; ".join(
        f"{f.id} is planned while {r.id}, the capability it excludes, is deferred" for f, r in pairs
    )
    return [
        Finding(
            code="features-over-capabilities",
            severity="warn",
            message=f"the roadmap chose single-use features over the capabilities they "
            f"exclude: {shown}",
            metric="planned features that displace an excluded capability",
            value=float(len(pairs)),
            threshold=1.0,
            evidence=unique(
                [i for f, r in pairs for i in (f.id, r.id, *f.patterns, *r.model.pattern_ids)]
            ),
            remedy=f"swap {describe(item.candidate, item.kind)}, {item.effort:g} weeks, for "
            f"{describe(rival, 'capability')}, "
            f"{rival_effort if rival_effort is not None else 0:g} weeks: the capability is built "
            "for reuse across the pattern, the feature for one use",
            subjects=unique(i for f, r in pairs for i in (f.id, r.id)),
        )
    ]


def detect_features_over_capabilities(inputs: DiagnosisInputs, settings: Settings) -> list[Finding]:
    """Flag a roadmap of single-use features, and features chosen over their capability."""
    return [*_feature_share(inputs, settings), *_feature_over_rival(inputs)]
