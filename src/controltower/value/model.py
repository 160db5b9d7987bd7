"""The value model of a candidate: explained terms and a seeded Monte Carlo over ranges.

Value over the planning horizon, in the currency of ARR::

    value = (revenue + fde_savings) x (1 + reach_uplift x reach) x (1 + fit_uplift x fit)
            x delivered

- ``revenue``: urgency- and churn-weighted ARR of the accounts whose signals the candidate
  addresses, times ``value.revenue_share`` per year, over the horizon, discounted.
- ``fde_savings``: bespoke FDE hours of the addressed patterns per period, projected over
  ``planning.horizon_periods`` with ``economics.account_growth_per_period``, times
  ``value.savings_share`` times ``economics.fde_hourly_cost``, discounted.
- ``reach``: share of the touched accounts outside the biggest (mid-market, smb or
  tier 2-3); ``fit``: share of the leadership theme weights the candidate's themes carry.
- ``delivered``: 1 with the probability the model feasibility allows, else 0.

The Monte Carlo draws the revenue and savings shares (triangular, half to 1.5 times the
setting), delivery (Bernoulli) and effort (triangular over effort_low, effort_weeks,
effort_high). ROI is ``(value - cost) / cost`` with cost ``effort x
value.engineer_week_cost``; cost of delay per period is value over the horizon periods.
Percentiles are nearest-rank (one partition per candidate, no sort).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from typing import TypeVar

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, Field

from controltower.domain import Capability, ModelConstraint, Signal
from controltower.settings import Settings
from controltower.value.inputs import ValueInputs

FloatArray = NDArray[np.float64]
Floats = TypeVar("Floats", NDArray[np.float32], NDArray[np.float64])

_KIND_WEIGHT_PRAISE = 0.25
SHARE_RANGE = (0.5, 1.0, 1.5)
_CHUNK = 128
_FEASIBILITY_ORDER = ("no", "partial", "yes")


class Term(BaseModel):
    """One term of a value model: its figure, how it was computed, and its evidence."""

    name: str
    value: float
    unit: str
    explanation: str
    evidence_ids: list[str] = Field(default_factory=list)


class Distribution(BaseModel):
    """Percentiles of a simulated quantity."""

    p10: float
    p50: float
    p90: float


class CandidateValue(BaseModel):
    """A candidate's value model: evidence, terms and simulated value, ROI, cost of delay."""

    capability_id: str
    name: str
    team: str | None
    kind: str | None
    status: str = Field(description="'candidate', 'proposed' (by the engine) or 'shipped'.")
    shipped: date | None = None
    pattern_ids: list[str]
    signal_ids: list[str]
    work_ids: list[str]
    account_ids: list[str]
    effort_weeks: float | None
    effort_low: float | None
    effort_high: float | None
    revenue_touched: float
    weighted_revenue: float
    fde_hours: float
    reach: float
    fit: float
    confidence: float
    success_probability: float
    impact: float = Field(description="Mean urgency (1-5) of the addressed signals.")
    terms: list[Term]
    point_value: float = Field(description="Value with every range at its most likely value.")
    value: Distribution | None = None
    roi: Distribution | None = None
    cost_of_delay: Distribution | None = None


@dataclass(frozen=True)
class Evidence:
    """The evidence one candidate rests on."""

    pattern_ids: list[str]
    signal_ids: list[str]
    work_ids: list[str]


def signal_weight(signal: Signal, *, unknown_urgency: int, churn_risk_weight: float) -> float:
    """Weight of one signal on its account's ARR: urgency / 5 times its kind's weight."""
    urgency = signal.urgency if signal.urgency is not None else unknown_urgency
    kind = {"churn-risk": churn_risk_weight, "praise": _KIND_WEIGHT_PRAISE}.get(
        signal.kind or "", 1.0
    )
    return urgency / 5.0 * kind


def weighted_revenue(
    signals: list[Signal], arr: dict[str, float], *, unknown_urgency: int, churn_risk_weight: float
) -> tuple[float, float, list[str]]:
    """ARR touched, ARR weighted by each account's strongest signal (capped at 1), accounts."""
    strongest: dict[str, float] = {}
    for signal in signals:
        weight = signal_weight(
            signal, unknown_urgency=unknown_urgency, churn_risk_weight=churn_risk_weight
        )
        strongest[signal.account_id] = max(strongest.get(signal.account_id, 0.0), weight)
    accounts = sorted(a for a in strongest if a in arr)
    touched = sum(arr[a] for a in accounts)
    weighted = sum(arr[a] * min(1.0, strongest[a]) for a in accounts)
    return touched, weighted, accounts


