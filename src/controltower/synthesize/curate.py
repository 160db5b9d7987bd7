"""A person's edits of patterns: merge, split, rename, pin. Each persists across runs.

Merges and splits are kept as pins (each member pinned to the pattern the person put it
in), which every later synthesis applies last; a merged pattern keeps its id on record
with ``merged_into`` so old references still resolve. Renames set a manual label that
synthesis never overwrites. After each edit the patterns are described again from the
cached embeddings, so ``tower patterns`` shows the result at once.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from sklearn.cluster import KMeans
from sqlalchemy import Connection, bindparam, update

from controltower.errors import InputError
from controltower.settings import SynthesisSettings
from controltower.store import patterns as store
from controltower.store.tables import pattern_members, patterns
from controltower.synthesize.items import ItemKey
from controltower.synthesize.pipeline import (
    Evidence,
    describe_patterns,
    load_evidence,
    next_pattern_ids,
)
from controltower.workspace import Workspace


def _active(evidence: Evidence, pattern_id: str) -> store.StoredPattern:
    pattern = evidence.stored.get(pattern_id)
    if pattern is None:
        raise InputError(f"no pattern {pattern_id!r}; `tower patterns` lists them")
    if pattern.status != "active":
        where = f" into {pattern.merged_into}" if pattern.merged_into else ""
        raise InputError(f"pattern {pattern_id} is {pattern.status}{where}, not active")
    return pattern


def _cached_vectors(connection: Connection, evidence: Evidence) -> NDArray[np.float32]:
    run = store.last_run(connection=connection)
    if run is None:
        raise InputError("no synthesis yet: run `tower synthesize` first")
    hashes = [item.text_hash for item in evidence.items]
    found = store.load_vectors(connection=connection, model_id=run["model_id"], hashes=hashes)
    missing = sum(1 for h in hashes if h not in found)
    if missing:
        raise InputError(
            f"{missing} item(s) are new since the last synthesis: run `tower synthesize`"
        )
    return np.stack([found[h] for h in hashes])


def _members(evidence: Evidence, pattern_id: str) -> list[ItemKey]:
    return sorted(key for key, m in evidence.previous.items() if m.pattern_id == pattern_id)


def _move(connection: Connection, keys: list[ItemKey], pattern_id: str) -> None:
    statement = (
        update(pattern_members)
        .where(
            pattern_members.c.item_kind == bindparam("kind"),
            pattern_members.c.item_id == bindparam("item"),
        )
        .values(pattern_id=pattern_id)
    )
    if keys:
        connection.execute(statement, [{"kind": kind, "item": item} for kind, item in keys])


def _refresh(connection: Connection, config: SynthesisSettings) -> None:
    """Describe every pattern again from the stored memberships (after an edit)."""
    evidence = load_evidence(connection)
    vectors = _cached_vectors(connection, evidence)
    index = {item.key: i for i, item in enumerate(evidence.items)}
    rep = np.arange(len(evidence.items), dtype=np.intp)
    assignment: dict[int, str | None] = {}
    for key, membership in evidence.previous.items():
        if key not in index:
            continue
        assignment[index[key]] = membership.pattern_id
        if membership.duplicate_of is not None:
            kind, _, item_id = membership.duplicate_of.partition(":")
            rep[index[key]] = index.get((kind, item_id), index[key])
    run = store.last_run(connection=connection)
    described = describe_patterns(
        evidence, vectors, rep, assignment, config=config, run_id=int(run["run_id"]) if run else 0
    )
    store.save_patterns(connection=connection, stored=described)


def merge_patterns(workspace: Workspace, target: str, other: str) -> None:
    """Merge pattern ``other`` into ``target``; ``other`` stays on record as merged.

    Raises:
        InputError: Either pattern is unknown or not active, or they are the same.
    """
    if target == other:
        raise InputError("a pattern cannot be merged into itself")
    with workspace.engine.begin() as connection:
        evidence = load_evidence(connection)
        _active(evidence, target)
        _active(evidence, other)
        keys = _members(evidence, other)
        _move(connection, keys, target)
        store.repoint_pins(connection=connection, old=other, new=target)
        store.pin_items(
            connection=connection, items=keys, pattern_id=target, reason=f"merge {other}"
        )
        connection.execute(
            update(patterns)
            .where(patterns.c.pattern_id == other)
            .values(status="merged", merged_into=target)
        )
        store.record_edit(connection=connection, action="merge", pattern_id=target, other_id=other)
        _refresh(connection, workspace.settings.synthesis)


def split_pattern(workspace: Workspace, pattern_id: str, *, parts: int = 2) -> list[str]:
    """Split a pattern into ``parts`` by k-means on its members' embeddings.

    The largest part keeps the id; the others get new ids. Every member is pinned to its
    part so the split survives later runs.

    Returns:
        The ids of the parts, the kept id first.

    Raises:
        InputError: Unknown or inactive pattern, or fewer distinct members than parts.
    """
    if parts < 2:
        raise InputError("a split needs at least 2 parts")
    with workspace.engine.begin() as connection:
        evidence = load_evidence(connection)
        _active(evidence, pattern_id)
        keys = _members(evidence, pattern_id)
        index = {item.key: i for i, item in enumerate(evidence.items)}
        vectors = _cached_vectors(connection, evidence)[[index[k] for k in keys]]
        if len({v.tobytes() for v in vectors}) < parts:
            raise InputError(f"pattern {pattern_id} has too few distinct members to split")
        labels = KMeans(n_clusters=parts, n_init=10, random_state=workspace.settings.synthesis.seed)
        assigned = labels.fit_predict(vectors)
        order = sorted(range(parts), key=lambda p: (-int(np.sum(assigned == p)), p))
        fresh = next_pattern_ids(evidence.stored, set())
        ids = [pattern_id] + [next(fresh) for _ in order[1:]]
        for part, pid in zip(order, ids, strict=True):
            chosen = [k for k, a in zip(keys, assigned.tolist(), strict=True) if a == part]
            _move(connection, chosen, pid)
            store.pin_items(
                connection=connection, items=chosen, pattern_id=pid, reason=f"split {pattern_id}"
            )
        store.record_edit(
            connection=connection, action="split", pattern_id=pattern_id, value=",".join(ids[1:])
        )
        _refresh(connection, workspace.settings.synthesis)
    return ids


def rename_pattern(workspace: Workspace, pattern_id: str, label: str) -> None:
    """Give a pattern a label of a person's choosing; synthesis keeps it from then on."""
    if not label.strip():
        raise InputError("a label cannot be empty")
    with workspace.engine.begin() as connection:
        evidence = load_evidence(connection)
        _active(evidence, pattern_id)
        connection.execute(
            update(patterns)
            .where(patterns.c.pattern_id == pattern_id)
            .values(label=label.strip(), label_source="manual")
        )
        store.record_edit(
            connection=connection, action="rename", pattern_id=pattern_id, value=label.strip()
        )


def pin_item(workspace: Workspace, item: str, pattern_id: str) -> None:
    """Pin one signal or custom-work item (``signal:ID``, ``work:ID`` or a bare id).

    Raises:
        InputError: Unknown item or pattern.
    """
    with workspace.engine.begin() as connection:
        evidence = load_evidence(connection)
        _active(evidence, pattern_id)
        key = _resolve_item(evidence, item)
        _move(connection, [key], pattern_id)
        store.pin_items(connection=connection, items=[key], pattern_id=pattern_id, reason="pin")
        store.record_edit(
            connection=connection, action="pin", pattern_id=pattern_id, value=f"{key[0]}:{key[1]}"
        )
        _refresh(connection, workspace.settings.synthesis)


def _resolve_item(evidence: Evidence, item: str) -> ItemKey:
    kind, sep, item_id = item.partition(":")
    candidates = [(kind, item_id)] if sep else [("signal", item), ("work", item)]
    for key in candidates:
        if key in evidence.previous:
            return key
    raise InputError(f"no synthesized item {item!r} (use signal:ID or work:ID)")
