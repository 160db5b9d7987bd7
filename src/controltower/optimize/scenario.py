"""Scenarios: named settings overrides stored as ``scenarios/NAME.toml`` in the workspace."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import tomli_w
from pydantic import BaseModel, Field

from controltower.domain import PLANNED
from controltower.errors import InputError
from controltower.settings import Settings, merge_settings, parse_settings
from controltower.workspace import Workspace, write_atomically

if TYPE_CHECKING:
    from controltower.diagnose.models import Economics, Finding
    from controltower.optimize import RoadmapEntry
    from controltower.optimize.model import RoadmapProblem

BASE = "base"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")


def scenario_path(workspace: Workspace, name: str) -> Path:
    """Where a scenario is stored.

    Raises:
        InputError: The name is not a plain word.
    """
    if not _NAME.match(name) or name == BASE:
        raise InputError(
            f"scenario name must be letters, digits, '-' or '_' (and not {BASE!r}); got {name!r}"
        )
    return workspace.path / "scenarios" / f"{name}.toml"


def _parse_value(raw: str) -> Any:
    try:
        return tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        return raw


def _merged(
    workspace: Workspace, overrides: dict[str, Any], *, source: str, subject: str
) -> Settings:
    """The workspace's settings with ``overrides`` (section -> key -> value), validated."""
    merged = merge_settings(workspace.settings.model_dump(mode="json"), overrides)
    return parse_settings(tomli_w.dumps(merged), source=source, subject=subject)


def _validate(workspace: Workspace, overrides: dict[str, Any], name: str, source: str) -> Settings:
    for section, values in overrides.items():
        if not isinstance(values, dict):
            raise InputError(f"scenario setting {section!r} must be section.key")
    return _merged(workspace, overrides, source=source, subject=f"scenario {name} (its settings)")


def new_scenario(workspace: Workspace, name: str, assignments: list[str]) -> Path:
    """Store a scenario from ``section.key=value`` assignments (values in TOML syntax).

    Raises:
        InputError: A malformed assignment, an unknown key or a value out of range
            (nothing is written).
    """
    path = scenario_path(workspace, name)
    overrides: dict[str, dict[str, Any]] = {}
    for assignment in assignments:
        key, sep, raw = assignment.partition("=")
        section, dot, field = key.strip().partition(".")
        if not sep or not dot or not section or not field:
            raise InputError(f"--set takes section.key=value; got {assignment!r}")
        overrides.setdefault(section, {})[field] = _parse_value(raw.strip())
    _validate(workspace, overrides, name, f"scenario {name}")
    path.parent.mkdir(exist_ok=True)
    write_atomically(path, tomli_w.dumps(overrides))
    return path


def with_settings(workspace: Workspace, overrides: dict[str, Any], subject: str) -> Workspace:
    """The workspace with some settings overridden for one command (nothing is written).

    ``overrides`` maps section to key to value, as in ``workspace.toml``; ``subject`` names
    where they come from in an error (an option, say).

    Raises:
        InputError: An unknown key or a value out of range.
    """
    return replace(
        workspace, settings=_merged(workspace, overrides, source=subject, subject=subject)
    )


def scenario_workspace(workspace: Workspace, name: str) -> Workspace:
    """The workspace as a scenario sees it: the same store, the scenario's settings.

    Every stage run on it (value, optimizer, decisions, economics, diagnostics) reads the
    scenario's settings, exactly as if they were in ``workspace.toml``. Synthesis is not
    run on it: it writes the shared store, with the workspace's own settings.
    """
    return replace(workspace, settings=load_scenario(workspace, name))


def load_scenario(workspace: Workspace, name: str) -> Settings:
    """The workspace settings with a scenario's overrides (``base``: no overrides).

    Raises:
        InputError: No such scenario, or it no longer validates.
    """
    if name == BASE:
        return workspace.settings
    path = scenario_path(workspace, name)
    if not path.exists():
        raise InputError(f"no scenario {name!r}; create it with `tower scenario new {name}`")
    overrides = tomllib.loads(path.read_text(encoding="utf-8"))
    return _validate(workspace, overrides, name, path.name)