def growth_factor(periods: int, growth: float, discount_per_period: float) -> float:
    """Sum over periods 1..n of (1 + growth)^t x discount^t."""
    t = np.arange(1, periods + 1, dtype=np.float64)
    return float(np.sum((1.0 + growth) ** t * discount_per_period**t))


def discount_per_period(settings: Settings) -> float:
    """Per-period discount factor from the annual rate."""
    planning = settings.planning
    return float((1.0 + planning.discount_rate) ** (-1.0 / planning.periods_per_year))


def observed_periods(observed_from: date, as_of: date, periods_per_year: int) -> float:
    """Periods of evidence history (at least one)."""
    return max(1.0, (as_of - observed_from).days / (365.25 / periods_per_year))


def worst_feasibility(constraints: list[ModelConstraint]) -> str | None:
    """The worst feasibility recorded for a candidate, or None."""
    if not constraints:
        return None
    return min((c.feasibility for c in constraints), key=_FEASIBILITY_ORDER.index)


def shipped_on(capability: Capability) -> date | None:
    """The ``shipped`` attribute of a candidate as a date, or None."""
    raw = capability.attributes.get("shipped", "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        return None


def candidate_value(
    inputs: ValueInputs,
    *,
    capability_id: str,
    name: str,
    capability: Capability | None,
    evidence: Evidence,
) -> CandidateValue:
    """Compute the deterministic terms of one candidate (no simulation)."""
    settings = inputs.settings
    config, economics, planning = settings.value, settings.economics, settings.planning
    signals = [inputs.signals[i] for i in evidence.signal_ids if i in inputs.signals]
    work = [inputs.work[i] for i in evidence.work_ids if i in inputs.work]
    arr = {a: acc.arr for a, acc in inputs.accounts.items()}
    touched, weighted, revenue_accounts = weighted_revenue(
        signals,
        arr,
        unknown_urgency=config.unknown_urgency,
        churn_risk_weight=config.churn_risk_weight,
    )
    account_ids = sorted({s.account_id for s in signals} | {w.account_id for w in work})
    known = [inputs.accounts[a] for a in account_ids if a in inputs.accounts]
    wide = [a for a in known if a.segment in ("mid-market", "smb") or a.tier >= 2]
    reach = len(wide) / len(known) if known else 0.0
    themes = capability.themes if capability else []
    total_weight = sum(inputs.themes.values())
    fit_weight = sum(inputs.themes.get(t, 0.0) for t in themes)
    fit = fit_weight / total_weight if total_weight > 0 else 0.0
    feasibility = worst_feasibility(inputs.constraints.get(capability_id, []))
    success = config.feasibility_success.get(feasibility or "yes", 1.0)
    discount = discount_per_period(settings)
    years = planning.horizon_periods / planning.periods_per_year
    revenue_factor = (
        growth_factor(planning.horizon_periods, 0.0, discount) / planning.periods_per_year
    )
    revenue = weighted * config.revenue_share * revenue_factor
    hours = float(sum(w.fde_hours for w in work))
    history = observed_periods(inputs.observed_from, inputs.as_of, planning.periods_per_year)
    per_period = hours / history
    projected = per_period * growth_factor(
        planning.horizon_periods, economics.account_growth_per_period, discount
    )
    savings = projected * config.savings_share * economics.fde_hourly_cost
    uplift = (1.0 + config.reach_uplift * reach) * (1.0 + config.fit_uplift * fit)
    effort = capability.effort_weeks if capability else None
    low = (capability.effort_low or capability.effort_weeks) if capability else None
    high = (capability.effort_high or capability.effort_weeks) if capability else None
    breadth = min(1.0, len(account_ids) / (2.0 * settings.readiness.min_accounts))
    spread = (low / high) if low and high else 0.0
    confidence = (breadth + success + spread) / 3.0
    urgencies = [s.urgency or config.unknown_urgency for s in signals]
    impact = float(np.mean(urgencies)) if urgencies else 0.0
    signal_ids = [s.signal_id for s in signals]
    work_ids = [w.work_id for w in work]
    terms = [
        Term(
            name="revenue touched",
            value=touched,
            unit="ARR",
            explanation=f"ARR of the {len(revenue_accounts)} account(s) whose signals the "
            f"candidate addresses",
            evidence_ids=revenue_accounts,
        ),
        Term(
            name="weighted revenue",
            value=weighted,
            unit="ARR",
            explanation="each account's ARR x its strongest signal's urgency/5 x kind weight "
            f"(churn-risk x{config.churn_risk_weight:g}, praise x{_KIND_WEIGHT_PRAISE:g}), "
            "capped at the ARR",
            evidence_ids=signal_ids,
        ),
        Term(
            name="revenue value",
            value=revenue,
            unit="currency over horizon",
            explanation=f"weighted revenue x revenue share {config.revenue_share:g}/year over "
            f"{years:g} years, discounted at {planning.discount_rate:g}/year",
        ),
        Term(
            name="FDE hours on bespoke builds",
            value=hours,
            unit="hours",
            explanation=f"custom-work hours of the addressed patterns, {per_period:,.1f} per "
            f"period over {history:.1f} periods of history",
            evidence_ids=work_ids,
        ),
        Term(
            name="FDE savings",
            value=savings,
            unit="currency over horizon",
            explanation=f"{per_period:,.1f} h/period x (1+{economics.account_growth_per_period:g})"
            f"^t over {planning.horizon_periods} periods, discounted = {projected:,.0f} h, x "
            f"savings share {config.savings_share:g} x {economics.fde_hourly_cost:g}/h",
        ),
        Term(
            name="reach",
            value=reach,
            unit="share",
            explanation=f"{len(wide)} of the {len(known)} accounts touched (by signals or custom "
            "work) are mid-market, smb or tier 2-3",
            evidence_ids=[a.account_id for a in wide],
        ),
        Term(
            name="strategic fit",
            value=fit,
            unit="share",
            explanation=f"theme weights {fit_weight:g} of {total_weight:g} "
            f"({', '.join(themes) or 'no themes'})",
            evidence_ids=list(themes),
        ),
        Term(
            name="delivery probability",
            value=success,
            unit="probability",
            explanation=f"worst model feasibility: {feasibility or 'none recorded'}",
            evidence_ids=[
                f"{c.capability_id}:{c.requirement}"
                for c in inputs.constraints.get(capability_id, [])
            ],
        ),
        Term(
            name="confidence",
            value=confidence,
            unit="score 0-1",
            explanation=f"mean of evidence breadth {breadth:.2f} ({len(account_ids)} accounts), "
            f"delivery probability {success:.2f}, effort spread low/high {spread:.2f}",
        ),
    ]
    return CandidateValue(
        capability_id=capability_id,
        name=name,
        team=capability.team if capability else None,
        kind=capability.kind if capability else None,
        status="candidate" if capability else "proposed",
        pattern_ids=evidence.pattern_ids,
        signal_ids=signal_ids,
        work_ids=work_ids,
        account_ids=account_ids,
        effort_weeks=effort,
        effort_low=low,
        effort_high=high,
        revenue_touched=touched,
        weighted_revenue=weighted,
        fde_hours=hours,
        reach=reach,
        fit=fit,
        confidence=confidence,
        success_probability=success,
        impact=impact,
        terms=terms,
        point_value=(revenue + savings) * uplift * success,
    )


def shipped_value(capability: Capability, shipped: date, evidence: Evidence) -> CandidateValue:
    """A shipped candidate: shown with its evidence, no new value."""
    return CandidateValue(
        capability_id=capability.capability_id,
        name=capability.name,
        team=capability.team,
        kind=capability.kind,
        status="shipped",
        shipped=shipped,
        pattern_ids=evidence.pattern_ids,
        signal_ids=evidence.signal_ids,
        work_ids=evidence.work_ids,
        account_ids=[],
        effort_weeks=capability.effort_weeks,
        effort_low=capability.effort_low,
        effort_high=capability.effort_high,
        revenue_touched=0.0,
        weighted_revenue=0.0,
        fde_hours=0.0,
        reach=0.0,
        fit=0.0,
        confidence=0.0,
        success_probability=1.0,
        impact=0.0,
        terms=[
            Term(
                name="shipped",
                value=0.0,
                unit="currency",
                explanation=f"already built (shipped {shipped.isoformat()}): no new value",
                evidence_ids=[capability.capability_id],
            )
        ],
        point_value=0.0,
    )


@dataclass(frozen=True)
class SimulationInputs:
    """Vectors of the uncertain terms, one entry per candidate.

    Attributes:
        revenue: Revenue value at the most likely revenue share.
        savings: FDE savings at the most likely savings share.
        savings_cap: Largest factor on the savings share (share x factor <= 1).
        uplift: Reach and fit multiplier.
        success: Delivery probability.
        effort_low: Least effort, weeks.
        effort_mode: Most likely effort, weeks.
        effort_high: Most effort, weeks.
        week_cost: Cost of one engineer-week.
        horizon: Periods of the horizon (cost of delay = value / horizon).
    """

    revenue: FloatArray
    savings: FloatArray
    savings_cap: FloatArray
    uplift: FloatArray
    success: FloatArray
    effort_low: FloatArray
    effort_mode: FloatArray
    effort_high: FloatArray
    week_cost: float
    horizon: int


@dataclass(frozen=True)
class SimulationResult:
    """Percentiles (columns P10, P50, P90), one row per candidate."""

    value: FloatArray
    roi: FloatArray
    cost_of_delay: FloatArray


def triangular(u: Floats, low: Floats, mode: Floats, high: Floats) -> Floats:
    """Inverse CDF of the triangular distribution, vectorised (``low == high`` is a point).

    The draws keep the dtype of ``u`` (float32 for the value model, float64 where cents
    matter).
    """
    width = high - low
    safe = np.where(width > 0, width, 1.0).astype(u.dtype)
    split = (mode - low) / safe
    left = low + np.sqrt(u * width * (mode - low))
    right = high - np.sqrt((1.0 - u) * width * (high - mode))
    drawn: Floats = np.where(u < split, left, right).astype(u.dtype)
    return drawn


def _simulate_chunk(
    sim: SimulationInputs, rows: slice, draws: int, seed: np.random.SeedSequence
) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    rng = np.random.default_rng(seed)
    n = len(range(*rows.indices(len(sim.revenue))))

    def col(values: FloatArray) -> NDArray[np.float32]:
        return values[rows].astype(np.float32)[:, None]

    shape = (n, draws)
    lo, mid, hi = (np.full(1, x, dtype=np.float32) for x in SHARE_RANGE)
    revenue_f = triangular(rng.random(shape, dtype=np.float32), lo, mid, hi)
    savings_f = np.minimum(
        triangular(rng.random(shape, dtype=np.float32), lo, mid, hi),
        col(sim.savings_cap),
    )
    delivered = rng.random(shape, dtype=np.float32) < col(sim.success)
    effort = triangular(
        rng.random(shape, dtype=np.float32),
        col(sim.effort_low),
        col(sim.effort_mode),
        col(sim.effort_high),
    )
    value = col(sim.revenue) * revenue_f
    value += col(sim.savings) * savings_f
    value *= col(sim.uplift)
    value *= delivered
    cost = effort * np.float32(sim.week_cost)
    roi = value - cost
    roi /= cost
    return percentiles(value), percentiles(roi)


def percentiles(draws: Floats) -> Floats:
    """P10, P50, P90 of each row by nearest rank (one partition per row, no sort).

    Returns:
        Array ``(rows, 3)``, of the dtype of ``draws``.
    """
    n = draws.shape[1]
    kth = [round(q * (n - 1)) for q in (0.1, 0.5, 0.9)]
    parted = np.partition(draws, kth, axis=1)
    picked: Floats = parted[:, kth]
    return picked


def simulate(sim: SimulationInputs, *, draws: int, seed: int, workers: int = 2) -> SimulationResult:
    """Seeded, vectorised Monte Carlo of value, ROI and cost of delay.

    Candidates are simulated in fixed chunks, each with its own stream spawned from
    ``seed``, so the figures do not depend on ``workers`` (threads over chunks).

    Returns:
        P10, P50, P90 of value, ROI and cost of delay per period, one row per candidate.
    """
    n = len(sim.revenue)
    chunks = [slice(start, min(n, start + _CHUNK)) for start in range(0, n, _CHUNK)]
    seeds = np.random.SeedSequence(seed).spawn(len(chunks))
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        parts = list(
            pool.map(
                lambda job: _simulate_chunk(sim, job[0], draws, job[1]),
                zip(chunks, seeds, strict=True),
            )
        )
    value = np.concatenate([p[0] for p in parts]).astype(np.float64) if parts else np.zeros((0, 3))
    roi = np.concatenate([p[1] for p in parts]).astype(np.float64) if parts else np.zeros((0, 3))
    return SimulationResult(value=value, roi=roi, cost_of_delay=value / max(1, sim.horizon))
