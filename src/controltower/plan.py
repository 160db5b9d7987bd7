"""The pipeline end to end: ``tower plan`` as one library call.

:func:`build_plan` is a short list of named steps (synthesize if stale, value, optimize,
economics, adoption, diagnose), each in its own stage package; it returns a :class:`Plan`
whose JSON form is the machine-readable plan of PRODUCT.md.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from pydantic import BaseModel, Field

from controltower import __version__
from controltower.diagnose.models import Adoption, Economics, Finding
from controltower.optimize import Roadmap, RoadmapEntry, plan_roadmap
from controltower.optimize.scenario import load_scenario
from controltower.synthesize.pipeline import Progress, ensure_synthesized
from controltower.value import CandidateResult, Evaluation, PatternResult, evaluate
from controltower.workspace import Workspace

__all__ = ["Plan", "build_plan"]

log = logging.getLogger(__name__)


class Plan(BaseModel):
    """The machine-readable plan (``tower plan --json``)."""

    patterns: list[PatternResult]
    candidates: list[CandidateResult]
    roadmap: list[RoadmapEntry]
    diagnostics: list[Finding] = Field(
        default_factory=list, description="Failure modes found on the roadmap, worst first."
    )
    economics: Economics | None = Field(
        None, description="FDE economics per period, with and without the roadmap."
    )
    adoption: Adoption | None = Field(None, description="Adoption of shipped capabilities.")
    meta: dict[str, object] = Field(
        description="Versions, settings, timings, solver status, periods and capacity use."
    )

    def to_json(self) -> str:
        """The plan as one JSON document."""
        return self.model_dump_json()


class _Timer:
    """Seconds spent per named step, for ``meta.timings``."""

    def __init__(self) -> None:
        self.timings: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, step: str) -> None:
        now = time.perf_counter()
        self.timings[f"{step}_seconds"] = round(now - self._last, 3)
        self._last = now
        log.info("plan: %s done", step)


def _meta(
    roadmap: Roadmap, *, scenario: str | None, settings_json: dict[str, object], timer: _Timer
) -> dict[str, object]:
    return {
        **roadmap.meta,
        "version": __version__,
        "scenario": scenario,
        "settings": settings_json,
        "timings": timer.timings,
        "periods": roadmap.periods,
        "capacity": [c.model_dump() for c in roadmap.capacity],
        "objective": roadmap.objective,
    }


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
        progress: Called with synthesis progress, when a synthesis runs.
        on_synthesized: Called with a one-line note when stale patterns were re-synthesized.

    Returns:
        The plan, and the roadmap and evaluation it was built from.
    """
    settings = load_scenario(workspace, scenario) if scenario else workspace.settings
    timer = _Timer()
    synthesized = ensure_synthesized(workspace, progress=progress)
    if synthesized is not None and on_synthesized is not None:
        on_synthesized(
            f"patterns were stale: synthesis run {synthesized.run_id} ({synthesized.mode}, "
            f"{synthesized.new_items:,} new items)"
        )
    timer.lap("synthesize")
    evaluation = evaluate(workspace)
    timer.lap("value")
    roadmap = plan_roadmap(
        workspace, evaluation=evaluation, settings=settings, risk_averse=risk_averse
    )
    timer.lap("optimize")
    plan = Plan(
        patterns=evaluation.patterns,
        candidates=evaluation.candidates,
        roadmap=roadmap.entries,
        meta=_meta(
            roadmap,
            scenario=scenario,
            settings_json=settings.model_dump(mode="json"),
            timer=timer,
        ),
    )
    return plan, roadmap, evaluation
