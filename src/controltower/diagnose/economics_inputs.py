"""What the FDE economics read: deployment history, growth, and what candidates absorb.

:func:`load_economics_inputs` reads a workspace and its evaluation;
:func:`build_economics_inputs` derives the simulation's inputs from rows (pure), so a case
computed by hand can be fed in directly. docs/economics.md explains every figure.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from statistics import median
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from controltower.domain import Account, CustomWork, Deployment, TeamCapacity
from controltower.errors import InputError
from controltower.ingest.contract import SPECS
from controltower.optimize.problem import planning_periods
from controltower.periods import horizon_labels, period_start
from controltower.settings import Settings
from controltower.store.rows import R, column_values, read_rows
from controltower.value import Evaluation
from controltower.value.model import SHARE_RANGE, observed_periods
from controltower.workspace import Workspace

__all__ = [
    "CapabilityCoverage",
    "EconomicsInputs",
    "EconomicsRows",
    "Growth",
    "SegmentInputs",
    "WorkGroup",
    "build_economics_inputs",
    "coverage_from_evaluation",
    "estimate_growth",
    "fit_growth",
    "load_economics_inputs",
    "read_economics_rows",
    "starts_per_period",
]

FloatArray = NDArray[np.float64]

SEGMENTS = ("enterprise", "mid-market", "smb")
_TERMINAL_STATUSES = frozenset(
    {"completed", "complete", "ended", "closed", "cancelled", "canceled", "churned", "lost"}
)
_PSEUDO_COUNT = 0.5
_FIT_ITERATIONS = 100
_TOLERANCE = 1e-9
_SPEC_BY_ENTITY = {spec.entity: spec for spec in SPECS}


# --- what is read ---------------------------------------------------------------------------


@dataclass(frozen=True)
class EconomicsRows:
    """The rows the economics read from a workspace.

    Attributes:
        accounts: accounts.csv.
        deployments: deployments.csv.
        work: custom_work.csv.
        periods: The planning periods, in order.
        as_of: The latest evidence date (signals, custom work, deployments, usage).
    """

    accounts: list[Account]
    deployments: list[Deployment]
    work: list[CustomWork]
    periods: list[str]
    as_of: date


@dataclass(frozen=True)
class CapabilityCoverage:
    """What one candidate could absorb: the custom work of the patterns it addresses.

    Attributes:
        capability_id: The candidate.
        name: Its name.
        pattern_ids: Patterns it is linked to (CandidateResult.links).
        work_ids: Custom work of those patterns (PatternResult.work_ids).
        shipped: Its ship date when already shipped (capabilities.csv ``shipped``).
        success_probability: Probability it delivers (model feasibility; 1 when shipped).
    """

    capability_id: str
    name: str
    pattern_ids: tuple[str, ...]
    work_ids: tuple[str, ...]
    shipped: date | None
    success_probability: float


@dataclass(frozen=True)
class SegmentInputs:
    """The deployment history of one segment.

    Attributes:
        segment: enterprise, mid-market or smb.
        hours: FDE hours of each past deployment with hours (custom work included).
        start_share: Share of all deployment starts in this segment.
        first_share: Share of the segment's deployments that were an account's first.
        bespoke_share: Custom-work hours / deployment hours of the segment (at most 1).
        typical_arr: Median ARR of the segment's accounts (all accounts' when none).
        custom_hours: Custom-work hours at the segment's accounts.
    """

    segment: str
    hours: FloatArray
    start_share: float
    first_share: float
    bespoke_share: float
    typical_arr: float
    custom_hours: float


@dataclass(frozen=True)
class Growth:
    """New deployments per period today and their growth.

    Attributes:
        source: 'history' (a fit of deployment starts) or 'settings'.
        rate: New deployments per period at the end of the history.
        growth: Most likely growth per period.
        log_slope_se: Standard error of log(1 + growth) (history; 0 for settings).
    """

    source: Literal["history", "settings"]
    rate: float
    growth: float
    log_slope_se: float


@dataclass(frozen=True)
class WorkGroup:
    """Custom work of one segment covered by the same set of capabilities."""

    segment: str
    hours: float
    capability_ids: tuple[str, ...]


@dataclass(frozen=True)
class EconomicsInputs:
    """Everything the simulation needs, derived from the rows (pure data).

    Attributes:
        periods: Period labels of the horizon.
        first_start: First day of the first period.
        period_days: Days in a period (365.25 / periods_per_year).
        gap_periods: Whole periods between the latest evidence and the first period.
        segments: Deployment history per segment with deployments.
        growth: New deployments per period and their growth.
        arr: ARR of today's accounts.
        active_deployments: Deployments running today.
        completion_rate: Share of running deployments that complete per period.
        groups: Custom work grouped by segment and covering capabilities.
        capabilities: Coverage of every candidate, by id.
        assumptions: The inputs in words, with their sources.
        evidence: Deployment ids the inputs rest on.
    """

    periods: list[str]
    first_start: date
    period_days: float
    gap_periods: int
    segments: list[SegmentInputs]
    growth: Growth
    arr: float
    active_deployments: float
    completion_rate: float
    groups: list[WorkGroup]
    capabilities: dict[str, CapabilityCoverage]
    assumptions: list[str]
    evidence: list[str]


def read_economics_rows(workspace: Workspace, settings: Settings) -> EconomicsRows:
    """Read accounts, deployments, custom work, the planning periods and the latest date."""
    with workspace.engine.connect() as connection:

        def rows(entity: str, model: type[R]) -> list[R]:
            return read_rows(connection=connection, spec=_SPEC_BY_ENTITY[entity], model=model)

        accounts = rows("accounts", Account)
        deployments = rows("deployments", Deployment)
        work = rows("custom_work", CustomWork)
        teams = rows("teams", TeamCapacity)
        dates: set[date] = column_values(connection=connection, entity="signals", column="date")
        dates |= column_values(connection=connection, entity="usage", column="date")
    dates |= {w.date for w in work} | {d.started for d in deployments}
    return EconomicsRows(
        accounts=accounts,
        deployments=deployments,
        work=work,
        periods=planning_periods(settings, teams),
        as_of=max(dates, default=date.today()),
    )


def coverage_from_evaluation(evaluation: Evaluation) -> list[CapabilityCoverage]:
    """Each candidate's linked patterns and their custom work, ship date and delivery odds."""
    patterns = {p.id: p for p in evaluation.patterns}
    coverage = []
    for candidate in evaluation.candidates:
        pattern_ids = tuple(dict.fromkeys(link.pattern_id for link in candidate.links))
        work_ids = tuple(
            dict.fromkeys(w for p in pattern_ids if p in patterns for w in patterns[p].work_ids)
        )
        shipped = candidate.model.shipped if candidate.status == "shipped" else None
        coverage.append(
            CapabilityCoverage(
                capability_id=candidate.id,
                name=candidate.name,
                pattern_ids=pattern_ids,
                work_ids=work_ids,
                shipped=shipped,
                success_probability=1.0
                if shipped is not None
                else candidate.model.success_probability,
            )
        )
    return coverage


