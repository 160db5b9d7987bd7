"""Roadmap optimizer: each rule on cases solved by hand, NRP against brute force, CLI."""

from __future__ import annotations

import itertools
import json
import random
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import write_bundle
from controltower.cli import app
from controltower.ingest.bundle import import_bundle
from controltower.optimize import plan_roadmap, why_not
from controltower.optimize.bundle import BundleProblem, closure, greedy_bundle, solve_bundle
from controltower.optimize.explain import why_not as why_not_problem
from controltower.optimize.model import (
    Item,
    PlanConflictError,
    RoadmapProblem,
    greedy_roadmap,
    plan_value,
    solve_roadmap,
)
from controltower.synthesize.embed import HashingEmbedder
from controltower.synthesize.pipeline import synthesize
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


def test_dependency_starts_after_prerequisite_finishes() -> None:
    items = [Item("base", "core", 10, 1.0), Item("top", "core", 10, 100.0, depends_on=("base",))]
    assert planned(problem(items, [10, 10])) == {"base": 0, "top": 1}
    assert planned(problem(items, [10])) == {"base": 0}
    blocked = [Item("base", "core", 1, 1.0, forbidden="guardrail g1"), items[1]]
    assert planned(problem(blocked, [20, 20])) == {}


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


# --- a planted workspace, end to end -------------------------------------------------


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    root = tmp_path_factory.mktemp("optimize")
    bundle = planted_bundle()
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
    workspace = init_workspace(root / "ws")
    import_bundle(write_bundle(root / "bundle", bundle), workspace=workspace)
    synthesize(workspace, embedder=HashingEmbedder())
    return workspace


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
    new = ["-w", ws, "scenario", "new", "fires", "--set", "planning.balance=0.1"]
    assert runner.invoke(app, new).exit_code == 0
    assert (planted.path / "scenarios" / "fires.toml").exists()
    bad = ["-w", ws, "scenario", "new", "oops", "--set", "planning.nope=1"]
    assert runner.invoke(app, bad).exit_code == 2
    assert not (planted.path / "scenarios" / "oops.toml").exists()
    result = runner.invoke(app, ["-w", ws, "scenario", "compare", "base", "fires"])
    assert result.exit_code == 0, result.output
    assert "move" in result.output


def test_plan_needs_periods(tmp_path: Path) -> None:
    workspace = init_workspace(tmp_path / "ws")
    with pytest.raises(Exception, match="synthesize"):
        plan_roadmap(workspace)


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
