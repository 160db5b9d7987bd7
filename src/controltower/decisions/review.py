"""Standing decisions against live figures: triggers checked, to-revisit list, plan holds.

Semantics (docs/decisions.md):

- A decision *stands* until a later decision supersedes it; the superseded one stays in
  the log as history.
- A trigger that fires never changes a decision by itself: the decision is listed *to
  revisit* with the figures that moved. Reopening is an explicit new decision that
  supersedes it.
- A standing ``refuse`` on a candidate keeps it out of the roadmap (status ``refused``,
  the decision as the reason) until it is superseded.
- A standing ``defer`` on a candidate keeps it, and what depends on it, out of the
  roadmap (status ``deferred``) until it is superseded or one of its triggers fires: a
  defer says "not until …", so its triggers (a date, a figure crossing) are its end.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Literal

from controltower.decisions import store
from controltower.decisions.expression import parse_trigger
from controltower.decisions.figures import figures_of, focus_of, live_evaluation
from controltower.decisions.models import (
    AGAINST,
    Decision,
    DecisionDetail,
    DecisionReview,
    DecisionState,
    TriggerCheck,
)
from controltower.domain import PLANNED, Capability
from controltower.errors import InputError
from controltower.store.patterns import resolve_pattern
from controltower.workspace import Workspace

if TYPE_CHECKING:
    from controltower.value import Evaluation

__all__ = [
    "Hold",
    "check_triggers",
    "decision_holds",
    "inspect_decision",
    "review",
    "review_workspace",
    "serving_candidates",
    "standing_decisions",
    "superseded_by",
]


def superseded_by(decisions: Iterable[Decision]) -> dict[str, str]:
    """Decision id to the id of the decision that superseded it."""
    return {d.supersedes: d.decision_id for d in decisions if d.supersedes is not None}


def standing_decisions(decisions: Sequence[Decision]) -> list[Decision]:
    """The decisions no later decision supersedes, in id order."""
    replaced = superseded_by(decisions)
    return [d for d in decisions if d.decision_id not in replaced]


def check_triggers(
    decision: Decision,
    evaluation: Evaluation | None,
    redirects: Mapping[str, str],
    *,
    today: date,
) -> list[TriggerCheck]:
    """Evaluate a decision's triggers on the live figures (unavailable without them)."""
    if evaluation is None:
        now: dict[str, float] = {}
    else:
        now = figures_of(focus_of(decision.subject_kind, decision.subject, evaluation, redirects))
    checks = []
    for text in decision.triggers:
        check = parse_trigger(text).check(now, decision.evidence.figures, today=today)
        if evaluation is None and check.status == "unavailable":
            check.reason = "no synthesized patterns yet: run `tower synthesize`"
        checks.append(check)
    return checks


@dataclass(frozen=True)
class Hold:
    """A standing decision that keeps a candidate out of the roadmap."""

    status: Literal["refused", "deferred"]
    reason: str
    decision_id: str


def _said(decision: Decision) -> str:
    return (
        f"{decision.decision_id} ({decision.decided_on.isoformat()}, {decision.decided_by}): "
        f"{decision.rationale}"
    )


def _hold(decision: Decision, checks: list[TriggerCheck]) -> Hold | None:
    fired = [c.expression for c in checks if c.status == "fired"]
    if decision.choice == "refuse":
        reopen = f"; trigger fired ({'; '.join(fired)}): revisit it" if fired else ""
        return Hold(
            "refused", f"refused by decision {_said(decision)}{reopen}", decision.decision_id
        )
    if decision.choice == "defer" and not fired:
        until = (
            f"; until {' or '.join(decision.triggers)}" if decision.triggers else "; until reopened"
        )
        return Hold(
            "deferred", f"deferred by decision {_said(decision)}{until}", decision.decision_id
        )
    return None


def _spread_to_dependants(
    holds: dict[str, Hold], capabilities: Mapping[str, Capability], live: set[str]
) -> None:
    """Hold out every live candidate that needs a deferred one, transitively."""
    dependants: dict[str, list[str]] = {}
    for capability in capabilities.values():
        if capability.capability_id in live:
            for prerequisite in capability.depends_on:
                dependants.setdefault(prerequisite, []).append(capability.capability_id)
    queue = [c for c, h in holds.items() if h.status == "deferred"]
    while queue:
        held = queue.pop()
        for dependant in dependants.get(held, []):
            if dependant not in holds:
                reason = f"needs {held}, {holds[held].reason}"
                holds[dependant] = Hold("deferred", reason, holds[held].decision_id)
                queue.append(dependant)


def decision_holds(
    evaluation: Evaluation,
    decisions: Sequence[Decision],
    *,
    capabilities: Mapping[str, Capability],
    today: date,
) -> dict[str, Hold]:
    """Candidates the standing decisions keep out of the roadmap, with why.

    Args:
        evaluation: The live evaluation (for the triggers).
        decisions: The standing decisions.
        capabilities: capabilities.csv by id (dependants of a deferred candidate stay out).
        today: The date ``today`` means in triggers.

    Raises:
        InputError: A must=yes candidate is deferred by a decision, or needs one that is.
    """
    live = {c.id for c in evaluation.candidates if c.status != "shipped"}
    holds: dict[str, Hold] = {}
    for decision in decisions:
        if decision.subject_kind == "candidate" and decision.subject in live:
            hold = _hold(decision, check_triggers(decision, evaluation, {}, today=today))
            if hold is not None:
                holds[decision.subject] = hold
    _spread_to_dependants(holds, capabilities, live)
    for candidate_id, hold in holds.items():
        capability = capabilities.get(candidate_id)
        if hold.status == "deferred" and capability is not None and capability.must == "yes":
            raise InputError(
                f"{candidate_id} is must=yes in capabilities.csv but {hold.reason}; "
                "supersede the decision or change must"
            )
    return holds


