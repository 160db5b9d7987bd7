"""The domain model: one pydantic model per row of the import contract.

Each model validates one CSV row (cells arrive as stripped strings; empty cells are left
out) and is also what the rest of the pipeline reads back from the store. Field order is
the column order of the contract: required columns first, then optional ones.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    model_validator,
)

LIST_SEPARATOR = ";"


class ColumnError(ValueError):
    """A check across columns failed; ``column`` names the one to fix."""

    def __init__(self, column: str, message: str) -> None:
        super().__init__(message)
        self.column = column


def _check_iso_date(value: Any) -> Any:
    """Let only ``YYYY-MM-DD`` strings through to pydantic's own (fast) date parsing."""
    if isinstance(value, str) and (len(value) != 10 or value[4] != "-" or value[7] != "-"):
        raise ValueError(f"expected an ISO 8601 date like 2026-03-14, got {value!r}")
    return value


def _split_list(value: Any) -> Any:
    if value is None:
        return []
    if isinstance(value, str):
        return [item.strip() for item in value.split(LIST_SEPARATOR) if item.strip()]
    return value


_WHOLE = re.compile(r"[+-]?\d+")
_DECIMAL = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def _check_whole(value: Any) -> Any:
    """Let only plain whole numbers (``3``, ``-2``) through: not ``3.0``, ``1_000`` or ``0x1``."""
    if isinstance(value, str) and value.strip() and not _WHOLE.fullmatch(value.strip()):
        raise ValueError(f"expected a whole number like 3, got {value!r}")
    return value


def _check_decimal(value: Any) -> Any:
    """Let only plain decimals (``1200``, ``0.85``, ``1e6``) through: not ``1_000`` or ``1,000``."""
    if isinstance(value, str) and value.strip() and not _DECIMAL.fullmatch(value.strip()):
        raise ValueError(f"expected a number like 1200 or 0.85, got {value!r}")
    return value


EARLIEST_EVIDENCE = date(1990, 1, 1)
"""No evidence (a note, a build, a usage reading, a shipment) is older than this."""


def latest_evidence() -> date:
    """The latest date evidence may carry: a year from today (clocks and time zones vary)."""
    return date.today() + timedelta(days=366)


_LATEST_EVIDENCE = latest_evidence()
"""Computed once per process: a row check must not ask the clock each time."""


def _check_evidence_date(value: date) -> date:
    """An observation's date: not before 1990, not more than a year ahead of today.

    One stray year (2099 for 2009, 0001) moves every trend, recurrence window and value
    that reads the evidence dates, so such a date is refused rather than believed.
    """
    if value < EARLIEST_EVIDENCE or (value > _LATEST_EVIDENCE and value > latest_evidence()):
        raise ValueError(
            f"a date of evidence lies between {EARLIEST_EVIDENCE} and a year from today "
            f"({latest_evidence()}), got {value}"
        )
    return value


Whole = Annotated[int, BeforeValidator(_check_whole)]
Number = Annotated[float, BeforeValidator(_check_decimal)]
IsoDate = Annotated[date, BeforeValidator(_check_iso_date)]
EvidenceDate = Annotated[
    date, BeforeValidator(_check_iso_date), AfterValidator(_check_evidence_date)
]
IdList = Annotated[list[str], BeforeValidator(_split_list)]


_BAD_ID = re.compile(r"[;\x00-\x1f\x7f]")


def _check_id(value: str) -> str:
    """An id other rows can name: no control characters, no list separator."""
    if _BAD_ID.search(value) is None:
        return value
    if LIST_SEPARATOR in value:
        raise ValueError(
            f"an id cannot hold {LIST_SEPARATOR!r}: lists of ids are split on it, so no row "
            "could name this one"
        )
    raise ValueError("an id cannot hold control characters (tab, newline, NUL, escape)")


Id = Annotated[str, Field(min_length=1), AfterValidator(_check_id)]

Segment = Literal["enterprise", "mid-market", "smb"]
Source = Literal[
    "fde-note", "support-ticket", "sales-call", "customer-request", "survey", "incident"
]
SignalKind = Literal["request", "pain", "bug", "praise", "churn-risk"]
Phase = Literal["discovery", "implementation", "optimization"]
CapabilityKind = Literal["capability", "feature"]
Must = Literal["yes", "no", "never"]
Severity = Literal["block", "warn"]
Feasibility = Literal["yes", "partial", "no"]

PLANNED = ("now", "next", "later")
"""Roadmap statuses that schedule a candidate (the others: deferred, refused)."""


