"""Synthesis end to end: a short list of named steps over the workspace's evidence.

``synthesize`` embeds what is not cached, merges near-duplicates, then either clusters
everything (first run or ``rebuild``: new clusters inherit the ids of the old patterns they
overlap most) or lets only new items join existing patterns, clustering the leftover
outliers for new patterns (incremental). A person's pins, merges, splits and renames are
applied last, so they survive every run. Patterns are then described (key phrases,
representative texts, recurrence, trend, reasons) and saved in one transaction.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import linear_sum_assignment
from sqlalchemy import Connection

from controltower.settings import SynthesisSettings
from controltower.store import patterns as store
from controltower.synthesize.cluster import (
    cluster_embeddings,
    default_n_neighbors,
    unit_centroid,
)
from controltower.synthesize.duplicates import find_duplicates
from controltower.synthesize.embed import Embedder, MiniLMEmbedder
from controltower.synthesize.items import AccountInfo, Item, ItemKey, load_accounts, load_items
from controltower.synthesize.labels import (
    class_tfidf_phrases,
    label_from_phrases,
    representatives,
)
from controltower.synthesize.recurrence import measure_recurrence
from controltower.synthesize.trend import TrendAssessment, assess_trends
from controltower.workspace import Workspace

log = logging.getLogger(__name__)

Vectors = NDArray[np.float32]
Progress = Callable[[str, int, int], None]
"""Called as ``progress(stage, done, total)``."""

MIN_JACCARD = 0.2
"""Least member overlap (Jaccard) for a new cluster to inherit an old pattern's id."""


@dataclass
class SynthesisReport:
    """What a synthesis run did, with the time of each stage."""

    run_id: int
    mode: str
    model_id: str
    items: int
    new_items: int
    embedded: int
    duplicates: int
    patterns: int
    outliers: int
    seconds: float
    stages: dict[str, float] = field(default_factory=dict)


@dataclass
class Evidence:
    """Everything a run works on, loaded once."""

    items: list[Item]
    accounts: dict[str, AccountInfo]
    previous: dict[ItemKey, store.Membership]
    stored: dict[str, store.StoredPattern]
    pins: dict[ItemKey, str]

    @property
    def observed(self) -> tuple[date, date]:
        """First and last evidence dates."""
        dates = [item.date for item in self.items]
        return min(dates), max(dates)


def default_embedder() -> Embedder:
    """The embedding model that ships with Control Tower (all-MiniLM-L6-v2, int8 ONNX)."""
    return MiniLMEmbedder()


class _Timer:
    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        log.info("%s: start", name)
        start = time.perf_counter()
        yield
        self.seconds[name] = round(time.perf_counter() - start, 3)
        log.info("%s: done in %.2fs", name, self.seconds[name])


def load_evidence(connection: Connection) -> Evidence:
    """Load items, accounts and the stored synthesis state."""
    return Evidence(
        items=load_items(connection),
        accounts=load_accounts(connection),
        previous=store.load_members(connection=connection),
        stored=store.load_patterns(connection=connection),
        pins=store.load_pins(connection=connection),
    )


def embed_items(
    connection: Connection,
    embedder: Embedder,
    items: Sequence[Item],
    *,
    batch_size: int,
    progress: Progress | None = None,
) -> tuple[Vectors, int]:
    """Embed every item, from the cache where possible; identical texts are embedded once.

    Returns:
        The matrix of unit vectors (row ``i`` for item ``i``) and how many texts were
        newly embedded.
    """
    hashes = [item.text_hash for item in items]
    cached = store.load_vectors(
        connection=connection, model_id=embedder.model_id, hashes=hashes, dim=embedder.dim
    )
    missing: dict[str, str] = {}
    for item, text_hash in zip(items, hashes, strict=True):
        if text_hash not in cached and text_hash not in missing:
            missing[text_hash] = item.text
    if missing:
        done = 0

        def advance(count: int) -> None:
            nonlocal done
            done += count
            if progress is not None:
                progress("embed", done, len(missing))

        fresh = embedder.embed(list(missing.values()), batch_size=batch_size, progress=advance)
        new_vectors = dict(zip(missing, fresh, strict=True))
        store.save_vectors(connection=connection, model_id=embedder.model_id, vectors=new_vectors)
        cached.update(new_vectors)
    matrix = np.zeros((len(items), embedder.dim), dtype=np.float32)
    for row, text_hash in enumerate(hashes):
        matrix[row] = cached[text_hash]
    return matrix, len(missing)


