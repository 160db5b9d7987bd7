"""The FDE economics simulation: is the company escaping the high-touch trap?

Per period of the planning horizon, with the roadmap and without it (only the capabilities
already shipped), a seeded Monte Carlo over the uncertain inputs gives P10/P50/P90 of new
and active deployments, FDE hours, hours per new deployment, FDE headcount, FDE cost
(COGS), revenue and gross margin, and the share of bespoke FDE work that shipped
capabilities absorb. docs/economics.md gives every formula; in short, per draw and
period ``t`` (0 = the first planning period)::

    new(t)          = R x (1 + g)^(gap + t + 1)              split by segment shares w_s
    A_s(t)          = min(cap, sum over custom-work groups of segment s of
                          hours_group / custom_hours_s x max over its live capabilities
                          of effect_c x delivered_c x ramp_c(t))
    per_new(t)      = sum_s w_s x h_s x (1 - b_s x A_s(t))
    fde_hours(t)    = new(t) x per_new(t)
    headcount(t)    = fde_hours(t) / (economics.fde_hours_per_year / periods_per_year)
    fde_cost(t)     = fde_hours(t) x economics.fde_hourly_cost
    revenue(t)      = (ARR of today's accounts + new accounts' ARR so far) / periods_per_year
    gross_margin(t) = (revenue - fde_cost - other_cogs_share x revenue) / revenue

A capability ships at the END of its roadmap ``end_period``: its effect starts in the
following period and ramps linearly to full over ``economics.adoption_lag_periods``.
Loading (:func:`load_economics_inputs`) is split from computing (:func:`simulate_economics`)
so the simulation is a pure function of its inputs.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from controltower.diagnose.economics_inputs import (
    EconomicsInputs,
    Growth,
    load_economics_inputs,
)
from controltower.diagnose.models import Band, Economics, EconomicsPeriod, EconomicsPoint
from controltower.domain import PLANNED
from controltower.optimize import RoadmapEntry
from controltower.settings import Settings
from controltower.value import Evaluation
from controltower.value.model import SHARE_RANGE, percentiles, triangular
from controltower.workspace import Workspace

__all__ = [
    "EconomicsInputs",
    "compute_economics",
    "escape_period",
    "load_economics_inputs",
    "simulate_economics",
]

FloatArray = NDArray[np.float64]

_TOLERANCE = 1e-9


@dataclass(frozen=True)
class _Draws:
    """The uncertain inputs, one value per draw (rows: segments or capabilities)."""

    growth: FloatArray
    hours: FloatArray
    effect: dict[str, FloatArray]
    lag: dict[str, FloatArray]


@dataclass(frozen=True)
class _Outcome:
    """Simulated quantities, arrays ``(draws, periods)``."""

    new: FloatArray
    active: FloatArray
    hours: FloatArray
    per_new: FloatArray
    headcount: FloatArray
    cost: FloatArray
    revenue: FloatArray
    margin: FloatArray
    absorbed: FloatArray


def _spread(uniform: FloatArray, low: float, mode: float, high: float, width: float) -> FloatArray:
    """Triangular draws over ``low, mode, high`` with the range scaled by ``width``."""

    def point(x: float) -> FloatArray:
        return np.full(1, mode + width * (x - mode), dtype=np.float64)

    return triangular(uniform, point(low), point(mode), point(high))


def _draw_growth(growth: Growth, rng: np.random.Generator, draws: int, width: float) -> FloatArray:
    if growth.source == "history":
        slope = math.log1p(growth.growth) + width * growth.log_slope_se * rng.standard_normal(draws)
        drawn: FloatArray = np.expm1(slope)
        return drawn
    low, high = sorted(growth.growth * f for f in (SHARE_RANGE[0], SHARE_RANGE[2]))
    return np.maximum(-1.0, _spread(rng.random(draws), low, growth.growth, high, width))


def _draw_mean_hours(
    hours: FloatArray, rng: np.random.Generator, draws: int, width: float
) -> FloatArray:
    """Mean hours per deployment: normal around the sample mean with its standard error."""
    z = rng.standard_normal(draws)
    if len(hours) == 0:
        return np.zeros(draws)
    se = float(hours.std(ddof=1)) / math.sqrt(len(hours)) if len(hours) > 1 else 0.0
    drawn: FloatArray = np.maximum(0.0, float(hours.mean()) + width * se * z)
    return drawn


def _draw_capabilities(
    inputs: EconomicsInputs, settings: Settings, rng: np.random.Generator, width: float
) -> tuple[dict[str, FloatArray], dict[str, FloatArray]]:
    """Each candidate's effect (size x delivered) and adoption lag, per draw."""
    draws, lag = settings.value.draws, settings.economics.adoption_lag_periods
    low, mode, high = (settings.value.savings_share * f for f in SHARE_RANGE)
    ids = sorted(inputs.capabilities)
    uniform = rng.random((3, len(ids), draws))
    effect, lags = {}, {}
    for k, capability_id in enumerate(ids):
        size = np.clip(_spread(uniform[0, k], low, mode, high, width), 0.0, 1.0)
        odds = inputs.capabilities[capability_id].success_probability
        delivered = np.clip(odds + width * ((uniform[2, k] < odds) - odds), 0.0, 1.0)
        effect[capability_id] = size * delivered
        lags[capability_id] = np.maximum(0.0, _spread(uniform[1, k], 0.0, lag, 2 * lag, width))
    return effect, lags