class Row(BaseModel):
    """Base of every contract row: strict about unknown input, lax about CSV strings."""

    model_config = ConfigDict(
        extra="forbid", str_strip_whitespace=True, allow_inf_nan=False, frozen=True
    )

    attributes: dict[str, str] = Field(
        default_factory=dict, description="Extra columns of the row, kept as given."
    )


class Account(Row):
    """A customer account."""

    account_id: Id
    name: str
    segment: Segment
    industry: str
    tier: Whole = Field(ge=1, le=3)
    arr: Number = Field(ge=0, le=1e13)
    region: str | None = None
    renewal_date: IsoDate | None = None
    health: Number | None = Field(default=None, ge=0, le=1)


class Signal(Row):
    """One piece of field evidence: an FDE note, ticket, call note, request, survey answer."""

    signal_id: Id
    date: EvidenceDate
    source: Source
    text: str = Field(min_length=1)
    account_id: Id
    deployment_id: str | None = None
    author_role: str | None = None
    kind: SignalKind | None = None
    urgency: Whole | None = Field(default=None, ge=1, le=5)
    phase: Phase | None = None


class Deployment(Row):
    """An FDE deployment at an account."""

    deployment_id: Id
    account_id: Id
    phase: Phase
    started: EvidenceDate
    fde_hours: Number = Field(ge=0)
    ended: IsoDate | None = None
    status: str | None = None

    @model_validator(mode="after")
    def _ended_after_started(self) -> Deployment:
        if self.ended is not None and self.ended < self.started:
            raise ColumnError("ended", f"ended {self.ended} is before started {self.started}")
        return self


class CustomWork(Row):
    """A bespoke build an FDE made for one account."""

    work_id: Id
    account_id: Id
    date: EvidenceDate
    description: str = Field(min_length=1)
    fde_hours: Number = Field(ge=0)
    deployment_id: str | None = None
    component: str | None = None


class Capability(Row):
    """A capability candidate (or feature) the platform could build."""

    capability_id: Id
    name: str
    description: str
    team: str
    effort_weeks: Number = Field(gt=0)
    effort_low: Number | None = Field(default=None, gt=0)
    effort_high: Number | None = Field(default=None, gt=0)
    kind: CapabilityKind | None = None
    themes: IdList = Field(default_factory=list)
    depends_on: IdList = Field(default_factory=list)
    excludes: IdList = Field(default_factory=list)
    must: Must | None = None
    addresses: IdList = Field(default_factory=list)

    @model_validator(mode="after")
    def _effort_range_holds(self) -> Capability:
        low = self.effort_low if self.effort_low is not None else self.effort_weeks
        high = self.effort_high if self.effort_high is not None else self.effort_weeks
        if not low <= self.effort_weeks <= high:
            raise ColumnError(
                "effort_weeks",
                f"effort_low ({low:g}) <= effort_weeks ({self.effort_weeks:g}) <= "
                f"effort_high ({high:g}) does not hold",
            )
        if self.capability_id in self.depends_on:
            raise ColumnError("depends_on", "a capability cannot depend on itself")
        if self.capability_id in self.excludes:
            raise ColumnError("excludes", "a capability cannot exclude itself")
        shipped = self.attributes.get("shipped", "").strip()
        if shipped:
            try:
                _check_evidence_date(date.fromisoformat(_check_iso_date(shipped)))
            except ValueError as exc:
                raise ColumnError("shipped", f"not a shipping date: {exc}") from None
        return self


class TeamCapacity(Row):
    """A team's capacity in one planning period."""

    team: Id
    period: Id
    capacity_weeks: Number = Field(ge=0)


class Guardrail(Row):
    """An architecture guardrail owned by a role."""

    guardrail_id: Id
    rule: str
    severity: Severity
    owner_role: str
    applies_to: IdList = Field(default_factory=list)
    keywords: IdList = Field(default_factory=list)


class ModelConstraint(Row):
    """What ML engineering says a capability needs from the models, and whether it is feasible."""

    capability_id: Id
    requirement: Id
    feasibility: Feasibility
    confidence: Number = Field(ge=0, le=1)
    note: str | None = None


class Theme(Row):
    """A leadership bet and its weight."""

    theme: Id
    weight: Number = Field(ge=0)
    description: str | None = None


class Stance(Row):
    """A person's stance on a capability, for their role."""

    role: Id
    capability_id: Id
    stance: Whole = Field(ge=-2, le=2)
    rationale: str | None = None
    author: str | None = None


class Usage(Row):
    """A usage measurement of a shipped capability at an account."""

    date: EvidenceDate
    account_id: Id
    capability_id: Id
    metric: Id
    value: Number


class RoadmapEntry(Row):
    """A row of a roadmap to audit (``roadmap.csv``; not imported into the workspace)."""

    capability_id: Id
    period: Id
    team: Id
