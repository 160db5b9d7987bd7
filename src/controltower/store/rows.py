"""Keyword-only typed access to the contract tables: upsert, read, count.

Only SQLAlchemy Core constructs are used (no dialect-specific SQL), so the same code runs
on SQLite and PostgreSQL.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from operator import attrgetter, itemgetter
from typing import Any, TypeVar

from sqlalchemy import (
    Connection,
    Table,
    and_,
    bindparam,
    func,
    insert,
    select,
    tuple_,
    update,
)

from controltower.domain import Row
from controltower.ingest.contract import FileSpec
from controltower.store.tables import TABLES

R = TypeVar("R", bound=Row)

Record = dict[str, Any]


@dataclass
class UpsertCounts:
    """What an upsert did to a table."""

    inserted: int = 0
    updated: int = 0
    unchanged: int = 0

    def add(self, other: UpsertCounts) -> None:
        """Add another batch's counts to these."""
        self.inserted += other.inserted
        self.updated += other.updated
        self.unchanged += other.unchanged


Values = tuple[Any, ...]
"""A record's values in :func:`record_columns` order (cheap to pass between processes)."""


@functools.cache
def record_columns(spec: FileSpec) -> tuple[str, ...]:
    """The columns of a table record: the contract columns, then ``attributes``."""
    return (*spec.columns, "attributes")


@functools.cache
def _values_getter(spec: FileSpec) -> Callable[[Row], Values]:
    getter = attrgetter(*record_columns(spec))
    blank = [
        index
        for index, column in enumerate(record_columns(spec))
        if column in spec.key and not spec.model.model_fields[column].is_required()
    ]
    if not blank:
        return getter

    def values(row: Row) -> Values:
        found = list(getter(row))
        for index in blank:
            if found[index] is None:
                found[index] = ""
        return tuple(found)

    return values


def to_values(row: Row, spec: FileSpec) -> Values:
    """A validated row as record values (an absent optional key part becomes '')."""
    return _values_getter(spec)(row)


def records_from_values(spec: FileSpec, batch: Sequence[Values]) -> list[Record]:
    """Records from values made by :func:`to_values`."""
    columns = record_columns(spec)
    return [dict(zip(columns, values, strict=True)) for values in batch]


def restore_keys(record: Record, spec: FileSpec) -> Record:
    """Undo :func:`to_values`' '' for absent optional key parts."""
    values = dict(record)
    for column in spec.key:
        if values[column] == "" and not spec.model.model_fields[column].is_required():
            values[column] = None
    return values


def from_record(record: Record, spec: FileSpec) -> Row:
    """Turn a table record back into its row model."""
    return spec.model.model_validate(restore_keys(record, spec))


def _key_of(record: Record, spec: FileSpec) -> tuple[Any, ...]:
    return tuple(record[column] for column in spec.key)


def upsert_records(
    *,
    connection: Connection,
    spec: FileSpec,
    records: Sequence[Record],
    all_new: bool = False,
) -> UpsertCounts:
    """Insert new records, update changed ones, leave identical ones alone.

    Args:
        connection: An open connection inside the caller's transaction.
        spec: The file spec of the table.
        records: Records with every column of the table, unique by key.
        all_new: The caller knows none of the keys is stored yet (the table was empty
            and keys are unique), so the look-up of existing rows is skipped.

    Returns:
        How many records were inserted, updated and left unchanged.
    """
    if not records:
        return UpsertCounts()
    table = TABLES[spec.entity]
    if all_new:
        bulk_insert(connection=connection, table=table, records=records)
        return UpsertCounts(inserted=len(records))
    key_columns = [table.c[column] for column in spec.key]
    keys = [_key_of(record, spec) for record in records]
    if len(key_columns) == 1:
        condition = key_columns[0].in_([key[0] for key in keys])
    else:
        condition = tuple_(*key_columns).in_(keys)
    existing = {
        _key_of(dict(found), spec): dict(found)
        for found in connection.execute(select(table).where(condition)).mappings()
    }
    new = [record for record, key in zip(records, keys, strict=True) if key not in existing]
    changed = [
        record
        for record, key in zip(records, keys, strict=True)
        if key in existing and existing[key] != record
    ]
    if new:
        bulk_insert(connection=connection, table=table, records=new)
    if changed:
        statement = (
            update(table)
            .where(and_(*(column == bindparam(f"key_{column.name}") for column in key_columns)))
            .values({column.name: bindparam(f"new_{column.name}") for column in table.columns})
        )
        connection.execute(
            statement,
            [
                {
                    **{f"key_{name}": record[name] for name in spec.key},
                    **{f"new_{name}": value for name, value in record.items()},
                }
                for record in changed
            ],
        )
    return UpsertCounts(
        inserted=len(new), updated=len(changed), unchanged=len(records) - len(new) - len(changed)
    )