def next_pattern_ids(stored: Mapping[str, object], taken: set[str]) -> Iterator[str]:
    """Fresh pattern ids (``P0001``…) after every id already used."""
    numbers = [int(pid[1:]) for pid in (*stored, *taken) if pid[1:].isdigit()]
    number = max(numbers, default=0)
    while True:
        number += 1
        yield f"P{number:04d}"


def _old_groups(evidence: Evidence) -> dict[str, set[ItemKey]]:
    groups: dict[str, set[ItemKey]] = defaultdict(set)
    for key, membership in evidence.previous.items():
        pattern = evidence.stored.get(membership.pattern_id or "")
        if pattern is not None and pattern.status == "active":
            groups[pattern.pattern_id].add(key)
    return groups


def inherit_ids(
    clusters: Sequence[set[ItemKey]], old: Mapping[str, set[ItemKey]], fresh: Iterator[str]
) -> list[str]:
    """Give each new cluster the id of the old pattern it overlaps most, or a fresh id.

    The matching is one-to-one and maximises total overlap (Hungarian algorithm); a pair
    whose Jaccard similarity is below :data:`MIN_JACCARD` is not a match.
    """
    old_ids = sorted(old)
    ids: list[str | None] = [None] * len(clusters)
    if clusters and old_ids:
        overlap = np.array(
            [[len(cluster & old[pid]) for pid in old_ids] for cluster in clusters], dtype=float
        )
        rows, cols = linear_sum_assignment(-overlap)
        for row, col in zip(rows, cols, strict=True):
            union = len(clusters[row] | old[old_ids[col]])
            if union and overlap[row, col] / union >= MIN_JACCARD:
                ids[row] = old_ids[col]
    return [pid if pid is not None else next(fresh) for pid in ids]


def keep_merges(
    clusters: Sequence[set[ItemKey]],
    ids: Sequence[str],
    old: Mapping[str, set[ItemKey]],
    targets: Collection[str],
) -> list[str]:
    """Ids after :func:`inherit_ids`, with a person's merges kept whole.

    A pattern that absorbed a merge holds what clustering sees as two or more clusters:
    the one-to-one match gives its id to one of them and a fresh id to the others, so a
    rebuild split the merge again (the target's own members, which no pin holds, went to
    a new pattern). A cluster with a fresh id that has at least half its items in one
    merge target's old members takes that target's id.
    """
    kept = list(ids)
    for k, cluster in enumerate(clusters):
        if kept[k] in old or not cluster:
            continue
        for target in targets:
            if target in old and 2 * len(cluster & old[target]) >= len(cluster):
                kept[k] = target
                break
    return kept


def _merge_targets(stored: Mapping[str, store.StoredPattern]) -> list[str]:
    """Active patterns a person merged another into (following chains of merges)."""
    found = {
        _follow_merges(p.merged_into, stored)
        for p in stored.values()
        if p.status == "merged" and p.merged_into
    }
    return sorted(t for t in found if t is not None)


def _clusters_of(labels: NDArray[np.intp], members: Sequence[int]) -> list[list[int]]:
    groups: dict[int, list[int]] = defaultdict(list)
    for label, index in zip(labels.tolist(), members, strict=True):
        if label >= 0:
            groups[label].append(index)
    return sorted(groups.values(), key=lambda group: (-len(group), group[0]))


def _spread(assignment: dict[int, str | None], rep: NDArray[np.intp]) -> None:
    for index, representative in enumerate(rep.tolist()):
        if representative != index:
            assignment[index] = assignment.get(representative)


