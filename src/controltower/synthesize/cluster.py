"""Group L2-normalised text embeddings into themes without being told how many there are.

The default, ``"leiden"``, builds a k-nearest-neighbour graph (cosine), weights each edge by
how many neighbours its two ends share (Jaccard of the closed neighbourhoods, "shared
nearest neighbours"), and finds communities with the Leiden algorithm (modularity; igraph's C
implementation). Unless a resolution is given, it tries the resolutions of
:data:`RESOLUTION_GRID` and keeps the partition with the best cosine silhouette, so a corpus
of a few broad themes comes out coarser than one of many narrow ones. Outliers (one-offs,
``-1``) are members of communities smaller than ``min_cluster_size`` and texts far less
similar to their neighbours than texts usually are. The neighbour count and the outlier size
grow with the number of texts, so the same call works from ~50 texts to 100,000; above
``exact_knn_max`` texts the neighbours come from an inverted-file index (k-means lists, a
few lists probed per query), which keeps 100,000 x 384 under a minute on two cores (about
25 s for text embeddings). ``docs/synthesis.md`` has the measurements behind every default.

The other methods are kept for comparison (``bench/cluster_quality.py``): ``"louvain"``
(same graph, igraph's multilevel), ``"hdbscan"``, ``"agglomerative"`` (O(n^2), refused above
``max_n``) and ``"kmeans"`` (needs ``n_clusters``; a baseline, not a discovery method).

Every method is deterministic for a given ``seed``. Labels are renumbered so that 0 is the
largest cluster, 1 the next, and so on; ``-1`` marks outliers.
"""

from __future__ import annotations

import contextlib
import math
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
from sklearn.cluster import HDBSCAN, AgglomerativeClustering, KMeans
from sklearn.decomposition import PCA
from sklearn.metrics import silhouette_score

if TYPE_CHECKING:
    import igraph

__all__ = [
    "DEFAULT_METHOD",
    "METHODS",
    "ClusterResult",
    "cluster_embeddings",
    "default_min_cluster_size",
    "default_n_neighbors",
    "unit_centroid",
]

FloatMatrix = npt.NDArray[np.float32]
IntArray = npt.NDArray[np.int64]
Edges = tuple[IntArray, IntArray, npt.NDArray[np.float64]]
Neighbours = tuple[IntArray, FloatMatrix]
CommunityFn = Callable[["igraph.Graph", list[float], float, int], IntArray]

DEFAULT_METHOD = "leiden"
#: Modularity resolutions tried when none is given; the partition with the highest
#: silhouette (cosine) wins. Low values give few broad themes, high values many narrow ones.
RESOLUTION_GRID = (0.5, 1.0, 2.0, 4.0, 8.0, 16.0)
#: Rows sampled to score a partition's silhouette (the score is O(rows^2)).
SILHOUETTE_SAMPLE = 4000
#: Isolation cut-off of the graph methods, in robust standard deviations (see _isolated).
#: 4 flags 0.3% of Banking77 and none of CLINC150, and any text unlike all the others.
DEFAULT_OUTLIER_Z = 4.0
#: Above this many texts, neighbours come from the inverted-file index, not brute force.
EXACT_KNN_MAX = 30_000
_KNN_BLOCK_ROWS = 1024
_SNN_EDGE_CHUNK = 50_000


@dataclass(frozen=True, eq=False)
class ClusterResult:
    """Cluster labels and how they were made.

    Attributes:
        labels: One int64 label per row of the input; ``-1`` marks an outlier (one-off).
            Clusters are numbered 0, 1, ... by decreasing size.
        method: The method that produced them.
        params: Every parameter the method used, defaults resolved (JSON-friendly).
    """

    labels: IntArray
    method: str
    params: dict[str, object] = field(default_factory=dict)

    @property
    def n_clusters(self) -> int:
        """Number of clusters, outliers not counted."""
        return int(self.labels.max(initial=-1)) + 1

    @property
    def outlier_share(self) -> float:
        """Share of rows labelled ``-1`` (0.0 for no rows)."""
        return float(np.mean(self.labels < 0)) if self.labels.size else 0.0


def default_n_neighbors(n: int) -> int:
    """Neighbours per text in the graph: about sqrt(n)/5, between 5 and 20, below n.

    Few texts per theme need few neighbours (or themes bleed into each other); more texts
    per theme need more (or themes shatter). sqrt(n)/5 is 6 for 900 texts, 11 for 3,000,
    and reaches the cap of 30 at 22,500 texts (the cap bounds the graph's size).
    """
    return max(1, min(n - 1, int(np.clip(round(math.sqrt(n) / 5), 5, 30))))