def bulk_insert(*, connection: Connection, table: Table, records: Sequence[Record]) -> None:
    """Insert many records (dicts with every column) with :func:`bulk_insert_values`."""
    columns = [column.name for column in table.columns]
    values_of = itemgetter(*columns)
    bulk_insert_values(
        connection=connection,
        table=table,
        columns=columns,
        rows=[values_of(record) for record in records],
    )


def bulk_insert_values(
    *,
    connection: Connection,
    table: Table,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
) -> None:
    """Insert many rows through the driver's ``executemany``, inside the transaction.

    The statement is compiled by SQLAlchemy for the connection's dialect and each value goes
    through its column type's bind processor, so this stays dialect-neutral; it skips only
    SQLAlchemy's per-row bookkeeping, which dominates bulk imports.

    Args:
        connection: An open connection inside the caller's transaction.
        table: The table.
        columns: The column of each position of a row (every column of the table).
        rows: The rows' values in ``columns`` order.
    """
    dialect = connection.dialect
    compiled = insert(table).compile(dialect=dialect)
    names = list(compiled.positiontup or [column.name for column in table.columns])
    positions = [list(columns).index(name) for name in names]
    in_order = positions == list(range(len(names)))
    reorder = itemgetter(*positions)
    processed = [
        (position, processor)
        for position, name in enumerate(names)
        if (processor := table.c[name].type.dialect_impl(dialect).bind_processor(dialect))
    ]
    # Bound forms already computed, per position: dates and numbers repeat a lot in bulk
    # data, and empty lists and dicts (unhashable) are cached by their type.
    memo: dict[int, dict[Any, Any]] = {position: {} for position, _ in processed}
    parameters: list[Any] = []
    for row in rows:
        values = list(row) if in_order else list(reorder(row))
        for position, processor in processed:
            value = values[position]
            if value is None:
                continue
            seen = memo[position]
            token = (
                value
                if not isinstance(value, (list, dict))
                else (type(value) if not value else None)
            )
            if token is None:
                values[position] = processor(value)
            elif token in seen:
                values[position] = seen[token]
            else:
                values[position] = seen[token] = processor(value)
        parameters.append(values if compiled.positiontup else dict(zip(names, values, strict=True)))
    cursor = connection.connection.cursor()
    try:
        cursor.executemany(str(compiled), parameters)
    finally:
        cursor.close()


def upsert_values(
    *, connection: Connection, spec: FileSpec, batch: Sequence[Values], all_new: bool = False
) -> UpsertCounts:
    """:func:`upsert_records` for values made by :func:`to_values` (no dicts when all new)."""
    if all_new and batch:
        bulk_insert_values(
            connection=connection,
            table=TABLES[spec.entity],
            columns=record_columns(spec),
            rows=batch,
        )
        return UpsertCounts(inserted=len(batch))
    return upsert_records(
        connection=connection,
        spec=spec,
        records=records_from_values(spec, batch),
        all_new=all_new,
    )


def iter_records(*, connection: Connection, spec: FileSpec) -> Iterator[Record]:
    """Yield every record of a table, ordered by key."""
    table = TABLES[spec.entity]
    statement = select(table).order_by(*(table.c[column] for column in spec.key))
    for found in connection.execution_options(stream_results=True).execute(statement).mappings():
        yield dict(found)


def read_rows(*, connection: Connection, spec: FileSpec, model: type[R]) -> list[R]:
    """Read every row of a table as its row model, ordered by key."""
    if spec.model is not model:
        raise TypeError(f"{spec.entity} holds {spec.model.__name__}, not {model.__name__}")
    rows = [from_record(record, spec) for record in iter_records(connection=connection, spec=spec)]
    return rows  # type: ignore[return-value]


def count_rows(*, connection: Connection, spec: FileSpec) -> int:
    """Count the rows of a table."""
    table = TABLES[spec.entity]
    return int(connection.execute(select(func.count()).select_from(table)).scalar_one())


def column_values(*, connection: Connection, entity: str, column: str) -> set[Any]:
    """Return the distinct values of one column of a table."""
    table = TABLES[entity]
    return set(connection.execute(select(table.c[column]).distinct()).scalars())


def column_map(*, connection: Connection, entity: str, key: str, value: str) -> dict[Any, Any]:
    """Return ``{key: value}`` over the rows of a table."""
    table = TABLES[entity]
    return dict(connection.execute(select(table.c[key], table.c[value])).all())
