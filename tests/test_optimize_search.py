"""The big-model plan search: block re-solves, the handover to the exact solve, its checks."""

from __future__ import annotations

import math
import os
import random
import threading
import time
from dataclasses import replace

import highspy
import numpy as np
import pytest

from controltower.optimize import _highs
from controltower.optimize import model as optimize_model
from controltower.optimize._highs import (
    BlockSearch,
    Milp,
    MilpResult,
    objective_scale,
    solve,
)
from controltower.optimize.explain import deferred_reason
from controltower.optimize.model import (
    Bundle,
    Item,
    RoadmapProblem,
    greedy_roadmap,
    plan_breaks,
    plan_value,
    solve_roadmap,
)


def two_knapsacks(count: int = 2) -> tuple[Milp, list[list[int]]]:
    """Independent 0/1 knapsacks (two unless told; capacity 10 each), each optimum 9."""
    milp = Milp()
    blocks: list[list[int]] = []
    for _ in range(count):
        # weights 6, 5, 5 and values 5, 4.5, 4.5: the two light items beat the heavy one.
        cols = [milp.add_column(v) for v in (5.0, 4.5, 4.5)]
        milp.add_row(cols, [6.0, 5.0, 5.0], -math.inf, 10.0)
        blocks.append(cols)
    return milp, blocks


def test_a_block_search_reaches_each_blocks_optimum_and_reports_each_gain() -> None:
    milp, blocks = two_knapsacks()
    poor = np.array([1.0, 0.0, 0.0, 1.0, 0.0, 0.0])  # the heavy item in both: 10
    seen: list[float] = []
    search = BlockSearch(
        milp, poor, [blocks], on_improve=lambda values: seen.append(milp.objective(values))
    )
    search.work(deadline=time.perf_counter() + 30)
    assert search.converged and milp.objective(search.values) == pytest.approx(18.0)
    assert milp.is_feasible(search.values)
    assert seen == sorted(seen) and seen[-1] == pytest.approx(18.0) and len(seen) == 2


def test_a_block_search_keeps_the_start_when_time_is_up() -> None:
    milp, blocks = two_knapsacks()
    poor = np.array([1.0, 0.0, 0.0, 1.0, 0.0, 0.0])
    search = BlockSearch(milp, poor, [blocks], on_improve=lambda _: None)
    search.work(deadline=time.perf_counter() - 1)
    assert np.array_equal(search.values, poor) and not search.converged


def test_two_workers_improve_one_plan_and_report_each_gain_in_order() -> None:
    milp, blocks = two_knapsacks(6)
    poor = np.tile([1.0, 0.0, 0.0], 6)  # the heavy item everywhere: 6 x 5 = 30
    seen: list[float] = []
    search = BlockSearch(
        milp, poor, [blocks], on_improve=lambda values: seen.append(milp.objective(values))
    )
    deadline = time.perf_counter() + 30
    workers = [threading.Thread(target=search.work, kwargs={"deadline": deadline}) for _ in "ab"]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert search.converged and search.objective == pytest.approx(54.0)
    assert milp.is_feasible(search.values)
    assert seen == sorted(seen) and len(seen) == 6 and seen[-1] == pytest.approx(54.0)


def test_a_gain_that_clashes_with_another_workers_is_not_merged() -> None:
    # a and b are worth 2 and 1 and exclude each other; two workers start from nothing at
    # once, one freeing b, the other a: each finds its item, but only one can be kept.
    milp = Milp()
    a, b = milp.add_column(2.0), milp.add_column(1.0)
    milp.add_row([a, b], [1.0, 1.0], -math.inf, 1.0)
    kept: list[float] = []
    blocks = [[b], [a], [a, b]]
    search = BlockSearch(
        milp, np.zeros(2), [blocks], on_improve=lambda v: kept.append(milp.objective(v))
    )
    deadline = time.perf_counter() + 30
    first, second = search._take(deadline, None), search._take(deadline, None)
    assert first is not None and second is not None
    search._settle(first, np.array([0.0, 1.0]), solved=True)  # b: 1, kept
    search._settle(second, np.array([1.0, 0.0]), solved=True)  # a beside b: infeasible
    assert kept == [1.0] and np.array_equal(search.values, [0.0, 1.0])
    assert not search.converged
    search.work(deadline=deadline)  # the wider block then swaps b for a
    assert search.converged and np.array_equal(search.values, [1.0, 0.0]) and kept == [1.0, 2.0]


