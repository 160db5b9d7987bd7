"""Account-bundle value mode: the Next Release Problem (NRP), solved exactly with HiGHS.

An account (customer) pays its profit only when every requirement it needs, and every
prerequisite of those, is delivered; delivered requirements cost their effort and the
total must stay within a budget. The 0/1 model (Bagnall et al. 2001; Veerapen et al.
2015)::

    maximise  sum_i w_i y_i
    s.t.      sum_j c_j x_j <= B
              y_i <= x_j     for every requirement j customer i requests
              x_b <= x_a     for every dependency pair (a is a prerequisite of b)
              x, y binary

Requirements that no customer needs (directly or as a prerequisite) are left out, and a
customer whose requirements with their prerequisites cost more than the budget is fixed
at 0: both only shrink the model, the optimum is unchanged.

The planner's bundle mode (``planning.value_mode = "bundles"``) is the same idea on the
roadmap model: :func:`account_bundles` reads each account's ``requires`` attribute and
:func:`apply_bundles` puts the bundles into a :class:`RoadmapProblem`, whose solver
counts a bundle's value from the period its last required candidate finishes.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np

from controltower.domain import LIST_SEPARATOR, Account
from controltower.optimize._highs import Milp, solve
from controltower.optimize.model import Bundle, RoadmapProblem
from controltower.settings import Settings
from controltower.value.model import (
    SHARE_RANGE,
    discount_per_period,
    growth_factor,
    triangular,
)

REQUIRES = "requires"
"""The accounts.csv attribute column naming the capability ids an account's deal needs."""


@dataclass(frozen=True)
class BundleProblem:
    """A Next Release Problem instance (0-based ids).

    Attributes:
        costs: Cost of each requirement.
        profits: Profit of each customer (account).
        requests: For each customer, the requirements it needs.
        dependencies: Pairs ``(a, b)``: requirement a is a prerequisite of b.
        budget: Largest total cost allowed.
    """

    costs: Sequence[float]
    profits: Sequence[float]
    requests: Sequence[Sequence[int]]
    dependencies: Sequence[tuple[int, int]]
    budget: float


@dataclass(frozen=True)
class BundleSolution:
    """The best release found.

    Attributes:
        requirements: Requirements delivered (sorted).
        customers: Customers satisfied (sorted).
        profit: Sum of the satisfied customers' profits.
        cost: Sum of the delivered requirements' costs.
        optimal: Whether the solver proved optimality.
        gap: Relative optimality gap at the end.
        status: Solver status in words.
        seconds: Solve time.
    """

    requirements: list[int]
    customers: list[int]
    profit: float
    cost: float
    optimal: bool
    gap: float
    status: str
    seconds: float


def closure(problem: BundleProblem, roots: Sequence[int]) -> set[int]:
    """The requirements ``roots`` need, with every transitive prerequisite."""
    prerequisites: dict[int, list[int]] = {}
    for a, b in problem.dependencies:
        prerequisites.setdefault(b, []).append(a)
    seen: set[int] = set()
    stack = list(roots)
    while stack:
        j = stack.pop()
        if j in seen:
            continue
        seen.add(j)
        stack.extend(prerequisites.get(j, []))
    return seen


def satisfied(problem: BundleProblem, delivered: set[int]) -> list[int]:
    """Customers all of whose requests are in ``delivered``."""
    return [i for i, req in enumerate(problem.requests) if set(req) <= delivered]