class Move(BaseModel):
    """An item whose place differs between two scenarios."""

    capability_id: str
    a: str
    b: str


class DiagnosticDiff(BaseModel):
    """One failure-mode finding and the scenario(s) it appears in."""

    code: str
    subjects: list[str]
    severity_a: str | None = Field(description="Its severity under A (None: not found).")
    severity_b: str | None
    message: str = Field(description="The message under B, else under A.")


class Comparison(BaseModel):
    """Two scenarios' roadmaps side by side."""

    a: str
    b: str
    value_a: float = Field(description="A's plan value by A's settings (its objective).")
    value_b: float = Field(description="B's plan value by B's settings (its objective).")
    value_b_by_a: float | None = Field(
        None,
        description="B's plan valued by A's settings (weights, discount, deals), so the two "
        "plans are compared on one yardstick; None when A cannot value it (other periods, or "
        "an item A forbids, or it breaks A's rules: b_breaks_a says which).",
    )
    value_a_by_b: float | None = Field(None, description="A's plan valued by B's settings.")
    b_breaks_a: str | None = Field(
        None, description="Why B's plan is not a plan by A's settings (value_b_by_a is None)."
    )
    a_breaks_b: str | None = Field(None, description="Why A's plan is not a plan by B's settings.")
    planned_a: int
    planned_b: int
    moves: list[Move]
    capacity: dict[str, tuple[float, float]]
    diagnostics: list[DiagnosticDiff] = Field(
        description="Failure-mode findings per code and subject: in A, in B or both."
    )
    escape_a: str | None = Field(description="Escape point of the FDE economics under A.")
    escape_b: str | None
    hours_per_new_deployment: tuple[float, float] = Field(
        description="P50 FDE hours per new deployment in the last period, under A and B."
    )
    meta_a: dict[str, object]
    meta_b: dict[str, object]


def _diagnostic_diffs(first: Sequence[Finding], second: Sequence[Finding]) -> list[DiagnosticDiff]:
    """Findings keyed by code and subjects, with their severity in each scenario."""

    def key(finding: Finding) -> tuple[str, tuple[str, ...], str]:
        return finding.code, tuple(sorted(finding.subjects)), finding.metric

    in_a = {key(f): f for f in first}
    in_b = {key(f): f for f in second}
    return [
        DiagnosticDiff(
            code=k[0],
            subjects=list(k[1]),
            severity_a=in_a[k].severity if k in in_a else None,
            severity_b=in_b[k].severity if k in in_b else None,
            message=(in_b.get(k) or in_a[k]).message,
        )
        for k in [*in_a, *(k for k in in_b if k not in in_a)]
    ]