def test_is_feasible_checks_rows_bounds_and_integrality() -> None:
    milp, _ = two_knapsacks()
    assert milp.is_feasible(np.array([0.0, 1.0, 1.0, 0.0, 1.0, 1.0]))
    assert not milp.is_feasible(np.array([1.0, 1.0, 0.0, 0.0, 0.0, 0.0]))  # 11 > 10
    assert not milp.is_feasible(np.array([0.5, 0.0, 0.0, 0.0, 0.0, 0.0]))  # not whole
    assert not milp.is_feasible(np.array([2.0, 0.0, 0.0, 0.0, 0.0, 0.0]))  # above 1
    assert not milp.is_feasible(np.zeros(5))  # wrong length


def test_incumbent_hands_each_better_plan_over_once() -> None:
    milp, _ = two_knapsacks()
    slot = optimize_model._Incumbent(milp)
    assert slot.take_new() is None
    slot.offer(np.array([1.0, 0.0, 0.0, 0.0, 0.0, 0.0]))  # 5
    first = slot.take_new()
    assert first is not None and milp.objective(first) == 5.0
    assert slot.take_new() is None
    slot.offer(np.array([0.0, 0.0, 0.0, 0.0, 0.0, 0.0]))  # worse: ignored
    assert slot.take_new() is None and slot.objective == 5.0
    slot.offer(np.array([0.0, 1.0, 1.0, 0.0, 0.0, 0.0]))  # 9
    better = slot.take_new()
    assert better is not None and milp.objective(better) == 9.0


def result(objective: float, bound: float) -> MilpResult:
    gap = (bound - objective) / objective
    return MilpResult("Time limit reached", False, objective, bound, gap, 1.0, np.zeros(6))


def test_a_better_helper_plan_is_taken_and_the_gap_recomputed_against_the_bound() -> None:
    milp, _ = two_knapsacks()
    slot = optimize_model._Incumbent(milp)
    slot.offer(np.array([0.0, 1.0, 1.0, 0.0, 1.0, 1.0]))  # 18
    taken = optimize_model._with_better_plan(milp, result(10.0, 18.009), slot, 1e-3)
    assert taken.objective == 18.0 and taken.gap == pytest.approx(0.0005)
    assert taken.optimal and taken.status == "Optimal"
    kept = optimize_model._with_better_plan(milp, result(10.0, 19.0), slot, 1e-4)
    assert kept.objective == 18.0 and not kept.optimal and kept.status == "Time limit reached"


def test_an_infeasible_or_worse_helper_plan_is_ignored() -> None:
    milp, _ = two_knapsacks()
    slot = optimize_model._Incumbent(milp)
    slot.offer(np.array([1.0, 1.0, 1.0, 0.0, 0.0, 0.0]))  # 14 but 16 weeks > 10
    assert optimize_model._with_better_plan(milp, result(10.0, 18.0), slot, 1e-3).objective == 10
    assert optimize_model._with_better_plan(milp, result(15.0, 18.0), slot, 1e-3).objective == 15


def random_problem(seed: int, *, bundles: bool = False, must_first: bool = False) -> RoadmapProblem:
    """24 items over three teams and three periods, with dependencies and exclusions."""
    rng = random.Random(seed)
    teams = ["t1", "t2", "t3"]
    items = [
        Item(
            f"i{k}",
            rng.choice(teams),
            float(rng.randint(1, 9)),
            float(rng.randint(1, 30)),
            depends_on=(f"i{rng.randrange(k)}",) if k and rng.random() < 0.3 else (),
            excludes=(f"i{k - 1}",) if k and rng.random() < 0.1 else (),
            must=must_first and k == 0,
        )
        for k in range(24)
    ]
    capacity = {t: [float(rng.randint(6, 12)) for _ in range(3)] for t in teams}
    deals = [
        Bundle(f"b{k}", float(rng.randint(5, 40)), tuple(f"i{j}" for j in rng.sample(range(24), 3)))
        for k in range(4)
    ]
    return RoadmapProblem(
        ["P0", "P1", "P2"],
        capacity,
        items,
        reserve=0.1,
        discount=0.95,
        bundles=deals if bundles else (),
    )