def solve_bundle(
    problem: BundleProblem, *, time_limit: float = 60.0, mip_rel_gap: float = 0.0
) -> BundleSolution:
    """Solve an NRP instance exactly (to ``mip_rel_gap``) with HiGHS."""
    needed_by = [closure(problem, req) for req in problem.requests]
    useful = sorted(set().union(*needed_by)) if needed_by else []
    milp = Milp()
    column = {j: milp.add_column(0.0) for j in useful}
    customers: dict[int, int] = {}
    for i, need in enumerate(needed_by):
        if problem.profits[i] > 0 and sum(problem.costs[j] for j in need) <= problem.budget:
            customers[i] = milp.add_column(float(problem.profits[i]))
    milp.add_row(
        [column[j] for j in useful],
        [float(problem.costs[j]) for j in useful],
        -1e30,
        problem.budget,
    )
    for i, y in customers.items():
        for j in set(problem.requests[i]):
            milp.add_row([y, column[j]], [1.0, -1.0], -1e30, 0.0)
    for a, b in set(problem.dependencies):
        if b in column:
            milp.add_row([column[b], column[a]], [1.0, -1.0], -1e30, 0.0)
    result = solve(milp, time_limit=time_limit, mip_rel_gap=mip_rel_gap)
    delivered = (
        {j for j, c in column.items() if result.values[c] > 0.5} if result.feasible else set()
    )
    chosen = satisfied(problem, delivered)
    return BundleSolution(
        requirements=sorted(delivered),
        customers=chosen,
        profit=float(sum(problem.profits[i] for i in chosen)),
        cost=float(sum(problem.costs[j] for j in delivered)),
        optimal=result.optimal,
        gap=result.gap,
        status=result.status,
        seconds=result.seconds,
    )


def greedy_bundle(problem: BundleProblem) -> BundleSolution:
    """Baseline for comparison only: add customers by profit / added cost while they fit."""
    delivered: set[int] = set()
    chosen: set[int] = set()
    spent = 0.0
    needs = [closure(problem, req) for req in problem.requests]
    while True:
        best, best_ratio, best_added = -1, -1.0, 0.0
        for i, need in enumerate(needs):
            if i in chosen:
                continue
            added = sum(problem.costs[j] for j in need - delivered)
            if spent + added > problem.budget:
                continue
            ratio = problem.profits[i] / added if added > 0 else float("inf")
            if ratio > best_ratio:
                best, best_ratio, best_added = i, ratio, added
        if best < 0:
            break
        chosen.add(best)
        delivered |= needs[best]
        spent += best_added
    final = satisfied(problem, delivered)
    return BundleSolution(
        requirements=sorted(delivered),
        customers=final,
        profit=float(sum(problem.profits[i] for i in final)),
        cost=spent,
        optimal=False,
        gap=float("nan"),
        status="greedy",
        seconds=0.0,
    )


def bundle_value(account: Account, settings: Settings) -> float:
    """What an account's deal is worth to the optimizer once every candidate it needs ships.

    Its ARR x ``value.revenue_share`` per year over the planning horizon, discounted (the
    revenue value of the value model at full weight), then weighted by the fires-vs-leverage
    balance b as revenue at risk is: x 2(1 - b), and x (1 + reach_uplift)^(2b - 1) for a
    mid-market, smb or tier 2-3 account (1 at b = 0.5).
    """
    planning = settings.planning
    years = growth_factor(planning.horizon_periods, 0.0, discount_per_period(settings))
    revenue = account.arr * settings.value.revenue_share * years / planning.periods_per_year
    wide = account.segment in ("mid-market", "smb") or account.tier >= 2
    reach = 1.0 + (settings.value.reach_uplift if wide else 0.0)
    b = planning.balance
    return float(revenue * 2.0 * (1.0 - b) * reach ** (2.0 * b - 1.0))


def downside_bundles(bundles: Sequence[Bundle], delivery: Mapping[str, float]) -> list[Bundle]:
    """The deals at their P10, for the risk-averse plan.

    A deal closes only if every candidate it needs is delivered: when the chance of that
    (the product of their delivery probabilities) is below 90%, its downside case is a
    deal that never closes, worth 0; otherwise its revenue share is taken at the 10th
    percentile of the value model's range (``SHARE_RANGE``), as a candidate's P10 is.
    """
    low, mode, high = (np.full(1, f, dtype=np.float64) for f in SHARE_RANGE)
    share = float(triangular(np.full(1, 0.1, dtype=np.float64), low, mode, high)[0])
    kept = []
    for bundle in bundles:
        closes = float(np.prod([delivery.get(r, 1.0) for r in bundle.requires]))
        kept.append(replace(bundle, value=bundle.value * share if closes >= 0.9 else 0.0))
    return kept