def load_economics_inputs(
    workspace: Workspace, evaluation: Evaluation, settings: Settings | None = None
) -> EconomicsInputs:
    """Read a workspace and derive the simulation's inputs (see :func:`build_economics_inputs`).

    Raises:
        InputError: There are no planning periods.
    """
    settings = settings or workspace.settings
    rows = read_economics_rows(workspace, settings)
    return build_economics_inputs(rows, coverage_from_evaluation(evaluation), settings)


# --- from rows to inputs --------------------------------------------------------------------


def deployment_hours(
    deployments: Sequence[Deployment], work: Sequence[CustomWork]
) -> dict[str, float]:
    """FDE hours of each deployment: its fde_hours, or the custom work logged on it if larger.

    deployments.csv ``fde_hours`` are taken to include the custom work logged on the
    deployment (custom_work.csv rows with its deployment_id).
    """
    logged: dict[str, float] = {}
    for item in work:
        if item.deployment_id:
            logged[item.deployment_id] = logged.get(item.deployment_id, 0.0) + item.fde_hours
    return {
        d.deployment_id: max(d.fde_hours, logged.get(d.deployment_id, 0.0)) for d in deployments
    }


def _first_deployments(deployments: Sequence[Deployment]) -> set[str]:
    """Ids of each account's earliest deployment."""
    first: dict[str, Deployment] = {}
    for d in deployments:
        known = first.get(d.account_id)
        if known is None or (d.started, d.deployment_id) < (known.started, known.deployment_id):
            first[d.account_id] = d
    return {d.deployment_id for d in first.values()}


