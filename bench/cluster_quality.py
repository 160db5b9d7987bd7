"""Clustering quality on labelled intent corpora: every method and two baselines.

Embeds each corpus once with MiniLMEmbedder (timed), runs every clustering method on the
same vectors, and scores them against the gold labels with NMI, ARI, ACC (accuracy under
the best one-to-one matching of clusters to labels, as TEXTOIR reports it) and V-measure.
The row "tower synthesize default" is exactly what ``tower synthesize`` runs on a corpus of
that size with the default settings.
Outliers (-1) are scored three ways: each as its own singleton cluster (the headline
numbers: strict, an outlier never matches anything), all together as one cluster, and
each assigned to the nearest cluster centroid. The default method is also run on a
seeded 30% sample of each corpus, next to k-means told the sample's true k.

    .venv/bin/python bench/cluster_quality.py --corpus all --json

Data: ``../shared/benchmarks/feedback/`` next to the repository (see its README.md).
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.optimize import linear_sum_assignment
from sklearn import metrics

from controltower.settings import SynthesisSettings
from controltower.synthesize.cluster import DEFAULT_METHOD, cluster_embeddings
from controltower.synthesize.embed import MiniLMEmbedder
from controltower.synthesize.pipeline import pattern_clustering_params

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "benchmarks" / "feedback"
RESULTS = REPO / "bench" / "results" / "cluster_quality.json"
CORPORA = {
    "banking77": DATA / "banking77" / "textoir_split" / "test.tsv",
    "clinc150": DATA / "clinc150" / "textoir_split" / "test.tsv",
}
SUBSAMPLE = 0.3
SEED = 0


@dataclass(frozen=True)
class Variant:
    name: str
    method: str
    params: dict[str, Any]


VARIANTS = [
    Variant("leiden (default)", "leiden", {}),
    Variant("leiden fixed resolution 10", "leiden", {"resolution": 10.0}),
    Variant("leiden fixed resolution 1", "leiden", {"resolution": 1.0}),
    Variant(
        "leiden k=30 resolution 1 (old default)",
        "leiden",
        {"resolution": 1.0, "n_neighbors": 30},
    ),
    Variant("louvain (same graph)", "louvain", {}),
    Variant("hdbscan defaults [baseline]", "hdbscan", {}),
    Variant("hdbscan tuned mcs5 ms1", "hdbscan", {"min_cluster_size": 5, "min_samples": 1}),
    Variant(
        "hdbscan tuned mcs5 ms1 pca25",
        "hdbscan",
        {"min_cluster_size": 5, "min_samples": 1, "pca_dims": 25},
    ),
    Variant("agglo average cos<0.5", "agglomerative", {"linkage": "average"}),
    Variant(
        "agglo complete cos<0.7",
        "agglomerative",
        {"linkage": "complete", "distance_threshold": 0.7},
    ),
    Variant("agglo ward d<2.5", "agglomerative", {"linkage": "ward", "distance_threshold": 2.5}),
]


def read_corpus(path: Path) -> tuple[list[str], list[str]]:
    """Texts and labels of a TEXTOIR TSV (header ``text<TAB>label``, quoted fields)."""
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_MINIMAL))
    return [row["text"] for row in rows], [row["label"] for row in rows]


def singletons(labels: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    out = labels.copy()
    mask = out < 0
    out[mask] = out.max(initial=-1) + 1 + np.arange(mask.sum())
    return out


def nearest(X: npt.NDArray[np.float32], labels: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Outliers joined to the cluster with the most similar centroid."""
    kept = labels >= 0
    if kept.all() or not kept.any():
        return labels
    ids = np.unique(labels[kept])
    centroids = np.stack([X[labels == c].mean(axis=0) for c in ids])
    out = labels.copy()
    out[~kept] = ids[np.argmax(X[~kept] @ centroids.T, axis=1)]
    return out


def accuracy(gold: npt.NDArray[np.int64], labels: npt.NDArray[np.int64]) -> float:
    """Share of texts whose cluster is matched to their label (Hungarian, one-to-one)."""
    table = metrics.cluster.contingency_matrix(gold, labels)
    rows, cols = linear_sum_assignment(-table)
    return float(table[rows, cols].sum() / len(gold))


def score(
    X: npt.NDArray[np.float32], gold: npt.NDArray[np.int64], labels: npt.NDArray[np.int64]
) -> dict[str, float]:
    strict = singletons(labels)
    near = nearest(X, labels)
    return {
        "nmi": metrics.normalized_mutual_info_score(gold, strict),
        "ari": metrics.adjusted_rand_score(gold, strict),
        "acc": accuracy(gold, strict),
        "v_measure": metrics.v_measure_score(gold, strict),
        "n_clusters": len(np.unique(labels[labels >= 0])),
        "outlier_share": float(np.mean(labels < 0)),
        "nmi_outliers_one_cluster": metrics.normalized_mutual_info_score(gold, labels),
        "ari_outliers_one_cluster": metrics.adjusted_rand_score(gold, labels),
        "nmi_outliers_nearest": metrics.normalized_mutual_info_score(gold, near),
        "ari_outliers_nearest": metrics.adjusted_rand_score(gold, near),
    }


