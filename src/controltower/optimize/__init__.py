"""Roadmap optimizer: the best roadmap the constraints allow, and why each item is in or out.

:func:`plan_roadmap` values the workspace (or takes an evaluation), builds the
mixed-integer model of :mod:`controltower.optimize.model` and solves it with HiGHS;
:func:`why_not` answers what forcing a left-out item in would cost and what would have
to change for it to get in. The account-bundle value mode (the Next Release Problem)
is in :mod:`controltower.optimize.bundle`.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, Field

from controltower.errors import InputError
from controltower.optimize import explain as _explain
from controltower.optimize.model import RoadmapProblem, RoadmapSolution, solve_roadmap
from controltower.optimize.problem import build_problem, load_rows, weighted_value
from controltower.settings import Settings
from controltower.value import Evaluation, evaluate
from controltower.workspace import Workspace

__all__ = [
    "STATUS_ORDER",
    "Roadmap",
    "RoadmapEntry",
    "TeamLoad",
    "WhyNot",
    "left_out_entries",
    "plan_roadmap",
    "sort_entries",
    "why_not",
]

log = logging.getLogger(__name__)

Status = Literal["now", "next", "later", "deferred", "refused"]


class RoadmapEntry(BaseModel):
    """One candidate's place in the roadmap (or why it has none)."""

    capability_id: str
    name: str
    team: str | None
    period: str | None = Field(description="First period it occupies (None when not planned).")
    end_period: str | None = Field(description="Last period it occupies.")
    effort_weeks: float | None
    load: dict[str, float] = Field(description="Weeks per period it occupies.")
    status: Status
    reason: str
    value: float = Field(description="Weighted value the optimizer used (undiscounted).")
    planned_value: float = Field(
        0.0,
        description="Discounted value at its planned start (in the bundle value mode, with "
        "the discounted value of the bundles it completes).",
    )


class TeamLoad(BaseModel):
    """Capacity use of one team in one period."""

    team: str
    period: str
    capacity: float
    usable: float
    used: float


class Roadmap(BaseModel):
    """The optimal roadmap, its capacity use and how it was solved."""

    periods: list[str]
    entries: list[RoadmapEntry]
    capacity: list[TeamLoad]
    objective: float
    meta: dict[str, object]

    def entry(self, capability_id: str) -> RoadmapEntry | None:
        """An entry by capability id, or None."""
        return next((e for e in self.entries if e.capability_id == capability_id), None)


class ChangeModel(BaseModel):
    """A change that would bring an item in."""

    kind: str
    amount: float
    description: str
    team: str | None = None
    period: str | None = None
    weeks: dict[str, float] = Field(
        default_factory=dict,
        description="Usable weeks added per period (capacity changes; several consecutive "
        "periods for an item that spans them).",
    )


