"""Recording a decision: check the subject and triggers, snapshot the evidence, append."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING

from pydantic import ValidationError
from sqlalchemy import Connection, select

from controltower.decisions import store
from controltower.decisions.expression import Trigger, parse_trigger
from controltower.decisions.figures import evidence_of, focus_of
from controltower.decisions.models import CHOICES, Decision, Position, SubjectKind
from controltower.decisions.review import superseded_by
from controltower.errors import InputError
from controltower.store.tables import signals
from controltower.workspace import Workspace

if TYPE_CHECKING:
    from controltower.value import Evaluation

__all__ = ["parse_position", "record_decision", "subject_kind"]

_DEFAULT_OPTIONS: dict[SubjectKind, tuple[str, ...]] = {
    "candidate": ("build", "defer", "refuse"),
    "pattern": ("standardize", "watch", "keep-custom"),
    "request": ("build", "defer", "refuse"),
}


def parse_position(text: str) -> Position:
    """Parse ``role=stance:text`` (stance -2 … 2; the text may be left out).

    Raises:
        InputError: Not of that form, or the stance is not an integer from -2 to 2.
    """
    role, equals, rest = text.partition("=")
    stance, _, argument = rest.partition(":")
    try:
        if not equals:
            raise ValueError("no '='")
        return Position(role=role, stance=int(stance.strip()), text=argument)
    except (ValueError, ValidationError) as exc:
        raise InputError(
            f"--position {text!r} must read role=stance:text with a stance from -2 (blocks) "
            "to 2 (champions), e.g. 'ml-engineer=-2:recall is too low'"
        ) from exc


def _signal_exists(connection: Connection, signal_id: str) -> bool:
    statement = select(signals.c.signal_id).where(signals.c.signal_id == signal_id)
    return connection.execute(statement).first() is not None


def subject_kind(
    subject: str, evaluation: Evaluation, redirects: dict[str, str], connection: Connection
) -> SubjectKind:
    """What a subject id names: a candidate, a pattern or an account request (signal).

    Raises:
        InputError: It names none of them.
    """
    if evaluation.candidate(subject) is not None:
        return "candidate"
    if evaluation.pattern(subject) is not None or subject in redirects:
        return "pattern"
    if _signal_exists(connection, subject):
        return "request"
    raise InputError(
        f"no candidate, pattern or request (signal id) {subject!r}; `tower value`, "
        "`tower patterns` and signals.csv list them"
    )


def _supersedes(subject: str, supersedes: str | None, history: Sequence[Decision]) -> str | None:
    """The decision the new one replaces: the given one (checked), else the subject's own."""
    replaced = superseded_by(history)
    standing = [d for d in history if d.subject == subject and d.decision_id not in replaced]
    if supersedes is None:
        return standing[-1].decision_id if standing else None
    target = next((d for d in history if d.decision_id == supersedes), None)
    if target is None:
        raise InputError(
            f"--supersedes {supersedes}: no such decision; `tower decisions` lists them"
        )
    if target.subject != subject:
        raise InputError(
            f"--supersedes {supersedes}: that decision is on {target.subject}, not {subject}"
        )
    if supersedes in replaced:
        raise InputError(
            f"--supersedes {supersedes}: it was already superseded by {replaced[supersedes]}; "
            f"supersede {standing[-1].decision_id if standing else replaced[supersedes]}"
        )
    return supersedes


def _check_trigger(trigger: Trigger, subject: str, figures: dict[str, float], today: date) -> None:
    """A trigger must read figures the subject has, and name a change to come."""
    missing = [f for f in trigger.fields if f not in figures]
    if missing:
        raise InputError(
            f"trigger {trigger.text!r}: {subject} has no {', '.join(missing)} "
            f"(no {missing[0].split('.')[0]} behind it); available: "
            f"{', '.join(sorted(figures)) or 'none'}"
        )
    check = trigger.check(figures, figures, today=today)
    if check.status == "fired":
        shown = ", ".join(f"{f.field} = {f.now:,.6g}" for f in check.figures)
        raise InputError(
            f"trigger {trigger.text!r} already holds ({shown or f'today is {today}'}): a "
            "reopen trigger names a change to come"
        )


