"""Keyword-only access to the synthesis tables: embedding cache, patterns, members, pins."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import Connection, delete, insert, select, tuple_, update

from controltower.store.rows import bulk_insert
from controltower.store.tables import (
    embeddings,
    pattern_edits,
    pattern_members,
    pattern_pins,
    patterns,
    synthesis_runs,
)

ItemKey = tuple[str, str]
_CHUNK = 2_000


def _chunks(values: Sequence[Any], size: int = _CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def load_vectors(
    *, connection: Connection, model_id: str, hashes: Sequence[str], dim: int | None = None
) -> dict[str, NDArray[np.float32]]:
    """Cached embeddings of the given text hashes (those not cached are absent).

    A vector whose length is not ``dim`` (when given) is treated as not cached.
    """
    found: dict[str, NDArray[np.float32]] = {}
    for chunk in _chunks(sorted(set(hashes))):
        statement = select(embeddings.c.text_hash, embeddings.c.vector).where(
            embeddings.c.model_id == model_id, embeddings.c.text_hash.in_(chunk)
        )
        for text_hash, blob in connection.execute(statement):
            vector = np.frombuffer(blob, dtype=np.float32)
            if dim is None or vector.shape == (dim,):
                found[text_hash] = vector
    return found


def save_vectors(
    *, connection: Connection, model_id: str, vectors: Mapping[str, NDArray[np.float32]]
) -> None:
    """Add embeddings to the cache (hashes must not be cached yet)."""
    records = [
        {"model_id": model_id, "text_hash": h, "vector": v.astype(np.float32).tobytes()}
        for h, v in vectors.items()
    ]
    for chunk in _chunks(records):
        bulk_insert(connection=connection, table=embeddings, records=chunk)


@dataclass
class StoredPattern:
    """A pattern as stored between runs."""

    pattern_id: str
    label: str
    label_source: str = "auto"
    status: str = "active"
    merged_into: str | None = None
    key_phrases: list[str] = field(default_factory=list)
    representatives: list[list[str]] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)
    created_run: int = 0
    updated_run: int = 0


@dataclass(frozen=True)
class Membership:
    """Which pattern an item belongs to (None: an outlier), and whose duplicate it is."""

    pattern_id: str | None
    duplicate_of: str | None
    text_hash: str
    run_id: int


def load_patterns(*, connection: Connection) -> dict[str, StoredPattern]:
    """Every stored pattern (active, merged or retired) by id."""
    result: dict[str, StoredPattern] = {}
    for row in connection.execute(select(patterns).order_by(patterns.c.pattern_id)).mappings():
        result[row["pattern_id"]] = StoredPattern(**dict(row))
    return result


def save_patterns(*, connection: Connection, stored: Iterable[StoredPattern]) -> None:
    """Replace the stored patterns with ``stored``."""
    connection.execute(delete(patterns))
    records = [dict(pattern.__dict__) for pattern in stored]
    if records:
        connection.execute(insert(patterns), records)


def load_members(*, connection: Connection) -> dict[ItemKey, Membership]:
    """Every item's membership, by ``(kind, id)``."""
    statement = select(pattern_members)
    return {
        (r.item_kind, r.item_id): Membership(r.pattern_id, r.duplicate_of, r.text_hash, r.run_id)
        for r in connection.execute(statement)
    }


def save_members(
    *,
    connection: Connection,
    members: Mapping[ItemKey, Membership],
    previous: Mapping[ItemKey, Membership],
) -> int:
    """Write the memberships that differ from ``previous``; drop items that are gone.

    Returns:
        How many memberships were written or removed.
    """
    gone = [key for key in previous if key not in members]
    for chunk in _chunks(gone):
        connection.execute(
            delete(pattern_members).where(
                tuple_(pattern_members.c.item_kind, pattern_members.c.item_id).in_(list(chunk))
            )
        )
    changed = [key for key, value in members.items() if previous.get(key) != value]
    for chunk in _chunks(changed):
        connection.execute(
            delete(pattern_members).where(
                tuple_(pattern_members.c.item_kind, pattern_members.c.item_id).in_(list(chunk))
            )
        )
        bulk_insert(
            connection=connection,
            table=pattern_members,
            records=[
                {
                    "item_kind": key[0],
                    "item_id": key[1],
                    "pattern_id": members[key].pattern_id,
                    "duplicate_of": members[key].duplicate_of,
                    "text_hash": members[key].text_hash,
                    "run_id": members[key].run_id,
                }
                for key in chunk
            ],
        )
    return len(gone) + len(changed)


