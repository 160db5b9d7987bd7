"""Workspace settings: one typed place, each setting with a default and a help text.

Settings live in ``workspace.toml`` inside the workspace folder (and optionally in a
bundle). Every section and key is optional; an unknown key is an error so that a typo is
not silently ignored. ``tower settings`` and ``docs/settings.md`` list them all.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal, get_args

import tomli_w
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from controltower.errors import BundleError, Problem


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True, allow_inf_nan=False)

    @field_validator("*", mode="before")
    @classmethod
    def _no_booleans(cls, value: object, info: ValidationInfo) -> object:
        """Refuse ``true``/``false`` where no boolean belongs (pydantic would read 1 or 0)."""
        if isinstance(value, bool) and info.field_name is not None:
            annotation = cls.model_fields[info.field_name].annotation
            if bool not in {annotation, *get_args(annotation)}:
                raise ValueError("Input should be a number or text, not true/false")
        return value


class PlanningSettings(_Section):
    """Planning horizon and the balance the roadmap optimizer strikes."""

    periods: list[str] = Field(
        default_factory=list,
        description="Planning periods in order, e.g. ['2027-Q1', '2027-Q2']. Empty: the "
        "periods named in teams.csv, in sorted order.",
    )

    @field_validator("periods")
    @classmethod
    def _distinct_periods(cls, value: list[str]) -> list[str]:
        """Named periods, each once."""
        if any(not p.strip() for p in value):
            raise ValueError("a planning period has no name")
        repeated = sorted({p for p in value if value.count(p) > 1})
        if repeated:
            raise ValueError(f"planning period(s) named twice: {', '.join(repeated)}")
        return value

    horizon_periods: int = Field(
        8,
        ge=1,
        le=40,
        description="How many periods value projections and the FDE economics look ahead.",
    )
    periods_per_year: int = Field(
        4, ge=1, le=52, description="Periods in a year (4 for quarters), to discount per period."
    )
    discount_rate: float = Field(
        0.10, ge=0.0, lt=1.0, description="Annual discount rate applied to value in later periods."
    )
    balance: float = Field(
        0.5,
        ge=0.0,
        le=1.0,
        description="Fires vs leverage: 0 weighs only today's revenue at risk, 1 only "
        "tomorrow's FDE-cost savings and reach.",
    )
    capacity_reserve: float = Field(
        0.0,
        ge=0.0,
        lt=1.0,
        description="Share of every team's capacity kept free for fires (0 to keep none).",
    )
    value_mode: Literal["additive", "bundles"] = Field(
        "additive",
        description="What the roadmap optimizer maximises. 'additive': each candidate's own "
        "value. 'bundles': an account whose accounts.csv row has a `requires` column "
        "(`;`-separated capability ids) is a deal that closes only when every candidate it "
        "requires has shipped; it is worth its ARR x value.revenue_share per year over the "
        "horizon (discounted, weighted by the balance like revenue value), counted from the "
        "period the last of them finishes. Candidates some bundle requires count only "
        "through their bundles; the others keep their own value.",
    )


class EconomicsSettings(_Section):
    """Cost of goods sold: what an FDE hour costs and how the customer base grows."""

    fde_hourly_cost: float = Field(
        150.0,
        gt=0,
        le=1e6,
        description="Fully loaded cost of one FDE hour, in the currency of ARR.",
    )
    fde_hours_per_year: float = Field(
        1600.0, gt=0, description="Billable FDE hours one FDE delivers in a year (for headcount)."
    )
    account_growth_per_period: float = Field(
        0.05,
        ge=-1.0,
        le=10.0,
        description="Growth of the number of accounts per period (0.05 = +5% a period); "
        "also the growth of new deployments in the FDE economics when growth_source is "
        "'settings' (or 'auto' without enough history).",
    )
    growth_source: Literal["auto", "history", "settings"] = Field(
        "auto",
        description="Where the FDE economics take the growth of new deployments from: "
        "'history' fits the deployments.csv start dates, 'settings' uses "
        "account_growth_per_period, 'auto' (default) uses history when it is long enough "
        "(min_history_periods, min_history_deployments), since the PM's own record beats a "
        "guess.",
    )
    min_history_periods: int = Field(
        4,
        ge=2,
        le=40,
        description="Periods of deployment history (to the nearest period) needed before "
        "'auto' growth trusts it (4: a year of quarters, one full seasonal cycle; fewer "
        "cannot tell growth from seasonality).",
    )
    min_history_deployments: int = Field(
        12,
        ge=2,
        description="Deployment starts in those periods needed before 'auto' growth trusts the "
        "history (12: with fewer, the standard error of a four-period growth fit exceeds "
        "25% a period, wider than any plausible growth).",
    )
    adoption_lag_periods: float = Field(
        1.0,
        ge=0.0,
        le=12.0,
        description="Periods a shipped capability takes to absorb its full share of bespoke "
        "work: its effect ramps linearly over them from the period after it ships (1: a "
        "quarter, one release and deployment cycle; `tower adoption` shows your own median "
        "days to adopt). Most likely value of a triangular range 0 to twice it.",
    )
    absorbed_share_cap: float = Field(
        0.8,
        ge=0.0,
        le=1.0,
        description="Largest share of bespoke FDE work that shipped capabilities can absorb "
        "together (0.8: a fifth stays customer-specific glue to the customer's own systems "
        "and data, however mature the platform).",
    )
    other_cogs_share: float = Field(
        0.0,
        ge=0.0,
        lt=1.0,
        description="Cost of goods sold besides FDE hours (hosting, inference, support) as a "
        "share of revenue, taken off the gross margin (0: the engine has no data on them, so "
        "the margin shown is the FDE-only margin; set e.g. 0.25 for your own figure).",
    )
    uncertainty: float = Field(
        1.0,
        ge=0.0,
        le=3.0,
        description="Width of every uncertain input of the FDE economics around its most "
        "likely value, as a multiple of its documented range (1: the ranges of "
        "docs/economics.md; 0: no uncertainty, P10 = P50 = P90; 2: twice as wide).",
    )


class AdoptionSettings(_Section):
    """When a shipped capability counts as adopted (``tower adoption``)."""

    target_share: float = Field(
        0.5,
        gt=0.0,
        le=1.0,
        description="Share of its eligible accounts (those whose evidence it addresses) a "
        "shipped capability must reach (0.5: a capability built for a recurring pattern "
        "should serve at least half of the accounts that asked for it; below that the "
        "pattern was likely misread).",
    )
    window_days: int = Field(
        180,
        ge=1,
        description="Days after shipping to reach the target share (180: two quarters, one "
        "release cycle plus one deployment cycle at the accounts).",
    )
    grace_days: int = Field(
        30,
        ge=0,
        description="Days after shipping before adoption is judged at all: too early before "
        "then (30: usage reports lag a release by weeks).",
    )


class SynthesisSettings(_Section):
    """How evidence is grouped into patterns and how their trend is judged."""

    duplicate_similarity: float = Field(
        0.92,
        gt=0.0,
        le=1.0,
        description="Cosine similarity at or above which two items of the same account are "
        "near-duplicates (a pasted or forwarded ticket): kept as evidence, counted once.",
    )
    neighbors: int = Field(
        30,
        ge=2,
        le=200,
        description="Most nearest neighbours per item in the similarity graph patterns are "
        "found in: about sqrt(item count)/5, at least 5, at most this (reached at 22,500 "
        "items). Few neighbours keep a need reported by a dozen texts from being absorbed "
        "by a large pattern; more give broader patterns.",
    )
    resolution: float = Field(
        0.0,
        ge=0.0,
        le=50.0,
        description="Modularity resolution of the Leiden community search: higher splits "
        "patterns finer (1 is standard modularity). 0: chosen per workspace, the resolution "
        "among 0.5, 1, 2, 4, 8, 16 whose patterns have the best silhouette (see "
        "docs/synthesis.md); a number fixes the granularity.",
    )
    join_quantile: float = Field(
        0.05,
        ge=0.0,
        lt=1.0,
        description="A new item joins its closest pattern incrementally when its similarity "
        "to the pattern's centroid reaches this quantile of the members' similarities.",
    )
    trend_window_days: int = Field(
        56, ge=7, description="Recent window, in days, compared against history for trends."
    )
    trend_alpha: float = Field(
        0.05,
        gt=0.0,
        lt=0.5,
        description="False discovery rate of the trends: the one-sided Poisson rate tests of "
        "all patterns are corrected together (Benjamini-Hochberg) at this level.",
    )
    key_phrases: int = Field(6, ge=1, le=20, description="Key phrases listed per pattern.")
    batch_size: int = Field(64, ge=1, le=4096, description="Texts per embedding batch.")
    seed: int = Field(
        0,
        ge=0,
        le=2**32 - 1,
        description="Seed of every random choice in synthesis (reproducible).",
    )


class ImportSettings(_Section):
    """Limits applied when a bundle is validated or imported."""

    max_cell_chars: int = Field(
        20_000, ge=100, description="Longest cell accepted; a longer one is refused as absurd."
    )
    max_problems: int = Field(
        100, ge=1, description="Problems listed when a bundle is refused (all are counted)."
    )


class ValueSettings(_Section):
    """Mapping patterns to candidates, the value model, its Monte Carlo and the frameworks."""

    mapping_threshold: float = Field(
        0.45,
        ge=-1.0,
        le=1.0,
        description="Cosine similarity of a candidate's name and description to a pattern "
        "(its centroid or its key phrases, whichever is closer) at or above which the "
        "candidate is taken to address the pattern, when its addresses column is empty.",
    )
    mapping_max_patterns: int = Field(
        3,
        ge=1,
        le=50,
        description="Most patterns one candidate is linked to by similarity (the closest).",
    )
    propose_min_accounts: int = Field(
        3,
        ge=1,
        description="Accounts a pattern no candidate covers must span to be proposed as a "
        "new candidate (named from its key phrases, effort unknown, flagged for the PM).",
    )
    unknown_urgency: int = Field(
        3, ge=1, le=5, description="Urgency (1-5) assumed for a signal that gives none."
    )
    churn_risk_weight: float = Field(
        2.0,
        ge=0.0,
        description="Multiplier of a churn-risk signal's urgency weight on its account's ARR "
        "(other kinds weigh 1, praise 0.25); the weighted share of an account is capped at 1.",
    )
    revenue_share: float = Field(
        0.10,
        ge=0.0,
        le=1.0,
        description="Share of the urgency-weighted ARR at stake that a candidate protects or "
        "wins per year (most likely value of a triangular range of half to 1.5 times it).",
    )
    savings_share: float = Field(
        0.70,
        ge=0.0,
        le=1.0,
        description="Share of the bespoke FDE hours of the addressed patterns that the "
        "platform capability removes on future deployments (most likely value; range as "
        "revenue_share, capped at 1).",
    )
    reach_uplift: float = Field(
        0.25,
        ge=0.0,
        le=10.0,
        description="Value uplift at full reach beyond the biggest accounts (all touched "
        "accounts mid-market, smb or tier 2-3): value times (1 + uplift x reach share).",
    )
    fit_uplift: float = Field(
        0.25,
        ge=0.0,
        le=10.0,
        description="Value uplift at full strategic fit (the candidate's themes carry every "
        "theme weight): value times (1 + uplift x fit).",
    )
    engineer_week_cost: float = Field(
        6000.0,
        gt=0,
        le=1e8,
        description="Fully loaded cost of one engineer-week of platform work, in the currency "
        "of ARR (the cost side of ROI).",
    )
    feasibility_success: dict[str, float] = Field(
        default_factory=lambda: {"yes": 0.95, "partial": 0.7, "no": 0.1},
        description="Probability that a candidate delivers its value, by the worst model "
        "feasibility recorded for it (none recorded: the 'yes' figure).",
    )
    draws: int = Field(
        2000, ge=100, le=100_000, description="Monte Carlo draws per candidate (P10/P50/P90)."
    )

    @field_validator("feasibility_success")
    @classmethod
    def _three_probabilities(cls, value: dict[str, float]) -> dict[str, float]:
        """Exactly the feasibilities yes, partial and no, each a probability."""
        if set(value) != {"yes", "partial", "no"}:
            raise ValueError("give exactly the keys yes, partial and no")
        if any(not 0.0 <= p <= 1.0 for p in value.values()):
            raise ValueError("each is a probability between 0 and 1")
        return value

    seed: int = Field(
        0,
        ge=0,
        le=2**32 - 1,
        description="Seed of the Monte Carlo draws (same seed, same figures).",
    )
    ease_half_weeks: float = Field(
        8.0,
        gt=0,
        description="Effort in weeks at which ICE's Ease is 5 of 10 (ease = 10 / (1 + "
        "effort / this)).",
    )
    scorecard_value: float = Field(
        0.35, ge=0.0, description="Weighted scorecard: weight of P50 value (scaled 0-1)."
    )
    scorecard_reach: float = Field(
        0.15, ge=0.0, description="Weighted scorecard: weight of reach beyond big accounts."
    )
    scorecard_fit: float = Field(
        0.20, ge=0.0, description="Weighted scorecard: weight of strategic fit to the themes."
    )
    scorecard_confidence: float = Field(
        0.15, ge=0.0, description="Weighted scorecard: weight of the confidence score."
    )
    scorecard_ease: float = Field(
        0.15, ge=0.0, description="Weighted scorecard: weight of ease (ICE ease, scaled 0-1)."
    )


class ReadinessSettings(_Section):
    """Standardization readiness of a pattern and the recommendation drawn from it."""

    min_accounts: int = Field(
        3,
        ge=1,
        description="Distinct accounts a pattern needs before it can be standardized; fewer "
        "is keep-custom (a one-off).",
    )
    min_industries: int = Field(
        2, ge=1, description="Distinct industries a pattern needs before it can be standardized."
    )
    max_top_account_share: float = Field(
        0.5,
        gt=0.0,
        le=1.0,
        description="Largest share of a pattern's evidence one account may hold; above it "
        "the pattern is keep-custom.",
    )
    trap_arr_quantile: float = Field(
        0.75,
        ge=0.0,
        le=1.0,
        description="A keep-custom pattern dominated by an account whose ARR is at or above "
        "this quantile of all accounts' ARR is flagged as a customization trap.",
    )
    recent_days: int = Field(
        56,
        ge=1,
        description="A pattern whose first evidence is within this many days of the latest "
        "evidence is watch, however loud (too new to standardize).",
    )
    min_months: int = Field(
        3, ge=1, description="Distinct months with evidence a pattern needs to count as stable."
    )
    min_convergence: float = Field(
        0.3,
        ge=-1.0,
        le=1.0,
        description="Mean pairwise cosine similarity of a pattern's custom-work texts below "
        "which the bespoke implementations diverge (watch). Needs two builds to measure.",
    )
    guardrail_min_share: float = Field(
        0.2,
        gt=0.0,
        le=1.0,
        description="Share of a pattern's texts that must contain a guardrail keyword for the "
        "guardrail to apply (a keyword among its key phrases or label always applies).",
    )
    warn_penalty: float = Field(
        0.15,
        ge=0.0,
        le=1.0,
        description="Readiness lost per warn guardrail that applies to a pattern.",
    )
    min_readiness: float = Field(
        0.5,
        ge=0.0,
        le=1.0,
        description="Readiness score (0-1) below which a pattern passing every rule is still "
        "watch rather than standardize.",
    )


class LensSettings(_Section):
    """Role lenses: how computed stances are drawn and when disagreement is a conflict."""

    conflict_spread: int = Field(
        3,
        ge=1,
        le=4,
        description="Spread between the highest and lowest stance on a candidate (computed "
        "or entered) at or above which it is a conflict.",
    )
    top_conflicts: int = Field(10, ge=1, description="Conflicts listed, most severe first.")
    partial_confidence: float = Field(
        0.5,
        ge=0.0,
        le=1.0,
        description="ML engineer: a partial feasibility recorded with confidence below this "
        "is -1, at or above it 0.",
    )


class OptimizeSettings(_Section):
    """The roadmap optimizer: solver limits and how long items span periods."""

    time_limit_seconds: float = Field(
        30.0, gt=0.0, le=3600.0, description="Most seconds one roadmap solve may take."
    )
    mip_rel_gap: float = Field(
        1e-4,
        ge=0.0,
        le=0.5,
        description="Relative optimality gap at which the solver stops (1e-4 = within 0.01% "
        "of the best possible plan).",
    )
    max_period_share: float = Field(
        1.0,
        gt=0.0,
        le=1.0,
        description="Largest share of its team's peak period capacity one item may take in "
        "a period; bigger items span ceil(effort / (share x peak)) consecutive periods "
        "with the effort spread evenly.",
    )
    whynot_tolerance_weeks: float = Field(
        0.5,
        gt=0.0,
        description="Precision, in weeks, of the smallest capacity or effort change that "
        "`tower whynot` searches for.",
    )


class ReportSettings(_Section):
    """How ``tower plan --report`` writes the report."""

    quotes_per_pattern: int = Field(
        3,
        ge=0,
        le=20,
        description="Representative quotes shown per pattern (3: enough to hear the voice of "
        "the field without turning the patterns section into a transcript).",
    )
    ids_per_claim: int = Field(
        8,
        ge=1,
        le=200,
        description="Evidence ids linked per claim; the rest are counted ('+N more') and "
        "listed by `tower why ID` (8 keeps a table row on one or two lines).",
    )
    table_rows: int = Field(
        15,
        ge=1,
        le=10_000,
        description="Rows shown in long tables such as deployments (15: a printed page); the "
        "rest are counted.",
    )
    brief_items: int = Field(
        6,
        ge=1,
        le=50,
        description="Planned items listed in the executive brief, 'now' first then by value "
        "(6: a one-page brief; the roadmap section lists every item and the brief counts "
        "the rest).",
    )
    top_risks: int = Field(
        3,
        ge=1,
        le=20,
        description="Risks listed in the one-page executive brief (3: what fits on a page; "
        "the diagnostics section lists all).",
    )
    llm_timeout_seconds: float = Field(
        60.0,
        gt=0.0,
        description="Seconds to wait for the optional language-model endpoint before falling "
        "back to the deterministic narrative (60: a long completion on a busy server).",
    )
    llm_temperature: float = Field(
        0.2,
        ge=0.0,
        le=2.0,
        description="Sampling temperature sent to the optional language model (low: a report "
        "should say the same thing twice).",
    )


class DiagnosticsSettings(_Section):
    """Thresholds of the failure-mode detectors (``tower diagnose``; docs/diagnostics.md).

    Shares are of the planned effort (engineer-weeks) or planned P50 value; each detector
    warns past its ``*_warn`` threshold and is critical past its ``*_critical`` one.
    """

    narrow_max_accounts: int = Field(
        2,
        ge=1,
        description="chasing-requests: a planned item whose evidence spans at most this many "
        "distinct accounts is narrow demand (2: below readiness.min_accounts' default of 3, "
        "the breadth a pattern needs to be standardized).",
    )
    narrow_effort_warn: float = Field(
        0.25,
        gt=0.0,
        le=1.0,
        description="chasing-requests: share of planned effort on narrow items that warns (a "
        "quarter: more than the ~20% a platform team typically budgets for customer specials).",
    )
    narrow_effort_critical: float = Field(
        0.5,
        gt=0.0,
        le=1.0,
        description="chasing-requests: share of planned effort on narrow items that is "
        "critical (half the roadmap serves one or two accounts).",
    )
    unevidenced_effort_warn: float = Field(
        0.2,
        gt=0.0,
        le=1.0,
        description="ignoring-field-feedback: share of planned effort on items with no linked "
        "signal or custom work that warns (20%: the usual allowance for platform work no "
        "customer asks for).",
    )
    unevidenced_effort_critical: float = Field(
        0.4,
        gt=0.0,
        le=1.0,
        description="ignoring-field-feedback: share of planned effort with no field evidence "
        "that is critical (twice the allowance).",
    )
    unaddressed_ready_warn: float = Field(
        0.34,
        gt=0.0,
        le=1.0,
        description="ignoring-field-feedback: share of the accounts behind patterns ready to "
        "standardize that no planned or shipped candidate addresses, that warns (a third).",
    )
    unaddressed_ready_critical: float = Field(
        0.5,
        gt=0.0,
        le=1.0,
        description="ignoring-field-feedback: share of the ready patterns' accounts left "
        "unaddressed that is critical (the plan ignores most of the ready demand).",
    )
    feature_effort_warn: float = Field(
        0.5,
        gt=0.0,
        le=1.0,
        description="features-over-capabilities: share of planned effort on single-use items "
        "(kind=feature, or unlabelled and narrow) that warns (0.5: 'mostly' features).",
    )
    feature_effort_critical: float = Field(
        0.7,
        gt=0.0,
        le=1.0,
        description="features-over-capabilities: share of planned effort on single-use items "
        "that is critical (seven weeks in ten).",
    )
    feasibility_min_confidence: float = Field(
        0.5,
        ge=0.0,
        le=1.0,
        description="underestimated-constraints: a planned item whose model feasibility is "
        "'partial' with a confidence below this warns (0.5: less likely than not to work); "
        "feasibility 'no' is always critical.",
    )
    utilisation_warn: float = Field(
        0.85,
        gt=0.0,
        description="underestimated-constraints: share of a team's capacity used in a period "
        "that warns (0.85: past it queueing delays grow steeply, Kingman's formula; leaves "
        "no room for fires).",
    )
    utilisation_critical: float = Field(
        1.0,
        gt=0.0,
        description="underestimated-constraints: share of a team's capacity used in a period "
        "that is critical when exceeded (more weeks planned than the team has).",
    )
    wide_effort_ratio: float = Field(
        1.5,
        ge=1.0,
        description="underestimated-constraints: effort_high / effort_weeks at or above which "
        "an item's estimate is wide (1.5: the top of the cone of uncertainty once "
        "requirements are known, 0.67x-1.5x).",
    )
    overrun_warn: float = Field(
        0.1,
        gt=0.0,
        le=1.0,
        description="underestimated-constraints: uncovered overrun (effort_high - effort "
        "beyond the free weeks of the item's team in its periods) as a share of planned "
        "effort that warns (10%).",
    )
    overrun_critical: float = Field(
        0.25,
        gt=0.0,
        le=1.0,
        description="underestimated-constraints: uncovered overrun share of planned effort "
        "that is critical (a quarter of the plan could slip).",
    )
    large_accounts_share: float = Field(
        0.2,
        gt=0.0,
        lt=1.0,
        description="current-customers-only: the largest accounts are this share of all "
        "accounts by ARR (0.2: the Pareto head, which typically holds most of the ARR).",
    )
    large_value_warn: float = Field(
        0.6,
        gt=0.0,
        le=1.0,
        description="current-customers-only: share of planned P50 value resting on the "
        "largest accounts (value-weighted share of each item's evidence accounts) that "
        "warns (0.6: three times their head count share at the default 0.2).",
    )
    large_value_critical: float = Field(
        0.8,
        gt=0.0,
        le=1.0,
        description="current-customers-only: share of planned value resting on the largest "
        "accounts that is critical (four times their head count share).",
    )
    reach_min: float = Field(
        0.5,
        ge=0.0,
        le=1.0,
        description="current-customers-only: a planned item widens reach when at least this "
        "share of its evidence accounts is mid-market, smb or tier 2-3 (0.5: most of them).",
    )
    premature_effort_warn: float = Field(
        0.1,
        gt=0.0,
        le=1.0,
        description="premature-standardization: share of planned effort on capabilities whose "
        "patterns are all watch or keep-custom that warns (10%: more than an exploration "
        "budget).",
    )
    premature_effort_critical: float = Field(
        0.3,
        gt=0.0,
        le=1.0,
        description="premature-standardization: share of planned effort on capabilities whose "
        "patterns are not ready that is critical.",
    )
    disagreement_std: float = Field(
        1.25,
        gt=0.0,
        le=2.0,
        description="coordination-breakdown: standard deviation of the role stances (-2..2) "
        "on a planned item, without a recorded decision, at or above which the roles are "
        "split (1.25: a third of the roles three points from the rest; one outlier is not "
        "enough). A blocking stance overridden without a decision is always critical.",
    )
    hours_fall_min: float = Field(
        0.1,
        ge=0.0,
        le=1.0,
        description="high-touch-trap: least relative fall of P50 FDE hours per new deployment "
        "from the first to the last period with the plan (0.1: 10% over the horizon); less "
        "warns, no fall and no escape period is critical.",
    )

    @model_validator(mode="after")
    def _warn_not_above_critical(self) -> DiagnosticsSettings:
        """Each ``*_warn`` threshold is at most its ``*_critical`` one."""
        for name in type(self).model_fields:
            critical = name.removesuffix("_warn") + "_critical"
            if name.endswith("_warn") and getattr(self, name) > getattr(self, critical):
                raise ValueError(f"{name} must not exceed {critical}")
        return self


class DecisionSettings(_Section):
    """The decision log and the productization rate shown beside it."""

    productization_window_days: int = Field(
        90,
        ge=1,
        le=3650,
        description="Days after an FDE's bespoke build within which a capability shipped for "
        "its pattern counts as the engagement giving back to the platform (90: one quarter, "
        "the usual planning period, so a build can be standardized in the next period).",
    )


class Settings(_Section):
    """All settings of a workspace, by section (the tables of ``workspace.toml``)."""

    planning: PlanningSettings = Field(default_factory=PlanningSettings)
    economics: EconomicsSettings = Field(default_factory=EconomicsSettings)
    synthesis: SynthesisSettings = Field(default_factory=SynthesisSettings)
    ingest: ImportSettings = Field(default_factory=ImportSettings)
    value: ValueSettings = Field(default_factory=ValueSettings)
    readiness: ReadinessSettings = Field(default_factory=ReadinessSettings)
    lenses: LensSettings = Field(default_factory=LensSettings)
    optimize: OptimizeSettings = Field(default_factory=OptimizeSettings)
    decisions: DecisionSettings = Field(default_factory=DecisionSettings)
    diagnostics: DiagnosticsSettings = Field(default_factory=DiagnosticsSettings)
    report: ReportSettings = Field(default_factory=ReportSettings)
    adoption: AdoptionSettings = Field(default_factory=AdoptionSettings)

    def to_toml(self) -> str:
        """Render the settings as TOML, every key written, in a stable order."""
        return tomli_w.dumps(self.model_dump(mode="json"))


def iter_settings_help() -> Iterator[tuple[str, object, str]]:
    """Yield ``(dotted name, default, help)`` for every setting, in declaration order."""
    defaults = Settings()
    for section_name, section_field in Settings.model_fields.items():
        section_type = section_field.annotation
        assert isinstance(section_type, type) and issubclass(section_type, BaseModel)
        section = getattr(defaults, section_name)
        for key, field in section_type.model_fields.items():
            yield f"{section_name}.{key}", getattr(section, key), field.description or ""


def parse_settings(
    text: str, *, source: str = "workspace.toml", subject: str | None = None
) -> Settings:
    """Parse and validate TOML settings text.

    Args:
        text: The TOML document.
        source: File name used in error messages.
        subject: What the error says was refused (default: ``source``).

    Returns:
        The validated settings (defaults for everything not given).

    Raises:
        BundleError: The TOML is malformed or a key is unknown or out of range.
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = getattr(exc, "lineno", 0) or 0
        raise BundleError(
            [Problem(source, line, "-", f"not valid TOML: {exc}")], subject=subject or source
        ) from exc
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        problems = [
            Problem(source, 0, ".".join(str(p) for p in err["loc"]), err["msg"])
            for err in exc.errors()
        ]
        raise BundleError(problems, subject=subject or source) from exc