def _draw(inputs: EconomicsInputs, settings: Settings) -> _Draws:
    """Every uncertain input, drawn once for all roadmaps (common random numbers)."""
    draws, width = settings.value.draws, settings.economics.uncertainty
    rng = np.random.default_rng(settings.value.seed)
    growth = _draw_growth(inputs.growth, rng, draws, width)
    hours = (
        np.stack([_draw_mean_hours(s.hours, rng, draws, width) for s in inputs.segments])
        if inputs.segments
        else np.zeros((0, draws))
    )
    effect, lags = _draw_capabilities(inputs, settings, rng, width)
    return _Draws(growth=growth, hours=hours, effect=effect, lag=lags)


def _ramp(lag: FloatArray, start: int, periods: int) -> FloatArray:
    """Share of full effect per draw and period for an effect starting in period ``start``."""
    k = np.arange(periods, dtype=np.float64)[None, :] - start
    ramp: FloatArray = np.where(k >= 0, np.clip((k + 1.0) / (lag[:, None] + 1.0), 0.0, 1.0), 0.0)
    return ramp


def _absorbed(
    inputs: EconomicsInputs, draws: _Draws, starts: dict[str, int], cap: float
) -> FloatArray:
    """Absorbed share of bespoke work per segment, array ``(segments, draws, periods)``."""
    n_draws, periods = len(draws.growth), len(inputs.periods)
    covering = {c for g in inputs.groups for c in g.capability_ids}
    live = {
        c: draws.effect[c][:, None] * _ramp(draws.lag[c], start, periods)
        for c, start in starts.items()
        if c in covering
    }
    result = np.zeros((len(inputs.segments), n_draws, periods))
    for i, seg in enumerate(inputs.segments):
        for group in (g for g in inputs.groups if g.segment == seg.segment):
            effects = [live[c] for c in group.capability_ids if c in live]
            if effects and seg.custom_hours > 0:
                result[i] += group.hours / seg.custom_hours * np.maximum.reduce(effects)
    clipped: FloatArray = np.minimum(result, cap)
    return clipped


def _outcome(
    inputs: EconomicsInputs, draws: _Draws, starts: dict[str, int], settings: Settings
) -> _Outcome:
    """Every quantity per draw and period when the capabilities in ``starts`` take effect."""
    economics, per_year = settings.economics, settings.planning.periods_per_year
    periods = len(inputs.periods)
    absorbed = _absorbed(inputs, draws, starts, economics.absorbed_share_cap)
    per_new = np.zeros((len(draws.growth), periods))
    for i, seg in enumerate(inputs.segments):
        per_new += (
            seg.start_share * draws.hours[i][:, None] * (1.0 - seg.bespoke_share * absorbed[i])
        )
    steps = inputs.gap_periods + 1 + np.arange(periods, dtype=np.float64)
    new = inputs.growth.rate * (1.0 + draws.growth[:, None]) ** steps[None, :]
    active = np.zeros_like(new)
    running = np.full(len(draws.growth), inputs.active_deployments)
    for t in range(periods):
        running = running * (1.0 - inputs.completion_rate) + new[:, t]
        active[:, t] = running
    hours = new * per_new
    arr_per_new = sum(s.start_share * s.first_share * s.typical_arr for s in inputs.segments)
    revenue = (inputs.arr + np.cumsum(new, axis=1) * arr_per_new) / per_year
    cost = hours * economics.fde_hourly_cost
    # NaN where there is no revenue: a margin is undefined there (reported as None)
    margin = np.where(
        revenue > 0,
        (revenue - cost - economics.other_cogs_share * revenue)
        / np.where(revenue > 0, revenue, 1.0),
        np.nan,
    )
    custom = np.array([s.custom_hours for s in inputs.segments])
    total_custom = float(custom.sum())
    overall = (
        np.tensordot(custom, absorbed, axes=1) / total_custom
        if total_custom > 0
        else np.zeros_like(new)
    )
    return _Outcome(
        new=new,
        active=active,
        hours=hours,
        per_new=per_new,
        headcount=hours / (economics.fde_hours_per_year / per_year),
        cost=cost,
        revenue=revenue,
        margin=margin,
        absorbed=overall,
    )