class WhyNot(BaseModel):
    """What forcing an item in would cost, and the smallest changes that bring it in."""

    capability_id: str
    status: Status
    reason: str
    forced_feasible: bool
    forced_reason: str
    value_lost: float
    displaced: list[str]
    moved: list[dict[str, str]]
    changes: list[ChangeModel]
    added: list[str] = Field(
        default_factory=list,
        description="Other items the forced plan brings in (into room the displaced leave).",
    )
    resolves: int = Field(
        0, description="Re-solves the answer rests on (the forced plan, each bisection step)."
    )
    resolves_unproven: int = Field(
        0,
        description="Re-solves that stopped at the time limit before proving the gap; when "
        "any did (or the plan itself is not proven), the value lost and the changes are the "
        "best found, not proven smallest.",
    )
    plan_proven: bool = Field(
        True, description="Whether the plan compared against was proven optimal within the gap."
    )
    budget: float | None = Field(
        None, description="Seconds the re-solves could take together (None: no budget)."
    )
    budget_cut_short: bool = Field(
        False,
        description="Whether the budget ran out before the searches finished: a change may "
        "then be missing, or larger than the smallest.",
    )
    resolves_undecided: int = Field(
        0,
        description="Search re-solves that left the candidate out within a gap worth more "
        "than all it could add (a plan with it may be as good): their 'not in' is unproven.",
    )

    @property
    def exact(self) -> bool:
        """Whether every solve behind the answer was proven optimal within the gap."""
        return (
            self.plan_proven
            and self.resolves_unproven == 0
            and self.resolves_undecided == 0
            and not self.budget_cut_short
        )

    @property
    def basis(self) -> str:
        """What the answer rests on, in words ("" when it needed no re-solve)."""
        if not self.resolves:
            return ""
        if self.exact:
            return (
                f"Based on {self.resolves} re-solve(s), each proven optimal within the gap "
                "(optimize.mip_rel_gap)."
            )
        if self.budget_cut_short:
            return (
                f"Not exact: the budget of {self.budget:g} s ran out after {self.resolves} "
                "re-solve(s), before the searches finished, so a change may be missing or "
                "larger than the smallest (a larger `--budget` searches further)."
            )
        if self.plan_proven and not self.resolves_unproven:
            return (
                f"Not exact: {self.resolves_undecided} of the {self.resolves} re-solves left "
                "it out within a gap worth more than all it could add, so a plan with it may "
                "be as good and a change may be smaller than the one found (a smaller "
                "optimize.mip_rel_gap decides them)."
            )
        short = [] if self.plan_proven else ["the plan itself"]
        if self.resolves_unproven:
            short.append(f"{self.resolves_unproven} of the {self.resolves} re-solves")
        return (
            f"Not exact: {' and '.join(short)} stopped at the time limit before proving the "
            "gap, so the value lost and the changes are the best found, not proven smallest "
            "(more time per solve gives exact answers: optimize.time_limit_seconds, or "
            "`tower whynot --time-limit` for one question)."
        )


@dataclass(frozen=True)
class _Solved:
    """What planning a workspace produced, for the plan and for "why not"."""

    evaluation: Evaluation
    problem: RoadmapProblem
    left_out: dict[str, str]
    solution: RoadmapSolution
    settings: Settings
    seconds: float
    unplanned_capacity: list[str]
    """Team-periods of teams.csv outside the planning periods (their weeks are not used)."""


def _solve(
    workspace: Workspace,
    evaluation: Evaluation | None,
    settings: Settings | None,
    risk_averse: bool,
) -> _Solved:
    settings = settings or workspace.settings
    evaluation = evaluation or evaluate(workspace)
    started = time.perf_counter()
    rows = load_rows(workspace)
    problem, left_out = build_problem(evaluation, rows, settings, risk_averse=risk_averse)
    log.info("optimize: %d items, %d periods", len(problem.items), len(problem.periods))
    if not problem.periods:
        raise InputError("no planning periods: import teams.csv or set planning.periods")
    solution = solve_roadmap(
        problem,
        time_limit=settings.optimize.time_limit_seconds,
        mip_rel_gap=settings.optimize.mip_rel_gap,
    )
    outside = sorted(
        {f"{t.team} {t.period}" for t in rows.teams if t.period not in problem.periods}
    )
    return _Solved(
        evaluation,
        problem,
        left_out,
        solution,
        settings,
        time.perf_counter() - started,
        outside,
    )


def _shared_patterns(evaluation: Evaluation, planned: set[str]) -> dict[str, str]:
    """For each planned candidate, the other planned ones addressing a pattern it addresses.

    Each candidate's value is computed from the patterns it addresses, so two planned
    candidates that address the same pattern both count that need's value: the reason
    says so, for the PM to check they are not one need built twice.
    """
    patterns = {c.id: set(c.model.pattern_ids) for c in evaluation.candidates if c.id in planned}
    notes: dict[str, str] = {}
    for cid, mine in sorted(patterns.items()):
        overlaps = [
            f"{other} ({', '.join(sorted(mine & theirs))})"
            for other, theirs in sorted(patterns.items())
            if other != cid and mine & theirs
        ]
        if overlaps:
            notes[cid] = (
                f"; shares pattern(s) with {', '.join(overlaps)}, also planned: that need's "
                "value counts in both, check they are not one need built twice"
            )
    return notes


