"""Number formats shared by the report's tables, narrative and facts."""

from __future__ import annotations

import re

from controltower.format import money

__all__ = ["anchor", "hours", "money", "number", "pct", "signed_pct", "weeks"]


def number(value: float) -> str:
    """A count or measure: thousands separated, at most one decimal, no trailing ``.0``."""
    text = f"{value:,.1f}"
    return text[:-2] if text.endswith(".0") else text


def measure(value: float) -> str:
    """A diagnostic's metric or threshold, never rounded onto its threshold.

    Three significant figures below 100 (0.0714, 0.85, 12.5); :func:`number` above.
    """
    return number(value) if abs(value) >= 100 else f"{value:.3g}"


def hours(value: float) -> str:
    """Hours, rounded to the hour."""
    return f"{value:,.0f} h"


def weeks(value: float | None) -> str:
    """Engineering weeks, or an em dash when unknown."""
    return "—" if value is None else f"{number(value)} wk"


def pct(value: float) -> str:
    """A share (0.42) as a percentage (``42%``)."""
    return f"{value * 100:.0f}%"


def signed_pct(value: float) -> str:
    """A change in percentage points with its sign (``+3.5 pts``)."""
    return f"{value * 100:+.1f} pts"


_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")


def anchor(prefix: str, identifier: str) -> str:
    """An HTML anchor for an id: the prefix, then the id with unsafe characters replaced."""
    return f"{prefix}-{_UNSAFE.sub('_', identifier)}"