def find_clusters(
    vectors: Vectors, config: SynthesisSettings, weights: Sequence[int] | None = None
) -> NDArray[np.int64]:
    """Cluster unit vectors into patterns (label -1: an outlier) with the pattern settings.

    Leiden communities of the k-nearest-neighbour graph (the method chosen by the
    benchmarks in ``bench/cluster_quality.py``), with the neighbours and resolution of
    :func:`pattern_clustering_params`. ``weights``: the items each vector stands for
    (a representative of merged near-duplicates stands for its group).
    """
    return cluster_embeddings(
        vectors,
        seed=config.seed,
        weights=weights,
        **pattern_clustering_params(len(vectors), config),
    ).labels


def pattern_clustering_params(n: int, config: SynthesisSettings) -> dict[str, Any]:
    """The Leiden parameters synthesis uses on ``n`` items: neighbours and resolution.

    ``n_neighbors = min(synthesis.neighbors, sqrt(n) / 5)`` (at least 5, below n: the
    benchmarks' :func:`~controltower.synthesize.cluster.default_n_neighbors`):
    few neighbours keep a need reported by a dozen texts (one account's) from being
    absorbed by a large pattern, many keep a large pattern whole; ``resolution`` is
    ``synthesis.resolution``, or None (chosen by silhouette) when that is 0.
    """
    return {
        "n_neighbors": min(config.neighbors, default_n_neighbors(n)),
        "resolution": config.resolution or None,
    }


BUILDS_JOIN_QUANTILE = 0.99
"""A cluster of builds only joins the closest cluster of requests when their centroids are
more alike than this quantile of the likeness between two clusters of requests."""


def join_builds(
    labels: NDArray[np.int64], vectors: Vectors, is_work: NDArray[np.bool_]
) -> NDArray[np.int64]:
    """Clusters of custom work alone joined to the requests they answer.

    Build descriptions ("Built an iManage sync job for ...") are phrased alike and unlike
    the requests for the same need ("we need our contracts synced from iManage"), so they
    can form clusters of their own, and the need's pattern then shows no FDE hours. A
    cluster holding only custom work joins the cluster with requests whose centroid is
    most similar to its own, when that similarity is above ``BUILDS_JOIN_QUANTILE`` of the
    similarities between the centroids of two different clusters with requests: closer
    than almost any two distinct needs are. Measured on the sample company and a probe's
    legal-AI bundle: every join made named the same need; one weaker match (0.52 against a
    0.54 cut) stayed apart.
    """
    out = np.asarray(labels, dtype=np.int64).copy()
    found = sorted(set(out.tolist()) - {-1})
    asked = [c for c in found if (~is_work[out == c]).any()]
    built = [c for c in found if c not in asked]
    if len(asked) < 2 or not built:
        return out
    centres = np.stack([unit_centroid(vectors[out == c]) for c in asked])
    between = centres @ centres.T
    cut = float(np.quantile(between[~np.eye(len(asked), dtype=bool)], BUILDS_JOIN_QUANTILE))
    for cluster in built:
        likeness = centres @ unit_centroid(vectors[out == cluster])
        best = int(np.argmax(likeness))
        if likeness[best] > cut:
            out[out == cluster] = asked[best]
    return out


def cluster_all(
    evidence: Evidence, vectors: Vectors, rep: NDArray[np.intp], *, config: SynthesisSettings
) -> dict[int, str | None]:
    """Cluster every distinct item; clusters inherit ids from the previous patterns."""
    unique = [i for i in range(len(evidence.items)) if rep[i] == i]
    followers: dict[int, list[int]] = defaultdict(list)
    for index, representative in enumerate(rep.tolist()):
        followers[representative].append(index)
    labels = find_clusters(vectors[unique], config, [len(followers[i]) for i in unique])
    labels = join_builds(
        labels, vectors[unique], np.array([evidence.items[i].kind == "work" for i in unique])
    )
    groups = _clusters_of(np.asarray(labels), unique)
    keys = [
        {evidence.items[i].key for member in group for i in followers[member]} for group in groups
    ]
    old = _old_groups(evidence)
    ids = inherit_ids(keys, old, next_pattern_ids(evidence.stored, set()))
    ids = keep_merges(keys, ids, old, _merge_targets(evidence.stored))
    assignment: dict[int, str | None] = dict.fromkeys(range(len(evidence.items)))
    for group, pid in zip(groups, ids, strict=True):
        for member in group:
            assignment[member] = pid
    _spread(assignment, rep)
    return assignment


