"""The pipeline end to end: ``tower plan`` as one library call.

:func:`build_plan` is a short list of named steps (synthesize if stale, value, optimize,
decisions, economics, adoption, diagnose), each in its own stage package; it returns a
:class:`Plan` whose JSON form is the machine-readable plan of PRODUCT.md.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from pydantic import BaseModel, Field

from controltower import __version__
from controltower.decisions import (
    DecisionReview,
    Productization,
    review_workspace,
    workspace_productization,
)
from controltower.diagnose.adoption import track_adoption
from controltower.diagnose.assess import assess_roadmap
from controltower.diagnose.models import Adoption, DiagnosticCode, Economics, Finding
from controltower.errors import InputError
from controltower.optimize import Roadmap, RoadmapEntry, plan_roadmap
from controltower.optimize.problem import load_rows, planning_periods
from controltower.optimize.scenario import scenario_workspace
from controltower.synthesize.pipeline import Progress, ensure_synthesized
from controltower.value import CandidateResult, Evaluation, PatternResult, evaluate
from controltower.workspace import Workspace

__all__ = ["Plan", "build_plan"]

log = logging.getLogger(__name__)


class Plan(BaseModel):
    """The machine-readable plan (``tower plan --json``)."""

    patterns: list[PatternResult]
    candidates: list[CandidateResult] = Field(
        description="The candidates the roadmap decides on: one roadmap entry each."
    )
    shipped: list[CandidateResult] = Field(
        default_factory=list,
        description="Capabilities already shipped (capabilities.csv ``shipped``): no value "
        "to add and no roadmap entry; adoption tracks them.",
    )
    roadmap: list[RoadmapEntry]
    diagnostics: list[Finding] = Field(
        default_factory=list, description="Failure modes found on the roadmap, worst first."
    )
    diagnostics_checked: list[DiagnosticCode] = Field(
        default_factory=list, description="The failure-mode detectors that ran."
    )
    economics: Economics | None = Field(
        None, description="FDE economics per period, with and without the roadmap."
    )
    adoption: Adoption | None = Field(None, description="Adoption of shipped capabilities.")
    decisions: DecisionReview | None = Field(
        None, description="Standing decisions and those to revisit (a trigger fired)."
    )
    productization: Productization | None = Field(
        None, description="Bespoke work per deployment that became platform capability."
    )
    meta: dict[str, object] = Field(
        description="Versions, settings, timings, solver status, periods and capacity use."
    )

    @property
    def capabilities(self) -> list[CandidateResult]:
        """The candidates and the shipped capabilities."""
        return [*self.candidates, *self.shipped]

    def to_json(self) -> str:
        """The plan as one JSON document."""
        return self.model_dump_json()


class _Timer:
    """Seconds spent per named step, for ``meta.timings``; steps are shown to ``progress``."""

    def __init__(self, progress: Progress | None = None) -> None:
        self.timings: dict[str, float] = {}
        self._last = time.perf_counter()
        self._progress = progress

    def lap(self, step: str) -> None:
        now = time.perf_counter()
        self.timings[f"{step}_seconds"] = round(now - self._last, 3)
        self._last = now
        log.info("plan: %s done", step)

    @contextmanager
    def step(self, step: str, label: str) -> Iterator[None]:
        """Time the block as ``step``, shown to ``progress`` as ``label`` (0 of 1, then 1)."""
        if self._progress is not None:
            self._progress(label, 0, 1)
        yield
        self.lap(step)
        if self._progress is not None:
            self._progress(label, 1, 1)


def _meta(
    roadmap: Roadmap,
    *,
    scenario: str | None,
    settings_json: dict[str, object],
    timer: _Timer,
    embedder: str,
) -> dict[str, object]:
    return {
        **roadmap.meta,
        "version": __version__,
        "embedder": embedder,
        "scenario": scenario,
        "settings": settings_json,
        "timings": timer.timings,
        "periods": roadmap.periods,
        "capacity": [c.model_dump() for c in roadmap.capacity],
        "objective": roadmap.objective,
    }


def _synthesize_if_stale(
    workspace: Workspace,
    progress: Progress | None,
    on_synthesized: Callable[[str], None] | None,
) -> None:
    synthesized = ensure_synthesized(workspace, progress=progress)
    if synthesized is not None and on_synthesized is not None:
        on_synthesized(
            f"patterns were stale: synthesis run {synthesized.run_id} ({synthesized.mode}, "
            f"{synthesized.new_items:,} new items)"
        )


def fresh_evaluation(
    workspace: Workspace,
    *,
    progress: Progress | None = None,
    on_synthesized: Callable[[str], None] | None = None,
) -> Evaluation:
    """The pipeline's first two steps: synthesize if stale, then value (no optimizer).

    Args:
        workspace: An open workspace with imported evidence.
        progress: Called with synthesis progress, when a synthesis runs.
        on_synthesized: Called with a one-line note when stale patterns were re-synthesized.
    """
    _synthesize_if_stale(workspace, progress, on_synthesized)
    return evaluate(workspace)


def build_plan(
    workspace: Workspace,
    *,
    scenario: str | None = None,
    risk_averse: bool = False,
    progress: Progress | None = None,
    on_synthesized: Callable[[str], None] | None = None,
) -> tuple[Plan, Roadmap, Evaluation]:
    """Run the pipeline end to end on a workspace.

    Args:
        workspace: An open workspace with imported evidence.
        scenario: Plan with a named scenario's settings (None: the workspace's).
        risk_averse: Maximise P10 value instead of P50.
        progress: Called with synthesis progress, when a synthesis runs, then with each
            later step as ``(label, 0, 1)`` when it starts and ``(label, 1, 1)`` when done
            (the optimizer may take its whole time limit on a big workspace).
        on_synthesized: Called with a one-line note when stale patterns were re-synthesized.

    Returns:
        The plan, and the roadmap and evaluation it was built from.

    Raises:
        InputError: No planning periods (checked before synthesis writes anything), or a
            stage refused its input.
    """
    timer = _Timer(progress)
    planned = scenario_workspace(workspace, scenario) if scenario else workspace
    # Refused before synthesis writes anything, so a plan that cannot run changes nothing.
    if not planning_periods(planned.settings, load_rows(planned).teams):
        raise InputError("no planning periods: import teams.csv or set planning.periods")
    # Synthesis writes the shared store, so it keeps the workspace's own settings; every
    # later stage reads the scenario's, as if they were in workspace.toml.
    _synthesize_if_stale(workspace, progress, on_synthesized)
    workspace = planned
    settings = workspace.settings
    timer.lap("synthesize")
    with timer.step("value", "value candidates"):
        evaluation = evaluate(workspace)
    with timer.step("optimize", "optimize roadmap"):
        roadmap = plan_roadmap(
            workspace, evaluation=evaluation, settings=settings, risk_averse=risk_averse
        )
    with timer.step("decisions", "review decisions"):
        decisions = review_workspace(
            workspace,
            evaluation=evaluation,
            roadmap_status={e.capability_id: e.status for e in roadmap.entries},
        )
        productization = workspace_productization(workspace, evaluation=evaluation)
    with timer.step("economics_adoption_diagnose", "economics, adoption, diagnostics"):
        assessment = assess_roadmap(
            workspace,
            evaluation,
            roadmap.entries,
            roadmap.capacity,
            settings,
            decided={d.subject for d in decisions.standing},
        )
        adoption = track_adoption(workspace, evaluation, settings)
    plan = Plan(
        patterns=evaluation.patterns,
        candidates=[c for c in evaluation.candidates if c.status != "shipped"],
        shipped=[c for c in evaluation.candidates if c.status == "shipped"],
        roadmap=roadmap.entries,
        diagnostics=assessment.diagnosis.findings,
        diagnostics_checked=assessment.diagnosis.checked,
        economics=assessment.economics,
        adoption=adoption,
        decisions=decisions,
        productization=productization,
        meta=_meta(
            roadmap,
            scenario=scenario,
            settings_json=settings.model_dump(mode="json"),
            timer=timer,
            embedder=evaluation.embedder,
        ),
    )
    return plan, roadmap, evaluation
