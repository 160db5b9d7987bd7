"""Roadmap optimizer: each rule on cases solved by hand, NRP against brute force, CLI."""

from __future__ import annotations

import itertools
import json
import random
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from conftest import synthesized_workspace, write_bundle, write_csv
from controltower.cli import app
from controltower.diagnose.roadmap_file import load_roadmap_file
from controltower.errors import InputError
from controltower.ingest.bundle import import_bundle
from controltower.optimize import WhyNot, plan_roadmap, why_not
from controltower.optimize import explain as explain_module
from controltower.optimize import model as optimize_model
from controltower.optimize.bundle import (
    BundleProblem,
    apply_bundles,
    closure,
    greedy_bundle,
    solve_bundle,
)
from controltower.optimize.explain import WhyNotResult, deferred_reason, planned_reason
from controltower.optimize.explain import why_not as why_not_problem
from controltower.optimize.model import (
    Bundle,
    Item,
    PlanConflictError,
    RoadmapProblem,
    greedy_roadmap,
    plan_value,
    solve_roadmap,
)
from controltower.optimize.problem import build_problem, load_rows
from controltower.plan import Plan
from controltower.synthesize.embed import HashingEmbedder
from controltower.value import evaluate
from controltower.workspace import Workspace, init_workspace
from test_value import planted_bundle


def problem(
    items: list[Item], capacity: list[float], *, reserve: float = 0.0, team: str = "core"
) -> RoadmapProblem:
    periods = [f"P{k}" for k in range(len(capacity))]
    return RoadmapProblem(periods=periods, capacity={team: capacity}, items=items, reserve=reserve)


def planned(p: RoadmapProblem) -> dict[str, int]:
    return {i: placed.start for i, placed in solve_roadmap(p).placements.items()}


KNAPSACK = [
    Item("a", "core", 6, 7.0),
    Item("b", "core", 5, 5.0),
    Item("c", "core", 5, 5.0),
]


def test_capacity_and_greedy_strictly_worse() -> None:
    p = problem(KNAPSACK, [10])
    solution = solve_roadmap(p)
    assert set(solution.placements) == {"b", "c"}
    assert solution.objective == pytest.approx(10.0)
    assert solution.optimal
    greedy = greedy_roadmap(p)
    assert set(greedy) == {"a"}
    assert plan_value(p, greedy) == pytest.approx(7.0)
    assert plan_value(p, greedy) < solution.objective


def test_reserve_keeps_capacity_free() -> None:
    assert planned(problem([Item("a", "core", 6, 1.0)], [10], reserve=0.5)) == {}
    assert planned(problem([Item("a", "core", 5, 1.0)], [10], reserve=0.5)) == {"a": 0}


def test_large_effort_spans_consecutive_periods() -> None:
    p = problem([Item("big", "core", 15, 9.0)], [10, 10, 10])
    placed = solve_roadmap(p).placements["big"]
    assert placed.end - placed.start == 1
    assert placed.load == {placed.start: 7.5, placed.end: 7.5}
    uneven = problem([Item("big", "core", 30, 9.0)], [15, 14, 16, 14])
    assert uneven.duration(uneven.items[0]) == 3


def test_an_effort_spans_as_many_periods_as_it_needs_from_its_start() -> None:
    # 8 weeks on a team of 5 a period span two periods; raising one period to 8 lets an
    # item fit there alone, and the other still spans two (before, the span was fixed by
    # the team's best period: 1, so the second item fitted nowhere and more capacity
    # lowered the plan's value).
    items = [Item("c1", "core", 8, 10.0), Item("c2", "core", 8, 10.0)]
    even = RoadmapProblem([f"P{k}" for k in range(4)], {"core": [5] * 4}, items, discount=0.9)
    before = solve_roadmap(even)
    assert {i: (x.start, x.end) for i, x in before.placements.items()} in (
        {"c1": (0, 1), "c2": (2, 3)},
        {"c1": (2, 3), "c2": (0, 1)},
    )
    raised = replace(even, capacity={"core": [8, 5, 5, 5]})
    # Spans are worked out once per problem: the new problem's are its own.
    assert raised.spans(items[0]) == {0: 1, 1: 2, 2: 2}
    assert even.spans(items[0]) == {0: 2, 1: 2, 2: 2}
    after = solve_roadmap(raised)
    assert sorted((x.start, x.end) for x in after.placements.values()) == [(0, 0), (1, 2)]
    assert after.objective > before.objective
    assert after.objective == pytest.approx(10.0 + 10.0 * 0.9**2)


def test_dependency_starts_after_prerequisite_finishes() -> None:
    items = [Item("base", "core", 10, 1.0), Item("top", "core", 10, 100.0, depends_on=("base",))]
    assert planned(problem(items, [10, 10])) == {"base": 0, "top": 1}
    assert planned(problem(items, [10])) == {"base": 0}
    blocked = [Item("base", "core", 1, 1.0, forbidden="guardrail g1"), items[1]]
    assert planned(problem(blocked, [20, 20])) == {}


def test_a_prerequisite_worth_nothing_says_what_needs_it() -> None:
    items = [Item("base", "core", 5, 0.0), Item("top", "core", 5, 100.0, depends_on=("base",))]
    p = problem(items, [10, 10])
    solution = solve_roadmap(p)
    assert set(solution.placements) == {"base", "top"}
    reason = planned_reason(p, p.items[0], solution)
    assert reason.endswith("needed by top")
    assert "needed by" not in planned_reason(p, p.items[1], solution)


def test_a_deferred_reason_never_says_an_as_dense_or_denser_item_loses_on_value_per_week() -> None:
    x, y = Item("x", "core", 6, 6.0), Item("y", "core", 4, 40.0)
    denser = Item("z", "core", 5, 5.5)  # 1.1/week, more than x's 1.0, but x + y is worth more
    p = problem([x, y, denser], [10])
    solution = solve_roadmap(p)
    assert set(solution.placements) == {"x", "y"}
    reason = deferred_reason(p, denser, solution)
    assert reason.startswith("does not fit the room left: needs 5 weeks/period")
    assert "more than the team's weakest planned item (x)" in reason and "whynot z" in reason
    weaker = Item("z", "core", 5, 4.0)  # 0.8/week
    p = problem([x, y, weaker], [10])
    reason = deferred_reason(p, weaker, solve_roadmap(p))
    assert reason.startswith("loses to better uses: needs 5 weeks/period")
    assert reason.endswith("the weakest planned item of the team, x, brings 1/week")
    tie = Item("z", "core", 5, 5.0)  # 1/week, as much as x; x + y (46) beats z + y (45)
    p = problem([x, y, tie], [10])
    reason = deferred_reason(p, tie, solve_roadmap(p))
    assert reason.startswith("does not fit the room left: needs 5 weeks/period")
    assert "1/week, as much as the team's weakest planned item (x)" in reason
    assert "worth at least as much" in reason and "loses to" not in reason


