"""Workspace settings: one typed place, each setting with a default and a help text.

Settings live in ``workspace.toml`` inside the workspace folder (and optionally in a
bundle). Every section and key is optional; an unknown key is an error so that a typo is
not silently ignored. ``tower settings`` and ``docs/settings.md`` list them all.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from pathlib import Path

import tomli_w
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from controltower.errors import BundleError, Problem


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class PlanningSettings(_Section):
    """Planning horizon and the balance the roadmap optimizer strikes."""

    periods: list[str] = Field(
        default_factory=list,
        description="Planning periods in order, e.g. ['2027-Q1', '2027-Q2']. Empty: the "
        "periods named in teams.csv, in sorted order.",
    )
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


class EconomicsSettings(_Section):
    """Cost of goods sold: what an FDE hour costs and how the customer base grows."""

    fde_hourly_cost: float = Field(
        150.0, gt=0, description="Fully loaded cost of one FDE hour, in the currency of ARR."
    )
    fde_hours_per_year: float = Field(
        1600.0, gt=0, description="Billable FDE hours one FDE delivers in a year (for headcount)."
    )
    account_growth_per_period: float = Field(
        0.05,
        ge=-1.0,
        le=10.0,
        description="Growth of the number of accounts per period (0.05 = +5% a period).",
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
        description="Nearest neighbours per item in the similarity graph patterns are found "
        "in (at most sqrt of the item count, at least 5). More neighbours give broader "
        "patterns at the level of a platform capability; fewer give finer facets.",
    )
    resolution: float = Field(
        1.0,
        gt=0.0,
        le=50.0,
        description="Modularity resolution of the Leiden community search: higher splits "
        "patterns finer (1 is standard modularity; the benchmark corpora's fine intents need "
        "about 16, see docs/synthesis.md).",
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
        description="Significance level of the one-sided Poisson rate tests behind trends.",
    )
    key_phrases: int = Field(6, ge=1, le=20, description="Key phrases listed per pattern.")
    batch_size: int = Field(64, ge=1, le=4096, description="Texts per embedding batch.")
    seed: int = Field(0, description="Seed of every random choice in synthesis (reproducible).")


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
        description="Value uplift at full reach beyond the biggest accounts (all touched "
        "accounts mid-market, smb or tier 2-3): value times (1 + uplift x reach share).",
    )
    fit_uplift: float = Field(
        0.25,
        ge=0.0,
        description="Value uplift at full strategic fit (the candidate's themes carry every "
        "theme weight): value times (1 + uplift x fit).",
    )
    engineer_week_cost: float = Field(
        6000.0,
        gt=0,
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
    seed: int = Field(0, description="Seed of the Monte Carlo draws (same seed, same figures).")
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


def parse_settings(text: str, *, source: str = "workspace.toml") -> Settings:
    """Parse and validate TOML settings text.

    Args:
        text: The TOML document.
        source: File name used in error messages.

    Returns:
        The validated settings (defaults for everything not given).

    Raises:
        BundleError: The TOML is malformed or a key is unknown or out of range.
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = getattr(exc, "lineno", 0) or 0
        raise BundleError([Problem(source, line, "-", f"not valid TOML: {exc}")]) from exc
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        problems = [
            Problem(source, 0, ".".join(str(p) for p in err["loc"]), err["msg"])
            for err in exc.errors()
        ]
        raise BundleError(problems) from exc


def load_settings(path: Path) -> Settings:
    """Read settings from a ``workspace.toml`` file; a missing file gives the defaults."""
    if not path.exists():
        return Settings()
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BundleError([Problem(path.name, 0, "-", f"not UTF-8: {exc.reason}")]) from exc
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
