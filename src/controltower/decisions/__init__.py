"""Decision log: every product decision with its evidence, dissent and reopen triggers.

Decisions are append-only (a change is a new decision that supersedes the old one) and
travel with the bundle as ``decisions.jsonl``. Reopen triggers are written in a small,
safe expression language (:mod:`controltower.decisions.expression`) evaluated on the live
figures; standing ``refuse`` and ``defer`` decisions hold candidates out of the roadmap.
The productization rate and the customer's "why not yet" note live here too.

Modules: ``models`` (what is stored and returned), ``store`` (the table), ``expression``
(the trigger language), ``figures`` (a subject's live figures), ``review`` (triggers,
to-revisit, plan holds), ``record`` (``tower decide``), ``history`` (reading the log),
``log`` (``decisions.jsonl``), ``productization``, ``note``.

Importing this package does not load the value stage: functions that need an evaluation
compute it on call.
"""

from __future__ import annotations

from controltower.decisions.expression import FIELDS, Trigger, parse_trigger
from controltower.decisions.history import (
    decided_subjects,
    get_decision,
    load_log,
    subject_history,
)
from controltower.decisions.log import DECISIONS_FILE
from controltower.decisions.models import (
    CHOICES,
    CustomerNote,
    Decision,
    DecisionDetail,
    DecisionReview,
    DecisionState,
    Position,
    Productization,
    TriggerCheck,
)
from controltower.decisions.note import customer_note
from controltower.decisions.productization import workspace_productization
from controltower.decisions.record import parse_position, record_decision
from controltower.decisions.review import (
    Hold,
    decision_holds,
    inspect_decision,
    review_workspace,
    standing_decisions,
)

__all__ = [
    "CHOICES",
    "DECISIONS_FILE",
    "FIELDS",
    "CustomerNote",
    "Decision",
    "DecisionDetail",
    "DecisionReview",
    "DecisionState",
    "Hold",
    "Position",
    "Productization",
    "Trigger",
    "TriggerCheck",
    "customer_note",
    "decided_subjects",
    "decision_holds",
    "get_decision",
    "inspect_decision",
    "load_log",
    "parse_position",
    "parse_trigger",
    "record_decision",
    "review_workspace",
    "standing_decisions",
    "subject_history",
    "workspace_productization",
]