def default_min_cluster_size(n: int) -> int:
    """Smallest group reported as a theme: 3, rising to about sqrt(n)/10 for large n."""
    return max(3, round(math.sqrt(n) / 10))


def unit_centroid(vectors: FloatMatrix) -> FloatMatrix:
    """The normalised mean of unit rows (a zero vector for none)."""
    if len(vectors) == 0:
        return np.zeros(vectors.shape[1], dtype=np.float32)
    mean = vectors.mean(axis=0)
    norm = float(np.linalg.norm(mean))
    centroid: FloatMatrix = (mean / norm if norm > 0 else mean).astype(np.float32)
    return centroid


def cluster_embeddings(
    X: npt.ArrayLike,
    *,
    method: str = DEFAULT_METHOD,
    seed: int = 0,
    **params: Any,
) -> ClusterResult:
    """Cluster L2-normalised embeddings; the number of clusters is found, not given.

    Args:
        X: Array of shape ``(n, dim)``, rows of unit L2 norm (cosine geometry).
        method: One of :data:`METHODS`; default :data:`DEFAULT_METHOD`.
        seed: Seed for every random choice; equal inputs and seeds give equal labels.
        **params: Method parameters (see the ``_cluster_*`` function of the method);
            an unknown name is an error.

    Returns:
        The labels (``-1`` for outliers) with the method and its resolved parameters.

    Raises:
        ValueError: Unknown method or parameter, or ``X`` not a finite 2-D array.
    """
    if method not in METHODS:
        raise ValueError(f"unknown clustering method {method!r}; choose from {sorted(METHODS)}")
    matrix = _as_matrix(X)
    labels, used = METHODS[method](matrix, seed, **params)
    return ClusterResult(labels=_relabel_by_size(labels), method=method, params=used)


def _as_matrix(X: npt.ArrayLike) -> FloatMatrix:
    matrix = np.ascontiguousarray(X, dtype=np.float32)
    if matrix.ndim != 2:
        raise ValueError(f"embeddings must be a 2-D array, got shape {matrix.shape}")
    if not np.isfinite(matrix).all():
        raise ValueError("embeddings contain NaN or infinite values")
    return matrix


def _relabel_by_size(labels: npt.ArrayLike) -> IntArray:
    """Renumber clusters 0.. by decreasing size (ties: first occurrence); keep -1."""
    raw = np.asarray(labels, dtype=np.int64)
    out = np.full(raw.shape, -1, dtype=np.int64)
    kept = raw >= 0
    if not kept.any():
        return out
    ids, first, counts = np.unique(raw[kept], return_index=True, return_counts=True)
    order = np.lexsort((first, -counts))
    new_id = np.empty(len(ids), dtype=np.int64)
    new_id[order] = np.arange(len(ids))
    out[kept] = new_id[np.searchsorted(ids, raw[kept])]
    return out


def _drop_small(labels: IntArray, min_size: int, weights: IntArray | None = None) -> IntArray:
    """Label members of clusters smaller than ``min_size`` as outliers (-1).

    A cluster's size is the sum of its rows' ``weights`` (1 each by default).
    """
    out = labels.copy()
    kept = out >= 0
    if kept.any():
        sizes = np.bincount(out[kept], weights=None if weights is None else weights[kept])
        out[kept & (sizes[np.maximum(out, 0)] < min_size)] = -1
    return out


def _weights(X: FloatMatrix, weights: npt.ArrayLike | None) -> IntArray:
    """Items per row (1 each when None), checked against the rows of ``X``."""
    if weights is None:
        return np.ones(len(X), dtype=np.int64)
    out = np.asarray(weights, dtype=np.int64)
    if out.shape != (len(X),) or (out < 1).any():
        raise ValueError("weights must give every row a count of at least 1")
    return out


# -- nearest neighbours ------------------------------------------------------------------


def _top_k(sims: FloatMatrix, k: int) -> tuple[IntArray, FloatMatrix]:
    """Column indices and values of the k largest entries per row, best first."""
    part = np.argpartition(-sims, k - 1, axis=1)[:, :k]
    vals = np.take_along_axis(sims, part, axis=1)
    order = np.argsort(-vals, axis=1, kind="stable")
    return np.take_along_axis(part, order, axis=1).astype(np.int64), np.take_along_axis(
        vals, order, axis=1
    )


