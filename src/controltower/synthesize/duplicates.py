"""Near-duplicate merge: the same ticket pasted twice, a forwarded note, a paraphrase.

Two items are near-duplicates when they come from the same account and either their
normalised texts are equal or their embeddings' cosine similarity reaches the threshold.
Reports from different accounts are never merged: each is independent evidence of breadth.
Groups are the connected components of that relation; each group's representative is its
earliest item. Every original id stays evidence; a group counts as one report.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from controltower.synthesize.items import Item, normalise

_BLOCK = 2_048


class _UnionFind:
    def __init__(self, size: int) -> None:
        self.parent = list(range(size))

    def find(self, node: int) -> int:
        root = node
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[node] != root:
            self.parent[node], node = root, self.parent[node]
        return root

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def find_duplicates(
    items: Sequence[Item], vectors: NDArray[np.float32], *, threshold: float
) -> NDArray[np.intp]:
    """Return, for every item, the index of its group's representative (itself if unique).

    Args:
        items: The items, in a fixed order.
        vectors: Their unit-norm embeddings, row ``i`` for item ``i``.
        threshold: Cosine similarity at or above which two items of one account merge.
    """
    order = sorted(range(len(items)), key=lambda i: (items[i].date, i))
    rank = np.empty(len(items), dtype=np.intp)
    rank[order] = np.arange(len(items))
    # Union-find over ranks, so that each group's root is its earliest item.
    groups = _UnionFind(len(items))
    by_account: dict[str, list[int]] = defaultdict(list)
    for index, item in enumerate(items):
        by_account[item.account_id].append(index)
    for members in by_account.values():
        _merge_equal_texts(items, members, rank, groups)
        _merge_similar(vectors, members, rank, groups, threshold)
    return np.array([order[groups.find(int(rank[i]))] for i in range(len(items))], dtype=np.intp)


def _merge_equal_texts(
    items: Sequence[Item], members: list[int], rank: NDArray[np.intp], groups: _UnionFind
) -> None:
    first: dict[str, int] = {}
    for index in members:
        text = normalise(items[index].text)
        if text in first:
            groups.union(int(rank[first[text]]), int(rank[index]))
        else:
            first[text] = index


def _merge_similar(
    vectors: NDArray[np.float32],
    members: list[int],
    rank: NDArray[np.intp],
    groups: _UnionFind,
    threshold: float,
) -> None:
    if len(members) < 2:
        return
    index = np.asarray(members, dtype=np.intp)
    block_vectors = vectors[index]
    for start in range(0, len(index), _BLOCK):
        sims = block_vectors[start : start + _BLOCK] @ block_vectors.T
        rows, cols = np.nonzero(sims >= threshold)
        for row, col in zip(rows.tolist(), cols.tolist(), strict=True):
            a, b = start + row, col
            if a < b:
                groups.union(int(rank[index[a]]), int(rank[index[b]]))