def _bands(values: FloatArray) -> list[Band]:
    """P10/P50/P90 per period of an array ``(draws, periods)``."""
    picked = percentiles(np.ascontiguousarray(values.T))
    return [Band(p10=float(r[0]), p50=float(r[1]), p90=float(r[2])) for r in picked]


def _defined_bands(values: FloatArray) -> list[Band | None]:
    """:func:`_bands` for a quantity undefined (NaN) in some draws: None in such periods."""
    missing = np.isnan(values)
    bands = _bands(np.where(missing, 0.0, values))
    return [None if missing[:, t].any() else band for t, band in enumerate(bands)]


def _points(outcome: _Outcome, shipped: list[list[str]]) -> list[EconomicsPoint]:
    columns: dict[str, list[Band] | list[Band | None]] = {
        "new_deployments": _bands(outcome.new),
        "active_deployments": _bands(outcome.active),
        "fde_hours": _bands(outcome.hours),
        "fde_hours_per_new_deployment": _bands(outcome.per_new),
        "fde_headcount": _bands(outcome.headcount),
        "fde_cost": _bands(outcome.cost),
        "revenue": _bands(outcome.revenue),
        "gross_margin": _defined_bands(outcome.margin),
        "absorbed_share": _bands(outcome.absorbed),
    }
    return [
        EconomicsPoint(**{name: bands[t] for name, bands in columns.items()}, shipped=shipped[t])
        for t in range(len(shipped))
    ]


def escape_period(values: Sequence[float], periods: Sequence[str]) -> str | None:
    """The period the company escapes the high-touch trap, or None.

    The first period ``k`` (after the first) whose value is below the previous period's
    and below the first period's, and from which the value never rises again to the end
    of the horizon (equal counts as not rising). Values are compared with a relative
    tolerance of 1e-9.

    Args:
        values: P50 FDE hours per new deployment, per period.
        periods: The period labels.
    """

    def below(a: float, b: float) -> bool:
        return a < b - _TOLERANCE * max(1.0, abs(b))

    for k in range(1, len(values)):
        if not (below(values[k], values[k - 1]) and below(values[k], values[0])):
            continue
        if all(not below(values[j - 1], values[j]) for j in range(k + 1, len(values))):
            return periods[k]
    return None


def _starts(
    inputs: EconomicsInputs, roadmap: Sequence[RoadmapEntry]
) -> tuple[dict[str, int], dict[str, int], list[str]]:
    """First period of effect of the shipped and of the planned capabilities, and notes."""
    shipped = {
        c.capability_id: -math.floor((inputs.first_start - c.shipped).days / inputs.period_days)
        for c in inputs.capabilities.values()
        if c.shipped is not None
    }
    index = {p: k for k, p in enumerate(inputs.periods)}
    planned: dict[str, int] = {}
    notes = []
    for entry in roadmap:
        if entry.status not in PLANNED or entry.capability_id in shipped:
            continue
        if entry.capability_id not in inputs.capabilities:
            notes.append(f"{entry.capability_id}: planned but not a known candidate: not counted")
        elif entry.end_period not in index:
            notes.append(
                f"{entry.capability_id}: planned end period {entry.end_period} is outside the "
                "horizon: not counted"
            )
        else:
            planned[entry.capability_id] = index[entry.end_period] + 1
    return shipped, planned, notes


def _capability_notes(
    inputs: EconomicsInputs, shipped: dict[str, int], planned: dict[str, int]
) -> list[str]:
    total = sum(s.custom_hours for s in inputs.segments)
    covered: dict[str, float] = {}
    for group in inputs.groups:
        for c in group.capability_ids:
            covered[c] = covered.get(c, 0.0) + group.hours
    notes = []
    for c in sorted(shipped, key=lambda x: (shipped[x], x)) + sorted(
        planned, key=lambda x: (planned[x], x)
    ):
        cov = inputs.capabilities[c]
        hours = covered.get(c, 0.0)
        when = (
            f"shipped {cov.shipped}"
            if cov.shipped is not None
            else f"planned, ships at the end of {inputs.periods[planned[c] - 1]} (effect from "
            + (
                inputs.periods[planned[c]]
                if planned[c] < len(inputs.periods)
                else "after the horizon"
            )
            + ")"
        )
        notes.append(
            f"{c} {cov.name}: {when}; addresses {', '.join(cov.pattern_ids) or 'no pattern'}: "
            f"{hours:,.0f} h of {total:,.0f} h custom work ({_share(hours, total):.1%}), "
            f"delivery probability {cov.success_probability:.0%}"
        )
    return notes


def _share(part: float, whole: float) -> float:
    return part / whole if whole else 0.0