def segment_inputs(
    accounts: Sequence[Account],
    deployments: Sequence[Deployment],
    work: Sequence[CustomWork],
    hours: dict[str, float],
) -> list[SegmentInputs]:
    """Deployment history per segment (segments without deployments are left out)."""
    segment_of = {a.account_id: a.segment for a in accounts}
    known = [d for d in deployments if d.account_id in segment_of]
    firsts = _first_deployments(known)
    all_arr = [a.arr for a in accounts]
    result = []
    for segment in SEGMENTS:
        own = [d for d in known if segment_of[d.account_id] == segment]
        if not own:
            continue
        own_hours = [hours[d.deployment_id] for d in own]
        total = sum(own_hours)
        custom = sum(w.fde_hours for w in work if segment_of.get(w.account_id) == segment)
        arr = [a.arr for a in accounts if a.segment == segment] or all_arr
        result.append(
            SegmentInputs(
                segment=segment,
                hours=np.array([h for h in own_hours if h > 0], dtype=np.float64),
                start_share=len(own) / len(known),
                first_share=sum(d.deployment_id in firsts for d in own) / len(own),
                bespoke_share=min(1.0, custom / total) if total > 0 else 0.0,
                typical_arr=float(median(arr)) if arr else 0.0,
                custom_hours=custom,
            )
        )
    return result


def starts_per_period(ages: Sequence[float], span: float) -> tuple[FloatArray, FloatArray]:
    """Deployment starts per period, oldest first, and each period's exposure.

    Periods are counted back from the latest evidence; the oldest one is partial when the
    history is not a whole number of periods, and its exposure is the part covered.

    Args:
        ages: Age of each start, in periods before the latest evidence.
        span: Periods of history (at least 1).
    """
    n = max(2, math.ceil(span - _TOLERANCE))
    counts = np.zeros(n)
    for age in ages:
        counts[n - 1 - min(n - 1, int(age))] += 1.0
    exposure = np.ones(n)
    exposure[0] = min(1.0, max(span - (n - 1), _TOLERANCE))
    return counts, exposure


def fit_growth(counts: FloatArray, exposure: FloatArray) -> tuple[float, float, float]:
    """Poisson log-linear fit (by Newton's method) of deployment starts per period.

    Half a start is added to every period so that a period without starts does not drive
    the fit to an infinite decline.

    Args:
        counts: Starts per period, oldest first.
        exposure: Share of each period the history covers.

    Returns:
        Starts in the latest period (fitted), log of 1 + growth per period, and its
        standard error.
    """
    n = len(counts)
    y = counts + _PSEUDO_COUNT
    x = np.arange(n, dtype=np.float64) - (n - 1)
    beta = np.array([math.log(y.sum() / exposure.sum()), 0.0])
    info = np.eye(2)
    for _ in range(_FIT_ITERATIONS):
        mu = exposure * np.exp(beta[0] + beta[1] * x)
        info = np.array([[mu.sum(), (mu * x).sum()], [(mu * x).sum(), (mu * x * x).sum()]])
        step = np.linalg.solve(info, np.array([(y - mu).sum(), (x * (y - mu)).sum()]))
        beta = beta + step
        if float(np.max(np.abs(step))) < _TOLERANCE:
            break
    mu = exposure * np.exp(beta[0] + beta[1] * x)
    info = np.array([[mu.sum(), (mu * x).sum()], [(mu * x).sum(), (mu * x * x).sum()]])
    se = math.sqrt(float(np.linalg.inv(info)[1, 1]))
    return math.exp(beta[0]), float(beta[1]), se


