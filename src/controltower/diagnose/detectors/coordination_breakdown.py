"""coordination-breakdown: planned work against a decision, split roles, or a role's block.

A planned item that a standing decision keeps out of the roadmap (a refuse; a defer whose
triggers are quiet, or a dependency on one): critical. Only a hand-made roadmap can do
this (the optimizer never plans such an item): the roadmap and the decision log disagree.

Among planned items with no recorded decision (``decided``):

- a role's blocking stance (-2, computed or entered) overridden by the plan: critical;
- otherwise, the standard deviation of the role stances at or above
  ``diagnostics.disagreement_std``: the roles are split (warn).
"""

from __future__ import annotations

from controltower.diagnose.detectors._common import critical, evidence_of
from controltower.diagnose.inputs import DiagnosisInputs, PlannedItem
from controltower.diagnose.models import Finding
from controltower.settings import Settings
from controltower.value.lenses import RoleStance


def _stances(stances: list[RoleStance], low: int, high: int) -> str:
    return ", ".join(
        f"{s.role} {s.stance:+d} ({s.reason})" for s in stances if low <= s.stance <= high
    )


def _critical(
    items: list[PlannedItem], *, message: str, metric: str, evidence: list[str], remedy: str
) -> list[Finding]:
    """One critical finding on planned items (any one of them is one too many)."""
    return critical(
        "coordination-breakdown",
        message=message,
        metric=metric,
        value=float(len(items)),
        evidence=evidence,
        remedy=remedy,
        subjects=[i.id for i in items],
    )


def _blocked(items: list[PlannedItem]) -> list[Finding]:
    blocked = [i for i in items if i.candidate.disagreement and i.candidate.disagreement.blocking]
    if not blocked:
        return []
    shown = "; ".join(
        f"{i.id} ({i.entry.period}) blocked by {_stances(i.candidate.stances, -2, -2)}"
        for i in blocked
    )
    ids = [i.id for i in blocked]
    return _critical(
        blocked,
        message=f"planned over a role's blocking stance with no recorded decision: {shown}",
        metric="planned items a role blocks, with no recorded decision",
        evidence=evidence_of(blocked),
        remedy=f"record a decision on {', '.join(ids)} with the blocking role(s) (who "
        "overrides the block and why), or take it out of the roadmap",
    )


def _split(items: list[PlannedItem], threshold: float) -> list[Finding]:
    split = sorted(
        (
            i
            for i in items
            if i.candidate.disagreement
            and not i.candidate.disagreement.blocking
            and i.candidate.disagreement.std >= threshold
        ),
        key=lambda i: (-(i.candidate.disagreement.std if i.candidate.disagreement else 0), i.id),
    )
    if not split:
        return []
    worst = split[0]
    spread = worst.candidate.disagreement.std if worst.candidate.disagreement else 0.0
    shown = "; ".join(
        f"{i.id} (std {i.candidate.disagreement.std:.2f})"
        for i in split
        if i.candidate.disagreement
    )
    return [
        Finding(
            code="coordination-breakdown",
            severity="warn",
            message=f"the roles are split on planned work with no recorded decision: {shown}; "
            f"on {worst.id} for: {_stances(worst.candidate.stances, 1, 2)}; against: "
            f"{_stances(worst.candidate.stances, -2, -1)}",
            metric="largest standard deviation of role stances on an undecided planned item",
            value=spread,
            threshold=threshold,
            evidence=evidence_of(split),
            remedy=f"bring the roles against {worst.id} and those for it together before it "
            f"starts in {worst.entry.period}, and record the decision (the objections are "
            "quoted above)",
            subjects=[i.id for i in split],
        )
    ]


def _against_decisions(inputs: DiagnosisInputs) -> list[Finding]:
    overriding = [i for i in inputs.planned if i.id in inputs.holds]
    if not overriding:
        return []
    shown = "; ".join(f"{i.id} ({i.entry.period}) {inputs.holds[i.id].reason}" for i in overriding)
    ids = [i.id for i in overriding]
    decisions = list(dict.fromkeys(inputs.holds[i].decision_id for i in ids))
    return _critical(
        overriding,
        message=f"planned against a standing decision: {shown}",
        metric="planned items a standing decision keeps out of the roadmap",
        evidence=[*decisions, *evidence_of(overriding)],
        remedy=f"take {', '.join(ids)} out of the roadmap, or reopen "
        f"{', '.join(decisions)} with a new decision on its subject (`tower decide "
        "SUBJECT --choice build --why ...` supersedes it), so the log says who changed "
        "course and why",
    )


def detect_coordination_breakdown(inputs: DiagnosisInputs, settings: Settings) -> list[Finding]:
    """Flag planned items against a decision, overriding a block, or splitting the roles."""
    undecided = [i for i in inputs.planned if i.id not in inputs.decided]
    return [
        *_against_decisions(inputs),
        *_blocked(undecided),
        *_split(undecided, settings.diagnostics.disagreement_std),
    ]