def _exact_knn(X: FloatMatrix, k: int) -> Neighbours:
    """Brute-force cosine k-nearest neighbours (self excluded) and their similarities."""
    n = X.shape[0]
    neighbours = np.empty((n, k), dtype=np.int64)
    similarities = np.empty((n, k), dtype=np.float32)
    for start in range(0, n, _KNN_BLOCK_ROWS):
        stop = min(start + _KNN_BLOCK_ROWS, n)
        sims = X[start:stop] @ X.T
        sims[np.arange(stop - start), np.arange(start, stop)] = -np.inf
        neighbours[start:stop], similarities[start:stop] = _top_k(sims, k)
    return neighbours, similarities


def _ivf_lists(X: FloatMatrix, n_lists: int, seed: int) -> tuple[FloatMatrix, IntArray]:
    """Train k-means list centroids on a sample; return them and every row's list."""
    rng = np.random.default_rng(seed)
    sample_size = min(X.shape[0], 20 * n_lists)
    sample = X[np.sort(rng.choice(X.shape[0], sample_size, replace=False))]
    kmeans = KMeans(n_clusters=n_lists, init="random", n_init=1, max_iter=10, random_state=seed)
    kmeans.fit(sample)
    centroids = np.asarray(kmeans.cluster_centers_, dtype=np.float32)
    assignment = np.concatenate(
        [np.argmax(X[s : s + 8192] @ centroids.T, axis=1) for s in range(0, len(X), 8192)]
    ).astype(np.int64)
    return centroids, assignment


def _probe_members(order: IntArray, members: list[IntArray], n_probe: int, need: int) -> IntArray:
    """Members of the first ``n_probe`` lists in ``order``, more lists if under ``need``."""
    chosen: list[IntArray] = []
    total = 0
    for rank, list_id in enumerate(order):
        if rank >= n_probe and total >= need:
            break
        chosen.append(members[int(list_id)])
        total += len(members[int(list_id)])
    return np.concatenate(chosen)


def _ivf_knn(X: FloatMatrix, k: int, seed: int, n_probe: int = 16) -> Neighbours:
    """Approximate cosine kNN: each k-means list searches its ``n_probe`` nearest lists.

    About 2*sqrt(n) lists. Recall against brute force at k=30 was 0.95 on 35,000 and 0.94
    on 100,000 MiniLM vectors (7 s for 100,000 on two cores); a few missing neighbours
    cost the graph methods about 0.01 NMI.
    """
    n = X.shape[0]
    n_lists = int(np.clip(round(2 * math.sqrt(n)), 16, 2048))
    centroids, assignment = _ivf_lists(X, n_lists, seed)
    members = [np.flatnonzero(assignment == c) for c in range(n_lists)]
    list_order = np.argsort(-(centroids @ centroids.T), axis=1, kind="stable")
    neighbours = np.empty((n, k), dtype=np.int64)
    similarities = np.empty((n, k), dtype=np.float32)
    for list_id, queries in enumerate(members):
        if len(queries) == 0:
            continue
        candidates = _probe_members(list_order[list_id], members, n_probe, k + 1)
        cand_vectors = X[candidates]
        for start in range(0, len(queries), 512):
            block = queries[start : start + 512]
            sims = X[block] @ cand_vectors.T
            sims[candidates[np.newaxis, :] == block[:, np.newaxis]] = -np.inf
            top, similarities[block] = _top_k(sims, k)
            neighbours[block] = candidates[top]
    return neighbours, similarities


def _knn(X: FloatMatrix, k: int, seed: int, exact_max: int) -> Neighbours:
    return _exact_knn(X, k) if X.shape[0] <= exact_max else _ivf_knn(X, k, seed)


def _isolated(similarities: FloatMatrix, z: float) -> npt.NDArray[np.bool_]:
    """Rows whose mean similarity to their neighbours is an outlier on the low side.

    Low means more than ``z`` robust standard deviations (1.4826 x the median absolute
    deviation) below the median over all rows: a text unlike anything else in the corpus.
    """
    closeness = similarities.mean(axis=1)
    median = float(np.median(closeness))
    spread = 1.4826 * float(np.median(np.abs(closeness - median)))
    if spread < 1e-6:
        return np.zeros(len(closeness), dtype=np.bool_)
    isolated: npt.NDArray[np.bool_] = closeness < median - z * spread
    return isolated


