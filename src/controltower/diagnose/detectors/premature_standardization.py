"""premature-standardization: building a platform capability before its pattern is ready.

Metric: the share of planned engineer-weeks on items that are not single-use features
(``kind`` other than ``feature``) and whose addressed patterns are all recommended
``watch`` (too new, too few months, too few industries, divergent bespoke builds) or
``keep-custom`` (too few accounts, one account dominating): the readiness stage's
verdicts, with its reasons quoted.
"""

from __future__ import annotations

from controltower.diagnose.detectors._common import (
    EVIDENCE_PER_SUBJECT,
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
from controltower.value import PatternResult

_NOT_READY = ("watch", "keep-custom")


def _patterns(inputs: DiagnosisInputs, item: PlannedItem) -> list[PatternResult]:
    return [p for pid in item.patterns if (p := inputs.pattern(pid)) is not None]


def _premature(inputs: DiagnosisInputs, item: PlannedItem) -> bool:
    patterns = _patterns(inputs, item)
    return (
        item.kind != "feature"
        and bool(patterns)
        and all(p.recommendation in _NOT_READY for p in patterns)
    )


def _ready(inputs: DiagnosisInputs, pattern_ids: list[str]) -> bool:
    return any(
        (p := inputs.pattern(pid)) is not None and p.recommendation == "standardize"
        for pid in pattern_ids
    )


def detect_premature_standardization(inputs: DiagnosisInputs, settings: Settings) -> list[Finding]:
    """Flag planned capabilities whose patterns are not ready to standardize."""
    config = settings.diagnostics
    early = [i for i in inputs.planned if _premature(inputs, i)]
    value = share(weeks_of(early), inputs.planned_effort)
    severity = grade(value, config.premature_effort_warn, config.premature_effort_critical)
    if severity is None:
        return []
    biggest = max(early, key=lambda i: (i.effort, i.id))
    verdicts = "; ".join(
        f"{p.id} {p.readiness.reasons[0]}"
        for p in _patterns(inputs, biggest)
        if p.readiness.reasons
    )
    remedy, named = swap_remedy(
        inputs,
        biggest,
        lambda c: _ready(inputs, c.model.pattern_ids),
        fallback=f"move {biggest.id} to later and keep its pattern(s) as FDE custom work until "
        "the readiness stage says standardize",
    )
    patterns = unique(p for i in early for p in i.patterns)
    work = unique(w for i in early for w in i.candidate.model.work_ids[:EVIDENCE_PER_SUBJECT])
    return [
        Finding(
            code="premature-standardization",
            severity=severity,
            message=f"{value:.0%} of planned effort ({weeks_of(early):g} of "
            f"{inputs.planned_effort:g} weeks) standardizes patterns that are not ready: "
            f"{listing(early)}; {biggest.id}: {verdicts}",
            metric="share of planned effort on capabilities whose patterns are not ready",
            value=value,
            threshold=config.premature_effort_warn,
            evidence=unique([*(i.id for i in early), *patterns, *work]),
            remedy=remedy + f" (wait for {biggest.id}'s pattern(s) to be ready: {verdicts})",
            subjects=unique([*(i.id for i in early), *patterns, *named]),
        )
    ]
