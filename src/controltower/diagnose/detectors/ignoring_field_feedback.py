"""ignoring-field-feedback: planned work with no field evidence, or ready patterns ignored.

Two metrics, one finding each:

- the share of planned engineer-weeks on items no signal or custom work backs;
- the share of the accounts behind patterns recommended ``standardize`` whose pattern
  no planned or shipped candidate addresses.
"""

from __future__ import annotations

from controltower.diagnose.detectors._common import (
    EVIDENCE_PER_SUBJECT,
    evidence_of,
    grade,
    listing,
    plural,
    share,
    swap_remedy,
    unique,
    weeks_of,
)
from controltower.diagnose.inputs import DiagnosisInputs
from controltower.diagnose.models import Finding
from controltower.settings import Settings
from controltower.value import PatternResult


def _unevidenced(inputs: DiagnosisInputs, settings: Settings) -> list[Finding]:
    config = settings.diagnostics
    bare = [i for i in inputs.planned if not i.has_field_evidence]
    value = share(weeks_of(bare), inputs.planned_effort)
    severity = grade(value, config.unevidenced_effort_warn, config.unevidenced_effort_critical)
    if severity is None:
        return []
    biggest = max(bare, key=lambda i: (i.effort, i.id))
    remedy, named = swap_remedy(
        inputs,
        biggest,
        lambda c: bool(c.model.signal_ids or c.model.work_ids),
        fallback=f"link {biggest.id} to the signals or patterns it serves (the addresses "
        "column of capabilities.csv) or take it out: no deferred candidate has field evidence",
    )
    return [
        Finding(
            code="ignoring-field-feedback",
            severity=severity,
            message=f"{value:.0%} of planned effort ({weeks_of(bare):g} of "
            f"{inputs.planned_effort:g} weeks) rests on no signal or custom work: "
            f"{listing(bare)}",
            metric="share of planned effort with no field evidence",
            value=value,
            threshold=config.unevidenced_effort_warn,
            evidence=evidence_of(bare),
            remedy=remedy,
            subjects=sorted({i.id for i in bare} | set(named)),
        )
    ]


def _addressed(inputs: DiagnosisInputs) -> set[str]:
    """Patterns a planned or shipped candidate addresses."""
    shipped = [c for c in inputs.evaluation.candidates if c.status == "shipped"]
    planned = [i.candidate for i in inputs.planned]
    return {p for c in [*planned, *shipped] for p in c.model.pattern_ids}


def _pattern_remedy(inputs: DiagnosisInputs, pattern: PatternResult) -> tuple[str, list[str]]:
    """Plan a deferred candidate of the pattern, else give a proposal a team, else create one."""
    options = {c.id: (e, c) for e, c in inputs.alternatives()}
    for candidate_id in pattern.candidate_ids:
        if candidate_id in options:
            entry, _ = options[candidate_id]
            return (
                f"plan {candidate_id} ({entry.effort_weeks:g} weeks on {entry.team}), which "
                f"addresses {pattern.id} ({pattern.label}); deferred because: {entry.reason}",
                [candidate_id],
            )
    proposals = [c for c in pattern.candidate_ids if c not in inputs.capabilities]
    if proposals:
        return (
            f"give the engine's proposal {proposals[0]} for {pattern.id} ({pattern.label}) a "
            "team and an effort in capabilities.csv so it can be planned",
            proposals[:1],
        )
    return (
        f"define a capability candidate for {pattern.id} ({pattern.label}) in capabilities.csv "
        f"(addresses = {pattern.id})",
        [],
    )


def _unaddressed(inputs: DiagnosisInputs, settings: Settings) -> list[Finding]:
    config = settings.diagnostics
    ready = [p for p in inputs.evaluation.patterns if p.recommendation == "standardize"]
    addressed = _addressed(inputs)
    left = sorted(
        (p for p in ready if p.id not in addressed), key=lambda p: (-len(p.account_ids), p.id)
    )
    value = share(sum(len(p.account_ids) for p in left), sum(len(p.account_ids) for p in ready))
    severity = grade(value, config.unaddressed_ready_warn, config.unaddressed_ready_critical)
    if severity is None:
        return []
    hours = sum(p.recurrence.fde_hours for p in left if p.recurrence)
    shown = ", ".join(
        f"{p.id} {p.label} ({plural(len(p.account_ids), 'account')}, "
        f"{(p.recurrence.fde_hours if p.recurrence else 0.0):,.0f} FDE hours)"
        for p in left[:5]
    )
    remedy, named = _pattern_remedy(inputs, left[0])
    return [
        Finding(
            code="ignoring-field-feedback",
            severity=severity,
            message=f"{len(left)} of {len(ready)} patterns ready to standardize ({value:.0%} "
            f"of their accounts, {hours:,.0f} bespoke FDE hours) are addressed by nothing "
            f"planned or shipped: {shown}"
            + (f" and {len(left) - 5} more" if len(left) > 5 else ""),
            metric="share of ready patterns' accounts left unaddressed",
            value=value,
            threshold=config.unaddressed_ready_warn,
            evidence=unique(
                [*(p.id for p in left), *named, *left[0].account_ids[:EVIDENCE_PER_SUBJECT]]
            ),
            remedy=remedy,
            subjects=[p.id for p in left],
        )
    ]


def detect_ignoring_field_feedback(inputs: DiagnosisInputs, settings: Settings) -> list[Finding]:
    """Flag planned work without field evidence and ready patterns the plan leaves out."""
    return [*_unevidenced(inputs, settings), *_unaddressed(inputs, settings)]
