"""Import speed and peak memory: sample bundles of 100k and 1M signals into SQLite.

Usage: python bench/import_speed.py [--sizes 100000 1000000] [--json]

Each size is generated once (cached under bench/.data/), then imported into a fresh
workspace in a child process so that peak memory (ru_maxrss) is that import's alone.
Writes bench/results/import_speed.json.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "bench" / ".data"
RESULTS = ROOT / "bench" / "results"


def bundle_for(signals: int) -> Path:
    from controltower.sample import write_sample_bundle

    folder = DATA / f"sample-{signals}"
    if not (folder / "signals.csv").exists():
        shutil.rmtree(folder, ignore_errors=True)
        write_sample_bundle(
            folder,
            accounts=max(80, signals // 1000),
            signals=signals,
            custom_work=max(400, signals // 10),
        )
    return folder


def peak_rss_bytes() -> int:
    """This process's peak resident memory (VmHWM; ru_maxrss would include the parent's)."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def measure(bundle: Path) -> dict[str, float]:
    """Import one bundle into a fresh workspace (runs in the child process)."""
    from controltower.ingest.bundle import import_bundle
    from controltower.workspace import init_workspace

    target = DATA / "ws-bench"
    shutil.rmtree(target, ignore_errors=True)
    with init_workspace(target) as workspace:
        start = time.perf_counter()
        report = import_bundle(bundle, workspace=workspace)
        seconds = time.perf_counter() - start
    signals = next(f.rows for f in report.files if f.file == "signals.csv")
    shutil.rmtree(target, ignore_errors=True)
    return {
        "signals": signals,
        "rows": report.rows,
        "seconds": round(seconds, 2),
        "rows_per_second": round(report.rows / seconds),
        "peak_rss_mb": round(peak_rss_bytes() / 2**20, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--json", action="store_true", help="print JSON results")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        print(json.dumps(measure(args.child)))
        return
    results = []
    for size in args.sizes:
        bundle = bundle_for(size)
        child = subprocess.run(
            [sys.executable, __file__, "--child", str(bundle)],
            check=True,
            capture_output=True,
            text=True,
        )
        result = json.loads(child.stdout.strip().splitlines()[-1])
        results.append(result)
        if not args.json:
            print(
                f"{size:>9,} signals: {result['rows_per_second']:>8,} rows/s, "
                f"{result['seconds']} s, peak {result['peak_rss_mb']} MB"
            )
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "import_speed.json").write_text(json.dumps(results, indent=2) + "\n")
    if args.json:
        print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
