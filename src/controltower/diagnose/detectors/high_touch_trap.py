"""high-touch-trap: FDE hours per new deployment not falling over the horizon.

Metric: the relative change of P50 FDE hours per new deployment, with the plan, from the
first to the last period of the economics simulation. It fires when the change is above
``-diagnostics.hours_fall_min`` or when the simulation finds no escape period; critical
when there is no escape period and the hours do not fall at all. Without an economics
simulation the detector does not run (it is absent from ``Diagnosis.checked``).
"""

from __future__ import annotations

from controltower.diagnose.detectors._common import EVIDENCE_PER_SUBJECT, describe, unique
from controltower.diagnose.inputs import DiagnosisInputs
from controltower.diagnose.models import Economics, EconomicsPoint, Finding
from controltower.optimize import RoadmapEntry
from controltower.settings import Settings
from controltower.value import CandidateResult


def _hours(point: EconomicsPoint) -> float:
    return point.fde_hours_per_new_deployment.p50


def _change(economics: Economics, with_plan: bool) -> tuple[float, float, float]:
    """First and last P50 hours per new deployment, and the relative change."""
    points = [p.with_plan if with_plan else p.without_plan for p in economics.periods]
    first, last = _hours(points[0]), _hours(points[-1])
    return first, last, (last - first) / first if first > 0 else 0.0


def _heaviest(
    pairs: list[tuple[RoadmapEntry, CandidateResult]],
) -> tuple[RoadmapEntry, CandidateResult]:
    """The entry whose candidate absorbs the most bespoke FDE hours (ties by id)."""
    return max(pairs, key=lambda pair: (pair[1].model.fde_hours, pair[1].id))


def _remedy(inputs: DiagnosisInputs) -> tuple[str, list[str]]:
    """Plan the deferred candidate absorbing the most bespoke hours, else bring one forward.

    Only a candidate for a need the platform would absorb: one whose pattern is
    ``keep-custom`` (one account's bespoke work) takes no hours off future deployments.
    """
    options = [
        pair
        for pair in inputs.alternatives(alone=True)
        if pair[1].model.fde_hours > 0 and pair[1].readiness != "keep-custom"
    ]
    if options:
        entry, candidate = _heaviest(options)
        return (
            f"plan {describe(candidate, inputs.kind_of(candidate))}, {entry.effort_weeks:g} "
            f"weeks on {entry.team}: its patterns carry {candidate.model.fde_hours:,.0f} "
            "bespoke FDE hours that the platform would absorb",
            [candidate.id],
        )
    late = [i for i in inputs.planned if i.entry.status != "now" and i.candidate.model.fde_hours]
    if late:
        item = max(late, key=lambda i: (i.candidate.model.fde_hours, i.id))
        return (
            f"bring {item.id} forward from {item.entry.period}: its patterns carry "
            f"{item.candidate.model.fde_hours:,.0f} bespoke FDE hours",
            [item.id],
        )
    refused = [
        (entry, found)
        for entry in inputs.entries
        if entry.status == "refused"
        and (found := inputs.candidate(entry.capability_id)) is not None
        and found.model.fde_hours > 0
    ]
    if refused:
        entry, best = _heaviest(refused)
        return (
            f"{best.id}'s patterns carry {best.model.fde_hours:,.0f} bespoke FDE hours but "
            f"it is refused ({entry.reason}): revisit what refuses it with its owner, or add "
            "a capability that meets the same need within the rules",
            [best.id],
        )
    if any(c.model.fde_hours > 0 for c in inputs.evaluation.candidates):
        return (
            "every candidate that absorbs bespoke FDE hours is already planned now: the "
            "remaining hours match no candidate, so add capabilities to capabilities.csv "
            "that address the patterns of that custom work (tower patterns)",
            [],
        )
    return (
        "record the FDE custom work in custom_work.csv so capabilities can be matched to the "
        "bespoke hours they would absorb: no candidate absorbs any yet",
        [],
    )


def detect_high_touch_trap(inputs: DiagnosisInputs, settings: Settings) -> list[Finding] | None:
    """Flag FDE hours per new deployment that do not fall with the plan (None: no economics)."""
    economics = inputs.economics
    if economics is None:
        return None
    if len(economics.periods) < 2:
        return []
    first, last, change = _change(economics, with_plan=True)
    if first <= 0:
        return []
    threshold = -settings.diagnostics.hours_fall_min
    escape = economics.escape_period
    if escape is not None and change <= threshold:
        return []
    severity = "critical" if escape is None and change >= 0 else "warn"
    _, _, without = _change(economics, with_plan=False)
    periods = economics.periods
    remedy, named = _remedy(inputs)
    return [
        Finding(
            code="high-touch-trap",
            severity=severity,
            message=f"P50 FDE hours per new deployment go from {first:,.0f} in "
            f"{periods[0].period} to {last:,.0f} in {periods[-1].period} with the plan "
            f"({change:+.0%}; without it {without:+.0%}); escape period: "
            f"{escape or 'none'} (without the plan: {economics.escape_period_without or 'none'})",
            metric="relative change of P50 FDE hours per new deployment over the horizon",
            value=change,
            threshold=threshold,
            evidence=unique([*named, *economics.evidence[:EVIDENCE_PER_SUBJECT]]),
            remedy=remedy,
            subjects=named,
        )
    ]
