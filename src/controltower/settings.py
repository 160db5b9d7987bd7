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
        "patterns finer. 1 is standard modularity.",
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


class Settings(_Section):
    """All settings of a workspace, by section (the tables of ``workspace.toml``)."""

    planning: PlanningSettings = Field(default_factory=PlanningSettings)
    economics: EconomicsSettings = Field(default_factory=EconomicsSettings)
    synthesis: SynthesisSettings = Field(default_factory=SynthesisSettings)
    ingest: ImportSettings = Field(default_factory=ImportSettings)

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
