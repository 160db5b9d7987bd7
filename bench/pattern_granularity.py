"""Pattern granularity: what `tower synthesize` finds on labelled corpora, per setting.

Scores the clustering synthesis runs (Leiden on the shared-neighbour graph, with
``pattern_clustering_params``) against gold labels, for the default settings and for
fixed resolutions, on:

- the Banking77 and CLINC150 test splits (``../shared/benchmarks/feedback/``), whole and
  in seeded slices of a few dozen intents (a company's worth of needs);
- the sample company (``tower sample``, seed 7, signals and custom-work notes, its
  planted concerns as labels, noise notes left out of the scores).

Metrics: patterns found, NMI, ARI, ACC (best one-to-one match of patterns to labels) and
purity (share of texts in the majority label of their pattern: how mixed patterns are).

    .venv/bin/python bench/pattern_granularity.py --json
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from sklearn import metrics

from cluster_quality import CORPORA, accuracy, read_corpus
from controltower.sample.generator import write_sample_bundle
from controltower.settings import SynthesisSettings
from controltower.synthesize.cluster import cluster_embeddings
from controltower.synthesize.embed import MiniLMEmbedder
from controltower.synthesize.pipeline import pattern_clustering_params

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results" / "pattern_granularity.json"
SETTINGS = {
    "default (resolution by silhouette)": SynthesisSettings(),
    "resolution 1": SynthesisSettings(resolution=1.0),
    "resolution 4": SynthesisSettings(resolution=4.0),
    "resolution 16": SynthesisSettings(resolution=16.0),
}
SLICES = {"banking77": 40, "clinc150": 50}
"""Intents drawn (seeded) for each corpus's slice."""
SEED = 0


def sample_company(folder: Path) -> tuple[list[str], list[str]]:
    """The sample company's texts and their planted concern (``noise`` for noise notes)."""
    summary = write_sample_bundle(folder, write_truth=True)
    truth = summary.truth_path
    assert truth is not None
    texts: list[str] = []
    labels: list[str] = []
    for table, key, text, truth_file in (
        ("signals.csv", "signal_id", "text", "signals_truth.csv"),
        ("custom_work.csv", "work_id", "description", "custom_work_truth.csv"),
    ):
        with (truth / truth_file).open(encoding="utf-8") as handle:
            concern = {row[key]: row["concern"] for row in csv.DictReader(handle)}
        with (folder / table).open(encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                texts.append(row[text])
                labels.append(concern[row[key]])
    return texts, labels


def sliced(texts: list[str], labels: list[str], intents: int) -> tuple[list[str], list[str]]:
    """The texts of ``intents`` labels drawn with the seed."""
    rng = np.random.default_rng(SEED)
    chosen = set(rng.choice(sorted(set(labels)), intents, replace=False).tolist())
    keep = [i for i, label in enumerate(labels) if label in chosen]
    return [texts[i] for i in keep], [labels[i] for i in keep]


def score(gold_labels: list[str], found: npt.NDArray[np.int64]) -> dict[str, Any]:
    """Scores against the labels, noise texts left out, outliers as singletons."""
    keep = np.array([label != "noise" for label in gold_labels])
    gold = np.unique(np.asarray(gold_labels)[keep], return_inverse=True)[1]
    labels = found[keep].copy()
    lonely = labels < 0
    labels[lonely] = labels.max(initial=0) + 1 + np.arange(int(lonely.sum()))
    table = metrics.cluster.contingency_matrix(gold, labels)
    return {
        "patterns": len(np.unique(found[found >= 0])),
        "nmi": metrics.normalized_mutual_info_score(gold, labels),
        "ari": metrics.adjusted_rand_score(gold, labels),
        "acc": accuracy(gold, labels),
        "purity": float(table.max(axis=0).sum() / keep.sum()),
    }


def run(texts: list[str], labels: list[str], embedder: MiniLMEmbedder) -> dict[str, Any]:
    vectors = embedder.embed(texts)
    rows: dict[str, Any] = {}
    for setting, config in SETTINGS.items():
        params = pattern_clustering_params(len(texts), config)
        result = cluster_embeddings(vectors, seed=config.seed, **params)
        rows[setting] = {"params": result.params} | score(labels, result.labels)
    known = {label for label in labels if label != "noise"}
    return {"texts": len(texts), "labels": len(known), "settings": rows}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--json", action="store_true", help=f"also write {RESULTS}")
    args = parser.parse_args(argv)
    missing = [str(path) for path in CORPORA.values() if not path.is_file()]
    if missing:
        print(f"data not found: {', '.join(missing)}", file=sys.stderr)
        return 2
    embedder = MiniLMEmbedder()
    results: dict[str, Any] = {}
    for corpus, path in CORPORA.items():
        texts, labels = read_corpus(path)
        results[corpus] = run(texts, labels, embedder)
        part = sliced(texts, labels, SLICES[corpus])
        results[f"{corpus} ({SLICES[corpus]} intents)"] = run(*part, embedder)
    with tempfile.TemporaryDirectory() as folder:
        results["sample company"] = run(*sample_company(Path(folder)), embedder)
    for name, result in results.items():
        print(f"\n## {name}: {result['texts']} texts, {result['labels']} labels")
        print(
            f"{'setting':38s} {'res':>5s} {'pat':>4s} {'NMI':>6s} {'ARI':>6s} {'ACC':>6s} "
            f"{'pur':>6s}"
        )
        for setting, row in result["settings"].items():
            print(
                f"{setting:38s} {row['params']['resolution']:5g} {row['patterns']:4d} "
                f"{row['nmi']:6.3f} {row['ari']:6.3f} {row['acc']:6.3f} {row['purity']:6.3f}"
            )
    if args.json:
        RESULTS.write_text(json.dumps(results, indent=1, default=str) + "\n", encoding="utf-8")
        print(f"\nwrote {RESULTS.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