def load_pins(*, connection: Connection) -> dict[ItemKey, str]:
    """Items a person pinned to a pattern."""
    return {
        (r.item_kind, r.item_id): r.pattern_id for r in connection.execute(select(pattern_pins))
    }


def pin_items(
    *, connection: Connection, items: Iterable[ItemKey], pattern_id: str, reason: str
) -> None:
    """Pin items to a pattern (replacing earlier pins of the same items)."""
    now = datetime.now(UTC).replace(tzinfo=None)
    keys = list(dict.fromkeys(items))
    for chunk in _chunks(keys):
        connection.execute(
            delete(pattern_pins).where(
                tuple_(pattern_pins.c.item_kind, pattern_pins.c.item_id).in_(list(chunk))
            )
        )
        connection.execute(
            insert(pattern_pins),
            [
                {
                    "item_kind": k,
                    "item_id": i,
                    "pattern_id": pattern_id,
                    "reason": reason,
                    "created_at": now,
                }
                for k, i in chunk
            ],
        )


def repoint_pins(*, connection: Connection, old: str, new: str) -> None:
    """Move every pin of pattern ``old`` to pattern ``new``."""
    connection.execute(
        update(pattern_pins).where(pattern_pins.c.pattern_id == old).values(pattern_id=new)
    )


def record_edit(
    *,
    connection: Connection,
    action: str,
    pattern_id: str,
    other_id: str | None = None,
    value: str | None = None,
) -> None:
    """Append a person's edit (merge, split, rename, pin) to the history."""
    connection.execute(
        insert(pattern_edits).values(
            action=action,
            pattern_id=pattern_id,
            other_id=other_id,
            value=value,
            created_at=datetime.now(UTC).replace(tzinfo=None),
        )
    )


def start_run(*, connection: Connection, mode: str, model_id: str) -> int:
    """Record the start of a synthesis run; return its id."""
    result = connection.execute(
        insert(synthesis_runs).values(
            started_at=datetime.now(UTC).replace(tzinfo=None),
            seconds=0.0,
            mode=mode,
            model_id=model_id,
            items=0,
            new_items=0,
            embedded=0,
            patterns=0,
            details={},
        )
    )
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


def finish_run(*, connection: Connection, run_id: int, **figures: Any) -> None:
    """Record a run's figures (seconds, items, new_items, embedded, patterns, details)."""
    connection.execute(
        update(synthesis_runs).where(synthesis_runs.c.run_id == run_id).values(**figures)
    )


def last_run(*, connection: Connection) -> dict[str, Any] | None:
    """The newest synthesis run, or None."""
    row = (
        connection.execute(select(synthesis_runs).order_by(synthesis_runs.c.run_id.desc()).limit(1))
        .mappings()
        .first()
    )
    return None if row is None else dict(row)


def pattern_redirects(*, connection: Connection) -> dict[str, str]:
    """Merged pattern id to the pattern it was merged into."""
    statement = select(patterns.c.pattern_id, patterns.c.merged_into).where(
        patterns.c.merged_into.is_not(None)
    )
    return {str(row.pattern_id): str(row.merged_into) for row in connection.execute(statement)}


def resolve_pattern(pattern_id: str, redirects: Mapping[str, str]) -> str:
    """Follow merges: the active pattern a (possibly merged) pattern id now lives in."""
    seen = {pattern_id}
    while pattern_id in redirects and redirects[pattern_id] not in seen:
        pattern_id = redirects[pattern_id]
        seen.add(pattern_id)
    return pattern_id