def estimate_growth(starts: Sequence[date], as_of: date, settings: Settings) -> tuple[Growth, str]:
    """New deployments per period today and their growth, with the reason in words.

    ``economics.growth_source`` 'history' fits the starts (:func:`fit_growth`); 'settings'
    takes today's rate as the mean starts per period of the history and the growth from
    ``economics.account_growth_per_period``; 'auto' fits the history when it covers at
    least ``min_history_periods`` periods (to the nearest) and ``min_history_deployments``
    starts.
    """
    economics, per_year = settings.economics, settings.planning.periods_per_year
    period_days = 365.25 / per_year
    span = observed_periods(min(starts), as_of, per_year) if starts else 1.0
    enough = (
        round(span) >= economics.min_history_periods
        and len(starts) >= economics.min_history_deployments
    )
    source = economics.growth_source
    if len(starts) >= 2 and (source == "history" or (source == "auto" and enough)):
        counts, exposure = starts_per_period([(as_of - s).days / period_days for s in starts], span)
        rate, slope, se = fit_growth(counts, exposure)
        growth = math.expm1(slope)
        return Growth("history", rate, growth, se), (
            f"New deployments: {rate:,.2f} per period now, growth {growth:+.1%} a period "
            f"(standard error {se:.2f} on its log), from a Poisson log-linear fit of the "
            f"{len(starts)} deployment starts over {span:.1f} periods, "
            f"{', '.join(f'{c:g}' for c in counts)} per period oldest first (deployments.csv "
            f"started; economics.growth_source {source!r})"
        )
    rate = len(starts) / span
    why = {
        "settings": "economics.growth_source 'settings'",
        "history": "too few starts to fit (economics.growth_source 'history')",
        "auto": f"history shorter than economics.min_history_periods "
        f"{economics.min_history_periods} periods or fewer than "
        f"economics.min_history_deployments {economics.min_history_deployments} starts",
    }[source]
    growth = economics.account_growth_per_period
    return Growth("settings", rate, growth, 0.0), (
        f"New deployments: {rate:,.2f} per period now ({len(starts)} starts over {span:.1f} "
        f"periods, deployments.csv), growth {growth:+.1%} a period from "
        f"economics.account_growth_per_period ({why}); range {SHARE_RANGE[0]:g} to "
        f"{SHARE_RANGE[2]:g} times it"
    )


def work_groups(
    work: Sequence[CustomWork], accounts: Sequence[Account], coverage: Sequence[CapabilityCoverage]
) -> list[WorkGroup]:
    """Custom-work hours grouped by segment and the set of capabilities covering them."""
    segment_of = {a.account_id: a.segment for a in accounts}
    covering: dict[str, set[str]] = {}
    for cov in coverage:
        for work_id in cov.work_ids:
            covering.setdefault(work_id, set()).add(cov.capability_id)
    hours: dict[tuple[str, tuple[str, ...]], float] = {}
    for item in work:
        segment = segment_of.get(item.account_id)
        if segment is None or item.work_id not in covering:
            continue
        key = (segment, tuple(sorted(covering[item.work_id])))
        hours[key] = hours.get(key, 0.0) + item.fde_hours
    return [WorkGroup(s, h, caps) for (s, caps), h in sorted(hours.items())]


def _segment_assumption(seg: SegmentInputs, starts: int) -> str:
    mean = float(seg.hours.mean()) if len(seg.hours) else 0.0
    return (
        f"FDE hours per new {seg.segment} deployment: mean {mean:,.0f} h over "
        f"{len(seg.hours)} deployments (deployments.csv fde_hours, taken to include the "
        f"custom work logged on them; custom_work.csv where larger); {seg.start_share:.0%} "
        f"of new deployments ({starts} past starts), {seg.first_share:.0%} of them an "
        f"account's first, each new account bringing the segment's median ARR "
        f"{seg.typical_arr:,.0f} (accounts.csv); bespoke work {seg.bespoke_share:.0%} of "
        f"the hours ({seg.custom_hours:,.0f} h in custom_work.csv)"
    )