def test_a_prerequisite_finishing_last_is_the_reason_and_whynot_names_it() -> None:
    items = [Item("base", "a", 10, 100.0), Item("top", "b", 5, 50.0, depends_on=("base",))]
    p = RoadmapProblem(
        periods=["P0", "P1", "P2"], capacity={"a": [0, 0, 10], "b": [10, 10, 10]}, items=items
    )
    solution = solve_roadmap(p)
    assert set(solution.placements) == {"base"}
    reason = deferred_reason(p, items[1], solution)
    assert reason.startswith("needs base first, planned to finish in P2: no period is left")
    answer = why_not_problem(p, solution, "top", time_limit=5)
    assert not answer.forced_feasible
    assert "base" in answer.forced_reason and "team a" in answer.forced_reason
    # The change that brings it in is on the prerequisite's team, not its own.
    capacity = [c for c in answer.changes if c.kind == "capacity"]
    assert {(c.team, c.period) for c in capacity} == {("a", "P0"), ("a", "P1")}
    for change in capacity:
        assert change.description.endswith("so its prerequisite base can finish earlier")
        assert change.amount == pytest.approx(10.0, abs=0.5)


def test_a_team_full_of_must_items_is_the_reason() -> None:
    items = [Item("m", "core", 10, 1.0, must=True), Item("x", "core", 5, 100.0)]
    p = problem(items, [10])
    reason = deferred_reason(p, items[1], solve_roadmap(p))
    assert reason.startswith("no room beside must=yes work") and reason.endswith("must=yes (m)")


def test_why_not_names_what_the_forced_plan_also_brings_in() -> None:
    items = [Item("big", "core", 10, 100.0), Item("x", "core", 6, 10.0), Item("f", "core", 4, 5.0)]
    p = problem(items, [10])
    answer = why_not_problem(p, solve_roadmap(p), "x", time_limit=5)
    assert answer.displaced == ["big"] and answer.added == ["f"]
    assert answer.value_lost == pytest.approx(85.0)


def test_exclusion_keeps_the_better_one() -> None:
    items = [
        Item("a", "core", 2, 5.0, excludes=("b",)),
        Item("b", "core", 2, 4.0),
        Item("c", "core", 2, 1.0),
    ]
    assert set(planned(problem(items, [10]))) == {"a", "c"}


def test_must_yes_and_never() -> None:
    items = [Item("a", "core", 6, 1.0, must=True), Item("b", "core", 6, 10.0)]
    assert planned(problem(items, [10])) == {"a": 0}
    never = [Item("a", "core", 1, 99.0, forbidden="must=never"), Item("b", "core", 1, 1.0)]
    assert planned(problem(never, [10])) == {"b": 0}


def test_must_conflicts_are_named() -> None:
    both = [Item("a", "core", 6, 1.0, must=True), Item("b", "core", 6, 1.0, must=True)]
    with pytest.raises(PlanConflictError, match="must=yes items cannot all be planned"):
        solve_roadmap(problem(both, [10]))
    exclusive = [
        Item("a", "core", 1, 1.0, must=True, excludes=("b",)),
        Item("b", "core", 1, 1.0, must=True),
    ]
    with pytest.raises(PlanConflictError, match="a and b are both must=yes"):
        solve_roadmap(problem(exclusive, [10]))
    forbidden = [Item("a", "core", 1, 1.0, must=True, forbidden="model feasibility 'no'")]
    with pytest.raises(PlanConflictError, match="feasibility"):
        solve_roadmap(problem(forbidden, [10]))


def test_forbidden_item_never_planned_whatever_its_value() -> None:
    items = [Item("x", "core", 1, 1e9, forbidden="blocking guardrail(s) g1")]
    assert planned(problem(items, [10])) == {}


def test_discount_prefers_earlier_delivery() -> None:
    items = [Item("a", "core", 5, 10.0), Item("b", "core", 5, 1.0)]
    p = RoadmapProblem(["P0", "P1"], {"core": [5, 5]}, items, discount=0.9)
    assert planned(p) == {"a": 0, "b": 1}


def test_why_not_finds_displacement_and_smallest_changes() -> None:
    p = problem(KNAPSACK, [10])
    result = why_not_problem(p, solve_roadmap(p), "a", tolerance=0.25)
    assert result.forced_feasible
    assert sorted(result.displaced) == ["b", "c"]
    assert result.value_lost == pytest.approx(3.0)
    changes = {c.kind: c for c in result.changes}
    assert 4.75 <= changes["effort"].amount <= 5.0
    assert 10.0 <= changes["value"].amount <= 10.3
    assert 1.0 <= changes["capacity"].amount <= 1.25
    assert changes["capacity"].period == "P0"


@pytest.mark.parametrize(
    ("items", "expected"),
    [
        (  # needs an item that can never be planned
            [
                Item("x", "core", 1, 1.0, depends_on=("y",)),
                Item("y", "core", 1, 1.0, forbidden="g1"),
            ],
            "x needs y, which cannot be planned: g1",
        ),
        (  # excludes a must=yes item
            [Item("x", "core", 1, 1.0, excludes=("m",)), Item("m", "core", 1, 1.0, must=True)],
            "x excludes m, which is must=yes",
        ),
        (  # excluded by a must=yes item listed first
            [Item("m", "core", 1, 1.0, must=True, excludes=("x",)), Item("x", "core", 1, 1.0)],
            "x excludes m, which is must=yes",
        ),
        (  # does not fit beside the must=yes items
            [Item("x", "core", 6, 1.0), Item("m", "core", 6, 1.0, must=True)],
            "with x forced in, the must=yes items cannot all be planned",
        ),
    ],
)
def test_why_not_says_what_stops_an_item_not_that_it_is_must(
    items: list[Item], expected: str
) -> None:
    p = problem(items, [10])
    result = why_not_problem(p, solve_roadmap(p), "x")
    assert not result.forced_feasible
    assert result.forced_reason.startswith(expected)
    assert "x is must=yes" not in result.forced_reason


def forced_a_answer(**counts: Any) -> WhyNot:
    """KNAPSACK's why-not answer for "a" (forced in, it displaces b and c), with ``counts``."""
    return WhyNot(
        capability_id="a",
        status="deferred",
        reason="",
        forced_feasible=True,
        forced_reason="forced in",
        value_lost=3.0,
        displaced=["b", "c"],
        moved=[],
        changes=[],
        **counts,
    )


