"""Writers of an import: upsert batches while the next batch is being checked.

Two backends with one interface (:class:`Writer`):

- :class:`ThreadWriter` writes on a helper thread through the caller's connection and
  transaction (small bundles: no start-up cost).
- :class:`ProcessWriter` writes from a separate process that holds its own connection and
  one transaction, committed or rolled back at :meth:`Writer.finish`. Checking a row and
  writing it are both CPU work in Python, so for large bundles the two cores are used in
  parallel instead of taking turns on one interpreter lock.

Errors raised while writing come back to the caller at the next call.
"""

from __future__ import annotations

import multiprocessing
from abc import ABC, abstractmethod
from collections import deque
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from sqlalchemy import Connection, Engine, RootTransaction

from controltower.errors import ControlTowerError
from controltower.ingest.contract import SPEC_BY_ENTITY, FileSpec
from controltower.store import rows as store
from controltower.store.engine import make_engine
from controltower.store.tables import TABLES

Counts = tuple[int, int, int]
"""(inserted, updated, unchanged)."""


class Writer(ABC):
    """Upserts batches in the background, at most ``depth`` in flight."""

    depth = 2

    def __init__(self) -> None:
        self._pending: deque[tuple[Future[Counts], store.UpsertCounts]] = deque()

    @abstractmethod
    def _start(self, entity: str, records: list[store.Values], all_new: bool) -> Future[Counts]:
        """Start writing one batch."""

    @abstractmethod
    def _start_append(self, table: str, records: list[store.Record]) -> Future[Counts]:
        """Start appending records known to be new to a table (no look-up)."""

    @abstractmethod
    def finish(self, *, commit: bool) -> None:
        """Wait for every batch, then commit or roll back (where the writer owns it), stop."""

    def submit(
        self,
        spec: FileSpec,
        records: list[store.Values],
        into: store.UpsertCounts,
        *,
        all_new: bool,
    ) -> None:
        """Write a batch; its counts are added to ``into`` once it is done."""
        while len(self._pending) >= self.depth:
            self._collect()
        self._pending.append((self._start(spec.entity, records, all_new), into))

    def submit_append(
        self, table: str, records: list[store.Record], into: store.UpsertCounts
    ) -> None:
        """Append new records to a table (the decision log); counts are added to ``into``."""
        while len(self._pending) >= self.depth:
            self._collect()
        self._pending.append((self._start_append(table, records), into))

    def _collect(self) -> None:
        future, into = self._pending.popleft()
        inserted, updated, unchanged = future.result()
        into.add(store.UpsertCounts(inserted, updated, unchanged))

    def drain(self) -> None:
        """Wait for every batch in flight (raising the first error)."""
        while self._pending:
            self._collect()


def _upsert(
    connection: Connection, entity: str, batch: list[store.Values], all_new: bool
) -> Counts:
    counts = store.upsert_values(
        connection=connection, spec=SPEC_BY_ENTITY[entity], batch=batch, all_new=all_new
    )
    return counts.inserted, counts.updated, counts.unchanged


def _append(connection: Connection, table: str, records: list[store.Record]) -> Counts:
    store.bulk_insert(connection=connection, table=TABLES[table], records=records)
    return len(records), 0, 0


class ThreadWriter(Writer):
    """Writes through the caller's connection on one helper thread."""

    def __init__(self, connection: Connection) -> None:
        super().__init__()
        self.depth = 1  # the connection is shared: one batch at a time
        self.connection = connection
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tower-import")

    def _start(self, entity: str, records: list[store.Values], all_new: bool) -> Future[Counts]:
        return self._pool.submit(_upsert, self.connection, entity, records, all_new)

    def _start_append(self, table: str, records: list[store.Record]) -> Future[Counts]:
        return self._pool.submit(_append, self.connection, table, records)

    def finish(self, *, commit: bool) -> None:
        """Wait and stop; the caller's transaction decides commit or rollback."""
        try:
            if commit:
                self.drain()
        finally:
            self._pool.shutdown(wait=True, cancel_futures=True)


_child: dict[str, Any] = {}
"""The writer process's engine, connection and transaction."""


def _child_open(url: str) -> None:
    engine: Engine = make_engine(url)
    connection = engine.connect()
    _child.update(engine=engine, connection=connection, transaction=connection.begin())


def _child_upsert(entity: str, records: list[store.Values], all_new: bool) -> Counts:
    return _upsert(_child["connection"], entity, records, all_new)


def _child_append(table: str, records: list[store.Record]) -> Counts:
    return _append(_child["connection"], table, records)


def _child_finish(commit: bool) -> None:
    transaction: RootTransaction = _child["transaction"]
    try:
        if commit:
            transaction.commit()
        else:
            transaction.rollback()
    finally:
        _child["connection"].close()
        _child["engine"].dispose()


class ProcessWriter(Writer):
    """Writes from a separate process with its own connection and one transaction.

    Args:
        url: The store's database URL.
    """

    depth = 8  # batches queue up while the process starts

    def __init__(self, url: str) -> None:
        super().__init__()
        self._pool = ProcessPoolExecutor(
            max_workers=1,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_child_open,
            initargs=(url,),
        )

    def _start(self, entity: str, records: list[store.Values], all_new: bool) -> Future[Counts]:
        return self._pool.submit(_child_upsert, entity, records, all_new)

    def _start_append(self, table: str, records: list[store.Record]) -> Future[Counts]:
        return self._pool.submit(_child_append, table, records)

    def finish(self, *, commit: bool) -> None:
        """Wait for every batch, then commit (or roll back) in the writer process.

        A writer process that died takes its uncommitted transaction with it, so there is
        nothing to roll back then.
        """
        try:
            if commit:
                self.drain()
            self._pool.submit(_child_finish, commit).result()
        except BrokenProcessPool as exc:
            if commit:
                raise ControlTowerError(
                    f"the import's writer process stopped; nothing was written ({exc})"
                ) from exc
        finally:
            self._pool.shutdown(wait=True, cancel_futures=True)
