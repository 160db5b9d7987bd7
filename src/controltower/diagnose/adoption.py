"""Adoption of shipped capabilities from usage.csv, against the success target.

A capability is built for the accounts whose evidence it addresses (the accounts of its
linked patterns: its *eligible* accounts). An account adopts it on its first usage row
with a value above 0 (any metric). Per capability: the monthly adoption curve, the median
days from ship to adoption, and a status against ``adoption.target_share`` of the eligible
accounts within ``adoption.window_days``:

- ``adopted``: the target share is reached;
- ``too-early``: shipped less than ``adoption.grace_days`` ago;
- ``not-adopted``: past the window and below target (flagged: the pattern may have been
  misread, or the capability does not solve it);
- ``on-track`` / ``behind``: within the window, at or below the straight-line pace
  ``target x days since ship / window``.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from statistics import median
from typing import Literal

from controltower.diagnose.models import Adoption, AdoptionPoint, CapabilityAdoption
from controltower.domain import Usage
from controltower.ingest.contract import SPECS
from controltower.settings import AdoptionSettings, Settings
from controltower.store.rows import column_values, read_rows
from controltower.value import Evaluation
from controltower.workspace import Workspace

__all__ = [
    "ShippedCapability",
    "adoption_curve",
    "assess_adoption",
    "first_use",
    "shipped_capabilities",
    "track_adoption",
]

Status = Literal["adopted", "on-track", "behind", "not-adopted", "too-early"]
_USAGE = next(spec for spec in SPECS if spec.entity == "usage")


def first_use(usage: Sequence[Usage], capability_id: str) -> dict[str, date]:
    """Each account's first usage date of a capability with a value above 0."""
    first: dict[str, date] = {}
    for row in usage:
        if row.capability_id == capability_id and row.value > 0:
            known = first.get(row.account_id)
            if known is None or row.date < known:
                first[row.account_id] = row.date
    return first