def test_why_not_counts_its_re_solves_and_says_when_one_stopped_short(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    p = problem(KNAPSACK, [10])
    solution = solve_roadmap(p)
    exact = why_not_problem(p, solution, "a")
    assert exact.resolves > 2 and exact.unproven == 0  # the forced plan and the bisections
    real = explain_module.solve_roadmap
    calls: list[bool] = []

    def stopped_short(q: RoadmapProblem, **limits: Any) -> optimize_model.RoadmapSolution:
        found = real(q, **limits)
        calls.append(len(calls) % 2 == 0)  # every other re-solve "hits the time limit"
        return replace(found, optimal=not calls[-1])

    monkeypatch.setattr(explain_module, "solve_roadmap", stopped_short)
    short = why_not_problem(p, solution, "a")
    assert short.resolves == len(calls) == exact.resolves
    assert short.unproven == sum(calls) > 0
    answer = forced_a_answer(resolves=short.resolves, resolves_unproven=short.unproven)
    assert not answer.exact
    assert answer.basis.startswith(f"Not exact: {short.unproven} of the {short.resolves} re-solves")
    assert answer.model_copy(update={"resolves_unproven": 0}).basis.startswith(
        f"Based on {short.resolves} re-solve(s), each proven optimal"
    )
    assert answer.model_copy(
        update={"resolves_unproven": 0, "plan_proven": False}
    ).basis.startswith("Not exact: the plan itself stopped at the time limit")


@pytest.fixture
def knapsack_a() -> tuple[RoadmapProblem, optimize_model.RoadmapSolution, WhyNotResult]:
    """KNAPSACK at 10 weeks, its plan, and the exact why-not answer for "a"."""
    p = problem(KNAPSACK, [10])
    solution = solve_roadmap(p)
    return p, solution, why_not_problem(p, solution, "a", tolerance=0.25)


def test_a_not_in_within_a_gap_worth_more_than_the_item_is_undecided(
    knapsack_a: tuple[RoadmapProblem, optimize_model.RoadmapSolution, WhyNotResult],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    p, solution, decided = knapsack_a
    assert decided.undecided == 0  # every re-solve proven optimal (gap 0)
    real = explain_module.solve_roadmap
    answers: list[bool] = []

    def loose(q: RoadmapProblem, **given: Any) -> optimize_model.RoadmapSolution:
        found = real(q, **given)
        answers.append("a" in found.placements)
        # "proven" within a gap of the whole plan's value: "a" (7 at most) fits inside it
        return replace(found, gap=1.0)

    monkeypatch.setattr(explain_module, "solve_roadmap", loose)
    result = why_not_problem(p, solution, "a", tolerance=0.25)
    assert result.undecided == answers[1:].count(False) > 0  # the forced solve aside
    answer = forced_a_answer(resolves=result.resolves, resolves_undecided=result.undecided)
    assert not answer.exact
    assert answer.basis.startswith(
        f"Not exact: {result.undecided} of the {result.resolves} re-solves left it out within "
        "a gap worth more than all it could add"
    )


def test_why_not_re_solves_start_from_the_plan_and_answer_as_without(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    p = problem(KNAPSACK, [10])
    solution = solve_roadmap(p)
    plan = {i: placed.start for i, placed in solution.placements.items()}
    real = explain_module.solve_roadmap
    starts: list[object] = []

    def recorded(q: RoadmapProblem, **limits: Any) -> optimize_model.RoadmapSolution:
        starts.append(limits.get("start"))
        return real(q, **limits)

    monkeypatch.setattr(explain_module, "solve_roadmap", recorded)
    started = why_not_problem(p, solution, "a", tolerance=0.25)
    assert starts and all(start == plan for start in starts)

    def cold(q: RoadmapProblem, **limits: Any) -> optimize_model.RoadmapSolution:
        return real(q, **{**limits, "start": None})

    monkeypatch.setattr(explain_module, "solve_roadmap", cold)
    assert why_not_problem(p, solution, "a", tolerance=0.25) == started


def test_a_why_not_budget_stops_the_searches_with_changes_that_work(
    knapsack_a: tuple[RoadmapProblem, optimize_model.RoadmapSolution, WhyNotResult],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    p, solution, exact = knapsack_a
    clock = {"now": 0.0}
    limits: list[float] = []
    real = explain_module.solve_roadmap

    def ten_seconds_each(q: RoadmapProblem, **given: Any) -> optimize_model.RoadmapSolution:
        limits.append(given["time_limit"])
        clock["now"] += 10.0
        return real(q, **given)

    monkeypatch.setattr(explain_module, "solve_roadmap", ten_seconds_each)
    monkeypatch.setattr(explain_module, "perf_counter", lambda: clock["now"])
    cut = why_not_problem(p, solution, "a", tolerance=0.25, budget=35.0)
    # Re-solves start at 0, 10, 20 and 30 s, each given what is left of the 35 s (at most
    # its time limit); at 40 s the budget is spent and the searches stop.
    assert limits == [30.0, 25.0, 15.0, 5.0]
    assert cut.resolves == 4 and cut.cut_short
    assert cut.forced_feasible and cut.value_lost == exact.value_lost
    assert len(cut.changes) < len(exact.changes)
    smallest = {c.kind: c.amount for c in exact.changes}
    for change in cut.changes:  # each one a re-solve found to bring "a" in
        assert change.kind == "effort" and change.amount <= smallest["effort"]
        lighter = replace(p, items=[replace(KNAPSACK[0], effort=change.amount), *KNAPSACK[1:]])
        assert "a" in real(lighter).placements
    spent = why_not_problem(p, solution, "a", tolerance=0.25, budget=0.0)
    assert spent.resolves == 1 and spent.cut_short and spent.changes == []  # forced only
    answer = forced_a_answer(resolves=4, budget=35.0, budget_cut_short=True)
    assert not answer.exact
    assert answer.basis.startswith("Not exact: the budget of 35 s ran out after 4 re-solve(s)")


def test_why_not_an_item_worth_nothing() -> None:
    p = problem([Item("z", "core", 2, 0.0), Item("b", "core", 2, 5.0)], [10])
    result = why_not_problem(p, solve_roadmap(p), "z")
    assert result.forced_feasible and result.value_lost == pytest.approx(0.0)
    value = next(c for c in result.changes if c.kind == "value")
    assert value.amount == 1.0 and value.description.startswith("give it any value above zero")


def test_a_risk_averse_plan_says_the_p10_case_is_worth_nothing() -> None:
    p = problem([Item("z", "core", 2, 0.0), Item("b", "core", 2, 5.0)], [10])
    solution = solve_roadmap(p)
    z = p.items[0]
    assert deferred_reason(p, z, solution).startswith("no value at stake (weighted value 0)")
    # Before, "nothing to gain from building it" also for a candidate whose P50 is high.
    reason = deferred_reason(p, z, solution, measure="P10")
    assert reason.startswith("no value at stake at P10, the value this risk-averse plan weighs")
    assert "nothing to gain" not in reason


def test_why_not_capacity_spread_over_the_periods_an_item_spans() -> None:
    # Six 7-week items worth 100 fill two per period (14 of 16 weeks; a third never fits).
    # x (12 weeks, at most 8 a period) spans two periods at 6 a period and is worth less
    # than a filler it would displace. Adding 4 weeks to each of two consecutive periods
    # fits it beside the fillers (8 in all); one period alone needs 10 (x then takes one
    # period: 12 beside 14).
    fillers = [Item(f"f{k}", "core", 7, 100.0) for k in range(6)]
    x = Item("x", "core", 12, 50.0)
    p = RoadmapProblem(
        ["P0", "P1", "P2"], {"core": [16, 16, 16]}, [*fillers, x], max_period_share=0.5
    )
    assert p.duration(x) == 2
    solution = solve_roadmap(p)
    assert "x" not in solution.placements
    changes = [c for c in why_not_problem(p, solution, "x", tolerance=0.1).changes]
    capacity = [c for c in changes if c.kind == "capacity"]
    assert [(c.amount, c.weeks) for c in capacity[:2]] == [
        (8.0, {"P0": 4.0, "P1": 4.0}),
        (8.0, {"P1": 4.0, "P2": 4.0}),
    ]
    assert sorted(c.amount for c in capacity[2:]) == [10.0, 10.0, 10.0]
    value = next(c for c in changes if c.kind == "value")
    assert 200.0 <= value.amount <= 202.0  # x then displaces one filler in each of 2 periods


def brute_force(p: BundleProblem) -> float:
    best = 0.0
    n = len(p.costs)
    for mask in range(1 << n):
        chosen = {j for j in range(n) if mask >> j & 1}
        if sum(p.costs[j] for j in chosen) > p.budget:
            continue
        if any(b in chosen and a not in chosen for a, b in p.dependencies):
            continue
        best = max(
            best, sum(w for w, r in zip(p.profits, p.requests, strict=True) if set(r) <= chosen)
        )
    return best


@pytest.mark.parametrize("seed", range(12))
def test_bundle_mode_matches_brute_force(seed: int) -> None:
    rng = random.Random(seed)
    n = rng.randint(3, 8)
    costs = [rng.randint(1, 6) for _ in range(n)]
    dependencies = [(a, b) for a, b in itertools.combinations(range(n), 2) if rng.random() < 0.2]
    requests = [rng.sample(range(n), rng.randint(1, min(3, n))) for _ in range(rng.randint(2, 7))]
    profits = [rng.randint(1, 20) for _ in requests]
    p = BundleProblem(costs, profits, requests, dependencies, float(sum(costs) * 4 // 10))
    solution = solve_bundle(p)
    assert solution.optimal
    assert solution.profit == brute_force(p)
    assert solution.cost <= p.budget
    assert closure(p, solution.requirements) == set(solution.requirements)
    assert greedy_bundle(p).profit <= solution.profit


def roadmap_brute_force(p: RoadmapProblem) -> float:
    """Best plan value over every choice of start (or none) per item."""
    by_id = {i.id: i for i in p.items}
    choices = [[None, *p.starts(i)] for i in p.items]
    best = -1.0
    for pick in itertools.product(*choices):
        starts = {i.id: s for i, s in zip(p.items, pick, strict=True) if s is not None}
        used = {(t, q): 0.0 for t in p.capacity for q in range(len(p.periods))}
        for i_id, s in starts.items():
            item = by_id[i_id]
            d = p.span(item, s)
            for q in range(s, s + d):
                used[item.team, q] += item.effort / d
        if any(w > p.usable(t)[q] + 1e-9 for (t, q), w in used.items()):
            continue
        if any(i.must and i.id not in starts for i in p.items):
            continue
        if any(
            d not in starts or starts[i] < starts[d] + p.span(by_id[d], starts[d])
            for i in starts
            for d in by_id[i].depends_on
            if d in by_id
        ):
            continue
        if any(x in starts for i in starts for x in by_id[i].excludes):
            continue
        best = max(best, plan_value(p, starts))
    return best


@pytest.mark.parametrize("seed", range(12))
def test_roadmap_bundles_match_brute_force(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    # Odd seeds also start the search from a relax-and-fix plan (normally big models only).
    monkeypatch.setattr(optimize_model, "_WARM_COLUMNS", 0 if seed % 2 else 10**9)
    rng = random.Random(100 + seed)
    teams = ["t1", "t2"]
    items = []
    for k in range(rng.randint(3, 6)):
        deps = (f"i{rng.randrange(k)}",) if k and rng.random() < 0.25 else ()
        items.append(
            Item(
                f"i{k}",
                rng.choice(teams),
                float(rng.randint(2, 9)),
                float(rng.choice([0, 0, rng.randint(1, 9)])),
                depends_on=deps,
            )
        )
    bundles = [
        Bundle(f"acct{b}", float(rng.randint(5, 30)), tuple(rng.sample([i.id for i in items], 2)))
        for b in range(rng.randint(1, 3))
    ]
    p = RoadmapProblem(
        ["P0", "P1", "P2"],
        {t: [float(rng.randint(4, 9)) for _ in range(3)] for t in teams},
        items,
        reserve=rng.choice([0.0, 0.15]),  # fractional usable weeks: the rounded rows bind
        discount=0.9,
        bundles=bundles,
    )
    solution = solve_roadmap(p, mip_rel_gap=0.0)
    assert solution.optimal
    assert solution.objective == pytest.approx(roadmap_brute_force(p))
    starts = {i: placed.start for i, placed in solution.placements.items()}
    assert solution.objective == pytest.approx(plan_value(p, starts))


def test_a_risk_averse_plan_takes_deals_at_their_downside() -> None:
    from controltower.optimize.bundle import downside_bundles

    sure, risky = Bundle("sure", 100.0, ("a",)), Bundle("risky", 100.0, ("a", "b"))
    kept = downside_bundles([sure, risky], {"a": 1.0, "b": 0.4})
    # P10 of the triangular share range (0.5, 1, 1.5): 0.5 + sqrt(0.1 x 1 x 0.5).
    assert kept[0].value == pytest.approx(100.0 * (0.5 + 0.05**0.5))
    assert kept[1].value == 0.0  # needs b, delivered 4 times in 10: the deal may never close


def test_bundle_counts_from_its_last_item_and_is_all_or_nothing() -> None:
    # The bundle (worth 10) needs a and b; one period fits only one of them (6 of 10 weeks
    # each), so the bundle completes in P1 (discounted 0.5) and c (worth 4) loses its room.
    items = [Item("a", "core", 6, 0.0), Item("b", "core", 6, 0.0), Item("c", "core", 6, 4.0)]
    deal = Bundle("acct", 10.0, ("a", "b"))
    p = RoadmapProblem(["P0", "P1"], {"core": [10, 10]}, items, discount=0.5, bundles=[deal])
    solution = solve_roadmap(p)
    assert set(solution.placements) == {"a", "b"} and solution.bundles == {"acct": 1}
    assert solution.objective == pytest.approx(5.0)
    cheap = RoadmapProblem(["P0", "P1"], {"core": [10, 10]}, items, discount=0.3, bundles=[deal])
    solution = solve_roadmap(cheap)
    assert "c" in solution.placements and solution.bundles == {}
    assert solution.objective == pytest.approx(4.0)


# --- a planted workspace, end to end -------------------------------------------------


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    root = tmp_path_factory.mktemp("optimize")
    bundle = planted_bundle()
    requires = {"big": "cap-big", "a": "cap-sso;cap-big", "b": "cap-nope", "c": "cap-done"}
    for account in bundle["accounts"]:
        account["requires"] = requires.get(account["account_id"], "")
    bundle["capabilities"].append(
        {
            "capability_id": "cap-big",
            "name": "Okta SSO admin console",
            "description": "Okta single sign-on admin console",
            "team": "core",
            "effort_weeks": "9",
            "addresses": "sso-3",
        }
    )
    return synthesized_workspace(root, bundle)


def test_plan_roadmap_on_planted_workspace(planted: Workspace) -> None:
    roadmap = plan_roadmap(planted)
    pool = roadmap.entry("cap-pool")
    assert pool is not None and pool.status == "refused"
    assert "g-pool" in pool.reason and "feasibility 'no'" in pool.reason
    assert roadmap.entry("cap-done") is None and roadmap.meta["shipped"] == ["cap-done"]
    statuses = {e.capability_id: e.status for e in roadmap.entries}
    assert statuses["cap-sso"] == "now" or statuses["cap-big"] == "now"
    assert roadmap.meta["optimal"] is True
    left = next(e for e in roadmap.entries if e.status == "deferred" and e.effort_weeks)
    answer = why_not(planted, left.capability_id)
    assert answer.status == "deferred" and answer.forced_feasible
    assert answer.displaced and answer.value_lost > 0
    assert any(c.kind == "capacity" for c in answer.changes)


def test_a_candidate_left_out_of_the_model_carries_its_value(planted: Workspace) -> None:
    from controltower.optimize import left_out_entries
    from controltower.optimize.problem import weighted_value

    evaluation = evaluate(planted)
    sso = evaluation.candidate("cap-sso")
    assert sso is not None and sso.value is not None
    [entry] = left_out_entries(evaluation, {"cap-sso": "proposed"}, planted.settings)
    # Before, 0 for an engine proposal beside its P50 in the candidates list.
    assert entry.value == pytest.approx(weighted_value(sso, planted.settings, risk_averse=False))
    assert entry.value > 0 and entry.planned_value == 0


def test_cli_plan_json_whynot_and_scenarios(planted: Workspace) -> None:
    runner = CliRunner(env={"COLUMNS": "200"})
    ws = str(planted.path)
    result = runner.invoke(app, ["-w", ws, "plan", "--json"])
    assert result.exit_code == 0, result.output
    plan = json.loads(result.stdout)
    assert {"patterns", "candidates", "roadmap", "diagnostics", "economics", "meta"} <= set(plan)
    entry = next(e for e in plan["roadmap"] if e["capability_id"] == "cap-pool")
    assert set(entry) >= {
        "capability_id",
        "team",
        "period",
        "end_period",
        "effort_weeks",
        "load",
        "status",
        "reason",
    }
    assert plan["meta"]["status"] == "Optimal" and "gap" in plan["meta"]
    result = runner.invoke(app, ["-w", ws, "plan", "--risk-averse"])
    assert result.exit_code == 0, result.output
    assert "refused" in result.output and "cap-pool" in result.output
    assert runner.invoke(app, ["-w", ws, "whynot", "cap-pool"]).exit_code == 0
    assert runner.invoke(app, ["-w", ws, "whynot", "nope"]).exit_code == 2
    deferred = [e["capability_id"] for e in plan["roadmap"] if e["status"] == "deferred"]
    assert deferred, "the planted workspace defers a candidate"
    result = runner.invoke(app, ["-w", ws, "whynot", deferred[0]])  # and says what it rests on
    assert result.exit_code == 0, result.output
    assert "re-solve(s), each proven optimal within the gap" in result.output
    result = runner.invoke(app, ["-w", ws, "whynot", deferred[0], "--time-limit", "5"])
    assert result.exit_code == 0 and "re-solve(s), each proven optimal" in result.output
    result = runner.invoke(app, ["-w", ws, "whynot", deferred[0], "--time-limit", "0"])
    assert result.exit_code == 2
    assert "--time-limit" in result.output and "time_limit_seconds" in result.output
    result = runner.invoke(app, ["-w", ws, "whynot", deferred[0], "--budget", "60", "--json"])
    assert result.exit_code == 0, result.output
    answer = json.loads(result.output)
    assert answer["budget"] == 60.0 and answer["budget_cut_short"] is False
    result = runner.invoke(app, ["-w", ws, "whynot", deferred[0], "--budget", "0.5"])
    assert result.exit_code == 2 and "--budget" in result.output
    new = ["-w", ws, "scenario", "new", "fires", "--set", "planning.balance=0.1"]
    assert runner.invoke(app, new).exit_code == 0
    assert (planted.path / "scenarios" / "fires.toml").exists()
    bad = ["-w", ws, "scenario", "new", "oops", "--set", "planning.nope=1"]
    result = runner.invoke(app, bad)
    assert result.exit_code == 2 and "scenario oops (its settings) was refused" in result.output
    assert "bundle" not in result.output
    assert not (planted.path / "scenarios" / "oops.toml").exists()
    result = runner.invoke(app, ["-w", ws, "scenario", "compare", "base", "fires"])
    assert result.exit_code == 0, result.output
    assert "move" in result.output


def test_plan_needs_periods(tmp_path: Path) -> None:
    workspace = init_workspace(tmp_path / "ws")
    with pytest.raises(Exception, match="synthesize"):
        plan_roadmap(workspace)


def test_plan_tables_fit_a_narrow_terminal(planted: Workspace) -> None:
    """At 80 columns the ids, weeks and values stay whole; the name gives way."""
    result = CliRunner(env={"COLUMNS": "80"}).invoke(app, ["-w", str(planted.path), "plan"])
    assert result.exit_code == 0, result.output
    table = [line for line in result.output.splitlines() if line.startswith(("│", "┃"))]
    assert table and max(len(line) for line in table) <= 80
    planned = [e for e in plan_roadmap(planted).entries if e.status in ("now", "next", "later")]
    for entry in planned:
        row = next(line for line in table if f" {entry.capability_id} " in line)
        assert f" {entry.effort_weeks:g} " in row and "weeks" in result.output


def test_fitted_table_cuts_the_name_first() -> None:
    from rich.console import Console

    from controltower.cli import _fitted_table

    rows = [
        (
            "data-connectors",
            "2027-Q1..2027-Q2",
            f"cap-{k:02d}",
            "A very long name " * 3,
            "30",
            "5.37M",
        )
        for k in range(3)
    ]
    console = Console(width=80, record=True)
    console.print(_fitted_table("now (3)", rows, 80))
    lines = console.export_text().splitlines()
    assert max(len(line) for line in lines) <= 80
    for row in rows:
        line = next(x for x in lines if f" {row[2]} " in x)
        assert all(f" {cell} " in line for cell in (row[0], row[1], row[4], row[5]))
        assert "…" in line


def test_planning_periods_unknown_to_teams_csv_are_named(planted: Workspace) -> None:
    settings = planted.settings.model_copy(deep=True)
    settings.planning.periods = ["2031-Q1", "2031-Q2"]
    with pytest.raises(InputError, match=r"planning periods \(2031-Q1, 2031-Q2\).*teams.csv names"):
        plan_roadmap(planted, settings=settings)
    settings.planning.periods = ["2027-q1"]  # teams.csv says 2027-Q1: no silent drop
    with pytest.raises(InputError, match=r"core '2027-Q1' \(planning period '2027-q1'\)"):
        plan_roadmap(planted, settings=settings)
    settings.planning.periods = []
    settings.planning.periods_per_year = 12  # quarters planned as months: refused, named
    with pytest.raises(InputError, match=r"are 4 a year, but planning.periods_per_year is 12"):
        plan_roadmap(planted, settings=settings)


def test_capacity_outside_the_planning_periods_is_named(tmp_path: Path) -> None:
    bundle = planted_bundle()
    bundle["teams"].append({"team": "core", "period": "2026-Q4", "capacity_weeks": "10"})
    workspace = synthesized_workspace(tmp_path, bundle)
    settings = workspace.settings.model_copy(deep=True)
    settings.planning.periods = ["2027-Q1"]
    roadmap = plan_roadmap(workspace, settings=settings)
    # Before, the 2026-Q4 row was left out without a word.
    assert roadmap.meta["capacity_outside_periods"] == ["core 2026-Q4"]


def test_settings_overridden_for_one_command_leave_the_workspace_as_it_was(
    planted: Workspace,
) -> None:
    from controltower.optimize.scenario import with_settings

    before = planted.settings.optimize.time_limit_seconds
    view = with_settings(planted, {"optimize": {"time_limit_seconds": 5}}, "--time-limit")
    assert view.settings.optimize.time_limit_seconds == 5 != before
    assert planted.settings.optimize.time_limit_seconds == before
    assert view.settings.value == planted.settings.value  # everything else as it was
    with pytest.raises(InputError, match="--time-limit"):
        with_settings(planted, {"optimize": {"time_limit_seconds": -1}}, "--time-limit")


def test_a_scenario_plans_exactly_as_its_settings_in_workspace_toml(planted: Workspace) -> None:
    from dataclasses import replace

    from controltower.optimize.scenario import compare_scenarios, new_scenario
    from controltower.plan import build_plan

    new_scenario(planted, "rich", ["value.revenue_share=0.9", "economics.fde_hourly_cost=400"])
    settings = planted.settings.model_copy(deep=True)
    settings.value.revenue_share, settings.economics.fde_hourly_cost = 0.9, 400.0
    edited = replace(planted, settings=settings)  # as if workspace.toml said so

    def p50s(plan: Plan) -> dict[str, float]:
        return {c.id: c.value.p50 for c in plan.candidates if c.value is not None}

    shown: list[tuple[str, int, int]] = []
    base, _, _ = build_plan(planted, progress=lambda *step: shown.append(step))
    # After synthesis, each step is shown as it starts and as it ends, in order.
    steps = ["value candidates", "optimize roadmap", "review decisions"]
    steps.append("economics, adoption, diagnostics")
    assert shown[-8:] == [(label, done, 1) for label in steps for done in (0, 1)]
    scenario, _, _ = build_plan(planted, scenario="rich")
    direct, _, _ = build_plan(edited)
    assert p50s(scenario) == p50s(direct) != p50s(base)
    assert scenario.meta["objective"] == pytest.approx(direct.meta["objective"])
    # The plan names the versions it was made with: solver and embedding model.
    assert str(base.meta["solver"]).startswith("HiGHS (highspy 1.")
    assert base.meta["embedder"] and base.meta["embedder"] == scenario.meta["embedder"]
    compared = compare_scenarios(planted, "base", "rich")
    assert compared.value_a == pytest.approx(base.meta["objective"])
    assert compared.value_b == pytest.approx(direct.meta["objective"])
    result = CliRunner().invoke(
        app, ["-w", str(planted.path), "whynot", "cap-pool", "--scenario", "rich"]
    )
    assert result.exit_code == 0, result.output


def test_scenario_compare_names_the_scenario_whose_musts_conflict(tmp_path: Path) -> None:
    from controltower.optimize.scenario import compare_scenarios, new_scenario

    bundle = planted_bundle()
    for row in bundle["capabilities"]:
        if row["capability_id"] == "cap-sso":
            row["must"] = "yes"
    workspace = synthesized_workspace(tmp_path, bundle)
    new_scenario(workspace, "tight", ["planning.capacity_reserve=0.99"])
    with pytest.raises(PlanConflictError, match=r"^scenario tight: cap-sso is must=yes"):
        compare_scenarios(workspace, "base", "tight")


def test_plan_synthesizes_stale_evidence_first(tmp_path: Path) -> None:
    from controltower.synthesize.pipeline import ensure_synthesized, is_stale
    from controltower.synthesize.view import list_patterns

    workspace = init_workspace(tmp_path / "ws")
    import_bundle(write_bundle(tmp_path / "bundle", planted_bundle()), workspace=workspace)
    assert is_stale(workspace)
    report = ensure_synthesized(workspace, embedder=HashingEmbedder())
    assert report is not None and report.mode == "full"
    assert not is_stale(workspace)
    assert ensure_synthesized(workspace, embedder=HashingEmbedder()) is None
    files = planted_bundle()
    files["signals"] = [dict(files["signals"][0], signal_id="late-1", text="one more note")]
    import_bundle(write_bundle(tmp_path / "more", files), workspace=workspace)
    assert is_stale(workspace)
    again = ensure_synthesized(workspace, embedder=HashingEmbedder())
    assert again is not None and again.mode == "incremental" and again.new_items == 1
    assert list_patterns(workspace)


def test_scenario_compare_diagnoses_each_scenario(planted: Workspace) -> None:
    from controltower.optimize.scenario import compare_scenarios, new_scenario

    base = compare_scenarios(planted, "base", "base")
    assert base.moves == [] and base.escape_a == base.escape_b
    assert all(d.severity_a == d.severity_b for d in base.diagnostics)
    new_scenario(
        planted,
        "strict",
        ["diagnostics.utilisation_warn=0.01", "diagnostics.utilisation_critical=0.02"],
    )
    strict = compare_scenarios(planted, "base", "strict")
    assert strict.moves == []
    added = [d for d in strict.diagnostics if d.severity_b and not d.severity_a]
    assert [(d.code, d.severity_b) for d in added] == [("underestimated-constraints", "critical")]
    assert strict.hours_per_new_deployment[0] == strict.hours_per_new_deployment[1]


def test_scenario_compare_values_both_plans_on_each_yardstick(planted: Workspace) -> None:
    from controltower.optimize.scenario import compare_scenarios, new_scenario

    new_scenario(planted, "lever", ["planning.balance=0.95", "planning.capacity_reserve=0.3"])
    compared = compare_scenarios(planted, "base", "lever")
    # Each side's objective uses its own weights, so the raw values do not compare; each
    # plan valued by the other's settings does, and an optimal plan is never beaten there.
    assert compared.value_b_by_a is not None and compared.value_a_by_b is not None
    assert compared.value_b_by_a <= compared.value_a * (1 + 1e-4) + 1e-6
    assert compared.value_a_by_b <= compared.value_b * (1 + 1e-4) + 1e-6
    same = compare_scenarios(planted, "base", "base")
    assert same.value_b_by_a == pytest.approx(same.value_a)
    result = CliRunner().invoke(
        app, ["-w", str(planted.path), "scenario", "compare", "base", "lever"]
    )
    assert result.exit_code == 0, result.output
    assert (
        "by base's settings: base" in result.output
        and "(each by its own settings)" in result.output
    )
    # A plan that breaks the other's rules is not valued by them: base's plan needs more
    # room than a 90% reserve leaves, so by tight's settings it is no plan at all.
    new_scenario(planted, "tight", ["planning.capacity_reserve=0.9"])
    compared = compare_scenarios(planted, "base", "tight")
    assert compared.value_a_by_b is None
    assert compared.a_breaks_b is not None and "capacity" in compared.a_breaks_b
    assert compared.b_breaks_a is None and compared.value_b_by_a is not None
    result = CliRunner(env={"COLUMNS": "200"}).invoke(
        app, ["-w", str(planted.path), "scenario", "compare", "base", "tight"]
    )
    assert "by tight's settings: base's plan is not a plan (" in result.output


def test_plan_breaks_names_the_first_rule_broken() -> None:
    items = [
        Item("a", "core", 6, 10.0),
        Item("b", "core", 4, 5.0, depends_on=("a",)),
        Item("c", "core", 1, 1.0, excludes=("a",)),
    ]
    p = problem(items, [10, 10])
    assert optimize_model.plan_breaks(p, {"a": 0, "b": 1}) is None
    assert optimize_model.plan_breaks(replace(p, reserve=0.5), {"a": 0, "b": 1}) == (
        "team core in P1 needs 7 weeks, 5 usable"
    )
    assert (
        optimize_model.plan_breaks(p, {"a": 1, "b": 0})
        == "b starts before its prerequisite a finishes"
    )
    assert optimize_model.plan_breaks(p, {"a": 0, "c": 1}) == "c and a exclude each other"
    must = replace(p, items=[replace(items[0], must=True), *items[1:]])
    assert optimize_model.plan_breaks(must, {}) == "must=yes a not planned"


def test_scenario_diff_matches_findings_whatever_their_subjects_order() -> None:
    from controltower.diagnose.models import Finding
    from controltower.optimize import RoadmapEntry
    from controltower.optimize.scenario import _diagnostic_diffs, _place

    def finding(severity: str, subjects: list[str]) -> Finding:
        return Finding(
            code="premature-standardization",
            severity=severity,
            message="m",
            metric="share",
            value=0.5,
            threshold=0.3,
            evidence=subjects,
            remedy="r",
            subjects=subjects,
        )

    [diff] = _diagnostic_diffs([finding("warn", ["a", "b"])], [finding("critical", ["b", "a"])])
    assert (diff.severity_a, diff.severity_b) == ("warn", "critical")

    def entry(end: str) -> RoadmapEntry:
        return RoadmapEntry(
            capability_id="x",
            name="x",
            team="core",
            period="2027-Q1",
            end_period=end,
            effort_weeks=8,
            load={},
            status="now",
            reason="",
            value=1.0,
        )

    # An item that ends later has moved, even when it starts in the same period.
    assert _place(entry("2027-Q1")) == "2027-Q1" != _place(entry("2027-Q2")) == "2027-Q1..2027-Q2"


def test_deals_that_can_never_close_are_blocked_and_bind_nothing() -> None:
    items = [
        Item("a", "core", 1, 5.0, forbidden="blocking guardrail(s) g1"),
        Item("b", "core", 1, 5.0),
        Item("c", "core", 1, 5.0, excludes=("b",)),
        Item("d", "core", 1, 5.0, depends_on=("a",)),
        Item("e", "core", 40, 5.0),  # fits no period
    ]
    deals = [
        Bundle("forbidden", 100.0, ("a",)),
        Bundle("exclusive", 100.0, ("b", "c")),
        Bundle("needs-forbidden", 100.0, ("d",)),
        Bundle("too-big", 100.0, ("e",)),
        Bundle("left-out", 100.0, ("p",)),
        Bundle("fine", 100.0, ("b",)),
    ]
    p = apply_bundles(problem(items, [10]), deals, shipped=(), left_out={"p": "proposed"})
    blocked = {b.id: b.blocked for b in p.bundles}
    assert blocked == {
        "forbidden": "requires a, which cannot be planned: blocking guardrail(s) g1",
        "exclusive": "requires b and c, which exclude each other",
        "needs-forbidden": "requires d, which cannot be planned: it needs a, which cannot be "
        "planned",
        "too-big": "requires e, which cannot be planned: it fits no capacity of team core",
        "left-out": "requires p, left out: proposed",
        "fine": None,
    }
    # Only the deal that can close takes its items' own value; c keeps its own.
    assert {i.id: i.value for i in p.items} == {"a": 5.0, "b": 0.0, "c": 5.0, "d": 5.0, "e": 5.0}
    solution = solve_roadmap(p)  # b closes "fine" (100) and so beats c (5), which excludes it
    assert set(solution.placements) == {"b"} and solution.objective == pytest.approx(100.0)
    # a deferred item of a deal names it whatever keeps it out (here: an exclusion)
    solo = apply_bundles(problem(items, [10]), [*deals, Bundle("solo", 1.0, ("c",))], shipped=())
    c = next(i for i in solo.items if i.id == "c")
    reason = deferred_reason(solo, c, solve_roadmap(solo))
    assert reason.startswith("its value counts through bundle(s) solo (1); excludes b (planned")


def test_why_not_an_item_valued_only_through_a_deal() -> None:
    # acme's deal needs x and y, which never fit together in the one period; x alone is
    # worth nothing on its own, and f (5) takes the room.
    items = [Item("x", "core", 6, 3.0), Item("y", "core", 6, 3.0), Item("f", "core", 6, 5.0)]
    p = apply_bundles(problem(items, [10]), [Bundle("acme", 100.0, ("x", "y"))], shipped=())
    solution = solve_roadmap(p)
    assert set(solution.placements) == {"f"}
    value = next(c for c in why_not_problem(p, solution, "x").changes if c.kind == "value")
    assert 5.0 <= value.amount <= 5.1
    assert value.description.startswith("be worth 5 on its own: it counts now only through")
    assert "deal(s) of acme" in value.description


def test_plan_in_bundle_mode_counts_account_deals(planted: Workspace) -> None:
    # big's deal needs cap-big alone; a's needs cap-sso and cap-big, which do not fit in
    # the one 10-week period together (4 + 9), so it never completes and cap-sso, valued
    # only through it, stays out; b's needs an unknown id (blocked); c's needs a shipped
    # candidate only (complete already: listed, binding nothing).
    settings = planted.settings.model_copy(deep=True)
    settings.planning.value_mode = "bundles"
    roadmap = plan_roadmap(planted, settings=settings)
    assert roadmap.meta["value_mode"] == "bundles"
    bundles = {b["account_id"]: b for b in roadmap.meta["bundles"]}  # type: ignore[attr-defined]
    assert set(bundles) == {"big", "a", "b", "c"}
    assert bundles["c"]["completed"] == "shipped" and bundles["c"]["requires"] == []
    assert bundles["b"]["requires"] == ["cap-nope"]  # kept: it is why b is blocked
    assert bundles["big"]["completed"] == "2027-Q1" and bundles["a"]["completed"] is None
    assert (
        bundles["b"]["blocked"] == "requires cap-nope, which is no capability of capabilities.csv"
    )
    big = roadmap.entry("cap-big")
    assert big is not None and big.status == "now" and big.value == 0.0
    assert "completes bundle(s) big" in big.reason
    sso = roadmap.entry("cap-sso")
    assert sso is not None and sso.status == "deferred"
    assert "bundle(s) a" in sso.reason and "cap-big" in sso.reason
    assert roadmap.objective == pytest.approx(bundles["big"]["value"])
    assert big.planned_value == pytest.approx(roadmap.objective)  # the deal it completes
    runner = CliRunner(env={"COLUMNS": "200"})
    ws = ["-w", str(planted.path)]
    new = [*ws, "scenario", "new", "deals", "--set", 'planning.value_mode="bundles"']
    assert runner.invoke(app, new).exit_code == 0
    result = runner.invoke(app, [*ws, "plan", "--scenario", "deals"])
    assert result.exit_code == 0, result.output
    assert "deals: 2 of 4 close within the plan" in result.output
    assert "- b can never close: requires cap-nope, which is no capability" in result.output
    sso_reason = next(line for line in result.output.splitlines() if "- cap-sso " in line)
    assert "bundle(s) a" in sso_reason  # a deferred item names the deals it belongs to


def test_roadmap_audit_credits_the_deals_a_hand_made_file_completes(
    planted: Workspace, tmp_path: Path
) -> None:
    # a's deal needs cap-sso and cap-big, big's needs cap-big. The file puts both in the
    # one period (overloading it, which is the audit's to flag): both deals complete there,
    # a's credited to cap-sso (first in its requires order), big's to cap-big.
    settings = planted.settings.model_copy(deep=True)
    settings.planning.value_mode = "bundles"
    evaluation = evaluate(planted)
    both = [
        {"capability_id": "cap-sso", "period": "2027-Q1", "team": "core"},
        {"capability_id": "cap-big", "period": "2027-Q1", "team": "core"},
    ]
    audited = load_roadmap_file(
        planted, write_csv(tmp_path / "both.csv", both), evaluation, settings
    )
    problem, _ = build_problem(evaluation, load_rows(planted), settings)
    deals = {b.id: b.value for b in problem.bundles}
    by_id = {e.capability_id: e for e in audited.entries}
    assert by_id["cap-sso"].planned_value == pytest.approx(by_id["cap-sso"].value + deals["a"])
    assert by_id["cap-big"].planned_value == pytest.approx(by_id["cap-big"].value + deals["big"])
    alone = load_roadmap_file(
        planted, write_csv(tmp_path / "alone.csv", both[:1]), evaluation, settings
    )
    sso = next(e for e in alone.entries if e.capability_id == "cap-sso")
    assert sso.planned_value == pytest.approx(sso.value)  # a's deal still lacks cap-big


def test_items_worth_nothing_are_not_planned_into_spare_capacity() -> None:
    # Plenty of room: the solver is indifferent to z (worth 0) and might place it; the plan
    # leaves it out. base is worth 0 too but top needs it, so it stays; so does b, which a
    # completed deal needs, while c's deal cannot complete (never is forbidden).
    items = [
        Item("a", "core", 4, 5.0),
        Item("z", "core", 3, 0.0),
        Item("base", "core", 2, 0.0),
        Item("top", "core", 2, 3.0, depends_on=("base",)),
        Item("b", "core", 1, 0.0),
        Item("c", "core", 1, 0.0),
        Item("never", "core", 1, 0.0, forbidden="blocked by a guardrail"),
    ]
    deals = [Bundle("acct", 9.0, ("b", "a")), Bundle("lost", 4.0, ("c", "never"))]
    p = RoadmapProblem(["P0", "P1"], {"core": [20.0, 20.0]}, items, discount=0.9, bundles=deals)
    solution = solve_roadmap(p)
    assert set(solution.placements) == {"a", "base", "top", "b"}
    assert solution.objective == pytest.approx(5.0 + 3.0 * 0.9 + 9.0)
    assert solution.used["core"] == [7.0, 2.0]
    assert plan_value(p, {i: placed.start for i, placed in solution.placements.items()}) == (
        pytest.approx(solution.objective)
    )


def test_cli_refuses_a_report_folder_that_is_a_file_before_planning(
    planted: Workspace, tmp_path: Path
) -> None:
    afile = tmp_path / "afile"
    afile.write_text("", encoding="utf-8")
    result = CliRunner().invoke(app, ["-w", str(planted.path), "plan", "--report", str(afile)])
    # Before: a FileExistsError traceback (exit 1) after the whole plan had run.
    assert result.exit_code == 2
    assert "is a file; the report needs a folder" in " ".join(result.output.split())


def test_cli_value_json_follows_by(planted: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    import controltower.value

    # WSJF ranks opposite to the P50 order (the planted workspace's frameworks agree with
    # P50, so without this the order could not tell --by was ignored).
    evaluation = evaluate(planted).model_copy(deep=True)
    for rank, candidate in enumerate(reversed(evaluation.candidates), start=1):
        candidate.scores.ranks["wsjf"] = rank
    monkeypatch.setattr(controltower.value, "evaluate", lambda *_, **__: evaluation)
    result = CliRunner().invoke(app, ["-w", str(planted.path), "value", "--by", "wsjf", "--json"])
    assert result.exit_code == 0, result.output
    ids = [c["id"] for c in json.loads(result.stdout)["candidates"]]
    assert ids == [c.id for c in reversed(evaluation.candidates)]


def test_plan_without_planning_periods_is_refused_before_anything_is_written(
    tmp_path: Path,
) -> None:
    from conftest import snapshot
    from controltower.plan import build_plan

    files = planted_bundle()
    minimal = {"accounts": files["accounts"], "signals": files["signals"]}
    workspace = init_workspace(tmp_path / "ws")
    import_bundle(write_bundle(tmp_path / "b", minimal), workspace=workspace)
    before = snapshot(workspace)
    with pytest.raises(InputError, match="no planning periods"):
        build_plan(workspace)
    # Before, synthesis had already written patterns and embeddings (exit 2 "nothing written").
    assert snapshot(workspace) == before