def _model_notes(settings: Settings) -> list[str]:
    economics, value = settings.economics, settings.value
    share, lag = value.savings_share, economics.adoption_lag_periods
    per_period = economics.fde_hours_per_year / settings.planning.periods_per_year
    return [
        f"Absorption: a shipped capability takes over value.savings_share {share:g} (triangular "
        f"{share * SHARE_RANGE[0]:g} to {min(1.0, share * SHARE_RANGE[2]):g}) of the "
        "custom-work hours of the patterns it addresses, times its delivery probability, from "
        "the period after the one it ships in, ramping linearly to full over "
        f"economics.adoption_lag_periods {lag:g} (triangular 0 to {2 * lag:g}); together at "
        f"most economics.absorbed_share_cap {economics.absorbed_share_cap:.0%} of a segment's "
        "bespoke work; hours per new deployment fall by bespoke share x absorbed share",
        f"FDE cost: {economics.fde_hourly_cost:,.2f} per hour (economics.fde_hourly_cost); "
        f"headcount: hours / {per_period:,.0f} h per FDE per period "
        f"(economics.fde_hours_per_year {economics.fde_hours_per_year:g} / "
        f"{settings.planning.periods_per_year})",
        "FDE hours of a period: the hours of the deployments that start in it, booked when they "
        "start; the hours still to come on deployments running today are not modelled",
        f"Other COGS: {economics.other_cogs_share:.0%} of revenue (economics.other_cogs_share)",
        f"Monte Carlo: {value.draws} draws, seed {value.seed} (value.draws, value.seed); "
        f"ranges x {economics.uncertainty:g} (economics.uncertainty); mean hours per deployment "
        "drawn around the sample mean with its standard error",
        "Escape point: the first period whose P50 FDE hours per new deployment are below the "
        "previous period's and the first period's, and never rise again over the horizon",
    ]


def _shipped_by_period(starts: dict[str, int], periods: int) -> list[list[str]]:
    """Capabilities live by the end of each period (effect from the next one)."""
    return [sorted(c for c, s in starts.items() if s <= t + 1) for t in range(periods)]


def simulate_economics(
    inputs: EconomicsInputs, roadmap: Sequence[RoadmapEntry], settings: Settings
) -> Economics:
    """Simulate the FDE economics with the roadmap and without it.

    Without the roadmap only the capabilities already shipped absorb bespoke work; with it,
    every entry with status now, next or later also does, from the period after its
    ``end_period``. Both use the same draws, so a roadmap that only adds capabilities
    never shows more FDE hours than no roadmap, draw by draw.

    Args:
        inputs: What :func:`load_economics_inputs` derived.
        roadmap: Roadmap entries (``Roadmap.entries`` or a hand-made roadmap).
        settings: Settings of the economics, the horizon and the Monte Carlo.
    """
    draws = _draw(inputs, settings)
    shipped, planned, notes = _starts(inputs, roadmap)
    with_plan = {**shipped, **planned}
    periods = len(inputs.periods)
    without = _points(
        _outcome(inputs, draws, shipped, settings), _shipped_by_period(shipped, periods)
    )
    with_ = _points(
        _outcome(inputs, draws, with_plan, settings), _shipped_by_period(with_plan, periods)
    )
    live = [inputs.capabilities[c] for c in sorted(with_plan)]
    evidence = list(
        dict.fromkeys(
            [
                *inputs.evidence,
                *(c.capability_id for c in live),
                *(p for c in live for p in c.pattern_ids),
                *(w for c in live for w in c.work_ids),
            ]
        )
    )
    return Economics(
        periods=[
            EconomicsPeriod(period=label, with_plan=w, without_plan=o)
            for label, w, o in zip(inputs.periods, with_, without, strict=True)
        ],
        escape_period=escape_period(
            [p.fde_hours_per_new_deployment.p50 for p in with_], inputs.periods
        ),
        escape_period_without=escape_period(
            [p.fde_hours_per_new_deployment.p50 for p in without], inputs.periods
        ),
        assumptions=[
            *inputs.assumptions,
            *_capability_notes(inputs, shipped, planned),
            *notes,
            *_model_notes(settings),
        ],
        evidence=evidence,
        draws=settings.value.draws,
        seed=settings.value.seed,
    )


def compute_economics(
    workspace: Workspace,
    evaluation: Evaluation,
    roadmap: Sequence[RoadmapEntry],
    settings: Settings | None = None,
) -> Economics:
    """Load the inputs of a workspace and simulate its economics under a roadmap.

    Args:
        workspace: An open workspace.
        evaluation: Its value stage result (links of candidates to patterns).
        roadmap: The roadmap's entries (``Roadmap.entries``).
        settings: Settings to use (default: the workspace's).
    """
    settings = settings or workspace.settings
    return simulate_economics(
        load_economics_inputs(workspace, evaluation, settings), roadmap, settings
    )
