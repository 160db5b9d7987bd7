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
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from controltower.optimize._highs import Milp, solve


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