def _entries(
    evaluation: Evaluation,
    problem: RoadmapProblem,
    left_out: dict[str, str],
    solution: RoadmapSolution,
    settings: Settings,
    *,
    risk_averse: bool = False,
) -> list[RoadmapEntry]:
    measure = _measure(risk_averse)
    names = {c.id: c.name for c in evaluation.candidates}
    shared = _shared_patterns(evaluation, set(solution.placements))
    entries = []
    for item in problem.items:
        placed = solution.placements.get(item.id)
        status: Status
        if placed is not None:
            status = _explain.status_of(placed.start)  # type: ignore[assignment]
            reason = _explain.planned_reason(problem, item, solution) + shared.get(item.id, "")
        elif item.forbidden is not None:
            status, reason = "refused", item.forbidden
        else:
            reason = _explain.deferred_reason(problem, item, solution, measure=measure)
            status = "deferred"
        entries.append(
            RoadmapEntry(
                capability_id=item.id,
                name=names.get(item.id, item.id),
                team=item.team,
                period=problem.periods[placed.start] if placed else None,
                end_period=problem.periods[placed.end] if placed else None,
                effort_weeks=item.effort,
                load={problem.periods[p]: w for p, w in placed.load.items()} if placed else {},
                status=status,
                reason=reason,
                value=item.value,
                planned_value=(
                    placed.value + _explain.bundle_credit(problem, solution, item.id)
                    if placed
                    else 0.0
                ),
            )
        )
    entries.extend(left_out_entries(evaluation, left_out, settings, risk_averse=risk_averse))
    return sort_entries(entries)


def _measure(risk_averse: bool) -> str:
    """The value the plan maximises: P10 when risk-averse, else P50."""
    return "P10" if risk_averse else "P50"


