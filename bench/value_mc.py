"""Benchmark: the value Monte Carlo, 10,000 draws for 2,000 candidates (target < 2 s).

Synthetic inputs (uniform revenue and savings, triangular effort ranges, mixed delivery
probabilities). Prints the best of a few runs and writes ``bench/results/value_mc.json``.

Run: .venv/bin/python bench/value_mc.py
"""

from __future__ import annotations

import json
import platform
import time
from pathlib import Path

import numpy as np

from controltower.synthesize.embed import cpu_count
from controltower.value.model import SimulationInputs, simulate

CANDIDATES = 2_000
DRAWS = 10_000
TARGET_SECONDS = 2.0
RUNS = 3


def synthetic_inputs(n: int, seed: int = 1) -> SimulationInputs:
    """Inputs of ``n`` made-up candidates."""
    rng = np.random.default_rng(seed)
    low = rng.uniform(1, 5, n)
    mode = low + rng.uniform(0, 5, n)
    return SimulationInputs(
        revenue=rng.uniform(0, 2e6, n),
        savings=rng.uniform(0, 1e6, n),
        savings_cap=np.full(n, 1 / 0.7),
        uplift=rng.uniform(1.0, 1.5, n),
        success=rng.choice([0.1, 0.7, 0.95], n),
        effort_low=low,
        effort_mode=mode,
        effort_high=mode + rng.uniform(0, 10, n),
        week_cost=6000.0,
        horizon=8,
    )


def main() -> None:
    """Time the simulation and write the result file."""
    sim = synthetic_inputs(CANDIDATES)
    workers = min(2, cpu_count())
    timings = []
    for _ in range(RUNS):
        start = time.perf_counter()
        simulate(sim, draws=DRAWS, seed=0, workers=workers)
        timings.append(time.perf_counter() - start)
    best = min(timings)
    result = {
        "candidates": CANDIDATES,
        "draws": DRAWS,
        "workers": workers,
        "seconds_best": round(best, 3),
        "seconds_all": [round(t, 3) for t in timings],
        "target_seconds": TARGET_SECONDS,
        "passed": best < TARGET_SECONDS,
        "numpy": np.__version__,
        "python": platform.python_version(),
        "cpus": cpu_count(),
    }
    print(json.dumps(result, indent=2))
    folder = Path(__file__).resolve().parent / "results"
    folder.mkdir(exist_ok=True)
    (folder / "value_mc.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