@pytest.mark.parametrize("seed", range(4))
def test_the_helper_never_changes_the_optimum(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    p = random_problem(seed, must_first=True)
    monkeypatch.setattr(optimize_model, "_WARM_COLUMNS", 10**9)
    alone = solve_roadmap(p, mip_rel_gap=0.0)
    monkeypatch.setattr(optimize_model, "_WARM_COLUMNS", 0)
    helped = solve_roadmap(p, mip_rel_gap=0.0)
    assert alone.optimal and helped.optimal
    assert helped.objective == pytest.approx(alone.objective, rel=1e-9)
    starts = {i: placed.start for i, placed in helped.placements.items()}
    assert plan_value(p, starts) == pytest.approx(helped.objective, rel=1e-9)
    # With a gap to prove, the helper path proves cutoffs: its claim must hold against
    # the exact optimum, and its plan must be what it says.
    within = solve_roadmap(p, mip_rel_gap=0.02)
    assert within.optimal and within.gap <= 0.02
    assert alone.objective <= within.objective * 1.02 + 1e-9
    starts = {i: placed.start for i, placed in within.placements.items()}
    assert plan_value(p, starts) == pytest.approx(within.objective, rel=1e-9)


@pytest.mark.parametrize("helper", [False, True])
@pytest.mark.parametrize("seed", range(3))
def test_a_start_plan_never_changes_the_optimum(
    seed: int, helper: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    p = random_problem(seed, bundles=seed == 2)
    monkeypatch.setattr(optimize_model, "_WARM_COLUMNS", 0 if helper else 10**9)
    exact = solve_roadmap(p, mip_rel_gap=0.0)
    greedy = greedy_roadmap(p)
    assert plan_breaks(p, greedy) is None
    for start in (greedy, {}, {i: placed.start for i, placed in exact.placements.items()}):
        started = solve_roadmap(p, mip_rel_gap=0.0, start=start)
        assert started.optimal
        assert started.objective == pytest.approx(exact.objective, rel=1e-9)
        starts = {i: placed.start for i, placed in started.placements.items()}
        assert plan_breaks(p, starts) is None


def test_a_start_is_column_values_less_what_the_model_cannot_hold() -> None:
    p = RoadmapProblem(
        ["P0", "P1"],
        {"core": [10.0, 10.0]},
        [
            Item("a", "core", 4.0, 10.0),
            Item("b", "core", 4.0, 8.0, depends_on=("a",)),
            Item("c", "core", 4.0, 6.0),
            Item("d", "core", 7.0, 5.0),
            Item("huge", "core", 30.0, 50.0),
        ],
        bundles=[Bundle("deal", 20.0, ("a", "c"))],
    )
    built = optimize_model._build(p)

    def column(item_id: str, start: int) -> int:
        return next(c for s, c in built.columns[item_id] if s == start)

    values = optimize_model._start_values(p, built, {"a": 0, "b": 1, "c": 1, "huge": 0})
    assert values is not None  # huge fits no period: dropped, the rest kept
    assert built.milp.objective(values) == pytest.approx(plan_value(p, {"a": 0, "b": 1, "c": 1}))
    assert {c for c in range(len(values)) if values[c] > 0.5} >= {
        column("a", 0),
        column("b", 1),
        column("c", 1),
    }
    # "a" cannot start in P5 (there is none): it goes, and "b" that needs it goes too.
    values = optimize_model._start_values(p, built, {"a": 5, "b": 1})
    assert values is not None and built.milp.objective(values) == 0.0
    # Over capacity (11 weeks in P0 of 10) is no plan: not used.
    assert optimize_model._start_values(p, built, {"a": 0, "d": 0}) is None
    # A must=yes item the start leaves out makes it no plan either.
    must = replace(p, items=[*p.items[:3], Item("m", "core", 1.0, 1.0, must=True)])
    assert optimize_model._start_values(must, optimize_model._build(must), {"a": 0}) is None


def test_the_helper_improves_a_start_instead_of_building_its_own(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    p = random_problem(1)
    monkeypatch.setattr(optimize_model, "_WARM_COLUMNS", 0)

    def refused(*args: object, **kwargs: object) -> None:
        raise AssertionError("relax-and-fix ran although a start was given")

    monkeypatch.setattr(optimize_model, "relax_and_fix", refused)
    exact = solve_roadmap(p, mip_rel_gap=0.0, start=greedy_roadmap(p))
    assert exact.optimal
    assert exact.objective >= plan_value(p, greedy_roadmap(p)) - 1e-9


def test_conflicting_musts_are_named_with_the_helper_running(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(optimize_model, "_WARM_COLUMNS", 0)
    both = [Item("a", "core", 6, 1.0, must=True), Item("b", "core", 6, 1.0, must=True)]
    p = RoadmapProblem(["P0"], {"core": [10.0]}, both)
    with pytest.raises(optimize_model.PlanConflictError, match="cannot all be planned"):
        solve_roadmap(p)


def test_a_solve_overdue_is_interrupted_with_its_best_plan(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The safety net under HiGHS's time limit: a solve past it (here after 3 s, by a grace
    # of 3 s minus the limit) stops at its next check, keeping a plan and a bound.
    from controltower.optimize import _highs

    rng = random.Random(3)
    items = [
        Item(f"i{k}", f"t{k % 4}", float(rng.randint(1, 30)), rng.lognormvariate(12, 1))
        for k in range(400)
    ]
    p = RoadmapProblem(
        [f"P{k}" for k in range(8)],
        {f"t{t}": [float(rng.randint(40, 80)) for _ in range(8)] for t in range(4)},
        items,
        reserve=0.1,
        discount=0.976,
    )
    monkeypatch.setattr(optimize_model, "_WARM_COLUMNS", 10**9)  # HiGHS alone
    monkeypatch.setattr(_highs, "OVERRUN_GRACE", -57.0)  # overdue after 3 s
    started = time.perf_counter()
    result = solve_roadmap(p, time_limit=60.0, mip_rel_gap=0.0)
    assert time.perf_counter() - started < 30  # far from the 60 s limit
    assert not result.optimal and result.status == "Interrupted by user"


def _one_team(*items: Item, weeks: float = 10.0) -> RoadmapProblem:
    return RoadmapProblem(periods=["p1"], capacity={"t": [weeks]}, items=list(items))


def test_an_item_is_left_out_only_when_its_betters_cannot_all_fit_beside_it() -> None:
    a = Item("a", "t", effort=5, value=10)
    b = Item("b", "t", effort=5, value=9)
    c = Item("c", "t", effort=5, value=8)
    # a + b + c need 15 weeks of 10: a plan holding c misses a or b, which is worth more.
    assert optimize_model.dominated(_one_team(a, b, c)) == {"c": ("a", "b")}
    # With 15 weeks all three fit: nothing is left out.
    assert optimize_model.dominated(_one_team(a, b, c, weeks=15)) == {}
    # a and its twin fit together, so neither crowds the other out; c still goes.
    twin = Item("twin", "t", effort=5, value=10)
    assert optimize_model.dominated(_one_team(a, twin, c)) == {"c": ("a", "twin")}


def test_a_dominated_item_is_deferred_naming_the_items_that_take_its_place() -> None:
    a, b, c = Item("a", "t", 5, 10), Item("b", "t", 5, 9), Item("c", "t", 5, 8)
    problem = _one_team(a, b, c)
    solution = solve_roadmap(problem)
    assert solution.left_out == {"c": ("a", "b")} and set(solution.placements) == {"a", "b"}
    reason = deferred_reason(problem, c, solution)
    assert reason.startswith("loses to better uses")
    assert "2 other candidates of team t (a, b) can each take its place" in reason
    assert "need 15 weeks, more than the team's 10 usable weeks" in reason
    # One is enough when the two cannot both fit.
    a, c = Item("a", "t", 6, 10), Item("c", "t", 6, 8)
    problem = _one_team(a, c)
    reason = deferred_reason(problem, c, solve_roadmap(problem))
    assert "1 other candidate of team t (a) can take its place" in reason


@pytest.mark.parametrize(
    "change",
    [
        {"c": Item("c", "t", effort=5, value=8, must=True)},
        {"d": Item("d", "t", effort=1, value=1, depends_on=("c",))},
        {"c": Item("c", "t", effort=5, value=8, excludes=("x",))},
        {"b": Item("b", "t", effort=5, value=9, depends_on=("z",)), "z": Item("z", "t", 1, 0)},
    ],
    ids=["must", "needed-by-another", "excludes", "a-better-one-needs-more"],
)
def test_an_item_that_cannot_simply_be_swapped_out_stays(change: dict[str, Item]) -> None:
    items = {i.id: i for i in (Item("a", "t", 5, 10), Item("b", "t", 5, 9), Item("c", "t", 5, 8))}
    items.update(change)
    assert "c" not in optimize_model.dominated(_one_team(*items.values()))


def test_a_lighter_item_that_would_crowd_one_period_does_not_dominate() -> None:
    # j spreads 60 weeks over two periods (30 each); i's 40 weeks fit one period, so i in
    # j's place would put 40 weeks where j put 30.
    i = Item("i", "t", effort=40, value=10)
    j = Item("j", "t", effort=60, value=5)
    filler = [Item(f"f{k}", "t", effort=40, value=20) for k in range(3)]
    problem = RoadmapProblem(
        periods=["p1", "p2"], capacity={"t": [45.0, 45.0]}, items=[i, j, *filler]
    )
    assert "j" not in optimize_model.dominated(problem)


def _random_problem(seed: int) -> RoadmapProblem:
    rng = random.Random(seed)
    periods = ["a", "b", "c"]
    capacity = {t: [float(rng.randint(6, 14)) for _ in periods] for t in ("t1", "t2")}
    items = []
    for k in range(rng.randint(10, 24)):
        items.append(
            Item(
                id=f"i{k}",
                team=rng.choice(["t1", "t2"]),
                effort=float(rng.choice([1, 2, 3, 4, 5, 8, 13, 20])),
                value=float(rng.choice([1, 2, 3, 5, 8, 13])),
                depends_on=(f"i{rng.randrange(k)}",) if k and rng.random() < 0.3 else (),
                excludes=(f"i{k - 1}",) if k and rng.random() < 0.1 else (),
                must=k == 0 and rng.random() < 0.5,
            )
        )
    return RoadmapProblem(
        periods=periods, capacity=capacity, items=items, discount=0.9, max_period_share=0.8
    )


def test_leaving_dominated_items_out_keeps_the_optimum() -> None:
    left_out = 0
    for seed in range(60):
        problem = _random_problem(seed)
        out = optimize_model.dominated(problem)
        left_out += len(out)
        full = optimize_model.solve(optimize_model._build(problem).milp, mip_rel_gap=0.0)
        reduced = optimize_model._build(problem, left_out=out)
        assert all(not reduced.columns[i] for i in out)
        best = optimize_model.solve(reduced.milp, mip_rel_gap=0.0).objective
        assert best == pytest.approx(full.objective), f"seed {seed}: {sorted(out)}"
    assert left_out >= 30  # the cases do exercise the reduction (about 50 items in all)


def test_wider_blocks_join_linked_teams_most_linked_first_and_three_periods() -> None:
    items = [
        Item("a1", "a", 1, 1),
        Item("a2", "a", 1, 1),
        Item("b1", "b", 1, 1, depends_on=("a1",)),
        Item("b2", "b", 1, 1, depends_on=("a2",)),
        Item("c1", "c", 1, 1, excludes=("b1",)),
        Item("d1", "d", 1, 1),
    ]
    periods = ["p1", "p2", "p3", "p4"]
    problem = RoadmapProblem(periods=periods, capacity={t: [5.0] * 4 for t in "abcd"}, items=items)
    built = optimize_model._build(problem)
    team = optimize_model._team_columns(problem, built)
    pairs = optimize_model._linked_team_pairs(problem, built)
    assert pairs == [team["a"] + team["b"], team["b"] + team["c"]]  # d is linked to no one
    plan = np.zeros(len(built.milp.cost))
    start_of_a1 = dict(built.columns["a1"])
    plan[start_of_a1[3]] = 1.0  # a1 placed in the last period: outside the first window
    first, second = optimize_model._period_blocks(problem, built, width=3)
    freed = set(first(plan))
    assert start_of_a1[0] not in freed and start_of_a1[3] not in freed
    assert {c for s, c in built.columns["d1"] if s <= 2} <= freed
    assert start_of_a1[3] in set(second(plan)) and start_of_a1[0] not in set(second(plan))


def test_dominance_never_counts_on_an_overload_a_solve_accepts() -> None:
    # 5 + 5.0000005 weeks overload 10 by less than a solve's tolerance: both fit.
    problem = _one_team(Item("a", "t", 5.0, 1.0), Item("b", "t", 5.0000005, 1.0))
    assert optimize_model.dominated(problem) == {}
    assert solve_roadmap(problem).objective == pytest.approx(2.0)


def test_an_item_that_needs_or_excludes_itself_is_never_planned_and_rows_still_hold() -> None:
    # Repeated columns in one row: HiGHS refuses such rows, which once left a model with
    # no rows at all (items started twice, capacity ignored).
    problem = _one_team(
        Item("a", "t", 1.0, 5.0, depends_on=("a",)),
        Item("b", "t", 2.0, 1.0),
        Item("c", "t", 1.0, 2.0, excludes=("c",)),
        weeks=2.0,
    )
    solution = solve_roadmap(problem)
    assert set(solution.placements) == {"b"}
    assert solution.used["t"] == [pytest.approx(2.0)]


def test_a_row_sums_a_repeated_column_and_a_refused_model_is_an_error() -> None:
    milp = Milp()
    x = milp.add_column(1.0)
    milp.add_row([x, x, x], [1.0, -1.0, 2.0], -math.inf, 1.0)
    assert milp.rows == [([x], [2.0], -math.inf, 1.0)]
    with pytest.raises(ValueError, match="cancel"):
        milp.add_row([x, x], [1.0, -1.0], 1.0, 2.0)
    milp.rows.append(([x + 5], [1.0], -math.inf, 1.0))  # a column that does not exist
    with pytest.raises(ValueError, match="refused the model's rows"):
        solve(milp)


@pytest.mark.parametrize(
    ("largest", "scale"),
    # HiGHS's own advice in its log for such cost ranges: 7e6 -> -3, 9e7 -> -7, 2e6 -> -1.
    [(7e6, -3), (9e7, -7), (2e6, -1), (1e6, 0), (5.0, 0)],
)
def test_money_sized_costs_are_scaled_by_the_power_of_two_highs_advises(
    largest: float, scale: int
) -> None:
    assert objective_scale([-3.0, largest / 2, -largest]) == scale
    assert objective_scale([]) == 0


def test_a_scaled_objective_reports_the_same_optimum_bound_and_plan() -> None:
    # The two knapsacks with values in the millions (scaled by 2**-3 inside HiGHS) and
    # the same ones in units: the same plan, and objective and bound in the caller's units.
    milp, _ = two_knapsacks()
    big = Milp()
    for value in milp.cost:
        big.add_column(value * 1e6)
    big.rows = list(milp.rows)
    assert objective_scale(big.cost) == -3
    small, large = solve(milp), solve(big)
    assert large.optimal and np.array_equal(large.values, small.values)
    assert large.objective == pytest.approx(18e6) and large.bound == pytest.approx(18e6)


def knapsack(scale: float = 1.0) -> Milp:
    """Values 10, 7, 5 (times ``scale``), weights 4, 3, 2, capacity 5: optimum 12 (7 + 5)."""
    milp = Milp()
    cols = [milp.add_column(v * scale) for v in (10.0, 7.0, 5.0)]
    milp.add_row(cols, [4.0, 3.0, 2.0], -math.inf, 5.0)
    return milp


@pytest.mark.parametrize("scale", [1.0, 1e6])
def test_a_cutoff_above_the_optimum_is_proven_and_becomes_the_bound(scale: float) -> None:
    # This also pins how HiGHS reads its cutoff option (the negated objective of a
    # maximisation, in its scaled units): read any other way, it would find 12 or 10.
    milp = knapsack(scale)
    alone = solve(milp, cutoff=12.5 * scale)
    assert alone.status == _highs.CUTOFF_PROVEN and not alone.feasible
    assert alone.bound == 12.5 * scale and not alone.optimal
    # From a plan worth 10 (it may find the 12 below the cutoff too): the bound stays
    # the cutoff, and the gap and the claim of optimality are measured against it.
    for tolerance in (0.3, 0.01):
        started = solve(
            milp, cutoff=12.5 * scale, start=np.array([1.0, 0.0, 0.0]), mip_rel_gap=tolerance
        )
        assert started.objective in (pytest.approx(10 * scale), pytest.approx(12 * scale))
        assert started.bound == 12.5 * scale
        gap = (12.5 * scale - started.objective) / started.objective
        assert started.gap == pytest.approx(gap) and started.optimal == (gap <= tolerance)
    assert not started.optimal  # 12.5 is more than 1% above any plan


@pytest.mark.parametrize("scale", [1.0, 1e6])
def test_a_cutoff_below_the_optimum_still_finds_it(scale: float) -> None:
    found = solve(knapsack(scale), cutoff=11.5 * scale, mip_rel_gap=0.0)
    assert found.optimal and found.objective == pytest.approx(12 * scale)
    assert found.bound == pytest.approx(12 * scale)
    assert np.array_equal(found.values, [0.0, 1.0, 1.0])


@pytest.mark.parametrize("seed", range(3))
def test_falling_cutoffs_prove_the_optimum_and_never_claim_a_bound_below_it(seed: int) -> None:
    milp = random_knapsacks(seed)
    exact = solve(milp, mip_rel_gap=0.0)
    assert exact.optimal
    slot = optimize_model._Incumbent(milp)
    deadline = time.perf_counter() + 30.0
    proved = optimize_model._prove(milp, slot, deadline=deadline, mip_rel_gap=1e-3)
    assert proved.bound >= exact.objective - 1e-6
    assert slot.objective >= proved.bound / (1 + 1e-3) - 1e-6  # proven within the gap
    assert slot.objective <= exact.objective + 1e-6


def test_falling_cutoffs_still_find_a_model_without_any_plan() -> None:
    # Integer-infeasible though its relaxation is not (2x = 1): the first cutoff is
    # "proven" with no plan known, so a run without one must say the model has none.
    milp = Milp()
    x = milp.add_column(1.0)
    milp.add_row([x], [2.0], 1.0, 1.0)
    slot = optimize_model._Incumbent(milp)
    proved = optimize_model._prove(
        milp, slot, deadline=time.perf_counter() + 10.0, mip_rel_gap=1e-3
    )
    assert proved.status == "Infeasible" and not proved.feasible


def random_knapsacks(seed: int) -> Milp:
    """Three teams of 30 items, each item started in one of 4 periods (discounted) or not
    at all, within 15 weeks per team and period: a small MILP like the roadmap's."""
    rng = random.Random(seed)
    milp = Milp()
    for _ in range(3):
        loads: dict[int, list[tuple[int, float]]] = {}
        for _ in range(30):
            weight, value = float(rng.randint(1, 9)), rng.lognormvariate(2, 1)
            cols = [milp.add_column(value * 0.97**p) for p in range(4)]
            milp.add_row(cols, [1.0] * 4, -math.inf, 1.0)
            for p, c in enumerate(cols):
                loads.setdefault(p, []).append((c, weight))
        for pairs in loads.values():
            milp.add_row([c for c, _ in pairs], [w for _, w in pairs], -math.inf, 15.0)
    return milp


@pytest.mark.parametrize("seed", range(3))
def test_once_its_cutoff_is_proven_the_exact_solve_joins_the_plan_search(seed: int) -> None:
    milp = random_knapsacks(seed)
    exact = solve(milp, mip_rel_gap=0.0)
    relaxed = _highs.relaxation_bound(milp, time_limit=10.0)
    assert relaxed is not None and exact.objective < relaxed * (1 - 1e-3)  # so it is proven
    slot = optimize_model._Incumbent(milp)
    nothing = np.zeros(len(milp.cost))
    slot.offer(nothing)
    workers: set[str] = set()

    def improve(values: np.ndarray) -> None:
        workers.add(threading.current_thread().name)
        slot.offer(values)

    teams = [list(range(120 * k, 120 * (k + 1))) for k in range(3)]  # 30 items x 4 periods
    search = BlockSearch(milp, nothing, [teams], on_improve=improve)
    shared = optimize_model._SharedSearch()
    shared.publish(search)
    deadline = time.perf_counter() + 30.0
    proved = optimize_model._prove(milp, slot, deadline=deadline, mip_rel_gap=1e-3, shared=shared)
    # No plan lies above the first cutoff: every plan came from the search, on this core.
    assert workers == {threading.current_thread().name}
    assert slot.objective == pytest.approx(exact.objective, rel=1e-6)
    assert exact.objective - 1e-6 <= proved.bound <= slot.objective * (1 + 1e-3) + 1e-6


def test_two_threads_starting_highs_at_once_leave_standard_output_where_it_was(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The exact solve and its helper both start HiGHS at once; the first start hides
    # HiGHS's banner by pointing descriptor 1 at the null device for a moment. Were a
    # second thread to start HiGHS meanwhile, it would save (and later put back) the
    # null device, and every line the process prints after would be lost: it must wait.
    real = highspy.Highs
    started: list[str] = []
    go_on = threading.Event()

    def held_start() -> highspy.Highs:
        started.append(threading.current_thread().name)
        if len(started) == 1:
            go_on.wait(timeout=10)
        return real()

    monkeypatch.setattr(highspy, "Highs", held_start)
    monkeypatch.setattr(_highs, "_banner_shown", False)
    where = os.fstat(1)
    first = threading.Thread(target=_highs.new_highs, name="first")
    second = threading.Thread(target=_highs.new_highs, name="second")
    first.start()
    while not started:
        time.sleep(0.01)
    second.start()
    time.sleep(0.3)
    assert started == ["first"]  # the second waits while the banner is being hidden
    go_on.set()
    first.join()
    second.join()
    assert started[0] == "first" and sorted(started) == ["first", "first", "second"]
    now = os.fstat(1)
    assert (now.st_dev, now.st_ino) == (where.st_dev, where.st_ino)


class _SearchThatConvergesMeanwhile(optimize_model._SharedSearch):
    """Open to join only at its second look: a run stops to join it, and it is gone."""

    def __init__(self, search: BlockSearch) -> None:
        super().__init__()
        self.looks = 0
        self._only = search

    def open(self) -> BlockSearch | None:
        self.looks += 1
        return self._only if self.looks == 2 else None


def test_a_run_stopped_to_join_a_search_that_converged_meanwhile_goes_on() -> None:
    milp = random_knapsacks(0)
    exact = solve(milp, mip_rel_gap=0.0)
    slot = optimize_model._Incumbent(milp)
    nothing = np.zeros(len(milp.cost))
    slot.offer(nothing)
    shared = _SearchThatConvergesMeanwhile(
        BlockSearch(milp, nothing, [[list(range(len(milp.cost)))]], on_improve=slot.offer)
    )
    deadline = time.perf_counter() + 30.0
    proved = optimize_model._prove(milp, slot, deadline=deadline, mip_rel_gap=1e-3, shared=shared)
    assert shared.looks >= 3  # the second look stopped a run; the third found nothing
    assert exact.objective - 1e-6 <= proved.bound <= slot.objective * (1 + 1e-3) + 1e-6
    assert slot.objective == pytest.approx(exact.objective, rel=1e-3)