def _deployment_state(
    deployments: Sequence[Deployment], as_of: date, period_days: float
) -> tuple[int, float, str]:
    """Deployments running today, the share completing per period, and the reason."""
    running = [
        d
        for d in deployments
        if (d.ended is None or d.ended > as_of)
        and (d.status or "").strip().lower() not in _TERMINAL_STATUSES
    ]
    durations = [
        (d.ended - d.started).days / period_days
        for d in deployments
        if d.ended is not None and d.ended <= as_of
    ]
    if not durations:
        return (
            len(running),
            0.0,
            (
                f"Active deployments: {len(running)} running today (no ended date, not "
                "completed); no deployment has ended, so none is assumed to complete"
            ),
        )
    mean = sum(durations) / len(durations)
    rate = 1.0 / max(1.0, mean)
    return (
        len(running),
        rate,
        (
            f"Active deployments: {len(running)} running today (no ended date, not completed); "
            f"the {len(durations)} ended deployments ran {mean:.1f} periods on average, so "
            f"{rate:.0%} of running deployments complete per period (deployments.csv)"
        ),
    )


def build_economics_inputs(
    rows: EconomicsRows, coverage: Sequence[CapabilityCoverage], settings: Settings
) -> EconomicsInputs:
    """Derive the simulation's inputs from the rows and the candidates' coverage.

    Raises:
        InputError: There are no planning periods.
    """
    planning = settings.planning
    period_days = 365.25 / planning.periods_per_year
    periods = horizon_labels(rows.periods, max(planning.horizon_periods, len(rows.periods)))
    if not periods:
        raise InputError("no planning periods: import teams.csv or set planning.periods")
    first_start = period_start(periods[0]) or rows.as_of + timedelta(days=1)
    gap = max(0, math.floor((first_start - rows.as_of).days / period_days))
    segment_of = {a.account_id: a.segment for a in rows.accounts}
    known = [d for d in rows.deployments if d.account_id in segment_of]
    hours = deployment_hours(known, rows.work)
    segments = segment_inputs(rows.accounts, known, rows.work, hours)
    growth, growth_reason = estimate_growth([d.started for d in known], rows.as_of, settings)
    running, completion, state_reason = _deployment_state(known, rows.as_of, period_days)
    arr = sum(a.arr for a in rows.accounts)
    assumptions = [
        f"Horizon: {len(periods)} periods {periods[0]} … {periods[-1]} of {period_days:.1f} "
        f"days (the planning periods, continued to planning.horizon_periods "
        f"{planning.horizon_periods})",
        f"History: {len(known)} deployments started "
        + (
            f"{min(d.started for d in known)} … {max(d.started for d in known)}"
            if known
            else "(none)"
        )
        + f", evidence up to {rows.as_of} (deployments.csv)",
        growth_reason,
        *(
            _segment_assumption(s, sum(segment_of[d.account_id] == s.segment for d in known))
            for s in segments
        ),
        f"Revenue: ARR {arr:,.0f} of the {len(rows.accounts)} accounts in accounts.csv, "
        f"recognised per period, plus new accounts' ARR from the period they start; no churn "
        f"modelled",
        state_reason,
    ]
    if gap:
        assumptions.append(
            f"{gap} period(s) between the latest evidence ({rows.as_of}) and {periods[0]}: "
            "growth compounds over them"
        )
    if not known:
        assumptions.append(
            "No deployments in deployments.csv (at accounts of accounts.csv): FDE hours per "
            "deployment are unknown, so FDE hours and cost are zero and only revenue is shown"
        )
    dropped = len(rows.deployments) - len(known)
    if dropped:
        assumptions.append(f"{dropped} deployment(s) at accounts not in accounts.csv left out")
    return EconomicsInputs(
        periods=periods,
        first_start=first_start,
        period_days=period_days,
        gap_periods=gap,
        segments=segments,
        growth=growth,
        arr=arr,
        active_deployments=float(running),
        completion_rate=completion,
        groups=work_groups(rows.work, rows.accounts, coverage),
        capabilities={c.capability_id: c for c in coverage},
        assumptions=assumptions,
        evidence=[d.deployment_id for d in known],
    )
