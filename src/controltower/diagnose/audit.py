"""``tower diagnose`` as one library call: plan, simulate the economics, diagnose a roadmap.

Kept out of the package's ``__init__`` because it imports :mod:`controltower.plan`,
which itself reads the diagnose stage.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from controltower.decisions import decided_subjects
from controltower.diagnose.assess import assess_roadmap
from controltower.diagnose.models import Diagnosis
from controltower.diagnose.roadmap_file import audit_roadmap, read_roadmap_file
from controltower.plan import build_plan, fresh_evaluation
from controltower.synthesize.pipeline import Progress
from controltower.workspace import Workspace

__all__ = ["diagnose_workspace"]


def diagnose_workspace(
    workspace: Workspace,
    *,
    roadmap_file: Path | None = None,
    progress: Progress | None = None,
    on_synthesized: Callable[[str], None] | None = None,
) -> Diagnosis:
    """Diagnose the optimizer's roadmap of a workspace, or a roadmap CSV against it.

    A roadmap file is checked before anything runs, so a bad file is refused at once. The
    FDE economics are simulated under the roadmap being diagnosed (for high-touch-trap),
    and the decision log says which subjects have a recorded decision.

    Args:
        workspace: An open workspace with imported evidence.
        roadmap_file: A roadmap CSV to audit instead of the optimizer's plan.
        progress: Called with synthesis progress, when a synthesis runs.
        on_synthesized: Called with a note when stale patterns were re-synthesized.

    Raises:
        BundleError: The roadmap file is refused (file, line and column of each problem).
    """
    settings = workspace.settings
    if roadmap_file is None:
        plan, _, _ = build_plan(workspace, progress=progress, on_synthesized=on_synthesized)
        return Diagnosis(
            roadmap_source="plan", findings=plan.diagnostics, checked=plan.diagnostics_checked
        )
    rows = read_roadmap_file(workspace, roadmap_file, settings)
    # An audit needs the valuation, not the optimizer's plan: a must=yes conflict that
    # stops the optimizer must not stop the audit of a hand-made roadmap.
    evaluation = fresh_evaluation(workspace, progress=progress, on_synthesized=on_synthesized)
    audited = audit_roadmap(workspace, rows, evaluation, roadmap_file.name, settings)
    return assess_roadmap(
        workspace,
        evaluation,
        audited.entries,
        audited.capacity,
        settings,
        decided=decided_subjects(workspace),
        source=str(roadmap_file),
    ).diagnosis
