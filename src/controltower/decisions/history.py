"""Reading the log of a workspace: all of it, one decision, a subject's timeline."""

from __future__ import annotations

from controltower.decisions import store
from controltower.decisions.models import Decision
from controltower.decisions.review import standing_decisions
from controltower.errors import InputError
from controltower.workspace import Workspace

__all__ = ["decided_subjects", "get_decision", "load_log", "subject_history"]


def load_log(workspace: Workspace) -> list[Decision]:
    """Every decision of the workspace, oldest first."""
    with workspace.engine.connect() as connection:
        return store.load_decisions(connection=connection)


def get_decision(workspace: Workspace, decision_id: str) -> Decision:
    """One decision by id.

    Raises:
        InputError: No decision has that id.
    """
    found = next((d for d in load_log(workspace) if d.decision_id == decision_id), None)
    if found is None:
        raise InputError(f"no decision {decision_id!r}; `tower decisions` lists them")
    return found


def subject_history(workspace: Workspace, subject: str) -> list[Decision]:
    """Every decision on a subject, oldest first: the subject's timeline."""
    return [d for d in load_log(workspace) if d.subject == subject]


def decided_subjects(workspace: Workspace) -> set[str]:
    """Subject ids (candidates, patterns, requests) that have a standing decision.

    The ``coordination-breakdown`` diagnostic reads it: a role's blocking stance the plan
    overrides is only a breakdown when no decision on the subject was recorded.
    """
    return {d.subject for d in standing_decisions(load_log(workspace))}
