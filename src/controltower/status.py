"""What is in a workspace: counts, date range, mix of accounts, signals, FDE hours, productization.

The productization rate needs the patterns: it is measured once the workspace has been
synthesized (``tower synthesize`` or ``tower plan``), and is None before.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import ColumnElement, Connection, func, select

from controltower.decisions import Productization, workspace_productization
from controltower.ingest.contract import SPECS
from controltower.store import rows as store
from controltower.store.tables import accounts, custom_work, decisions, deployments, signals
from controltower.workspace import Workspace


class Status(BaseModel):
    """A summary of a workspace's contents."""

    workspace: str
    counts: dict[str, int] = Field(description="Rows per entity.")
    first_signal: date | None = None
    last_signal: date | None = None
    accounts_by_segment: dict[str, int]
    accounts_by_tier: dict[str, int]
    arr_by_segment: dict[str, float]
    signals_by_source: dict[str, int]
    signals_by_month: dict[str, int] = Field(description="YYYY-MM to signal count, in order.")
    fde_hours_deployments: float = Field(description="FDE hours booked on deployments.")
    fde_hours_custom_work: float = Field(description="FDE hours spent on bespoke builds.")
    productization: Productization | None = Field(
        None, description="Bespoke work that became platform capability (after synthesis)."
    )


def _count_by(connection: Connection, column: ColumnElement[Any]) -> dict[str, int]:
    statement = select(column, func.count()).group_by(column).order_by(column)
    return {str(key): int(count) for key, count in connection.execute(statement)}


def _sum_by(
    connection: Connection, column: ColumnElement[Any], measure: ColumnElement[Any]
) -> dict[str, float]:
    statement = select(column, func.sum(measure)).group_by(column).order_by(column)
    return {str(key): float(total) for key, total in connection.execute(statement)}


def _total(connection: Connection, column: ColumnElement[Any]) -> float:
    return float(connection.execute(select(func.coalesce(func.sum(column), 0.0))).scalar_one())


def _signals_by_month(connection: Connection) -> dict[str, int]:
    months: dict[str, int] = {}
    statement = select(signals.c.date, func.count()).group_by(signals.c.date)
    for day, count in connection.execute(statement):
        month = day.strftime("%Y-%m")
        months[month] = months.get(month, 0) + int(count)
    return dict(sorted(months.items()))


def workspace_status(workspace: Workspace) -> Status:
    """Summarise what a workspace holds."""
    with workspace.engine.connect() as connection:
        counts = {spec.entity: store.count_rows(connection=connection, spec=spec) for spec in SPECS}
        counts["decisions"] = int(
            connection.execute(select(func.count()).select_from(decisions)).scalar_one()
        )
        first, last = connection.execute(
            select(func.min(signals.c.date), func.max(signals.c.date))
        ).one()
        status = Status(
            workspace=str(workspace.path),
            counts=counts,
            first_signal=first,
            last_signal=last,
            accounts_by_segment=_count_by(connection, accounts.c.segment),
            accounts_by_tier=_count_by(connection, accounts.c.tier),
            arr_by_segment=_sum_by(connection, accounts.c.segment, accounts.c.arr),
            signals_by_source=_count_by(connection, signals.c.source),
            signals_by_month=_signals_by_month(connection),
            fde_hours_deployments=_total(connection, deployments.c.fde_hours),
            fde_hours_custom_work=_total(connection, custom_work.c.fde_hours),
        )
    status.productization = workspace_productization(workspace)
    return status