def serving_candidates(
    decision: Decision, evaluation: Evaluation | None, redirects: Mapping[str, str]
) -> list[str]:
    """The candidates that would deliver a pattern or request subject (none for a candidate).

    A pattern's candidates, or every candidate whose evidence holds the request.
    """
    if evaluation is None or decision.subject_kind == "candidate":
        return []
    if decision.subject_kind == "pattern":
        pattern = evaluation.pattern(resolve_pattern(decision.subject, redirects))
        return list(pattern.candidate_ids) if pattern is not None else []
    return [c.id for c in evaluation.candidates if decision.subject in c.model.signal_ids]


def _scheduled_anyway(
    decision: Decision, serving: Sequence[str], roadmap_status: Mapping[str, str]
) -> list[str]:
    """The serving candidates the plan schedules although the decision holds back."""
    if decision.choice not in AGAINST:
        return []
    return [c for c in serving if roadmap_status.get(c) in PLANNED]


def _effect(
    decision: Decision,
    checks: list[TriggerCheck],
    scheduled: Sequence[str],
    roadmap_status: Mapping[str, str],
) -> str | None:
    if scheduled:
        planned = ", ".join(f"{c} ({roadmap_status[c]})" for c in scheduled)
        return (
            f"does not bind the roadmap, which plans {planned} for this {decision.subject_kind}: "
            "decide on the candidate to hold it out, or supersede this decision"
        )
    if decision.subject_kind != "candidate":
        return None
    hold = _hold(decision, checks)
    if hold is not None:
        return f"kept out of the roadmap ({hold.status})"
    if decision.choice == "defer":
        return "released to the optimizer: a trigger fired"
    return None


def _state(
    decision: Decision,
    checks: list[TriggerCheck],
    roadmap_status: Mapping[str, str],
    serving: Sequence[str],
) -> DecisionState:
    scheduled = _scheduled_anyway(decision, serving, roadmap_status)
    return DecisionState(
        decision_id=decision.decision_id,
        subject=decision.subject,
        subject_kind=decision.subject_kind,
        choice=decision.choice,
        rationale=decision.rationale,
        decided_on=decision.decided_on,
        decided_by=decision.decided_by,
        dissent=[p.role for p in decision.dissent()],
        triggers=checks,
        revisit=any(c.status == "fired" for c in checks),
        effect=_effect(decision, checks, scheduled, roadmap_status),
        roadmap_status=roadmap_status.get(scheduled[0] if scheduled else decision.subject),
    )


def review(
    decisions: Sequence[Decision],
    evaluation: Evaluation | None,
    redirects: Mapping[str, str],
    *,
    today: date,
    roadmap_status: Mapping[str, str] | None = None,
) -> DecisionReview:
    """Check every standing decision's triggers and list those to revisit.

    Args:
        decisions: The whole log.
        evaluation: The live evaluation, or None when there is none (no synthesis yet).
        redirects: Merged pattern ids to where they went.
        today: The date ``today`` means in triggers.
        roadmap_status: Candidate id to its roadmap status, when a plan was made.
    """
    states = [
        _state(
            d,
            check_triggers(d, evaluation, redirects, today=today),
            roadmap_status or {},
            serving_candidates(d, evaluation, redirects),
        )
        for d in standing_decisions(decisions)
    ]
    return DecisionReview(
        standing=states,
        to_revisit=[s for s in states if s.revisit],
        superseded=len(decisions) - len(states),
        evaluated=evaluation is not None,
    )


def review_workspace(
    workspace: Workspace,
    *,
    evaluation: Evaluation | None = None,
    roadmap_status: Mapping[str, str] | None = None,
    today: date | None = None,
) -> DecisionReview:
    """Review a workspace's standing decisions against its live figures.

    Args:
        workspace: The open workspace.
        evaluation: The value stage's result (computed when not given and the workspace
            has been synthesized; without one, triggers on figures are unavailable).
        roadmap_status: Candidate id to its roadmap status, when a plan was made.
        today: The date ``today`` means in triggers (default: today).
    """
    with workspace.engine.connect() as connection:
        decisions = store.load_decisions(connection=connection)
        redirects = store.pattern_redirects(connection=connection)
    if evaluation is None and decisions:
        evaluation = live_evaluation(workspace)
    return review(
        decisions,
        evaluation,
        redirects,
        today=today or date.today(),
        roadmap_status=roadmap_status,
    )


def inspect_decision(
    workspace: Workspace, decision_id: str, *, today: date | None = None
) -> DecisionDetail:
    """One decision with its triggers checked on the live figures (``tower decisions show``).

    Raises:
        InputError: No decision has that id.
    """
    with workspace.engine.connect() as connection:
        decisions = store.load_decisions(connection=connection)
        redirects = store.pattern_redirects(connection=connection)
    decision = next((d for d in decisions if d.decision_id == decision_id), None)
    if decision is None:
        raise InputError(f"no decision {decision_id!r}; `tower decisions` lists them")
    evaluation = live_evaluation(workspace) if decision.triggers else None
    return DecisionDetail(
        decision=decision,
        triggers=check_triggers(decision, evaluation, redirects, today=today or date.today()),
        superseded_by=superseded_by(decisions).get(decision_id),
        dissent=decision.dissent(),
    )