def run_variant(
    X: npt.NDArray[np.float32], gold: npt.NDArray[np.int64], variant: Variant
) -> dict[str, Any]:
    start = time.perf_counter()
    result = cluster_embeddings(X, method=variant.method, seed=SEED, **variant.params)
    seconds = time.perf_counter() - start
    return {
        "method": variant.method,
        "requested_params": variant.params,
        "params": result.params,
        "seconds": seconds,
    } | score(X, gold, result.labels)


def run_kmeans(X: npt.NDArray[np.float32], gold: npt.NDArray[np.int64]) -> dict[str, Any]:
    k = len(np.unique(gold))
    return run_variant(X, gold, Variant("kmeans", "kmeans", {"n_clusters": k, "n_init": 10}))


def run_corpus(name: str, embedder: MiniLMEmbedder) -> dict[str, Any]:
    texts, labels = read_corpus(CORPORA[name])
    gold = np.unique(labels, return_inverse=True)[1].astype(np.int64)
    start = time.perf_counter()
    X = embedder.embed(texts)
    embed_seconds = time.perf_counter() - start
    rows: dict[str, Any] = {f"kmeans true k={len(set(labels))} [baseline]": run_kmeans(X, gold)}
    product = pattern_clustering_params(len(texts), SynthesisSettings())
    rows["tower synthesize default"] = run_variant(
        X, gold, Variant("tower synthesize default", "leiden", product)
    )
    for variant in VARIANTS:
        rows[variant.name] = run_variant(X, gold, variant)
    rows |= run_subsample(X, gold)
    return {
        "n_texts": len(texts),
        "n_labels": len(set(labels)),
        "embed_seconds": embed_seconds,
        "texts_per_second": len(texts) / embed_seconds,
        "methods": rows,
    }


def run_subsample(X: npt.NDArray[np.float32], gold: npt.NDArray[np.int64]) -> dict[str, Any]:
    rng = np.random.default_rng(SEED)
    pick = np.sort(rng.choice(len(X), int(SUBSAMPLE * len(X)), replace=False))
    Xs, gs = X[pick], gold[pick]
    tag = f"@{int(SUBSAMPLE * 100)}% (n={len(pick)})"
    return {
        f"kmeans true k={len(np.unique(gs))} {tag} [baseline]": run_kmeans(Xs, gs),
        f"{DEFAULT_METHOD} (default) {tag}": run_variant(
            Xs, gs, Variant(DEFAULT_METHOD, DEFAULT_METHOD, {})
        ),
    }


def print_table(name: str, result: dict[str, Any]) -> None:
    print(
        f"\n## {name}: {result['n_texts']} texts, {result['n_labels']} labels; embedded in "
        f"{result['embed_seconds']:.1f}s ({result['texts_per_second']:.0f} texts/s)"
    )
    print(
        f"{'method':44s} {'NMI':>6s} {'ARI':>6s} {'ACC':>6s} {'V':>6s} {'k':>5s} {'out':>5s} "
        f"{'ARI1':>6s} {'NMIn':>6s} {'ARIn':>6s} {'sec':>6s}"
    )
    for label, row in result["methods"].items():
        print(
            f"{label:44s} {row['nmi']:6.3f} {row['ari']:6.3f} {row['acc']:6.3f} "
            f"{row['v_measure']:6.3f} "
            f"{row['n_clusters']:5d} {row['outlier_share']:5.2f} "
            f"{row['ari_outliers_one_cluster']:6.3f} {row['nmi_outliers_nearest']:6.3f} "
            f"{row['ari_outliers_nearest']:6.3f} {row['seconds']:6.2f}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--corpus", choices=[*CORPORA, "all"], default="all")
    parser.add_argument("--json", action="store_true", help=f"also write {RESULTS}")
    args = parser.parse_args(argv)
    names = list(CORPORA) if args.corpus == "all" else [args.corpus]
    missing = [str(CORPORA[n]) for n in names if not CORPORA[n].is_file()]
    if missing:
        print(f"data not found: {', '.join(missing)}", file=sys.stderr)
        return 2
    embedder = MiniLMEmbedder()
    embedder.embed(["warm-up: load the model before timing"])
    results = {name: run_corpus(name, embedder) for name in names}
    print(
        "Scores: NMI/ARI/V with outliers as singletons; ARI1 = outliers as one cluster; "
        "NMIn/ARIn = outliers joined to the nearest centroid."
    )
    for name, result in results.items():
        print_table(name, result)
    if args.json:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps(results, indent=2, default=str) + "\n", encoding="utf-8")
        print(f"\nwrote {RESULTS.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
