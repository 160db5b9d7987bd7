"""The evidence synthesis works on: signals and custom-work notes, with their accounts."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date
from typing import Literal

from sqlalchemy import Connection, select

from controltower.store.tables import accounts, custom_work, signals

ItemKind = Literal["signal", "work"]
ItemKey = tuple[str, str]
"""``(kind, id)``: ``("signal", "sig-000001")`` or ``("work", "cw-0001")``."""


@dataclass(frozen=True)
class AccountInfo:
    """What recurrence needs to know about an account."""

    account_id: str
    segment: str
    industry: str
    tier: int
    arr: float


@dataclass(frozen=True)
class Item:
    """One piece of evidence: a signal's text or a custom-work description."""

    kind: ItemKind
    item_id: str
    text: str
    date: date
    account_id: str
    fde_hours: float
    urgency: int | None
    signal_kind: str | None

    @property
    def key(self) -> ItemKey:
        """The item's ``(kind, id)``."""
        return (self.kind, self.item_id)

    @property
    def text_hash(self) -> str:
        """Hash of the text as embedded (the embedding cache key)."""
        return text_hash(self.text)


_PREFIX = re.compile(r"^\s*((re|fw|fwd|aw|tr)\s*:\s*|\[[^\]]{1,12}\]\s*)+", re.IGNORECASE)
_SPACE = re.compile(r"\s+")


def normalise(text: str) -> str:
    """The text a duplicate check compares: no reply/forward prefixes, folded spaces, lower."""
    return _SPACE.sub(" ", _PREFIX.sub("", text)).strip().lower()


def text_hash(text: str) -> str:
    """SHA-256 of the text, the key of the embedding cache."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def load_items(connection: Connection) -> list[Item]:
    """All signals and custom-work notes, signals first, each ordered by id."""
    items = [
        Item("signal", r.signal_id, r.text, r.date, r.account_id, 0.0, r.urgency, r.kind)
        for r in connection.execute(select(signals).order_by(signals.c.signal_id))
    ]
    items += [
        Item("work", r.work_id, r.description, r.date, r.account_id, r.fde_hours, None, None)
        for r in connection.execute(select(custom_work).order_by(custom_work.c.work_id))
    ]
    return items


def load_accounts(connection: Connection) -> dict[str, AccountInfo]:
    """Accounts by id."""
    return {
        r.account_id: AccountInfo(r.account_id, r.segment, r.industry, r.tier, r.arr)
        for r in connection.execute(select(accounts))
    }