def _highspy_version() -> str:
    """The installed highspy's version (``unknown`` when the metadata is missing)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("highspy")
    except PackageNotFoundError:
        return "unknown"


def left_out_entries(
    evaluation: Evaluation,
    left_out: dict[str, str],
    settings: Settings | None = None,
    *,
    risk_averse: bool = False,
) -> list[RoadmapEntry]:
    """Deferred entries for candidates that never entered the model (with why).

    Their ``value`` is the weighted value they would bring (as for the deferred items the
    optimizer saw), or 0 without ``settings``.
    """
    entries = []
    for candidate_id, reason in left_out.items():
        candidate = evaluation.candidate(candidate_id)
        value = (
            weighted_value(candidate, settings, risk_averse=risk_averse)
            if candidate is not None and settings is not None
            else 0.0
        )
        entries.append(
            RoadmapEntry(
                capability_id=candidate_id,
                name=candidate.name if candidate else candidate_id,
                team=candidate.model.team if candidate else None,
                period=None,
                end_period=None,
                effort_weeks=None,
                load={},
                status="deferred",
                reason=reason,
                value=value,
            )
        )
    return entries


STATUS_ORDER = {"now": 0, "next": 1, "later": 2, "deferred": 3, "refused": 4}


def sort_entries(entries: list[RoadmapEntry]) -> list[RoadmapEntry]:
    """Roadmap order: by status, then first period, then planned value (highest first)."""
    return sorted(
        entries,
        key=lambda e: (STATUS_ORDER[e.status], e.period or "", -e.planned_value, e.capability_id),
    )


def plan_roadmap(
    workspace: Workspace,
    *,
    evaluation: Evaluation | None = None,
    settings: Settings | None = None,
    risk_averse: bool = False,
) -> Roadmap:
    """Optimize the roadmap of a workspace.

    Args:
        workspace: An open, synthesized workspace.
        evaluation: The value stage's result (computed when not given).
        settings: Settings to plan with (default: the workspace's).
        risk_averse: Maximise P10 value instead of P50.

    Raises:
        PlanConflictError: The must=yes items cannot all be planned (exit code 2).
    """
    solved = _solve(workspace, evaluation, settings, risk_averse)
    evaluation, problem, solution = solved.evaluation, solved.problem, solved.solution
    left_out, settings, seconds = solved.left_out, solved.settings, solved.seconds
    capacity = [
        TeamLoad(
            team=team,
            period=period,
            capacity=problem.capacity[team][p],
            usable=problem.usable(team)[p],
            used=solution.used.get(team, [0.0] * len(problem.periods))[p],
        )
        for team in sorted(problem.capacity)
        for p, period in enumerate(problem.periods)
    ]
    return Roadmap(
        periods=list(problem.periods),
        entries=_entries(
            evaluation, problem, left_out, solution, settings, risk_averse=risk_averse
        ),
        capacity=capacity,
        objective=solution.objective,
        meta={
            "solver": f"HiGHS (highspy {_highspy_version()})",
            "status": solution.status,
            "optimal": solution.optimal,
            "gap": solution.gap,
            "solve_seconds": round(solution.seconds, 4),
            "optimize_seconds": round(seconds, 4),
            "risk_averse": risk_averse,
            "value": _measure(risk_averse),
            "balance": settings.planning.balance,
            "capacity_reserve": settings.planning.capacity_reserve,
            "shipped": [c.id for c in evaluation.candidates if c.status == "shipped"],
            "capacity_outside_periods": solved.unplanned_capacity,
            "value_mode": settings.planning.value_mode,
            "bundles": _explain.bundle_summary(problem, solution),
        },
    )


def why_not(
    workspace: Workspace,
    capability_id: str,
    *,
    evaluation: Evaluation | None = None,
    settings: Settings | None = None,
    risk_averse: bool = False,
    budget: float | None = None,
) -> WhyNot:
    """Why a candidate is not in the roadmap and what would bring it in.

    ``budget`` caps the seconds its re-solves take together, after the plan's own solve
    (see :func:`controltower.optimize.explain.why_not`); None leaves each re-solve its time
    limit.

    Raises:
        InputError: No plannable candidate has that id.
    """
    solved = _solve(workspace, evaluation, settings, risk_averse)
    evaluation, problem, solution = solved.evaluation, solved.problem, solved.solution
    left_out, settings = solved.left_out, solved.settings
    if capability_id in left_out:
        return WhyNot(
            capability_id=capability_id,
            status="deferred",
            reason=left_out[capability_id],
            forced_feasible=False,
            forced_reason=left_out[capability_id],
            value_lost=0.0,
            displaced=[],
            moved=[],
            changes=[],
        )
    entry = next(
        (
            e
            for e in _entries(evaluation, problem, {}, solution, settings, risk_averse=risk_averse)
            if e.capability_id == capability_id
        ),
        None,
    )
    if entry is None:
        raise InputError(f"no plannable candidate {capability_id!r}; `tower plan` lists them")
    result = _explain.why_not(
        problem,
        solution,
        capability_id,
        time_limit=settings.optimize.time_limit_seconds,
        mip_rel_gap=settings.optimize.mip_rel_gap,
        tolerance=settings.optimize.whynot_tolerance_weeks,
        budget=budget,
    )
    return WhyNot(
        capability_id=capability_id,
        status=entry.status,
        reason=entry.reason,
        forced_feasible=result.forced_feasible,
        forced_reason=result.forced_reason,
        value_lost=result.value_lost,
        displaced=result.displaced,
        moved=[{"id": i, "from": a, "to": b} for i, a, b in result.moved],
        added=result.added,
        resolves=result.resolves,
        resolves_unproven=result.unproven,
        plan_proven=solution.optimal,
        budget=budget,
        budget_cut_short=result.cut_short,
        resolves_undecided=result.undecided,
        changes=[
            ChangeModel(
                kind=c.kind,
                amount=c.amount,
                description=c.description,
                team=c.team,
                period=c.period,
                weeks=c.weeks,
            )
            for c in result.changes
        ],
    )
