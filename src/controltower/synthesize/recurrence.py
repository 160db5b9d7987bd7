"""Recurrence of a pattern: how much evidence, from whom, over what time, at what cost."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import date

from pydantic import BaseModel, Field

from controltower.synthesize.items import AccountInfo, Item


class Recurrence(BaseModel):
    """Breadth, cost and timing of a pattern's evidence."""

    signals: int = Field(description="Signals in the pattern (near-duplicates included).")
    work_items: int = Field(description="Custom-work notes in the pattern.")
    fde_hours: float = Field(description="FDE hours of the pattern's custom work.")
    accounts: int = Field(description="Distinct accounts.")
    industries: int
    segments: dict[str, int] = Field(description="Distinct accounts per segment.")
    tiers: dict[str, int] = Field(description="Distinct accounts per tier.")
    arr: float = Field(description="ARR of the distinct accounts touched.")
    top_account_share: float = Field(
        description="Share of the pattern's evidence that comes from its largest account."
    )
    first_seen: date
    last_seen: date
    by_month: dict[str, int] = Field(description="Evidence per month (YYYY-MM), in order.")


def measure_recurrence(items: Sequence[Item], accounts: Mapping[str, AccountInfo]) -> Recurrence:
    """Measure the recurrence of one pattern from its items (at least one).

    Args:
        items: The pattern's items, duplicates included (each is a real report).
        accounts: Every account by id.
    """
    if not items:
        raise ValueError("a pattern has at least one item")
    account_ids = sorted({item.account_id for item in items})
    known = [accounts[a] for a in account_ids if a in accounts]
    per_account = Counter(item.account_id for item in items)
    months = Counter(item.date.strftime("%Y-%m") for item in items)
    return Recurrence(
        signals=sum(1 for item in items if item.kind == "signal"),
        work_items=sum(1 for item in items if item.kind == "work"),
        fde_hours=float(sum(item.fde_hours for item in items)),
        accounts=len(account_ids),
        industries=len({a.industry for a in known}),
        segments=dict(sorted(Counter(a.segment for a in known).items())),
        tiers={str(k): v for k, v in sorted(Counter(a.tier for a in known).items())},
        arr=float(sum(a.arr for a in known)),
        top_account_share=max(per_account.values()) / len(items),
        first_seen=min(item.date for item in items),
        last_seen=max(item.date for item in items),
        by_month=dict(sorted(months.items())),
    )
