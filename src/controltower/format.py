"""Number formats shared by every layer (the CLI, the optimizer's reasons, the report)."""

from __future__ import annotations

__all__ = ["money"]


def money(value: float) -> str:
    """A money figure, compact: ``9.87M``, ``987k``, ``950``, ``1.2B``."""
    size = abs(value)
    if size >= 1e9:
        return f"{value / 1e9:,.2f}B"
    if size >= 1e6:
        return f"{value / 1e6:,.2f}M"
    if size >= 1e3:
        return f"{value / 1e3:,.0f}k"
    return f"{value:,.0f}"