def record_decision(
    workspace: Workspace,
    subject: str,
    *,
    choice: str,
    rationale: str,
    decided_by: str,
    triggers: Sequence[str] = (),
    options: Sequence[str] = (),
    question: str | None = None,
    positions: Sequence[Position] = (),
    supersedes: str | None = None,
    decided_on: date | None = None,
    evaluation: Evaluation | None = None,
) -> Decision:
    """Record a decision in the workspace's append-only log.

    The evidence (ids, the trigger fields' figures, role stances, readiness) is taken from
    the live evaluation. A new decision on a subject that has a standing one supersedes it.

    Args:
        workspace: The open workspace (its patterns synthesized).
        subject: A candidate, pattern or request (signal) id.
        choice: ``build``, ``defer``, ``refuse``, ``standardize``, ``keep-custom``,
            ``watch`` or free text.
        rationale: Why.
        decided_by: Who decided.
        triggers: Reopen triggers in the trigger language.
        options: Options considered (default: the usual ones for the subject's kind).
        question: The question decided (default: from the subject).
        positions: Each role's position, dissent included.
        supersedes: The decision replaced (default: the subject's standing decision).
        decided_on: The date (default: today).
        evaluation: The value stage's result (computed when not given).

    Raises:
        InputError: Unknown subject, empty choice or rationale, a trigger outside the
            language or on a field the subject has no figure for, or a bad supersedes.
    """
    from controltower.value import evaluate

    for name, text in (("--choice", choice), ("--why", rationale), ("--by", decided_by)):
        if not text.strip():
            raise InputError(f"a decision needs {name}: it is empty")
    parsed = [parse_trigger(t) for t in triggers]
    evaluation = evaluation or evaluate(workspace)
    choice = choice.strip()
    if choice.lower() in CHOICES:
        choice = choice.lower()
    with workspace.engine.begin() as connection:
        redirects = store.pattern_redirects(connection=connection)
        kind = subject_kind(subject, evaluation, redirects, connection)
        evidence = evidence_of(focus_of(kind, subject, evaluation, redirects))
        today = decided_on or date.today()
        for trigger in parsed:
            _check_trigger(trigger, subject, evidence.figures, today)
        history = store.load_decisions(connection=connection)
        considered = list(dict.fromkeys([*(options or _DEFAULT_OPTIONS[kind]), choice]))
        try:
            decision = Decision(
                decision_id=store.next_decision_id([d.decision_id for d in history]),
                subject=subject,
                subject_kind=kind,
                question=question or _question(kind, subject, evaluation),
                options=considered,
                choice=choice,
                rationale=rationale,
                evidence=evidence,
                decided_by=decided_by,
                decided_on=today,
                positions=list(positions),
                triggers=[t.text for t in parsed],
                supersedes=_supersedes(subject, supersedes, history),
            )
        except ValidationError as exc:
            error = exc.errors()[0]
            field = ".".join(str(part) for part in error["loc"])
            raise InputError(f"the decision's {field}: {error['msg']}") from exc
        store.append_decisions(connection=connection, records=[store.to_record(decision)])
    return decision


def _question(kind: SubjectKind, subject: str, evaluation: Evaluation) -> str:
    if kind == "candidate":
        candidate = evaluation.candidate(subject)
        return f"Do we build {subject} ({candidate.name if candidate else subject}), and when?"
    if kind == "pattern":
        pattern = evaluation.pattern(subject)
        label = pattern.label if pattern else subject
        return f"Do we standardize pattern {subject} ({label}) into the platform?"
    return f"Do we take on account request {subject}?"
