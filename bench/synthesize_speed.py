"""End-to-end synthesis speed: full run on N sample signals vs embedding alone, then +1%.

Usage: python bench/synthesize_speed.py [--signals 100000] [--json]

In one run: (1) embed the workspace's distinct texts alone with the same model (the
floor: the model is the limit); (2) `synthesize` on a fresh cache, embedding included;
(3) import 1% more signals and run `synthesize` again (incremental). Peak memory is the
process's maximum RSS. Writes bench/results/synthesize_speed.json.
"""

from __future__ import annotations

import argparse
import csv
import json
import resource
import shutil
import time
from pathlib import Path

from controltower.ingest.bundle import import_bundle
from controltower.sample import write_sample_bundle
from controltower.synthesize.embed import MiniLMEmbedder
from controltower.synthesize.items import load_items
from controltower.synthesize.pipeline import synthesize
from controltower.workspace import init_workspace

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "bench" / ".data"
RESULTS = ROOT / "bench" / "results"


def extra_bundle(source: Path, target: Path, count: int) -> None:
    """A bundle of ``count`` new signals (copies of existing texts with a new tail)."""
    target.mkdir(parents=True, exist_ok=True)
    shutil.copy(source / "accounts.csv", target / "accounts.csv")
    with (source / "signals.csv").open(encoding="utf-8", newline="") as handle:
        rows = [row for _, row in zip(range(count), csv.DictReader(handle), strict=False)]
    with (target / "signals.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        for number, row in enumerate(rows):
            row["signal_id"] = f"new-{number:06d}"
            row["text"] = f"{row['text']} (follow-up {number})"
            writer.writerow(row)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--signals", type=int, default=100_000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    bundle = DATA / f"synth-{args.signals}"
    if not (bundle / "signals.csv").exists():
        write_sample_bundle(
            bundle,
            accounts=max(80, args.signals // 1000),
            signals=args.signals,
            custom_work=max(400, args.signals // 10),
        )
    folder = DATA / "ws-synth"
    shutil.rmtree(folder, ignore_errors=True)
    workspace = init_workspace(folder)
    import_bundle(bundle, workspace=workspace)
    with workspace.engine.connect() as connection:
        items = load_items(connection)
    texts = list(dict.fromkeys(item.text for item in items))
    embedder = MiniLMEmbedder()
    start = time.perf_counter()
    embedder.embed(texts, batch_size=workspace.settings.synthesis.batch_size)
    embed_alone = time.perf_counter() - start
    full = synthesize(workspace, embedder=embedder)
    extra = DATA / "synth-extra"
    shutil.rmtree(extra, ignore_errors=True)
    extra_bundle(bundle, extra, max(1, args.signals // 100))
    import_bundle(extra, workspace=workspace)
    incremental = synthesize(workspace, embedder=embedder)
    result = {
        "signals": args.signals,
        "items": full.items,
        "distinct_texts": len(texts),
        "embed_alone_seconds": round(embed_alone, 1),
        "texts_per_second": round(len(texts) / embed_alone),
        "full_seconds": full.seconds,
        "full_over_embed": round(full.seconds / embed_alone, 3),
        "full_stages": full.stages,
        "patterns": full.patterns,
        "incremental_seconds": incremental.seconds,
        "incremental_over_full": round(incremental.seconds / full.seconds, 3),
        "incremental_stages": incremental.stages,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    workspace.close()
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "synthesize_speed.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