def _centroids(
    assignment: Mapping[int, str | None], vectors: Vectors, rep: NDArray[np.intp], quantile: float
) -> tuple[list[str], Vectors, NDArray[np.float64]]:
    members: dict[str, list[int]] = defaultdict(list)
    for index, pid in assignment.items():
        if pid is not None and rep[index] == index:
            members[pid].append(index)
    ids = sorted(members)
    if not ids:
        return [], np.zeros((0, vectors.shape[1]), dtype=np.float32), np.zeros(0)
    centroids = np.stack([vectors[members[pid]].mean(axis=0) for pid in ids])
    centroids /= np.maximum(np.linalg.norm(centroids, axis=1, keepdims=True), 1e-12)
    radii = np.array(
        [
            float(np.quantile(vectors[members[pid]] @ centroids[k], quantile))
            for k, pid in enumerate(ids)
        ]
    )
    return ids, centroids.astype(np.float32), radii


def assign_incrementally(
    evidence: Evidence,
    vectors: Vectors,
    rep: NDArray[np.intp],
    *,
    config: SynthesisSettings,
) -> tuple[dict[int, str | None], int]:
    """Keep known items where they are; new items join their closest pattern or stay out.

    A new item whose text is identical to a placed item's joins that item's pattern (its
    vector is the same, so nothing can tell them apart: a peripheral member's twin would
    otherwise fail the centroid test). Any other new item joins the pattern whose centroid
    it is closest to when that similarity reaches the pattern's ``join_quantile`` member
    similarity. The outliers are then clustered on their own; a cluster holding at least
    one new item becomes a new pattern.

    Returns:
        The assignment and the number of new items.
    """
    assignment: dict[int, str | None] = {}
    new: list[int] = []
    for index, item in enumerate(evidence.items):
        known = evidence.previous.get(item.key)
        if known is not None and known.text_hash == item.text_hash:
            assignment[index] = _follow_merges(known.pattern_id, evidence.stored)
        else:
            new.append(index)
    ids, centroids, radii = _centroids(assignment, vectors, rep, config.join_quantile)
    twins = {
        evidence.items[index].text_hash: pid
        for index, pid in sorted(assignment.items(), reverse=True)
        if pid is not None
    }
    for index in new:
        representative = int(rep[index])
        if representative != index and representative in assignment:
            assignment[index] = assignment[representative]
            continue
        assignment[index] = twins.get(evidence.items[index].text_hash)
        if assignment[index] is not None:
            continue
        if ids:
            sims = centroids @ vectors[index]
            best = int(np.argmax(sims))
            if sims[best] >= radii[best]:
                assignment[index] = ids[best]
    _form_new_patterns(evidence, vectors, rep, assignment, set(new), config=config)
    _spread(assignment, rep)
    return assignment, len(new)


def _form_new_patterns(
    evidence: Evidence,
    vectors: Vectors,
    rep: NDArray[np.intp],
    assignment: dict[int, str | None],
    new: set[int],
    *,
    config: SynthesisSettings,
) -> None:
    pool = [i for i, pid in assignment.items() if pid is None and rep[i] == i]
    if not new.intersection(pool) or len(pool) < 3:
        return
    counts = np.bincount(rep, minlength=len(rep))
    labels = find_clusters(vectors[pool], config, [int(counts[i]) for i in pool])
    fresh = next_pattern_ids(evidence.stored, {pid for pid in assignment.values() if pid})
    for group in _clusters_of(np.asarray(labels), pool):
        if new.intersection(group):
            pid = next(fresh)
            for member in group:
                assignment[member] = pid


def _follow_merges(pattern_id: str | None, stored: Mapping[str, store.StoredPattern]) -> str | None:
    seen: set[str] = set()
    while pattern_id is not None and pattern_id in stored and pattern_id not in seen:
        seen.add(pattern_id)
        target = stored[pattern_id].merged_into
        if target is None:
            break
        pattern_id = target
    return pattern_id


