"""The live figures of a decision's subject, read from the value stage's evaluation.

A subject is a candidate, a pattern or an account request (a signal id). Its figures are
the trigger fields (:data:`~controltower.decisions.expression.FIELDS`):

- ``candidate.*`` describe the subject's candidate: the candidate itself; for a pattern,
  its highest-P50 candidate; for a request, the highest-P50 candidate whose evidence
  holds the request.
- ``pattern.*`` describe the subject's pattern: the pattern itself (followed through
  merges); for a candidate, the first pattern it addresses (its strongest link); for a
  request, the pattern the request belongs to.

A field with no candidate or pattern behind it is absent (a trigger on it cannot fire).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select

from controltower.decisions.models import Evidence, StanceSnapshot, SubjectKind
from controltower.store.patterns import resolve_pattern
from controltower.store.tables import synthesis_runs
from controltower.workspace import Workspace

if TYPE_CHECKING:
    from controltower.value import CandidateResult, Evaluation, PatternResult

__all__ = [
    "Focus",
    "evidence_of",
    "figures_of",
    "focus_of",
    "live_evaluation",
    "resolve_pattern",
]


@dataclass(frozen=True)
class Focus:
    """The candidate and pattern a subject's figures describe (either may be missing)."""

    candidate: CandidateResult | None
    pattern: PatternResult | None
    request: str | None = None


def _best_candidate(evaluation: Evaluation, ids: set[str]) -> CandidateResult | None:
    """The highest-P50 candidate among ``ids`` (evaluation lists candidates by P50)."""
    return next((c for c in evaluation.candidates if c.id in ids), None)


def focus_of(
    kind: SubjectKind, subject: str, evaluation: Evaluation, redirects: Mapping[str, str]
) -> Focus:
    """The candidate and pattern behind a subject, in the live evaluation."""
    if kind == "candidate":
        candidate = evaluation.candidate(subject)
        pattern_ids = candidate.model.pattern_ids if candidate else []
        pattern = next(
            (p for pid in pattern_ids if (p := evaluation.pattern(pid)) is not None), None
        )
        return Focus(candidate=candidate, pattern=pattern)
    if kind == "pattern":
        pattern = evaluation.pattern(resolve_pattern(subject, redirects))
        ids = set(pattern.candidate_ids) if pattern else set()
        return Focus(candidate=_best_candidate(evaluation, ids), pattern=pattern)
    pattern = next((p for p in evaluation.patterns if subject in p.signal_ids), None)
    holding = {c.id for c in evaluation.candidates if subject in c.model.signal_ids}
    return Focus(candidate=_best_candidate(evaluation, holding), pattern=pattern, request=subject)


def figures_of(focus: Focus) -> dict[str, float]:
    """The trigger fields available for a focus, by name."""
    figures: dict[str, float] = {}
    pattern = focus.pattern
    if pattern is not None:
        recurrence = pattern.recurrence
        figures["pattern.accounts"] = float(len(pattern.account_ids))
        figures["pattern.signals"] = float(
            recurrence.signals if recurrence else len(pattern.signal_ids)
        )
        figures["pattern.arr"] = recurrence.arr if recurrence else 0.0
        figures["pattern.fde_hours"] = recurrence.fde_hours if recurrence else 0.0
    candidate = focus.candidate
    if candidate is not None:
        model = candidate.model
        figures["candidate.accounts"] = float(len(model.account_ids))
        figures["candidate.arr"] = model.revenue_touched
        figures["candidate.fde_hours"] = model.fde_hours
        if candidate.value is not None:
            figures["candidate.value_p10"] = candidate.value.p10
            figures["candidate.value_p50"] = candidate.value.p50
            figures["candidate.value_p90"] = candidate.value.p90
    return figures


def evidence_of(focus: Focus) -> Evidence:
    """The evidence snapshot of a focus: ids, figures, stances and readiness."""
    candidate, pattern = focus.candidate, focus.pattern
    signals: list[str] = [focus.request] if focus.request else []
    work: list[str] = []
    accounts: list[str] = []
    if candidate is not None:
        signals += candidate.model.signal_ids
        work += candidate.model.work_ids
        accounts += candidate.model.account_ids
    if pattern is not None:
        signals += pattern.signal_ids
        work += pattern.work_ids
        accounts += pattern.account_ids
    readiness = pattern.recommendation if pattern is not None else None
    if candidate is not None and candidate.readiness is not None:
        readiness = candidate.readiness
    return Evidence(
        candidate_id=candidate.id if candidate else None,
        pattern_id=pattern.id if pattern else None,
        account_ids=sorted(set(accounts)),
        signal_ids=list(dict.fromkeys(signals)),
        work_ids=list(dict.fromkeys(work)),
        figures=figures_of(focus),
        stances=[
            StanceSnapshot(
                role=s.role, stance=s.stance, source=s.source, author=s.author, reason=s.reason
            )
            for s in (candidate.stances if candidate else [])
        ],
        readiness=readiness,
    )


def live_evaluation(workspace: Workspace) -> Evaluation | None:
    """The value stage's evaluation of the workspace, or None before any synthesis."""
    from controltower.value import evaluate

    with workspace.engine.connect() as connection:
        synthesized = connection.execute(select(synthesis_runs.c.run_id).limit(1)).first()
    return evaluate(workspace) if synthesized is not None else None
