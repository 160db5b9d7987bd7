"""What the decision log holds and returns: decisions, trigger checks, reviews, notes.

A :class:`Decision` is one row of the append-only log; everything else here is computed
from the log and the live figures (:class:`DecisionReview` for ``tower decisions`` and the
plan, :class:`Productization` for ``tower status`` and the plan, :class:`CustomerNote`
for the customer who asked).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from controltower.domain import IsoDate

__all__ = [
    "AGAINST",
    "CHOICES",
    "FOR",
    "CustomerNote",
    "Decision",
    "DecisionDetail",
    "DecisionReview",
    "DecisionState",
    "DeploymentProductization",
    "Evidence",
    "Figure",
    "Position",
    "Productization",
    "StanceSnapshot",
    "SubjectKind",
    "TriggerCheck",
]

CHOICES: tuple[str, ...] = ("build", "defer", "refuse", "standardize", "keep-custom", "watch")
"""The named choices; any other non-empty text is recorded as a free-text choice."""

FOR: frozenset[str] = frozenset({"build", "standardize"})
"""Choices that go ahead: a position below 0 on them is dissent."""

AGAINST: frozenset[str] = frozenset({"defer", "refuse", "keep-custom", "watch"})
"""Choices that hold back: a position above 0 on them is dissent."""

SubjectKind = Literal["candidate", "pattern", "request"]

DECISION_ID = re.compile(r"^D\d{4,}$")


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, str_strip_whitespace=True)


class Position(_Record):
    """One role's position on a decision, dissent included.

    Attributes:
        role: The role (``fde``, ``ml-engineer``, ``leadership`` …).
        stance: -2 (blocks) … 2 (champions), as in stances.csv.
        text: The role's argument in its own words.
    """

    role: str = Field(min_length=1)
    stance: int = Field(ge=-2, le=2)
    text: str = ""


class StanceSnapshot(_Record):
    """A role's stance on the subject's candidate when the decision was taken."""

    role: str
    stance: int = Field(ge=-2, le=2)
    source: str = Field(description="'computed' from the role's data or 'entered' (stances.csv).")
    author: str | None = None
    reason: str = ""


class Evidence(_Record):
    """The evidence a decision was taken on: ids and a snapshot of the key figures."""

    candidate_id: str | None = Field(None, description="The candidate the figures describe.")
    pattern_id: str | None = Field(None, description="The pattern the figures describe.")
    account_ids: list[str] = Field(default_factory=list)
    signal_ids: list[str] = Field(default_factory=list)
    work_ids: list[str] = Field(default_factory=list)
    figures: dict[str, float] = Field(
        default_factory=dict,
        description="Trigger fields (pattern.accounts, candidate.value_p50 …) at the time.",
    )
    stances: list[StanceSnapshot] = Field(default_factory=list)
    readiness: str | None = Field(None, description="The standardization recommendation.")


class Decision(_Record):
    """One product decision: append-only; a change is a new decision that supersedes it."""

    decision_id: str = Field(pattern=DECISION_ID.pattern, description="D0001, D0002 …")
    subject: str = Field(min_length=1, description="Candidate, pattern or request (signal) id.")
    subject_kind: SubjectKind
    question: str = Field(min_length=1)
    options: list[str] = Field(default_factory=list, description="Options considered.")
    choice: str = Field(min_length=1, description="One of CHOICES, or free text.")
    rationale: str = Field(min_length=1)
    evidence: Evidence
    decided_by: str = Field(min_length=1)
    decided_on: IsoDate
    positions: list[Position] = Field(default_factory=list)
    triggers: list[str] = Field(
        default_factory=list, description="Reopen triggers in the trigger language."
    )
    supersedes: str | None = Field(None, pattern=DECISION_ID.pattern)

    @field_validator("choice")
    @classmethod
    def _named_choice_as_named(cls, value: str) -> str:
        """A named choice in any case or spacing ("Refuse ") is that choice ("refuse").

        Kept as written, "Refuse" was a free-text choice that held nothing out of the plan.
        """
        named = value.strip().lower()
        return named if named in CHOICES else value

    def dissent(self) -> list[Position]:
        """Positions that argued against the choice (none for a free-text choice)."""
        if self.choice in FOR:
            return [p for p in self.positions if p.stance < 0]
        if self.choice in AGAINST:
            return [p for p in self.positions if p.stance > 0]
        return []


class Figure(BaseModel):
    """One figure a trigger reads: its value when decided and now."""

    field: str
    at_decision: float | None
    now: float | None

    @property
    def moved(self) -> bool:
        """Whether the figure changed since the decision."""
        return self.at_decision != self.now


class TriggerCheck(BaseModel):
    """A reopen trigger evaluated on the live figures."""

    expression: str
    status: Literal["fired", "quiet", "unavailable"]
    figures: list[Figure] = Field(description="Every field the trigger reads, then and now.")
    today: date | None = Field(None, description="The date used, when the trigger reads today.")
    reason: str = Field("", description="Why it could not be evaluated, when unavailable.")


class DecisionState(BaseModel):
    """A standing decision with its triggers checked and its effect on the roadmap."""

    decision_id: str
    subject: str
    subject_kind: SubjectKind
    choice: str
    rationale: str
    decided_on: date
    decided_by: str
    dissent: list[str] = Field(description="Roles whose position opposed the choice.")
    triggers: list[TriggerCheck]
    revisit: bool = Field(description="At least one trigger fired.")
    effect: str | None = Field(None, description="What the decision does to the roadmap.")
    roadmap_status: str | None = Field(
        None,
        description="The subject's status in the plan; for a pattern or request held back while "
        "the plan schedules a candidate that serves it, that candidate's status.",
    )


class DecisionDetail(BaseModel):
    """One decision with its triggers checked now and what superseded it, if anything."""

    decision: Decision
    triggers: list[TriggerCheck]
    superseded_by: str | None
    dissent: list[Position]


class DecisionReview(BaseModel):
    """The decision log against the live figures (``tower decisions``, the plan)."""

    standing: list[DecisionState] = Field(description="Decisions not superseded, by id.")
    to_revisit: list[DecisionState] = Field(description="Standing decisions whose trigger fired.")
    superseded: int = Field(description="Decisions replaced by a later one (kept as history).")
    evaluated: bool = Field(description="Whether live figures were available for triggers.")


class DeploymentProductization(BaseModel):
    """How much of one deployment's bespoke work later became platform capability."""

    deployment_id: str
    account_id: str
    bespoke_work: int = Field(description="Custom-work rows of the deployment.")
    bespoke_hours: float
    productized_work: int = Field(description="Rows whose pattern a capability shipped for.")
    productized_hours: float
    rate: float = Field(description="productized_hours / bespoke_hours (0 with no hours).")
    capabilities: list[str] = Field(description="Shipped capabilities its work became.")
    gave_back: bool | None = Field(
        description="A capability shipped within the window after one of its builds; None: "
        "too early to tell (a window is still open and nothing shipped yet)."
    )
    days_to_give_back: float | None = Field(
        description="Days from the build to the first capability shipped for it."
    )
    evidence: list[str] = Field(description="Work ids that became capability.")


class Productization(BaseModel):
    """Productization rate: bespoke work given back as platform capability."""

    as_of: date = Field(description="Latest evidence date: windows still open are not judged.")
    window_days: int = Field(description="decisions.productization_window_days.")
    deployments: list[DeploymentProductization] = Field(
        description="Deployments with bespoke work, highest rate first."
    )
    bespoke_hours: float
    productized_hours: float
    rate: float = Field(description="Share of all bespoke FDE hours that became capability.")
    engagements_judged: int = Field(description="Deployments whose window has closed or paid.")
    engagements_gave_back: int
    give_back_share: float | None = Field(
        description="Share of judged engagements that gave back a capability in the window."
    )
    unattributed_work: list[str] = Field(
        description="Work ids with no deployment (none given and no single active one)."
    )
    shipped: list[str] = Field(description="Shipped capabilities considered, with their date.")


class CustomerNote(BaseModel):
    """A 'why not yet' note for the customer who asked, naming no other customer."""

    decision_id: str
    subject: str
    account_id: str
    account_name: str
    text: str
