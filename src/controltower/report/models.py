"""The report's view model: what the templates render, already filtered for one audience.

Rows carry display strings (formatted once, the same in HTML and Markdown) and, where a
chart needs them, the raw figures.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

__all__ = [
    "AdoptionRow",
    "Brief",
    "BriefItem",
    "CandidateRow",
    "Chart",
    "CoverageRow",
    "DecisionRow",
    "DecisionsView",
    "EconomicsRow",
    "EconomicsView",
    "EvidenceEntry",
    "FindingRow",
    "Kpi",
    "LensRow",
    "Paragraph",
    "PatternRow",
    "ProductizationRow",
    "Ref",
    "Refs",
    "ReportView",
    "RoadmapRow",
    "StanceCell",
    "TeamPlan",
]


class Ref(BaseModel):
    """A link to a piece of evidence (or a plain id when its target is not in the view)."""

    id: str
    label: str
    anchor: str | None = None


class Refs(BaseModel):
    """The ids a claim links, and how many more back it."""

    items: list[Ref] = Field(default_factory=list)
    more: int = 0

    def __bool__(self) -> bool:
        return bool(self.items) or self.more > 0


class Paragraph(BaseModel):
    """A paragraph of narrative, with who wrote it."""

    text: str
    source: Literal["deterministic", "model"] = "deterministic"
    removed: list[str] = Field(
        default_factory=list,
        description="Why model-written sentences were dropped by the grounding check.",
    )


class Kpi(BaseModel):
    """A headline figure of the executive brief."""

    label: str
    value: str
    detail: str = ""


class BriefItem(BaseModel):
    """One line of the brief: what, when, why, and its evidence."""

    id: str
    name: str
    when: str
    why: str
    refs: Refs = Field(default_factory=Refs)


class Brief(BaseModel):
    """The one-page executive brief."""

    kpis: list[Kpi]
    build: list[BriefItem]
    build_more: int = 0
    refuse: list[BriefItem]
    economics: str
    risks: list[BriefItem]
    risks_note: str


class RoadmapRow(BaseModel):
    """One roadmap entry as shown."""

    id: str
    anchor: str
    name: str
    team: str
    status: str
    period: str | None
    end_period: str | None
    span: str
    effort: str
    effort_weeks: float | None
    load: dict[str, float]
    value: str
    reason: str
    refs: Refs = Field(default_factory=Refs)


class TeamPlan(BaseModel):
    """One team's now / next / later."""

    team: str
    now: list[RoadmapRow]
    next: list[RoadmapRow]
    later: list[RoadmapRow]


class PatternRow(BaseModel):
    """One pattern as shown."""

    id: str
    anchor: str
    label: str
    key_phrases: list[str]
    trend: str
    recommendation: str
    accounts: int
    signals: int
    work_items: int
    fde_hours: float
    arr: float
    account_refs: Refs
    signal_refs: Refs
    work_refs: Refs
    quotes: list[Ref] = Field(default_factory=list)
    quote_texts: list[str] = Field(default_factory=list)
    quote_accounts: list[Ref] = Field(
        default_factory=list, description="The account of each quote (same order)."
    )
    candidates: list[Ref] = Field(default_factory=list)
    reasons: list[str] = Field(default_factory=list)


class CandidateRow(BaseModel):
    """One candidate in the value table."""

    id: str
    anchor: str
    name: str
    team: str
    status: str
    recommendation: str
    p10: str
    p50: str
    p90: str
    p10_value: float
    p50_value: float
    p90_value: float
    roi: str
    effort: str
    effort_weeks: float | None
    arr_touched: float
    arr: str
    scores: dict[str, str]
    patterns: list[Ref]
    refs: Refs


class StanceCell(BaseModel):
    """One role's stance on a candidate."""

    role: str
    stance: int | None
    text: str
    reason: str


class LensRow(BaseModel):
    """The stances of every role on one candidate."""

    id: str
    name: str
    status: str
    cells: list[StanceCell]
    conflict: bool
    summary: str


class FindingRow(BaseModel):
    """A diagnostic finding with its remedy and evidence."""

    code: str
    severity: str
    message: str
    remedy: str
    measure: str
    refs: Refs


class EconomicsRow(BaseModel):
    """One period of the economics, with and without the plan (P50 with P10-P90)."""

    period: str
    fde_hours_with: str
    fde_hours_without: str
    per_deployment_with: str
    per_deployment_without: str
    cogs_with: str
    cogs_without: str
    margin_with: str
    margin_without: str
    shipped: int


class EconomicsView(BaseModel):
    """The FDE economics section."""

    rows: list[EconomicsRow]
    escape: str
    escape_without: str
    verdict: str = Field(
        "",
        description="The high-touch-trap check's word when hours fall but by less than it "
        "needs (empty when it raised nothing).",
    )
    assumptions: list[str]
    refs: Refs


class AdoptionRow(BaseModel):
    """Adoption of one shipped capability."""

    id: str
    name: str
    shipped: str
    eligible: int
    adopting: int
    share: str
    target: str
    status: str
    reason: str
    refs: Refs


class DecisionRow(BaseModel):
    """A standing decision from the decision log."""

    id: str
    subject: Ref | None
    choice: str
    decided: str
    rationale: str
    dissent: str
    triggers: str
    revisit: bool
    effect: str


class ProductizationRow(BaseModel):
    """How much of one deployment's bespoke work became platform capability."""

    deployment_id: str
    account: Ref | None
    bespoke: str
    productized: str
    rate: str
    capabilities: list[Ref]
    gave_back: str
    refs: Refs


class DecisionsView(BaseModel):
    """The decision log and the productization rate."""

    summary: str
    rows: list[DecisionRow]
    productization: str | None
    deployments: list[ProductizationRow]
    more_deployments: int


class CoverageRow(BaseModel):
    """One line of the data-coverage table."""

    what: str
    count: str
    note: str = ""


class EvidenceEntry(BaseModel):
    """One item of the evidence appendix."""

    anchor: str
    kind: str
    id: str
    title: str
    text: str


class Chart(BaseModel):
    """A rendered chart: inline SVG for HTML, a file for Markdown."""

    key: str
    title: str
    caption: str
    svg: str = Field(description="Inline, responsive SVG for the HTML report (wide layout).")
    svg_narrow: str = Field(description="The same chart laid out for phones.")
    file: str = Field(description="Path of the SVG file, relative to the report folder.")
    file_svg: str = Field(description="The standalone SVG written to ``file``.")


class ReportView(BaseModel):
    """Everything a report template renders."""

    title: str
    subtitle: str
    audience: str
    audience_label: str
    sections: list[tuple[str, str]] = Field(description="(anchor, title) in order: the TOC.")
    money: bool
    internal: bool
    brief: Brief
    narrative: dict[str, list[Paragraph]] = Field(default_factory=dict)
    narrative_note: str | None = None
    teams: list[TeamPlan]
    periods: list[str]
    deferred: list[RoadmapRow]
    refused: list[RoadmapRow]
    capacity: list[dict[str, float | str]]
    patterns: list[PatternRow]
    candidates: list[CandidateRow]
    roles: list[str]
    lenses: list[LensRow]
    findings: list[FindingRow] | None
    economics: EconomicsView | None
    adoption: list[AdoptionRow] | None
    decisions: DecisionsView | None = None
    settings: list[tuple[str, str]]
    coverage: list[CoverageRow]
    evidence: list[EvidenceEntry]
    charts: dict[str, Chart] = Field(default_factory=dict)
