"""Why-not at scale: re-solves from the plan against from scratch, and a budgeted answer.

Usage::

    .venv/bin/python bench/whynot_scale.py                    # 2,000 candidates, 0.1% gap
    .venv/bin/python bench/whynot_scale.py --candidates 500 --budget 60

On the roadmap benchmark's instance (``bench/roadmap_scale.py``), the plan is solved, and
the deferred candidate bringing the most value per week is asked about. Three re-solves of
the kind ``tower whynot`` searches with (8 more weeks for its team in the third period, its
value x1.5, its effort halved) are timed from scratch and from the plan (``start``), then
the whole why-not answer is timed under a budget. Writes ``bench/results/whynot_scale.json``.
No target is set by an issue; the figures show what a re-solve from the plan saves and
what a budget buys on a big workspace.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace
from pathlib import Path

from controltower.optimize.explain import why_not
from controltower.optimize.model import Item, RoadmapProblem, solve_roadmap
from roadmap_scale import instance

ROOT = Path(__file__).resolve().parent.parent


def _changed(problem: RoadmapProblem, item: Item) -> dict[str, RoadmapProblem]:
    """The three searched changes, each as a problem."""
    row = list(problem.capacity[item.team])
    row[min(2, len(row) - 1)] += 8.0

    def with_item(**change: float) -> RoadmapProblem:
        items = [replace(i, **change) if i.id == item.id else i for i in problem.items]
        return replace(problem, items=items)

    return {
        f"capacity +8 weeks, {item.team}": replace(
            problem, capacity={**problem.capacity, item.team: row}
        ),
        "value x1.5": with_item(value=item.value * 1.5),
        "effort halved": with_item(effort=max(1.0, item.effort / 2)),
    }


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--candidates", type=int, default=2000)
    parser.add_argument("--gap", type=float, default=1e-3, help="Relative MIP gap to prove.")
    parser.add_argument("--time-limit", type=float, default=30.0, help="Seconds per solve.")
    parser.add_argument("--budget", type=float, default=120.0, help="Seconds for the answer.")
    args = parser.parse_args(argv)
    limits = {"time_limit": args.time_limit, "mip_rel_gap": args.gap}
    problem = instance(args.candidates)
    started = time.perf_counter()
    plan = solve_roadmap(problem, **limits)
    out = {
        "candidates": args.candidates,
        "gap": args.gap,
        "time_limit": args.time_limit,
        "plan": {
            "objective": round(plan.objective, 2),
            "proven": plan.optimal,
            "seconds": round(time.perf_counter() - started, 3),
        },
    }
    left_out = [i for i in problem.items if i.id not in plan.placements and i.forbidden is None]
    item = max(left_out, key=lambda i: (i.value / i.effort, i.id))
    starts = {i: placed.start for i, placed in plan.placements.items()}
    resolves = []
    for change, changed in _changed(problem, item).items():
        for start in (None, starts):
            started = time.perf_counter()
            found = solve_roadmap(changed, start=start, **limits)
            row = {
                "change": change,
                "from_plan": start is not None,
                "seconds": round(time.perf_counter() - started, 3),
                "proven": found.optimal,
                "objective": round(found.objective, 2),
                "item_in": item.id in found.placements,
            }
            resolves.append(row)
            print(json.dumps(row), flush=True)
    started = time.perf_counter()
    answer = why_not(problem, plan, item.id, budget=args.budget, **limits)
    out |= {
        "item": item.id,
        "resolves": resolves,
        "why_not": {
            "budget": args.budget,
            "seconds": round(time.perf_counter() - started, 3),
            "resolves": answer.resolves,
            "unproven": answer.unproven,
            "undecided": answer.undecided,
            "cut_short": answer.cut_short,
            "value_lost": round(answer.value_lost, 2),
            "changes": [c.description for c in answer.changes],
        },
    }
    print(json.dumps(out["why_not"]), flush=True)
    path = ROOT / "bench" / "results" / "whynot_scale.json"
    path.write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
