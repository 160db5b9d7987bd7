"""What the diagnose stage returns: findings, the FDE economics and adoption.

These models are the stage's contract: the detectors, the economics simulation and the
adoption tracker fill them; ``tower plan --json``, ``tower diagnose``/``economics``/
``adoption`` and the report read them.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, Field

__all__ = [
    "CODES",
    "Adoption",
    "AdoptionPoint",
    "Band",
    "CapabilityAdoption",
    "Diagnosis",
    "DiagnosticCode",
    "Economics",
    "EconomicsPeriod",
    "EconomicsPoint",
    "Finding",
    "Severity",
]

DiagnosticCode = Literal[
    "chasing-requests",
    "ignoring-field-feedback",
    "features-over-capabilities",
    "underestimated-constraints",
    "current-customers-only",
    "premature-standardization",
    "coordination-breakdown",
    "high-touch-trap",
]
CODES: tuple[DiagnosticCode, ...] = (
    "chasing-requests",
    "ignoring-field-feedback",
    "features-over-capabilities",
    "underestimated-constraints",
    "current-customers-only",
    "premature-standardization",
    "coordination-breakdown",
    "high-touch-trap",
)
Severity = Literal["info", "warn", "critical"]
SEVERITY_RANK: dict[str, int] = {"critical": 0, "warn": 1, "info": 2}


class Finding(BaseModel):
    """One failure mode caught in the PM's data, with its measure, evidence and remedy."""

    code: DiagnosticCode
    severity: Severity
    message: str = Field(description="What was found, in words, with the figures.")
    metric: str = Field(description="Name of the measured quantity.")
    value: float = Field(description="The measured value.")
    threshold: float = Field(description="The setting it was compared against.")
    evidence: list[str] = Field(
        description="Ids backing the finding: candidates, patterns, signals, work, accounts."
    )
    remedy: str = Field(description="A concrete action that would clear the finding.")
    subjects: list[str] = Field(
        default_factory=list, description="Candidate or pattern ids the finding is about."
    )


class Diagnosis(BaseModel):
    """All findings on one roadmap, worst first, and which checks ran."""

    roadmap_source: str = Field(description="'plan' or the path of the audited roadmap CSV.")
    findings: list[Finding]
    checked: list[DiagnosticCode] = Field(description="Every detector that ran.")


class Band(BaseModel):
    """P10 / P50 / P90 of a simulated quantity."""

    p10: float
    p50: float
    p90: float


class EconomicsPoint(BaseModel):
    """The FDE economics of one period, under one roadmap (or none)."""

    new_deployments: Band
    active_deployments: Band
    fde_hours: Band
    fde_hours_per_new_deployment: Band
    fde_headcount: Band
    fde_cost: Band = Field(description="FDE cost of goods sold in the period (money).")
    revenue: Band = Field(description="Recurring revenue recognised in the period (money).")
    gross_margin: Band | None = Field(
        description="(revenue - FDE cost - other COGS) / revenue; other COGS is "
        "economics.other_cogs_share x revenue (0 by default: the FDE-only margin). None "
        "where there is no revenue to take a margin of (every account's ARR is 0)."
    )
    absorbed_share: Band = Field(
        description="Share of bespoke FDE work absorbed by capabilities shipped by then."
    )
    shipped: list[str] = Field(description="Capabilities live by the end of the period.")


class EconomicsPeriod(BaseModel):
    """One period with the roadmap and without it."""

    period: str
    with_plan: EconomicsPoint
    without_plan: EconomicsPoint


class Economics(BaseModel):
    """The FDE economics simulation over the planning horizon."""

    periods: list[EconomicsPeriod]
    escape_period: str | None = Field(
        description="First period from which P50 FDE hours per new deployment keep falling "
        "with the plan, or None: the company does not escape the high-touch trap."
    )
    escape_period_without: str | None
    assumptions: list[str] = Field(description="Every input, in words, with where it came from.")
    evidence: list[str] = Field(description="Deployment, work and pattern ids used.")
    draws: int
    seed: int


class AdoptionPoint(BaseModel):
    """Accounts using a capability by a date."""

    date: date
    accounts: int
    share: float = Field(description="Of the accounts it was built for (its eligible accounts).")


class CapabilityAdoption(BaseModel):
    """Adoption of one shipped capability from usage.csv."""

    capability_id: str
    name: str
    shipped: date | None
    eligible_accounts: list[str] = Field(
        description="Accounts whose evidence the capability addresses."
    )
    adopting_accounts: list[str]
    curve: list[AdoptionPoint]
    median_days_to_adopt: float | None
    target_share: float
    target_days: int
    status: Literal["adopted", "on-track", "behind", "not-adopted", "too-early"]
    reason: str
    evidence: list[str]


class Adoption(BaseModel):
    """Adoption of every shipped capability; the ones shipped but not adopted are flagged."""

    capabilities: list[CapabilityAdoption]
    flagged: list[str] = Field(description="Shipped, past the target window, below target.")