def _month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def adoption_curve(
    first: dict[str, date], eligible: Sequence[str], shipped: date, as_of: date
) -> list[AdoptionPoint]:
    """Eligible accounts using the capability at each month end from the ship month to as_of.

    The last point is ``as_of`` itself when it is not a month end.
    """
    adopters = [first[a] for a in eligible if a in first]
    points = []
    day = _month_end(shipped)
    while day <= _month_end(as_of):
        cut = min(day, as_of)
        count = sum(1 for d in adopters if d <= cut)
        points.append(
            AdoptionPoint(date=cut, accounts=count, share=count / len(eligible) if eligible else 0)
        )
        day = _month_end(date(day.year + day.month // 12, day.month % 12 + 1, 1))
    return points


def _status(share: float, days: int, config: AdoptionSettings) -> tuple[Status, str]:
    """The status of a capability and why, from its share of eligible accounts and age."""
    target, window = config.target_share, config.window_days
    if share >= target:
        return "adopted", f"reached the target {target:.0%}"
    if days < config.grace_days:
        return "too-early", f"shipped {days} days ago, within the {config.grace_days}-day grace"
    if days >= window:
        return "not-adopted", (
            f"below the target {target:.0%} {days} days after shipping (window {window} days)"
        )
    pace = target * days / window
    if share >= pace:
        return "on-track", f"at or above the pace {pace:.0%} for day {days} of {window}"
    return "behind", f"below the pace {pace:.0%} for day {days} of {window}"


@dataclass(frozen=True)
class ShippedCapability:
    """A capability whose adoption is tracked.

    Attributes:
        capability_id: Its id.
        name: Its name.
        shipped: Its ship date (None: not marked shipped, but it has usage rows).
        pattern_ids: Patterns it addresses.
        accounts: Accounts of those patterns (its eligible accounts).
    """

    capability_id: str
    name: str
    shipped: date | None
    pattern_ids: tuple[str, ...]
    accounts: tuple[str, ...]


def shipped_capabilities(evaluation: Evaluation, usage: Sequence[Usage]) -> list[ShippedCapability]:
    """Shipped candidates, and any other candidate with usage, with their patterns' accounts."""
    accounts_of = {p.id: p.account_ids for p in evaluation.patterns}
    used = {row.capability_id for row in usage if row.value > 0}
    result = []
    for candidate in sorted(evaluation.candidates, key=lambda c: c.id):
        if candidate.status != "shipped" and candidate.id not in used:
            continue
        pattern_ids = tuple(dict.fromkeys(link.pattern_id for link in candidate.links))
        result.append(
            ShippedCapability(
                capability_id=candidate.id,
                name=candidate.name,
                shipped=candidate.model.shipped if candidate.status == "shipped" else None,
                pattern_ids=pattern_ids,
                accounts=tuple(sorted({a for p in pattern_ids for a in accounts_of.get(p, [])})),
            )
        )
    return result


def _eligible(capability: ShippedCapability, all_accounts: Sequence[str]) -> tuple[list[str], str]:
    if capability.accounts:
        return list(capability.accounts), (
            f"{len(capability.accounts)} eligible accounts: those of its patterns "
            f"{', '.join(capability.pattern_ids)}"
        )
    return sorted(all_accounts), (
        f"no linked pattern names accounts, so all {len(all_accounts)} accounts are eligible"
    )


def _capability(
    capability: ShippedCapability,
    first: dict[str, date],
    all_accounts: Sequence[str],
    as_of: date,
    config: AdoptionSettings,
) -> CapabilityAdoption:
    shipped = capability.shipped
    start = shipped or min(first.values(), default=as_of)
    eligible, eligible_reason = _eligible(capability, all_accounts)
    adopters = [a for a in eligible if a in first]
    days = [max(0, (first[a] - start).days) for a in adopters]
    share = len(adopters) / len(eligible) if eligible else 0.0
    elapsed = (as_of - start).days
    status, why = _status(share, elapsed, config)
    others = sorted(set(first) - set(eligible))
    reason = (
        f"{len(adopters)} of {len(eligible)} eligible accounts ({share:.0%}) use it "
        f"{elapsed} days after "
        + (
            f"shipping on {shipped}"
            if shipped
            else f"its first usage on {start} (not marked shipped: no `shipped` date in "
            "capabilities.csv)"
        )
        + f": {why}; {eligible_reason}"
        + (f"; {len(others)} other account(s) use it too" if others else "")
    )
    if status == "not-adopted":
        reason += (
            "; shipped but not adopted: the pattern it was built for may have been misread, "
            "or the capability does not solve it: re-read the pattern's evidence"
        )
    return CapabilityAdoption(
        capability_id=capability.capability_id,
        name=capability.name,
        shipped=shipped,
        eligible_accounts=eligible,
        adopting_accounts=sorted(first),
        curve=adoption_curve(first, eligible, start, as_of),
        median_days_to_adopt=float(median(days)) if days else None,
        target_share=config.target_share,
        target_days=config.window_days,
        status=status,
        reason=reason,
        evidence=list(
            dict.fromkeys([capability.capability_id, *capability.pattern_ids, *adopters])
        ),
    )


def assess_adoption(
    capabilities: Sequence[ShippedCapability],
    usage: Sequence[Usage],
    accounts: Sequence[str],
    as_of: date,
    config: AdoptionSettings,
) -> Adoption:
    """Adoption of each capability against the target; the shipped-but-not-adopted flagged.

    Args:
        capabilities: What to track (:func:`shipped_capabilities`).
        usage: usage.csv rows.
        accounts: Every account id (the eligible accounts when no pattern names any).
        as_of: The latest evidence date.
        config: The adoption settings.
    """
    result = [
        _capability(c, first_use(usage, c.capability_id), accounts, as_of, config)
        for c in capabilities
    ]
    return Adoption(
        capabilities=result,
        flagged=[c.capability_id for c in result if c.status == "not-adopted"],
    )


def track_adoption(
    workspace: Workspace, evaluation: Evaluation, settings: Settings | None = None
) -> Adoption:
    """Read usage.csv and judge the adoption of the workspace's shipped capabilities.

    Args:
        workspace: An open workspace.
        evaluation: Its value stage result.
        settings: Settings to use (default: the workspace's).
    """
    settings = settings or workspace.settings
    with workspace.engine.connect() as connection:
        usage = read_rows(connection=connection, spec=_USAGE, model=Usage)
        accounts = sorted(
            column_values(connection=connection, entity="accounts", column="account_id")
        )
        dates: set[date] = column_values(connection=connection, entity="signals", column="date")
        dates |= column_values(connection=connection, entity="custom_work", column="date")
    dates |= {row.date for row in usage}
    dates |= {c.model.shipped for c in evaluation.candidates if c.model.shipped is not None}
    return assess_adoption(
        shipped_capabilities(evaluation, usage),
        usage,
        accounts,
        max(dates, default=date.today()),
        settings.adoption,
    )