def compare_scenarios(workspace: Workspace, a: str, b: str) -> Comparison:
    """Plan both scenarios and compare them side by side.

    Items that move, value, capacity use per team, the failure-mode findings and the FDE
    economics (escape point, hours per new deployment) under each.
    """
    from controltower.decisions import decided_subjects
    from controltower.diagnose.assess import Assessment, assess_roadmap
    from controltower.optimize import Roadmap, plan_roadmap
    from controltower.optimize.model import PlanConflictError
    from controltower.optimize.problem import build_problem, load_rows
    from controltower.value import Evaluation, evaluate

    decided = decided_subjects(workspace)
    evaluations: dict[str, Evaluation] = {}  # by settings: scenarios that value alike share

    def run(name: str) -> tuple[Roadmap, Assessment, RoadmapProblem]:
        view = scenario_workspace(workspace, name)
        settings = view.settings
        key = settings.model_dump_json()
        if key not in evaluations:
            evaluations[key] = evaluate(view)
        valued = evaluations[key]
        try:
            roadmap = plan_roadmap(view, evaluation=valued, settings=settings)
        except PlanConflictError as exc:
            raise PlanConflictError(f"scenario {name}: {exc}") from exc
        assessed = assess_roadmap(
            view,
            valued,
            roadmap.entries,
            roadmap.capacity,
            settings,
            decided=decided,
            source=name,
        )
        problem, _ = build_problem(valued, load_rows(view), settings)
        return roadmap, assessed, problem

    (first, assessed_a, problem_a), (second, assessed_b, problem_b) = run(a), run(b)
    places_b = {e.capability_id: _place(e) for e in second.entries}
    moves = [
        Move(capability_id=e.capability_id, a=_place(e), b=places_b[e.capability_id])
        for e in first.entries
        if e.capability_id in places_b and _place(e) != places_b[e.capability_id]
    ]
    teams = sorted({c.team for c in first.capacity} | {c.team for c in second.capacity})
    capacity = {
        t: (
            sum(c.used for c in first.capacity if c.team == t),
            sum(c.used for c in second.capacity if c.team == t),
        )
        for t in teams
    }
    value_b_by_a, b_breaks_a = valued_by(problem_a, second.entries)
    value_a_by_b, a_breaks_b = valued_by(problem_b, first.entries)
    return Comparison(
        a=a,
        b=b,
        value_a=first.objective,
        value_b=second.objective,
        value_b_by_a=value_b_by_a,
        value_a_by_b=value_a_by_b,
        b_breaks_a=b_breaks_a,
        a_breaks_b=a_breaks_b,
        planned_a=sum(e.status in PLANNED for e in first.entries),
        planned_b=sum(e.status in PLANNED for e in second.entries),
        moves=moves,
        capacity=capacity,
        diagnostics=_diagnostic_diffs(assessed_a.diagnosis.findings, assessed_b.diagnosis.findings),
        escape_a=assessed_a.economics.escape_period,
        escape_b=assessed_b.economics.escape_period,
        hours_per_new_deployment=(
            _last_hours(assessed_a.economics),
            _last_hours(assessed_b.economics),
        ),
        meta_a=first.meta,
        meta_b=second.meta,
    )


def _place(entry: RoadmapEntry) -> str:
    """Where an entry is: its periods when planned (``Q1..Q2`` when it spans), else its status."""
    if entry.status not in PLANNED or not entry.period:
        return entry.status
    end = entry.end_period or entry.period
    return entry.period if end == entry.period else f"{entry.period}..{end}"


def valued_by(
    problem: RoadmapProblem, entries: Sequence[RoadmapEntry]
) -> tuple[float | None, str | None]:
    """A roadmap's value by another problem's yardstick (its weights, discount and deals).

    Or None, with why the roadmap is not a plan of that problem: a planned period or item
    it does not have, an item it forbids, or a rule of it the roadmap breaks (capacity
    after its reserve, dependencies, exclusions, musts).
    """
    from controltower.optimize.model import plan_value

    starts = _starts(problem, entries)
    if isinstance(starts, str):
        return None, starts
    return plan_value(problem, starts), None


def _starts(problem: RoadmapProblem, entries: Sequence[RoadmapEntry]) -> dict[str, int] | str:
    """A roadmap's start periods in ``problem``, or why it is not a plan of ``problem``."""
    from controltower.optimize.model import plan_breaks

    items = {item.id: item for item in problem.items}
    starts: dict[str, int] = {}
    for entry in entries:
        if entry.status not in PLANNED or not entry.period:
            continue
        item = items.get(entry.capability_id)
        if item is None:
            return f"{entry.capability_id} is not a candidate there"
        if item.forbidden is not None:
            return f"{entry.capability_id} is refused there: {item.forbidden}"
        if entry.period not in problem.periods:
            return f"{entry.capability_id} starts in {entry.period}, not a planning period there"
        starts[entry.capability_id] = list(problem.periods).index(entry.period)
    return plan_breaks(problem, starts) or starts


def _last_hours(economics: Economics) -> float:
    """P50 FDE hours per new deployment in the horizon's last period (0 without periods)."""
    if not economics.periods:
        return 0.0
    return economics.periods[-1].with_plan.fde_hours_per_new_deployment.p50