def merge_settings(base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """``base`` (settings as a dict of sections) with the keys ``overrides`` sets replaced."""
    merged = {k: dict(v) if isinstance(v, dict) else v for k, v in base.items()}
    for section, values in overrides.items():
        if isinstance(values, dict):
            merged.setdefault(section, {}).update(values)
        else:
            merged[section] = values
    return merged


def overlay_settings(base: Settings, path: Path) -> Settings:
    """``base`` with every key a settings file sets replaced; keys it omits keep ``base``'s.

    A bundle's ``workspace.toml`` that sets one key changes that key only, so a partial file
    never resets what the workspace already holds to the defaults.

    Raises:
        BundleError: The file is not UTF-8, not TOML, or a key is unknown or out of range
            (checked in the file itself, so the problems name it).
    """
    load_settings(path)
    overrides = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    merged = merge_settings(base.model_dump(mode="json"), overrides)
    return parse_settings(tomli_w.dumps(merged), source=path.name)


def settings_changes(before: Settings, after: Settings) -> list[str]:
    """Each setting that differs, as ``section.key old -> new``, in declaration order."""
    old, new = before.model_dump(mode="json"), after.model_dump(mode="json")
    return [
        f"{section}.{key} {old[section][key]!r} -> {value!r}"
        for section, values in new.items()
        for key, value in values.items()
        if old[section][key] != value
    ]


def load_settings(path: Path) -> Settings:
    """Read settings from a ``workspace.toml`` file; a missing file gives the defaults."""
    if not path.exists():
        return Settings()
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BundleError(
            [Problem(path.name, 0, "-", f"not UTF-8: {exc.reason}")], subject=path.name
        ) from exc
    return parse_settings(text, source=path.name)


def settings_markdown() -> str:
    """Render the reference of every setting as Markdown (``docs/settings.md``)."""
    lines = [
        "# Settings",
        "",
        "Every setting of `workspace.toml`, with its default. Each dotted name is a key in",
        "a TOML table: `planning.balance` is `balance = …` under `[planning]`. A missing key",
        "takes its default; an unknown key is an error. `tower settings` prints this list.",
        "",
        "| setting | default | meaning |",
        "| --- | --- | --- |",
    ]
    for name, default, text in iter_settings_help():
        shown = tomli_w.dumps({"v": default}).strip().removeprefix("v = ")
        lines.append(f"| `{name}` | `{shown}` | {text} |")
    return "\n".join(lines) + "\n"
