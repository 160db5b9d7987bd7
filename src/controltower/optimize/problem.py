"""From a workspace and its evaluation to a :class:`RoadmapProblem` (pure data in, data out)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import Connection

from controltower.decisions import Decision, decision_holds, standing_decisions
from controltower.decisions import store as decision_store
from controltower.domain import Account, Capability, ModelConstraint, TeamCapacity
from controltower.errors import InputError
from controltower.ingest.contract import SPECS
from controltower.optimize.bundle import account_bundles, apply_bundles, downside_bundles
from controltower.optimize.model import Item, RoadmapProblem
from controltower.periods import periods_per_year_of
from controltower.settings import Settings
from controltower.store.rows import R, read_rows
from controltower.value import CandidateResult, Evaluation
from controltower.value.model import discount_per_period
from controltower.workspace import Workspace

_SPEC_BY_ENTITY = {spec.entity: spec for spec in SPECS}
_PROPOSED = "proposed by the engine: no team or effort yet; add it to capabilities.csv to plan it"


@dataclass(frozen=True)
class PlanningRows:
    """The rows the optimizer reads besides the evaluation."""

    capabilities: dict[str, Capability]
    constraints: list[ModelConstraint]
    teams: list[TeamCapacity]
    decisions: tuple[Decision, ...] = ()
    """Standing decisions (a refuse or defer on a candidate holds it out)."""
    today: date = field(default_factory=date.today)
    """The date ``today`` means in the decisions' triggers."""
    accounts: tuple[Account, ...] = ()
    """The accounts (their ``requires`` attribute makes the bundles of the bundle mode)."""


def _read(connection: Connection, entity: str, model: type[R]) -> list[R]:
    return read_rows(connection=connection, spec=_SPEC_BY_ENTITY[entity], model=model)


def load_rows(workspace: Workspace) -> PlanningRows:
    """Read capabilities, model constraints, team capacity and the standing decisions."""
    with workspace.engine.connect() as connection:
        capabilities = _read(connection, "capabilities", Capability)
        constraints = _read(connection, "model_constraints", ModelConstraint)
        teams = _read(connection, "teams", TeamCapacity)
        decisions = decision_store.load_decisions(connection=connection)
        accounts = _read(connection, "accounts", Account)
    return PlanningRows(
        capabilities={c.capability_id: c for c in capabilities},
        constraints=constraints,
        teams=teams,
        decisions=tuple(standing_decisions(decisions)),
        accounts=tuple(accounts),
    )


def planning_periods(settings: Settings, teams: list[TeamCapacity]) -> list[str]:
    """``planning.periods``, else the periods of teams.csv in sorted order."""
    return list(settings.planning.periods) or sorted({t.period for t in teams})


def item_of(
    candidate: CandidateResult,
    capability: Capability,
    settings: Settings,
    *,
    risk_averse: bool = False,
    live: set[str] | None = None,
    forbidden: str | None = None,
) -> Item:
    """The optimizer's item for a candidate with its capabilities.csv row.

    Args:
        candidate: The candidate's evaluation (its weighted value).
        capability: Its row (team, effort, dependencies, exclusions, must).
        settings: Settings for the value's weighting.
        risk_averse: Weigh P10 instead of P50.
        live: Ids still to build: dependencies and exclusions on anything else (shipped)
            are dropped; None keeps them all.
        forbidden: Why it may never be planned (None when it may).
    """

    def kept(ids: list[str]) -> tuple[str, ...]:
        return tuple(i for i in ids if live is None or i in live)

    return Item(
        id=candidate.id,
        team=capability.team,
        effort=capability.effort_weeks,
        value=weighted_value(candidate, settings, risk_averse=risk_averse),
        depends_on=kept(capability.depends_on),
        excludes=kept(capability.excludes),
        must=capability.must == "yes",
        forbidden=forbidden,
    )


def weighted_value(candidate: CandidateResult, settings: Settings, *, risk_averse: bool) -> float:
    """The value the optimizer maximises for one candidate.

    P50 (P10 when risk-averse) of the simulated value, re-weighted by the fires-vs-leverage
    balance b: the revenue-at-risk share f of the point value is weighted 2(1 - b), the
    FDE-savings share 2b, and the reach uplift is raised to the power 2b: at b = 0.5 the
    value is unchanged, at 0 only today's revenue at risk counts (no reach uplift), at 1
    only tomorrow's savings (reach counted twice).
    """
    dist = candidate.value
    if dist is None:
        return 0.0
    base = dist.p10 if risk_averse else dist.p50
    terms = {t.name: t.value for t in candidate.model.terms}
    revenue = max(0.0, terms.get("revenue value", 0.0))
    savings = max(0.0, terms.get("FDE savings", 0.0))
    fires = revenue / (revenue + savings) if revenue + savings > 0 else 0.5
    b = settings.planning.balance
    weight = 2.0 * (1.0 - b) * fires + 2.0 * b * (1.0 - fires)
    reach = 1.0 + settings.value.reach_uplift * candidate.model.reach
    return float(max(0.0, base * weight * reach ** (2.0 * b - 1.0)))