def account_bundles(accounts: Sequence[Account], settings: Settings) -> list[Bundle]:
    """The bundles of the accounts whose row names required capabilities (``requires``)."""
    bundles = []
    for account in accounts:
        raw = account.attributes.get(REQUIRES, "")
        requires = tuple(dict.fromkeys(r.strip() for r in raw.split(LIST_SEPARATOR) if r.strip()))
        if requires:
            bundles.append(Bundle(account.account_id, bundle_value(account, settings), requires))
    return bundles


def apply_bundles(
    problem: RoadmapProblem,
    bundles: Sequence[Bundle],
    shipped: Collection[str],
    left_out: Mapping[str, str] | None = None,
) -> RoadmapProblem:
    """Put bundles into a problem: the bundle value mode.

    A required id that has shipped is satisfied and dropped. A bundle that can never
    complete is marked ``blocked`` with the reason: it requires an id that is not in the
    problem (not a capability of capabilities.csv, or a candidate left out, with
    ``left_out``'s reason), an item that can never be planned (forbidden, fitting no
    capacity, or needing such an item; :func:`never_plannable`), or two items that exclude
    each other; it keeps every unshipped id it requires. Candidates an unblocked bundle
    requires count only through their bundles (own value 0); the others keep their own
    value. A bundle all of whose candidates have shipped is complete already: it stays
    listed with nothing to require, and changes no decision.
    """
    by_id = {item.id: item for item in problem.items}
    never = never_plannable(problem)
    kept: list[Bundle] = []
    for bundle in bundles:
        needed = tuple(r for r in bundle.requires if r in by_id)
        reasons = [
            f"requires {r}, "
            + (
                f"left out: {left_out[r]}"
                if left_out and r in left_out
                else "which is no capability of capabilities.csv"
            )
            for r in bundle.requires
            if r not in by_id and r not in shipped
        ]
        reasons += [
            f"requires {r}, which cannot be planned: {never[r]}" for r in needed if r in never
        ]
        reasons += [
            f"requires {a} and {b}, which exclude each other"
            for k, a in enumerate(needed)
            for b in needed[k + 1 :]
            if b in by_id[a].excludes or a in by_id[b].excludes
        ]
        if reasons:  # the ids it cannot have stay listed: they are why it is blocked
            unmet = tuple(r for r in bundle.requires if r not in shipped)
            kept.append(replace(bundle, requires=unmet, blocked="; ".join(reasons)))
        else:  # all shipped: complete already, listed but binding nothing
            kept.append(replace(bundle, requires=needed))
    in_bundle = {
        r for bundle in kept if bundle.blocked is None and bundle.value > 0 for r in bundle.requires
    }
    items = [replace(i, value=0.0) if i.id in in_bundle else i for i in problem.items]
    return replace(problem, items=items, bundles=kept)


def never_plannable(problem: RoadmapProblem) -> dict[str, str]:
    """Items no plan can hold, with why: forbidden, fitting no capacity, or needing such."""
    reasons: dict[str, str] = {}
    for item in problem.items:
        if item.forbidden is not None:
            reasons[item.id] = item.forbidden
        elif not problem.starts(item):
            reasons[item.id] = f"it fits no capacity of team {item.team}"
    grown = True
    while grown:
        grown = False
        for item in problem.items:
            missing = next((d for d in item.depends_on if d in reasons), None)
            if item.id not in reasons and missing is not None:
                reasons[item.id] = f"it needs {missing}, which cannot be planned"
                grown = True
    return reasons