def apply_pins(evidence: Evidence, assignment: dict[int, str | None]) -> int:
    """Put pinned items in their pinned pattern (following merges); return how many moved."""
    moved = 0
    for index, item in enumerate(evidence.items):
        pinned = evidence.pins.get(item.key)
        if pinned is None:
            continue
        target = _follow_merges(pinned, evidence.stored)
        if assignment.get(index) != target:
            assignment[index] = target
            moved += 1
    return moved


def describe_patterns(
    evidence: Evidence,
    vectors: Vectors,
    rep: NDArray[np.intp],
    assignment: Mapping[int, str | None],
    *,
    config: SynthesisSettings,
    run_id: int,
) -> list[store.StoredPattern]:
    """Label and measure every active pattern; keep merged and retired ones on record."""
    members: dict[str, list[int]] = defaultdict(list)
    for index in range(len(evidence.items)):
        pid = assignment.get(index)
        if pid is not None:
            members[pid].append(index)
    ids = sorted(members)
    texts = [
        list(dict.fromkeys(evidence.items[i].text for i in members[pid] if rep[i] == i))
        for pid in ids
    ]
    phrases = class_tfidf_phrases(texts, top=config.key_phrases)
    observed_from, as_of = evidence.observed
    trends = assess_trends(
        [[evidence.items[i].date for i in members[pid] if rep[i] == i] for pid in ids],
        observed_from=observed_from,
        as_of=as_of,
        window_days=config.trend_window_days,
        alpha=config.trend_alpha,
    )
    result: dict[str, store.StoredPattern] = {}
    for pid, key_phrases, trend in zip(ids, phrases, trends, strict=True):
        indices = members[pid]
        old = evidence.stored.get(pid)
        pattern = store.StoredPattern(
            pattern_id=pid,
            label=label_from_phrases(key_phrases),
            key_phrases=key_phrases,
            created_run=old.created_run if old else run_id,
            updated_run=run_id,
        )
        if old is not None and old.label_source == "manual":
            pattern.label, pattern.label_source = old.label, "manual"
        distinct = [i for i in indices if rep[i] == i]
        chosen = representatives(vectors[distinct], count=3)
        pattern.representatives = [list(evidence.items[distinct[c]].key) for c in chosen]
        pattern.summary = _summary(evidence, indices, rep, trend)
        result[pid] = pattern
    for pid, old in evidence.stored.items():
        if pid not in result:
            old.status = "merged" if old.merged_into else "retired"
            result[pid] = old
    return [result[pid] for pid in sorted(result)]


def _summary(
    evidence: Evidence, indices: Sequence[int], rep: NDArray[np.intp], trend: TrendAssessment
) -> dict[str, object]:
    items = [evidence.items[i] for i in indices]
    distinct = [evidence.items[i] for i in indices if rep[i] == i]
    recurrence = measure_recurrence(items, evidence.accounts)
    reasons = [
        f"{recurrence.signals} signal(s) and {recurrence.work_items} custom build(s) "
        f"({recurrence.fde_hours:,.0f} FDE hours) from {recurrence.accounts} account(s) in "
        f"{recurrence.industries} industr{'y' if recurrence.industries == 1 else 'ies'}",
        trend.reason,
    ]
    if len(items) > len(distinct):
        reasons.append(f"{len(items) - len(distinct)} near-duplicate(s) counted once")
    return {
        "recurrence": recurrence.model_dump(mode="json"),
        "trend": trend.trend,
        "reasons": reasons,
        "distinct_reports": len(distinct),
    }


def _memberships(
    evidence: Evidence,
    assignment: Mapping[int, str | None],
    rep: NDArray[np.intp],
    run_id: int,
) -> dict[ItemKey, store.Membership]:
    result: dict[ItemKey, store.Membership] = {}
    for index, item in enumerate(evidence.items):
        representative = int(rep[index])
        duplicate_of = (
            None
            if representative == index
            else f"{evidence.items[representative].kind}:{evidence.items[representative].item_id}"
        )
        old = evidence.previous.get(item.key)
        membership = store.Membership(assignment.get(index), duplicate_of, item.text_hash, run_id)
        if old is not None and (old.pattern_id, old.duplicate_of, old.text_hash) == (
            membership.pattern_id,
            membership.duplicate_of,
            membership.text_hash,
        ):
            membership = old
        result[item.key] = membership
    return result


