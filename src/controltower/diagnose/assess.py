"""One roadmap's FDE economics and diagnosis, as the plan, an audit and a scenario need them."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from controltower.diagnose import diagnose, load_diagnosis_inputs
from controltower.diagnose.economics import compute_economics
from controltower.diagnose.models import Diagnosis, Economics
from controltower.optimize import RoadmapEntry, TeamLoad
from controltower.settings import Settings
from controltower.value import Evaluation
from controltower.workspace import Workspace

__all__ = ["Assessment", "assess_roadmap"]


@dataclass(frozen=True)
class Assessment:
    """The economics simulated under a roadmap and the failure modes found on it."""

    economics: Economics
    diagnosis: Diagnosis


def assess_roadmap(
    workspace: Workspace,
    evaluation: Evaluation,
    entries: Sequence[RoadmapEntry],
    capacity: Sequence[TeamLoad],
    settings: Settings,
    *,
    decided: Collection[str] = frozenset(),
    source: str = "plan",
) -> Assessment:
    """Simulate the FDE economics under a roadmap, then run every detector on it.

    Args:
        workspace: The open workspace the roadmap plans.
        evaluation: Its value stage result.
        entries: The roadmap's entries (the optimizer's or an audited CSV's).
        capacity: Capacity use per team and period under that roadmap.
        settings: Settings (economics, diagnostics thresholds) to assess with.
        decided: Subjects with a standing recorded decision.
        source: ``plan``, a scenario name or the audited file, shown in the diagnosis.
    """
    economics = compute_economics(workspace, evaluation, entries, settings)
    inputs = load_diagnosis_inputs(
        workspace, evaluation, entries, capacity, economics=economics, decided=decided
    )
    return Assessment(economics, diagnose(inputs, settings, roadmap_source=source))
