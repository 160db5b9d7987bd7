"""The decision log as ``decisions.jsonl``: exported with the bundle, imported idempotently.

One decision per line, keys sorted, in id order, so the log diffs cleanly in git and
exporting twice gives identical bytes. On import every line is checked (fields, triggers,
supersession) and a decision whose id is already stored must be identical (append-only):
importing the same log twice changes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Connection

from controltower.decisions import store
from controltower.decisions.expression import parse_trigger
from controltower.decisions.models import Decision
from controltower.decisions.review import superseded_by
from controltower.errors import InputError

__all__ = ["DECISIONS_FILE", "Checked", "LogChecker", "decision_line", "write_log"]

DECISIONS_FILE = "decisions.jsonl"


def decision_line(decision: Decision) -> str:
    """One decision as its JSON line (sorted keys, no trailing newline)."""
    return json.dumps(decision.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)


def write_log(connection: Connection, folder: Path) -> int:
    """Write every decision to ``folder/decisions.jsonl`` atomically; return how many."""
    decisions = store.load_decisions(connection=connection)
    temporary = folder / f".{DECISIONS_FILE}.tmp"
    with temporary.open("w", encoding="utf-8", newline="\n") as handle:
        for decision in decisions:
            handle.write(decision_line(decision) + "\n")
    temporary.replace(folder / DECISIONS_FILE)
    return len(decisions)


def _field(location: tuple[int | str, ...]) -> str:
    parts: list[str] = []
    for part in location:
        if isinstance(part, int):
            parts.append(f"[{part}]")
        else:
            parts.append(("." if parts else "") + part)
    return "".join(parts) or "-"


@dataclass
class Checked:
    """The outcome of checking one line.

    Attributes:
        decision: The decision, when the line is valid.
        problems: ``(field, message)`` for each problem.
        new: Whether the decision is not stored yet (False: identical to a stored one).
    """

    decision: Decision | None
    problems: list[tuple[str, str]] = field(default_factory=list)
    new: bool = False


class LogChecker:
    """Checks decision lines in order against the log so far.

    Args:
        known: The decisions already in the workspace.
    """

    def __init__(self, known: Sequence[Decision]) -> None:
        self.known = {d.decision_id: d for d in known}
        self.stored = set(self.known)
        self.replaced = superseded_by(known)
        self.lines: dict[str, int] = {}

    def check(self, line: int, payload: dict[str, Any]) -> Checked:
        """Check one line's object; a valid one joins the log for the lines after it."""
        try:
            decision = Decision.model_validate(payload)
        except ValidationError as exc:
            return Checked(None, [(_field(e["loc"]), e["msg"]) for e in exc.errors()])
        problems = self._triggers(decision) + self._identity(decision)
        if not problems:
            problems = self._supersession(decision)
        if problems:
            return Checked(None, problems)
        new = decision.decision_id not in self.stored
        self.lines[decision.decision_id] = line
        self.known[decision.decision_id] = decision
        if decision.supersedes is not None:
            self.replaced[decision.supersedes] = decision.decision_id
        return Checked(decision, new=new)

    def _triggers(self, decision: Decision) -> list[tuple[str, str]]:
        problems = []
        for index, text in enumerate(decision.triggers):
            try:
                parse_trigger(text)
            except InputError as exc:
                problems.append((f"triggers[{index}]", str(exc)))
        return problems

    def _identity(self, decision: Decision) -> list[tuple[str, str]]:
        decision_id = decision.decision_id
        if decision_id in self.lines:
            return [
                (
                    "decision_id",
                    f"{decision_id} appears twice (first on line {self.lines[decision_id]})",
                )
            ]
        stored = self.known.get(decision_id)
        if stored is not None and stored != decision:
            return [
                (
                    "decision_id",
                    f"{decision_id} is already in the workspace with different content; the "
                    "log is append-only: record a change as a new decision that supersedes it",
                )
            ]
        return []

    def _supersession(self, decision: Decision) -> list[tuple[str, str]]:
        target_id = decision.supersedes
        if target_id is None or self.replaced.get(target_id) == decision.decision_id:
            return []
        target = self.known.get(target_id)
        if target is None or target_id == decision.decision_id:
            return [
                (
                    "supersedes",
                    f"{target_id} is not an earlier decision (in the workspace or above in "
                    "the file)",
                )
            ]
        if target.subject != decision.subject:
            return [("supersedes", f"{target_id} is on {target.subject}, not {decision.subject}")]
        if target_id in self.replaced:
            return [
                ("supersedes", f"{target_id} is already superseded by {self.replaced[target_id]}")
            ]
        return []
