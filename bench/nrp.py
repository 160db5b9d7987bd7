"""Next Release Problem benchmark: the bundle value mode against the reference optima.

Usage::

    .venv/bin/python bench/nrp.py ../shared/benchmarks/nrp/classic/nrp1.txt \
        --budget-ratio 0.3 --json
    .venv/bin/python bench/nrp.py --all

Budget = floor(ratio x total cost), in integer arithmetic (the ratio is read as a
decimal fraction, so 0.7 x 10700 is exactly 7490). ``--all`` runs every classic and
realistic instance at 0.3, 0.5 and 0.7, beside a greedy profit/cost baseline, and writes
``bench/results/nrp.json``.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

from controltower.optimize.bundle import BundleProblem, greedy_bundle, solve_bundle

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "benchmarks" / "nrp"
RATIOS = ("0.3", "0.5", "0.7")


def parse_instance(path: Path, ratio: str) -> tuple[BundleProblem, int]:
    """Parse a plain NRP file (token stream, 1-based ids); return the problem and budget."""
    tokens = [int(t) for t in path.read_bytes().split()]
    pos = 0

    def take() -> int:
        nonlocal pos
        pos += 1
        return tokens[pos - 1]

    costs: list[int] = []
    for _ in range(take()):
        costs.extend(take() for _ in range(take()))
    dependencies = [(take() - 1, take() - 1) for _ in range(take())]
    profits: list[int] = []
    requests: list[list[int]] = []
    for _ in range(take()):
        profits.append(take())
        requests.append([take() - 1 for _ in range(take())])
    if pos != len(tokens):
        raise ValueError(f"{path.name}: {len(tokens) - pos} token(s) left over")
    total = sum(costs)
    budget = int(Fraction(Decimal(ratio)) * total)  # floor for a positive fraction
    problem = BundleProblem(costs, profits, requests, dependencies, float(budget))
    return problem, budget


def run(path: Path, ratio: str, time_limit: float) -> dict[str, object]:
    """Solve one instance at one ratio; the fields of ``--json``."""
    started = time.perf_counter()
    problem, budget = parse_instance(path, ratio)
    solution = solve_bundle(problem, time_limit=time_limit)
    return {
        "instance": path.stem,
        "budget_ratio": float(ratio),
        "budget": budget,
        "profit": int(solution.profit),
        "cost": int(solution.cost),
        "optimal": solution.optimal,
        "gap": solution.gap,
        "seconds": round(time.perf_counter() - started, 3),
    }


def reference() -> dict[tuple[str, str], int]:
    """Reference optima (floor budget) by (instance, ratio)."""
    with (DATA / "reference_optima_highs.csv").open(encoding="utf-8") as handle:
        return {
            (row["instance"], row["ratio"]): int(row["optimum_floor"])
            for row in csv.DictReader(handle)
        }


def run_all(time_limit: float) -> list[dict[str, object]]:
    """Every classic and realistic instance at every ratio, with greedy and reference."""
    optima = reference()
    files = sorted((DATA / "classic").glob("nrp[0-9].txt")) + sorted(
        (DATA / "realistic").glob("nrp-*.txt")
    )
    rows = []
    for path in files:
        for ratio in RATIOS:
            row = run(path, ratio, time_limit)
            problem, _ = parse_instance(path, ratio)
            row["greedy_profit"] = int(greedy_bundle(problem).profit)
            row["reference"] = optima.get((path.stem, ratio))
            row["matches_reference"] = row["profit"] == row["reference"]
            rows.append(row)
            print(
                f"{path.stem:8} {ratio}  profit {row['profit']:>6}  ref {row['reference']!s:>6}"
                f"  optimal {row['optimal']!s:5}  {row['seconds']:>7.2f}s"
                f"  greedy {row['greedy_profit']:>6}",
                flush=True,
            )
    return rows


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", nargs="?", type=Path, help="An NRP instance file.")
    parser.add_argument("--budget-ratio", default="0.5", help="Budget as a share of total cost.")
    parser.add_argument("--json", action="store_true", help="Print the result as JSON.")
    parser.add_argument("--all", action="store_true", help="Run every instance and ratio.")
    parser.add_argument("--time-limit", type=float, default=600.0, help="Seconds per solve.")
    args = parser.parse_args(argv)
    if args.all:
        rows = run_all(args.time_limit)
        out = ROOT / "bench" / "results" / "nrp.json"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(rows, indent=1) + "\n", encoding="utf-8")
        ok = all(r["optimal"] and r["matches_reference"] for r in rows)
        print(f"{sum(bool(r['matches_reference']) for r in rows)}/{len(rows)} match; {out}")
        return 0 if ok else 1
    if args.file is None:
        parser.error("give an instance FILE or --all")
    row = run(args.file, args.budget_ratio, args.time_limit)
    print(json.dumps(row) if args.json else row)
    return 0


if __name__ == "__main__":
    sys.exit(main())