def forbidden_reason(
    candidate: CandidateResult,
    capability: Capability | None,
    constraints: list[ModelConstraint],
    *,
    decision: str | None = None,
) -> str | None:
    """Why a candidate may never be planned, or None (``decision``: a standing refuse)."""
    reasons = [decision] if decision else []
    if capability is not None and capability.must == "never":
        reasons.append("must=never in capabilities.csv")
    blocking = [
        s.reason
        for s in candidate.stances
        if s.role == "ai-architect" and s.source == "computed" and s.stance == -2
    ]
    reasons.extend(blocking)
    infeasible = [c.requirement for c in constraints if c.feasibility == "no"]
    if infeasible:
        reasons.append("model feasibility 'no': " + "; ".join(infeasible))
    return ", ".join(reasons) if reasons else None


def _check_period_length(periods: list[str], settings: Settings) -> None:
    """Refuse period labels whose length disagrees with ``planning.periods_per_year``.

    Months planned with the default 4 a year were discounted, grown and fitted as quarters
    (a 91-day "2027-01"), with no word. Labels of no known kind are not checked.
    """
    named = periods_per_year_of(periods)
    configured = settings.planning.periods_per_year
    if named is not None and named != configured:
        raise InputError(
            f"the planning periods ({periods[0]} …) are {named} a year, but "
            f"planning.periods_per_year is {configured}: set it to {named} (growth, "
            "discounting and history windows count in periods)"
        )


def _check_periods(periods: list[str], teams: list[TeamCapacity]) -> None:
    """Refuse planning periods that teams.csv has no row for at all (a settings mismatch).

    With no team capacity in any planning period every candidate would be deferred for
    want of capacity, which hides the real cause: ``planning.periods`` and teams.csv name
    different periods.
    """
    known = sorted({t.period for t in teams})
    planned = {p.strip().casefold(): p for p in periods}
    misspelt = sorted(
        {
            f"{t.team} {t.period!r} (planning period {planned[t.period.strip().casefold()]!r})"
            for t in teams
            if t.period not in periods and t.period.strip().casefold() in planned
        }
    )
    if misspelt:
        # A row for "2027-q1" beside planning period "2027-Q1" was dropped silently, and
        # the team planned as if it had no capacity then.
        raise InputError(
            "teams.csv names a planning period spelt otherwise: "
            + "; ".join(misspelt)
            + ": write it exactly as planning.periods does"
        )
    if known and not set(periods) & set(known):
        raise InputError(
            f"no team has capacity in the planning periods ({', '.join(periods)}): "
            f"teams.csv names {', '.join(known)}; set planning.periods to periods of "
            "teams.csv (or leave it empty to plan those) or add their capacity to teams.csv"
        )


def build_problem(
    evaluation: Evaluation, rows: PlanningRows, settings: Settings, *, risk_averse: bool = False
) -> tuple[RoadmapProblem, dict[str, str]]:
    """The roadmap problem of an evaluation, and the candidates left out of it, with why.

    Shipped candidates are left out (already built; a dependency on one is satisfied);
    engine proposals have no team or effort yet and are left out with that reason. A
    standing ``refuse`` decision forbids its candidate; a standing ``defer`` whose triggers
    have not fired leaves its candidate, and what depends on it, out (docs/decisions.md).
    With ``planning.value_mode = "bundles"`` the accounts' bundles enter the problem
    (:func:`controltower.optimize.bundle.apply_bundles`).
    """
    periods = planning_periods(settings, rows.teams)
    _check_periods(periods, rows.teams)
    _check_period_length(periods, settings)
    index = {p: k for k, p in enumerate(periods)}
    capacity: dict[str, list[float]] = {}
    for row in rows.teams:
        if row.period in index:
            capacity.setdefault(row.team, [0.0] * len(periods))[index[row.period]] += (
                row.capacity_weeks
            )
    by_capability: dict[str, list[ModelConstraint]] = {}
    for constraint in rows.constraints:
        by_capability.setdefault(constraint.capability_id, []).append(constraint)
    live = {c.id for c in evaluation.candidates if c.status != "shipped"}
    holds = decision_holds(
        evaluation, rows.decisions, capabilities=rows.capabilities, today=rows.today
    )
    items: list[Item] = []
    left_out: dict[str, str] = {}
    for candidate in evaluation.candidates:
        capability = rows.capabilities.get(candidate.id)
        if candidate.status == "shipped":
            continue
        hold = holds.get(candidate.id)
        if capability is None:
            left_out[candidate.id] = hold.reason if hold else _PROPOSED
            continue
        deferred = hold is not None and hold.status == "deferred"
        forbidden = forbidden_reason(
            candidate,
            capability,
            by_capability.get(candidate.id, []),
            decision=hold.reason if hold is not None and not deferred else None,
        )
        if hold is not None and deferred and forbidden is None:
            # A "not yet" decision defers what could be planned; what may never be planned
            # stays refused, for its own reason, whatever the decision says.
            left_out[candidate.id] = hold.reason
            continue
        items.append(
            item_of(
                candidate,
                capability,
                settings,
                risk_averse=risk_averse,
                live=live,
                forbidden=forbidden,
            )
        )
    problem = RoadmapProblem(
        periods=periods,
        capacity=capacity,
        items=items,
        reserve=settings.planning.capacity_reserve,
        discount=discount_per_period(settings),
        max_period_share=settings.optimize.max_period_share,
    )
    if settings.planning.value_mode == "bundles":
        shipped = {c.id for c in evaluation.candidates if c.status == "shipped"}
        bundles = account_bundles(rows.accounts, settings)
        if risk_averse:
            bundles = downside_bundles(
                bundles, {c.id: c.model.success_probability for c in evaluation.candidates}
            )
        problem = apply_bundles(problem, bundles, shipped, left_out)
    return problem, left_out
