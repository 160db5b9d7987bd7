"""Productization rate: how much of each deployment's bespoke work became platform capability.

A custom-work row *became capability* when a capability shipped (its ``shipped``
attribute) on or after the row's date addresses the pattern the row belongs to. Per
deployment: the share of its bespoke FDE hours that became capability, and whether it
*gave back* (a capability shipped within ``decisions.productization_window_days`` of one
of its builds). The share of engagements that gave back counts the deployments judged:
those that gave back, or whose builds' windows have all closed by the latest evidence
date (the rest are too early to tell). A leading indicator of escaping the high-touch
trap: the field's work flowing back into the platform.

A row with no ``deployment_id`` is given to its account's deployment running on the row's
date when exactly one is; otherwise it is listed as unattributed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from controltower.decisions.figures import live_evaluation
from controltower.decisions.models import DeploymentProductization, Productization
from controltower.domain import CustomWork, Deployment
from controltower.ingest.contract import SPEC_BY_ENTITY
from controltower.store.rows import read_rows
from controltower.store.tables import signals
from controltower.workspace import Workspace

if TYPE_CHECKING:
    from controltower.value import Evaluation

__all__ = ["Shipment", "measure_productization", "shipments", "workspace_productization"]


@dataclass(frozen=True)
class Shipment:
    """A shipped capability and the work ids of the patterns it addresses."""

    capability_id: str
    shipped: date
    work_ids: frozenset[str]


def shipments(evaluation: Evaluation) -> list[Shipment]:
    """Every shipped candidate with the custom work of the patterns it addresses."""
    found = []
    for candidate in evaluation.candidates:
        shipped = candidate.model.shipped
        if candidate.status != "shipped" or shipped is None:
            continue
        work = {
            w
            for pid in candidate.model.pattern_ids
            if (pattern := evaluation.pattern(pid)) is not None
            for w in pattern.work_ids
        }
        found.append(Shipment(candidate.id, shipped, frozenset(work)))
    return sorted(found, key=lambda s: (s.shipped, s.capability_id))


def _running(deployment: Deployment, day: date) -> bool:
    return deployment.started <= day and (deployment.ended is None or day <= deployment.ended)


def _attribute(
    work: Sequence[CustomWork], deployments: Sequence[Deployment]
) -> tuple[dict[str, list[CustomWork]], list[str]]:
    """Work rows by deployment id, and the ids of rows no single deployment owns."""
    known = {d.deployment_id for d in deployments}
    by_account: dict[str, list[Deployment]] = defaultdict(list)
    for deployment in deployments:
        by_account[deployment.account_id].append(deployment)
    owned: dict[str, list[CustomWork]] = defaultdict(list)
    unattributed: list[str] = []
    for row in work:
        if row.deployment_id is not None and row.deployment_id in known:
            owned[row.deployment_id].append(row)
            continue
        running = [d for d in by_account.get(row.account_id, []) if _running(d, row.date)]
        if len(running) == 1:
            owned[running[0].deployment_id].append(row)
        else:
            unattributed.append(row.work_id)
    return owned, sorted(unattributed)


def _first_shipment(row: CustomWork, shipped: Sequence[Shipment]) -> Shipment | None:
    """The first capability shipped on or after the row's date for the row's pattern."""
    return next((s for s in shipped if row.work_id in s.work_ids and s.shipped >= row.date), None)


def _deployment(
    deployment: Deployment,
    rows: list[CustomWork],
    shipped: Sequence[Shipment],
    *,
    window_days: int,
    as_of: date,
) -> DeploymentProductization:
    firsts = {row.work_id: _first_shipment(row, shipped) for row in rows}
    given = [row for row in rows if firsts[row.work_id] is not None]
    delays = [
        float((shipment.shipped - row.date).days)
        for row in given
        if (shipment := firsts[row.work_id]) is not None
    ]
    gave_back = any(d <= window_days for d in delays)
    open_window = any((as_of - row.date).days < window_days for row in rows)
    hours = sum(row.fde_hours for row in rows)
    productized = sum(row.fde_hours for row in given)
    return DeploymentProductization(
        deployment_id=deployment.deployment_id,
        account_id=deployment.account_id,
        bespoke_work=len(rows),
        bespoke_hours=hours,
        productized_work=len(given),
        productized_hours=productized,
        rate=productized / hours if hours > 0 else 0.0,
        capabilities=sorted({s.capability_id for s in firsts.values() if s is not None}),
        gave_back=True if gave_back else (None if open_window else False),
        days_to_give_back=min(delays) if delays else None,
        evidence=sorted(row.work_id for row in given),
    )


def measure_productization(
    shipped: Sequence[Shipment],
    work: Sequence[CustomWork],
    deployments: Sequence[Deployment],
    *,
    window_days: int,
    as_of: date,
) -> Productization:
    """Measure the productization rate of every deployment with bespoke work.

    Args:
        shipped: The shipped capabilities, by date (see :func:`shipments`).
        work: Every custom-work row.
        deployments: Every deployment.
        window_days: Days after a build within which a shipped capability counts as given
            back.
        as_of: The latest evidence date (windows still open then are not judged).
    """
    shipped = sorted(shipped, key=lambda s: (s.shipped, s.capability_id))
    owned, unattributed = _attribute(work, deployments)
    rows = [
        _deployment(d, owned[d.deployment_id], shipped, window_days=window_days, as_of=as_of)
        for d in deployments
        if owned.get(d.deployment_id)
    ]
    rows.sort(key=lambda r: (-r.rate, -r.productized_hours, r.deployment_id))
    hours = sum(r.bespoke_hours for r in rows)
    productized = sum(r.productized_hours for r in rows)
    judged = [r for r in rows if r.gave_back is not None]
    gave = sum(1 for r in judged if r.gave_back)
    return Productization(
        as_of=as_of,
        window_days=window_days,
        deployments=rows,
        bespoke_hours=hours,
        productized_hours=productized,
        rate=productized / hours if hours > 0 else 0.0,
        engagements_judged=len(judged),
        engagements_gave_back=gave,
        give_back_share=gave / len(judged) if judged else None,
        unattributed_work=unattributed,
        shipped=[f"{s.capability_id} ({s.shipped.isoformat()})" for s in shipped],
    )


def workspace_productization(
    workspace: Workspace, *, evaluation: Evaluation | None = None
) -> Productization | None:
    """The productization rate of a workspace, or None before any synthesis.

    Args:
        workspace: The open workspace.
        evaluation: The value stage's result (computed when not given).
    """
    evaluation = evaluation or live_evaluation(workspace)
    if evaluation is None:
        return None
    with workspace.engine.connect() as connection:
        work = read_rows(
            connection=connection, spec=SPEC_BY_ENTITY["custom_work"], model=CustomWork
        )
        deployments = read_rows(
            connection=connection, spec=SPEC_BY_ENTITY["deployments"], model=Deployment
        )
        last_signal = connection.execute(select(func.max(signals.c.date))).scalar_one()
    dates = [d for d in (last_signal, *(row.date for row in work)) if d is not None]
    return measure_productization(
        shipments(evaluation),
        work,
        deployments,
        window_days=workspace.settings.decisions.productization_window_days,
        as_of=max(dates, default=date.today()),
    )