def _snn_edges(neighbours: IntArray) -> Edges:
    """Undirected kNN edges weighted by the Jaccard overlap of closed neighbourhoods."""
    n, k = neighbours.shape
    rows = np.repeat(np.arange(n, dtype=np.int64), k)
    cols = neighbours.ravel()
    keys = np.unique(np.minimum(rows, cols) * n + np.maximum(rows, cols))
    src, dst = keys // n, keys % n
    closed = np.sort(np.concatenate([np.arange(n)[:, np.newaxis], neighbours], axis=1), axis=1)
    weights = np.empty(len(keys), dtype=np.float64)
    for start in range(0, len(keys), _SNN_EDGE_CHUNK):
        a = closed[src[start : start + _SNN_EDGE_CHUNK]]
        b = closed[dst[start : start + _SNN_EDGE_CHUNK]]
        shared = (a[:, :, np.newaxis] == b[:, np.newaxis, :]).sum(axis=(1, 2))
        weights[start : start + len(a)] = shared / (2 * (k + 1) - shared)
    return src, dst, weights


# -- methods -----------------------------------------------------------------------------


def _cluster_leiden(
    X: FloatMatrix,
    seed: int,
    *,
    n_neighbors: int | None = None,
    resolution: float | None = None,
    min_cluster_size: int | None = None,
    outlier_z: float | None = DEFAULT_OUTLIER_Z,
    exact_knn_max: int = EXACT_KNN_MAX,
    weights: npt.ArrayLike | None = None,
) -> tuple[IntArray, dict[str, object]]:
    """Leiden communities (modularity) of the shared-neighbour kNN graph.

    Args:
        X: Unit-norm embeddings.
        seed: Leiden's and the kNN index's seed.
        n_neighbors: Neighbours per text; default :func:`default_n_neighbors`.
        resolution: Modularity resolution; higher gives more, smaller clusters. None:
            try :data:`RESOLUTION_GRID` and keep the partition with the best silhouette.
        min_cluster_size: Smaller communities become outliers; default
            :func:`default_min_cluster_size`.
        outlier_z: A text whose mean similarity to its neighbours is this many robust
            standard deviations below the corpus median is an outlier; None: none are.
        exact_knn_max: Largest n searched by brute force; above it an approximate index.
        weights: How many items each row stands for (merged near-duplicates; default 1
            each). A row standing for several is never isolated, and a community's size
            for ``min_cluster_size`` is the items its rows stand for: a need stated again
            and again is no outlier, even when one account stated it.

    Returns:
        Labels and the resolved parameters.
    """
    settings = _GraphSettings(
        n_neighbors, resolution, min_cluster_size, outlier_z, exact_knn_max, _weights(X, weights)
    )
    return _graph_method(_leiden_membership, X, seed, settings)


@dataclass(frozen=True)
class _GraphSettings:
    """Parameters shared by the graph methods (see :func:`_cluster_leiden`)."""

    n_neighbors: int | None
    resolution: float | None
    min_cluster_size: int | None
    outlier_z: float | None
    exact_knn_max: int
    weights: IntArray


def _graph_method(
    communities: CommunityFn, X: FloatMatrix, seed: int, settings: _GraphSettings
) -> tuple[IntArray, dict[str, object]]:
    """Build the shared-neighbour kNN graph and find communities in it.

    Members of communities smaller than the minimum size, and isolated texts, become -1.
    """
    n = int(X.shape[0])
    min_size = settings.min_cluster_size or default_min_cluster_size(n)
    params: dict[str, object] = {
        "resolution": settings.resolution,
        "min_cluster_size": min_size,
        "outlier_z": settings.outlier_z,
    }
    if n < max(2, min_size):
        return np.full(n, -1, dtype=np.int64), params | {"n_neighbors": 0, "knn": "none"}
    k = default_n_neighbors(n) if settings.n_neighbors is None else settings.n_neighbors
    k = min(int(k), n - 1)
    if k < 1:
        raise ValueError("n_neighbors must be at least 1")
    neighbours, similarities = _knn(X, k, seed, settings.exact_knn_max)
    src, dst, weights = _snn_edges(neighbours)
    graph, weight_list = _igraph(n, src, dst), weights.tolist()
    params |= {"n_neighbors": k, "knn": "exact" if n <= settings.exact_knn_max else "ivf"}
    if settings.resolution is not None:
        membership = communities(graph, weight_list, settings.resolution, seed)
    else:
        chosen, membership, scores = _best_resolution(X, graph, weight_list, communities, seed)
        params |= {"resolution": chosen, "silhouette_by_resolution": scores}
    if settings.outlier_z is not None:
        alone = _isolated(similarities, settings.outlier_z) & (settings.weights <= 1)
        membership = np.where(alone, -1, membership)
    return _drop_small(membership, min_size, settings.weights), params


