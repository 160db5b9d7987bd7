"""Embedding and clustering for pattern synthesis: fast checks of the contracts."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from controltower.synthesize.cluster import (
    METHODS,
    ClusterResult,
    cluster_embeddings,
    default_min_cluster_size,
    default_n_neighbors,
)
from controltower.synthesize.embed import (
    MINILM_DIM,
    Embedder,
    HashingEmbedder,
    MiniLMEmbedder,
)

PARAPHRASES = (
    "How do I reset my password?",
    "I forgot my password, how can I change it?",
)
UNRELATED = "The weather in Lisbon is lovely in spring."
MIXED_LENGTHS = [
    "hi",
    "My card still hasn't arrived after two weeks, what should I do about it now?",
    "",
    "Why was I charged a fee for a transfer to my friend's account abroad last Tuesday?",
    "refund",
    "Can I top up my account with Apple Pay, and if so are there any limits I should know?",
    "café déjà vu — naïve coöperation",
]


@pytest.fixture(scope="module")
def minilm() -> MiniLMEmbedder:
    return MiniLMEmbedder()


def test_embedders_satisfy_protocol(minilm: MiniLMEmbedder) -> None:
    assert isinstance(minilm, Embedder)
    assert isinstance(HashingEmbedder(), Embedder)
    assert minilm.dim == MINILM_DIM
    assert minilm.model_id == "all-MiniLM-L6-v2-onnx-int8"


def test_minilm_paraphrases_closer_than_unrelated(minilm: MiniLMEmbedder) -> None:
    vectors = minilm.embed([*PARAPHRASES, UNRELATED])
    assert vectors.shape == (3, MINILM_DIM)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    paraphrase, unrelated = vectors[0] @ vectors[1], vectors[0] @ vectors[2]
    assert paraphrase > 0.7
    assert unrelated < 0.3
    assert paraphrase > unrelated + 0.4


def test_minilm_batching_does_not_change_vectors(minilm: MiniLMEmbedder) -> None:
    together = minilm.embed(MIXED_LENGTHS, batch_size=3)
    alone = np.vstack([minilm.embed([text]) for text in MIXED_LENGTHS])
    np.testing.assert_allclose(together, alone, atol=1e-5)
    np.testing.assert_allclose(minilm.embed(MIXED_LENGTHS, batch_size=64), alone, atol=1e-5)


def test_minilm_truncates_long_text_and_reports_progress(minilm: MiniLMEmbedder) -> None:
    seen: list[int] = []
    long_text = "word " * 2000
    vectors = minilm.embed([long_text, "short"], batch_size=1, progress=seen.append)
    assert seen == [1, 1]
    assert np.isfinite(vectors).all()
    assert minilm.embed([]).shape == (0, MINILM_DIM)


def test_hashing_embedder_is_deterministic_and_normalised() -> None:
    embedder = HashingEmbedder(dim=64)
    texts = ["refund my order", "refund my order please", "", "!!!"]
    first = embedder.embed(texts, batch_size=2)
    second = HashingEmbedder(dim=64).embed(texts)
    np.testing.assert_array_equal(first, second)
    np.testing.assert_allclose(np.linalg.norm(first, axis=1), 1.0, atol=1e-6)
    assert first[0] @ first[1] > first[0] @ first[2]
    np.testing.assert_array_equal(embedder.embed(texts[:1]), first[:1])


def planted_blobs(
    n_blobs: int = 5, per_blob: int = 40, dim: int = 32, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Tight unit-norm blobs around random orthogonal-ish centres, plus their labels."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(n_blobs, dim))
    points = np.repeat(centres, per_blob, axis=0) + rng.normal(
        scale=0.15, size=(n_blobs * per_blob, dim)
    )
    points /= np.linalg.norm(points, axis=1, keepdims=True)
    return points.astype(np.float32), np.repeat(np.arange(n_blobs), per_blob)


def far_point(X: np.ndarray, seed: int = 1) -> np.ndarray:
    """A unit vector nearly orthogonal to every row of X."""
    rng = np.random.default_rng(seed)
    v: np.ndarray = rng.normal(size=(int(X.shape[1]),))
    basis: np.ndarray = np.linalg.qr(X.T.astype(np.float64))[0]
    projection: np.ndarray = basis @ (basis.T @ v)
    orthogonal: np.ndarray = v - projection
    unit: np.ndarray = (orthogonal / np.linalg.norm(orthogonal)).astype(np.float32)
    return unit


def same_partition(a: np.ndarray, b: np.ndarray) -> bool:
    pairs = {(int(x), int(y)) for x, y in zip(a, b, strict=True)}
    return len(pairs) == len(set(a.tolist())) == len(set(b.tolist()))


def test_leiden_recovers_planted_blobs_and_flags_far_point() -> None:
    X, truth = planted_blobs()
    X = np.vstack([X, far_point(X)])
    result = cluster_embeddings(X)
    assert isinstance(result, ClusterResult)
    assert result.method == "leiden"
    assert result.n_clusters == 5
    assert result.labels[-1] == -1
    assert same_partition(result.labels[:-1], truth)
    assert result.params["n_neighbors"] == default_n_neighbors(len(X))


def test_labels_are_numbered_by_decreasing_size() -> None:
    X, _ = planted_blobs(n_blobs=3, per_blob=30)
    X = np.vstack([X, planted_blobs(n_blobs=1, per_blob=60, seed=7)[0]])
    labels = cluster_embeddings(X).labels
    sizes = np.bincount(labels[labels >= 0])
    assert list(sizes) == sorted(sizes, reverse=True)
    assert sizes[0] == 60


@pytest.mark.parametrize("method", ["leiden", "louvain", "hdbscan", "agglomerative"])
def test_methods_find_blobs_without_k(method: str) -> None:
    X, truth = planted_blobs(n_blobs=4, per_blob=25)
    params: dict[str, Any] = {"distance_threshold": 0.5} if method == "agglomerative" else {}
    result = cluster_embeddings(X, method=method, **params)
    kept = result.labels >= 0
    assert result.n_clusters == 4
    assert kept.mean() > 0.9
    assert same_partition(result.labels[kept], truth[kept])


def test_kmeans_baseline_needs_k() -> None:
    X, _ = planted_blobs(n_blobs=3, per_blob=20)
    assert cluster_embeddings(X, method="kmeans", n_clusters=3).n_clusters == 3
    with pytest.raises(TypeError):
        cluster_embeddings(X, method="kmeans")


@pytest.mark.parametrize("method", sorted(set(METHODS) - {"kmeans"}))
def test_deterministic_for_a_seed(method: str) -> None:
    rng = np.random.default_rng(3)
    X = rng.normal(size=(300, 24)).astype(np.float32)
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    params: dict[str, Any] = {"distance_threshold": 0.9} if method == "agglomerative" else {}
    first = cluster_embeddings(X, method=method, seed=5, **params)
    second = cluster_embeddings(X, method=method, seed=5, **params)
    np.testing.assert_array_equal(first.labels, second.labels)
    assert first.params == second.params


def test_approximate_neighbour_path_matches_blobs() -> None:
    X, truth = planted_blobs(n_blobs=6, per_blob=100, dim=48)
    result = cluster_embeddings(X, exact_knn_max=100, seed=2)
    assert result.params["knn"] == "ivf"
    assert result.n_clusters == 6
    assert same_partition(result.labels[result.labels >= 0], truth[result.labels >= 0])


def test_tiny_and_invalid_inputs() -> None:
    assert cluster_embeddings(np.zeros((0, 8), dtype=np.float32)).labels.shape == (0,)
    two = np.eye(2, 8, dtype=np.float32)
    assert (cluster_embeddings(two).labels == -1).all()
    with pytest.raises(ValueError, match="unknown clustering method"):
        cluster_embeddings(two, method="nope")
    with pytest.raises(ValueError, match="2-D"):
        cluster_embeddings(np.ones(5, dtype=np.float32))
    with pytest.raises(ValueError, match="NaN"):
        cluster_embeddings(np.full((4, 3), np.nan, dtype=np.float32))
    with pytest.raises(TypeError):
        cluster_embeddings(two, not_a_param=1)


def test_scale_aware_defaults() -> None:
    assert default_n_neighbors(50) == 5
    assert default_n_neighbors(3_000) == 11
    assert default_n_neighbors(100_000) == 30
    assert default_n_neighbors(4) == 3
    assert default_min_cluster_size(50) == 3
    assert default_min_cluster_size(100_000) == 32


def test_a_need_stated_again_and_again_is_no_outlier() -> None:
    """Three representatives of merged near-duplicates (one account saying the same thing
    six times each) sit far from everything else: as single texts they are isolated, as
    the 18 reports they stand for they form a pattern (the big account's repeated need)."""
    rng = np.random.default_rng(0)
    dim = 64

    def around(centre: np.ndarray, noise: float, count: int) -> list[np.ndarray]:
        rows = [centre + noise * rng.normal(size=dim) / np.sqrt(dim) for _ in range(count)]
        return [r / np.linalg.norm(r) for r in rows]

    rows: list[np.ndarray] = []
    for _ in range(8):
        centre = rng.normal(size=dim)
        rows += around(centre / np.linalg.norm(centre), 0.12, 25)
    centre = rng.normal(size=dim)
    rows += around(centre / np.linalg.norm(centre), 0.9, 3)
    X = np.array(rows, dtype=np.float32)
    alone = cluster_embeddings(X, seed=0).labels
    assert (alone[-3:] == -1).all()
    weighted = cluster_embeddings(X, seed=0, weights=[1] * 200 + [6, 6, 6]).labels
    assert weighted[-1] >= 0 and len(set(weighted[-3:])) == 1
    assert not set(weighted[-3:]) & set(weighted[:200])
