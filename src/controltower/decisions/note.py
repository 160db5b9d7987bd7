"""The customer's "why not yet" note: plain words for the one customer who asked.

Built from the decision (its choice, date and triggers) and the analysis (the readiness of
the need, blocking guardrails or model limits), never from the internal rationale, which
is written for the team and may name other customers or their figures. The note names no
other customer and gives no other customer's figures: no money amounts at all, no counts
of other customers, and a last pass replaces any other account's name or id (for example
inside a capability's name or the request's own text) with "another customer".
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from sqlalchemy import select

from controltower.decisions.expression import parse_trigger
from controltower.decisions.figures import Focus, focus_of, live_evaluation
from controltower.decisions.history import load_log
from controltower.decisions.models import CustomerNote, Decision
from controltower.decisions.review import serving_candidates, standing_decisions
from controltower.domain import PLANNED, Account, Guardrail, Signal
from controltower.errors import InputError
from controltower.ingest.contract import SPEC_BY_ENTITY
from controltower.store.rows import read_rows
from controltower.store.tables import signals
from controltower.workspace import Workspace

if TYPE_CHECKING:
    from controltower.value import CandidateResult, Evaluation, PatternResult

__all__ = ["NOTE_CHOICES", "compose_note", "customer_note", "redact"]

NOTE_CHOICES: dict[str, str] = {
    "refuse": "we decided not to build this",
    "defer": "we decided not to build this yet",
    "watch": "we decided to watch how this need develops before we commit to building it",
    "keep-custom": "we decided to keep meeting this need with work tailored to your "
    "deployment rather than with a standard platform feature",
}
"""Choices a note can be written for, and how the note states them."""

_READINESS: dict[str, str] = {
    "watch": "The need is real, but it is still taking shape: the solutions built so far "
    "differ, or it is recent, so we want to see it settle before we turn it into a "
    "standard capability.",
    "keep-custom": "So far this need is specific to a few deployments, so a solution "
    "tailored to yours serves you better than a one-size-fits-all feature.",
    "reject": "As asked, it would conflict with one of the architecture rules we hold for "
    "every customer (security, privacy or reliability).",
    "standardize": "We weighed it against the other platform work our customers need, and "
    "for now it does not make the cut.",
}

_FIELD_WORDS: dict[str, str] = {
    "pattern.accounts": "when more customers need it",
    "candidate.accounts": "when more customers need it",
    "pattern.signals": "when the need is reported more often",
    "pattern.fde_hours": "when the custom work it takes keeps growing",
    "candidate.fde_hours": "when the custom work it takes keeps growing",
}
_VALUE_WORDS = "when the case for it grows"


def _reasons(candidate: CandidateResult | None, readiness: str | None) -> list[str]:
    reasons = []
    if candidate is not None:
        blocking = {s.role for s in candidate.stances if s.source == "computed" and s.stance == -2}
        if "ml-engineer" in blocking:
            reasons.append(
                "Today's AI models cannot yet do this reliably enough for production use."
            )
    if readiness in _READINESS:
        reasons.append(_READINESS[readiness])
    return reasons


def _revisit(decision: Decision) -> list[str]:
    """What would reopen the decision, in words with no figures but dates."""
    phrases: list[str] = []
    for text in decision.triggers:
        trigger = parse_trigger(text)
        if trigger.uses_today and trigger.dates:
            phrases.append(f"by {max(trigger.dates).isoformat()}")
        for name in trigger.fields:
            phrases.append(_FIELD_WORDS.get(name, _VALUE_WORDS))
    return list(dict.fromkeys(phrases))


_KEEP = "\x00"


def redact(text: str, others: Sequence[Account], *, keep: str = "") -> str:
    """Replace every other account's name (any case) and id with "another customer".

    Args:
        text: The text to scrub.
        others: The accounts that must not appear.
        keep: A name left as it is (the addressee's), even where another name is part of it.
    """
    if keep:
        text = text.replace(keep, _KEEP)
    for account in sorted(others, key=lambda a: -max(len(a.name), len(a.account_id))):
        for word, flags in ((account.name, re.IGNORECASE), (account.account_id, 0)):
            if word.strip():
                pattern = rf"(?<![\w-]){re.escape(word.strip())}(?![\w-])"
                text = re.sub(pattern, "another customer", text, flags=flags)
    return text.replace(_KEEP, keep) if keep else text


def _stated(decision: Decision) -> str:
    stated = NOTE_CHOICES.get(decision.choice)
    if stated is None:
        raise InputError(
            f"{decision.decision_id} decided {decision.choice!r}: a 'why not yet' note is for "
            f"{', '.join(NOTE_CHOICES)} decisions"
        )
    return stated


def compose_note(
    decision: Decision,
    focus: Focus,
    *,
    account: Account,
    others: Sequence[Account],
    subject_name: str,
    request: Signal | None,
    rule_applies: bool = True,
) -> CustomerNote:
    """Write the note for ``account`` about a refuse, defer, watch or keep-custom decision.

    Args:
        decision: The standing decision on the subject.
        focus: The subject's live candidate and pattern.
        account: The customer who asked.
        others: Every other account (their names and ids are scrubbed from the note).
        subject_name: What was asked for, in words.
        request: The customer's own request, when the subject is one.
        rule_applies: Whether the architecture-rule reason may be given when the analysis
            says "reject": False for a request whose own text names none of the blocking
            guardrails' keywords (the candidate serving it conflicts, the request may not).

    Raises:
        InputError: The decision goes ahead (build, standardize): there is no "not yet".
    """
    stated = _stated(decision)
    asked = (
        f'your request of {request.date.isoformat()} ("{request.text}")'
        if request is not None
        else f"your interest in {subject_name}"
    )
    readiness = focus.pattern.recommendation if focus.pattern is not None else None
    if focus.candidate is not None and (readiness is None or focus.candidate.readiness == "reject"):
        readiness = focus.candidate.readiness
    if readiness == "reject" and not rule_applies:
        readiness = None
    lines = [
        f"To the {account.name} team,",
        "",
        f"Thank you for {asked}. On {decision.decided_on.isoformat()} {stated}.",
        *_reasons(focus.candidate, readiness),
    ]
    revisit = _revisit(decision)
    if revisit:
        lines.append(f"We will look at it again {' or '.join(revisit)}.")
    else:
        lines.append("We will tell you if this decision changes.")
    lines += ["", "Your account team"]
    text = redact("\n".join(lines), others, keep=account.name)
    return CustomerNote(
        decision_id=decision.decision_id,
        subject=decision.subject,
        account_id=account.account_id,
        account_name=account.name,
        text=text,
    )


def _account_rows(workspace: Workspace) -> dict[str, Account]:
    with workspace.engine.connect() as connection:
        rows = read_rows(connection=connection, spec=SPEC_BY_ENTITY["accounts"], model=Account)
    return {a.account_id: a for a in rows}


def _signal(workspace: Workspace, signal_id: str) -> Signal | None:
    with workspace.engine.connect() as connection:
        record = connection.execute(select(signals).where(signals.c.signal_id == signal_id)).first()
    return None if record is None else Signal.model_validate(dict(record._mapping))


def _decision_for(workspace: Workspace, key: str) -> Decision:
    """The decision a note is about: by id, else the standing decision on a subject."""
    log = load_log(workspace)
    by_id = next((d for d in log if d.decision_id == key), None)
    if by_id is not None:
        return by_id
    standing = [d for d in standing_decisions(log) if d.subject == key]
    if not standing:
        raise InputError(f"no decision {key!r} and no standing decision on it; `tower decide` one")
    return standing[-1]


def customer_note(workspace: Workspace, key: str, *, account_id: str | None = None) -> CustomerNote:
    """The "why not yet" note for the customer who asked (``tower decisions note``).

    Args:
        workspace: The open workspace.
        key: A decision id, or a subject with a standing decision.
        account_id: The customer to write to; for a request, its own account (default).

    Raises:
        InputError: No such decision, a decision that goes ahead, no customer named for a
            candidate or pattern, or an unknown account.
    """
    decision = _decision_for(workspace, key)
    _stated(decision)
    accounts = _account_rows(workspace)
    request = _signal(workspace, decision.subject) if decision.subject_kind == "request" else None
    if request is not None:
        if account_id not in (None, request.account_id):
            raise InputError(
                f"{decision.subject} is a request of account {request.account_id}, not {account_id}"
            )
        account_id = request.account_id
    if account_id is None:
        raise InputError(
            f"name the customer to write to: --account ACCOUNT_ID ({decision.subject} is a "
            f"{decision.subject_kind}, not one customer's request)"
        )
    account = accounts.get(account_id)
    if account is None:
        raise InputError(f"no account {account_id!r} in the workspace")
    evaluation = live_evaluation(workspace)
    if evaluation is not None:
        _refuse_if_planned(workspace, decision, evaluation)
    focus = (
        Focus(candidate=None, pattern=None)
        if evaluation is None
        else focus_of(decision.subject_kind, decision.subject, evaluation, {})
    )
    candidate = evaluation.candidate(decision.subject) if evaluation else None
    pattern = evaluation.pattern(decision.subject) if evaluation else None
    subject_name = candidate.name if candidate else pattern.label if pattern else decision.subject
    if request is None:
        _refuse_if_not_asked(account, decision.subject, candidate, pattern)
    return compose_note(
        decision,
        focus,
        account=account,
        others=[a for a in accounts.values() if a.account_id != account_id],
        subject_name=subject_name,
        request=request,
        rule_applies=request is None or _request_names_a_rule(workspace, request, focus),
    )


def _refuse_if_not_asked(
    account: Account,
    subject: str,
    candidate: CandidateResult | None,
    pattern: PatternResult | None,
) -> None:
    """Refuse a note to an account the subject's evidence does not name.

    The note thanks the customer for their interest: to an account with no signal or
    custom work behind the candidate or pattern, that thanks would be false.
    """
    asked = (
        candidate.model.account_ids
        if candidate is not None
        else pattern.account_ids
        if pattern is not None
        else None
    )
    if asked is None or account.account_id in asked:
        return
    named = ", ".join(asked[:10]) + (f" and {len(asked) - 10} more" if len(asked) > 10 else "")
    raise InputError(
        f"account {account.account_id} has no signal or custom work behind {subject}, so a "
        f"note thanking them for their interest would be false; its evidence names "
        f"{named or 'no account'} (import their request as a signal first)"
    )


def _refuse_if_planned(workspace: Workspace, decision: Decision, evaluation: Evaluation) -> None:
    """Refuse a "not yet" note when the roadmap schedules what the subject asks for.

    A decision on a candidate keeps it out of the roadmap, but one on a pattern or a
    request binds nothing: the optimizer may still plan a candidate that serves it, and
    the note would tell the customer something the plan contradicts.

    Raises:
        InputError: The plan schedules a candidate serving the subject.
    """
    from controltower.optimize import plan_roadmap
    from controltower.optimize.model import PlanConflictError

    serving = serving_candidates(decision, evaluation, {})
    if not serving:
        return
    try:
        roadmap = plan_roadmap(workspace, evaluation=evaluation)
    except PlanConflictError:
        return  # no plan to contradict the note
    planned = [
        f"{e.capability_id} ({e.status}, {e.period})"
        for e in roadmap.entries
        if e.capability_id in serving and e.status in PLANNED
    ]
    if planned:
        raise InputError(
            f"the plan schedules {', '.join(planned)}, which serves {decision.subject}: a "
            f"'not yet' note would be false. Decide on the candidate to hold it out, or "
            f"supersede {decision.decision_id}"
        )


def _request_names_a_rule(workspace: Workspace, request: Signal, focus: Focus) -> bool:
    """Whether the request's own text holds a keyword of a guardrail blocking its candidate.

    A request's candidate is the best one whose evidence holds it; when that candidate is
    blocked by an architecture rule the request itself says nothing about, the note must
    not tell the customer their request conflicts with it.
    """
    blocking: set[str] = set()
    if focus.candidate is not None:
        blocking.update(focus.candidate.guardrails.blocks)
    elif focus.pattern is not None:
        blocking.update(focus.pattern.readiness.block_guardrails)
    with workspace.engine.connect() as connection:
        rules = read_rows(connection=connection, spec=SPEC_BY_ENTITY["guardrails"], model=Guardrail)
    text = request.text.lower()
    return any(
        rule.severity == "block"
        and rule.guardrail_id in blocking
        and any(keyword.lower() in text for keyword in rule.keywords)
        for rule in rules
    )