def _best_resolution(
    X: FloatMatrix,
    graph: igraph.Graph,
    weights: list[float],
    communities: CommunityFn,
    seed: int,
) -> tuple[float, IntArray, dict[str, float]]:
    """Run ``communities`` up the resolution grid; keep the best-silhouette partition.

    The walk stops early once the silhouette has fallen twice in a row (on structureless
    data it only falls, and each high-resolution run there is the slowest).
    """
    best: tuple[float, float, IntArray] | None = None
    scores: dict[str, float] = {}
    previous, falls = -np.inf, 0
    for resolution in RESOLUTION_GRID:
        membership = communities(graph, weights, resolution, seed)
        score = _silhouette(X, membership, seed)
        scores[str(resolution)] = round(score, 5)
        if best is None or score > best[0]:
            best = (score, resolution, membership)
        falls = falls + 1 if score < previous else 0
        previous = score
        if falls >= 2:
            break
    assert best is not None  # the grid is not empty
    return best[1], best[2], scores


def _silhouette(X: FloatMatrix, labels: IntArray, seed: int) -> float:
    """Mean cosine silhouette on a seeded sample; -1 for fewer than two clusters."""
    n_labels = len(np.unique(labels))
    if n_labels < 2 or n_labels >= X.shape[0]:
        return -1.0
    sample = min(X.shape[0], SILHOUETTE_SAMPLE)
    try:
        return float(
            silhouette_score(X, labels, metric="cosine", sample_size=sample, random_state=seed)
        )
    except ValueError:  # the sample drew a single cluster
        return -1.0


def _leiden_membership(
    graph: igraph.Graph, weights: list[float], resolution: float, seed: int
) -> IntArray:
    """Leiden (igraph's C implementation, modularity objective), two refinement passes."""
    with _seeded_igraph(seed):
        clustering = graph.community_leiden(
            objective_function="modularity",
            weights=weights,
            resolution=resolution,
            n_iterations=2,
        )
    return np.asarray(clustering.membership, dtype=np.int64)


def _louvain_membership(
    graph: igraph.Graph, weights: list[float], resolution: float, seed: int
) -> IntArray:
    """Louvain (igraph's multilevel, modularity objective), final level."""
    with _seeded_igraph(seed):
        clustering = graph.community_multilevel(weights=weights, resolution=resolution)
    return np.asarray(clustering.membership, dtype=np.int64)


def _igraph(n: int, src: IntArray, dst: IntArray) -> igraph.Graph:
    import igraph

    return igraph.Graph(n=n, edges=np.column_stack([src, dst]).tolist())


@contextlib.contextmanager
def _seeded_igraph(seed: int) -> Iterator[None]:
    """Give igraph a private seeded RNG for the block, then restore its default one."""
    import igraph

    igraph.set_random_number_generator(random.Random(seed))
    try:
        yield
    finally:
        igraph.set_random_number_generator(random)


def _cluster_louvain(
    X: FloatMatrix,
    seed: int,
    *,
    n_neighbors: int | None = None,
    resolution: float | None = None,
    min_cluster_size: int | None = None,
    outlier_z: float | None = DEFAULT_OUTLIER_Z,
    exact_knn_max: int = EXACT_KNN_MAX,
    weights: npt.ArrayLike | None = None,
) -> tuple[IntArray, dict[str, object]]:
    """Louvain (igraph multilevel) on the same graph as ``leiden``; for comparison.

    Args:
        X: Unit-norm embeddings.
        seed: Louvain's and the kNN index's seed.
        n_neighbors: Neighbours per text; default :func:`default_n_neighbors`.
        resolution: Modularity resolution; None: chosen as for ``leiden``.
        min_cluster_size: Smaller communities become outliers.
        outlier_z: Isolation cut-off, as for ``leiden``.
        exact_knn_max: Largest n searched by brute force.
        weights: Items per row, as for ``leiden``.

    Returns:
        Labels and the resolved parameters.
    """
    settings = _GraphSettings(
        n_neighbors, resolution, min_cluster_size, outlier_z, exact_knn_max, _weights(X, weights)
    )
    return _graph_method(_louvain_membership, X, seed, settings)