def synthesize(
    workspace: Workspace,
    *,
    embedder: Embedder | None = None,
    rebuild: bool = False,
    progress: Progress | None = None,
) -> SynthesisReport:
    """Find the workspace's patterns (incrementally unless ``rebuild`` or first run).

    Args:
        workspace: The open workspace.
        embedder: The embedding model; the shipped MiniLM model by default.
        rebuild: Re-cluster everything (ids are still inherited from overlapping patterns).
        progress: Called as items are embedded.

    Returns:
        What the run did, with per-stage timings.
    """
    embedder = embedder if embedder is not None else default_embedder()
    config = workspace.settings.synthesis
    timer = _Timer()
    start = time.perf_counter()
    with workspace.engine.begin() as connection:
        with timer.stage("load"):
            evidence = load_evidence(connection)
        full = rebuild or not any(p.status == "active" for p in evidence.stored.values())
        mode = "full" if full else "incremental"
        run_id = store.start_run(connection=connection, mode=mode, model_id=embedder.model_id)
        if not evidence.items:
            store.finish_run(connection=connection, run_id=run_id, seconds=0.0)
            return SynthesisReport(run_id, mode, embedder.model_id, 0, 0, 0, 0, 0, 0, 0.0)
        with timer.stage("embed"):
            vectors, embedded = embed_items(
                connection,
                embedder,
                evidence.items,
                batch_size=config.batch_size,
                progress=progress,
            )
        with timer.stage("duplicates"):
            rep = find_duplicates(evidence.items, vectors, threshold=config.duplicate_similarity)
        with timer.stage("cluster"):
            if full:
                assignment = cluster_all(evidence, vectors, rep, config=config)
                new_items = sum(1 for item in evidence.items if item.key not in evidence.previous)
            else:
                assignment, new_items = assign_incrementally(evidence, vectors, rep, config=config)
            apply_pins(evidence, assignment)
        with timer.stage("describe"):
            described = describe_patterns(
                evidence, vectors, rep, assignment, config=config, run_id=run_id
            )
        with timer.stage("save"):
            store.save_patterns(connection=connection, stored=described)
            store.save_members(
                connection=connection,
                members=_memberships(evidence, assignment, rep, run_id),
                previous=evidence.previous,
            )
        active = sum(1 for p in described if p.status == "active")
        report = SynthesisReport(
            run_id=run_id,
            mode=mode,
            model_id=embedder.model_id,
            items=len(evidence.items),
            new_items=new_items,
            embedded=embedded,
            duplicates=int(np.sum(rep != np.arange(len(rep)))),
            patterns=active,
            outliers=sum(1 for pid in assignment.values() if pid is None),
            seconds=round(time.perf_counter() - start, 3),
            stages=timer.seconds,
        )
        store.finish_run(
            connection=connection,
            run_id=run_id,
            seconds=report.seconds,
            items=report.items,
            new_items=report.new_items,
            embedded=report.embedded,
            patterns=report.patterns,
            details={
                "stages": report.stages,
                "duplicates": report.duplicates,
                "outliers": report.outliers,
            },
        )
    return report


def is_stale(workspace: Workspace) -> bool:
    """Whether some signal or custom-work text has not been synthesized (or never was)."""
    with workspace.engine.connect() as connection:
        members = store.load_members(connection=connection)
        if store.last_run(connection=connection) is None:
            return True
        for item in load_items(connection):
            known = members.get(item.key)
            if known is None or known.text_hash != item.text_hash:
                return True
    return False


def ensure_synthesized(
    workspace: Workspace, *, embedder: Embedder | None = None, progress: Progress | None = None
) -> SynthesisReport | None:
    """Run an (incremental) synthesis when the evidence changed since the last one.

    Returns:
        The run's report, or None when the patterns were current.
    """
    if not is_stale(workspace):
        return None
    return synthesize(workspace, embedder=embedder, progress=progress)