def _cluster_hdbscan(
    X: FloatMatrix,
    seed: int,
    *,
    min_cluster_size: int = 5,
    min_samples: int | None = None,
    cluster_selection_method: str = "eom",
    pca_dims: int | None = None,
) -> tuple[IntArray, dict[str, object]]:
    """scikit-learn HDBSCAN (Euclidean on unit vectors, i.e. cosine order), optional PCA.

    Args:
        X: Unit-norm embeddings.
        seed: Seed of the PCA (HDBSCAN itself is deterministic).
        min_cluster_size: HDBSCAN's smallest cluster.
        min_samples: HDBSCAN's density neighbourhood; None: ``min_cluster_size``.
        cluster_selection_method: ``"eom"`` or ``"leaf"``.
        pca_dims: Reduce to this many principal components first; None: no reduction.

    Returns:
        Labels and the resolved parameters.
    """
    params: dict[str, object] = {
        "min_cluster_size": min_cluster_size,
        "min_samples": min_samples,
        "cluster_selection_method": cluster_selection_method,
        "pca_dims": pca_dims,
    }
    if X.shape[0] < max(2, min_cluster_size):
        return np.full(X.shape[0], -1, dtype=np.int64), params
    data = X
    if pca_dims is not None and pca_dims < min(X.shape):
        data = PCA(n_components=pca_dims, random_state=seed).fit_transform(X)
    model = HDBSCAN(
        min_cluster_size=min_cluster_size,
        min_samples=min_samples,
        cluster_selection_method=cluster_selection_method,
        copy=True,
    )
    return np.asarray(model.fit_predict(data), dtype=np.int64), params


def _cluster_agglomerative(
    X: FloatMatrix,
    seed: int,
    *,
    linkage: str = "average",
    distance_threshold: float = 0.5,
    max_n: int = EXACT_KNN_MAX,
) -> tuple[IntArray, dict[str, object]]:
    """Agglomerative clustering cut at a distance; O(n^2) memory, so refused above max_n.

    Args:
        X: Unit-norm embeddings.
        seed: Unused (the method is deterministic); kept for a uniform signature.
        linkage: ``"average"`` or ``"complete"`` (cosine distance) or ``"ward"``
            (Euclidean; its distances grow with cluster size, so the cut is not
            size-independent).
        distance_threshold: Merges above this distance are not made.
        max_n: Largest input accepted.

    Returns:
        Labels and the resolved parameters.

    Raises:
        ValueError: More than ``max_n`` rows.
    """
    del seed
    n = X.shape[0]
    if n > max_n:
        raise ValueError(f"agglomerative clustering is O(n^2): {n} rows is over max_n={max_n}")
    params: dict[str, object] = {"linkage": linkage, "distance_threshold": distance_threshold}
    if n < 2:
        return np.full(n, -1, dtype=np.int64), params
    model = AgglomerativeClustering(
        n_clusters=None,
        metric="euclidean" if linkage == "ward" else "cosine",
        linkage=linkage,
        distance_threshold=distance_threshold,
    )
    return np.asarray(model.fit_predict(X), dtype=np.int64), params


def _cluster_kmeans(
    X: FloatMatrix, seed: int, *, n_clusters: int, n_init: int = 10
) -> tuple[IntArray, dict[str, object]]:
    """k-means told the number of clusters: a baseline, not a way to discover themes.

    Args:
        X: Embeddings.
        seed: k-means++ seed.
        n_clusters: The number of clusters (required).
        n_init: Restarts; the best inertia wins.

    Returns:
        Labels and the resolved parameters.
    """
    params: dict[str, object] = {"n_clusters": n_clusters, "n_init": n_init}
    k = min(int(n_clusters), X.shape[0])
    if k < 1:
        return np.full(X.shape[0], -1, dtype=np.int64), params
    model = KMeans(n_clusters=k, n_init=n_init, random_state=seed)
    return np.asarray(model.fit_predict(X), dtype=np.int64), params


MethodFn = Callable[..., tuple[IntArray, dict[str, object]]]

#: Method name -> implementation. Each takes ``(X, seed, **params)``.
METHODS: dict[str, MethodFn] = {
    "leiden": _cluster_leiden,
    "louvain": _cluster_louvain,
    "hdbscan": _cluster_hdbscan,
    "agglomerative": _cluster_agglomerative,
    "kmeans": _cluster_kmeans,
}
