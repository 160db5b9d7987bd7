"""Period labels: where a period starts and the labels that follow it.

Labels ``YYYY``, ``YYYY-Qn``, ``YYYY-Hn`` and ``YYYY-MM`` are understood; any other label
is continued as ``LABEL+1``, ``LABEL+2``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date

__all__ = ["horizon_labels", "period_start", "periods_per_year_of"]

_LABEL = re.compile(r"^(\d{4})(?:-(?:Q([1-4])|H([12])|(0[1-9]|1[0-2])))?$")


def _label_parts(label: str) -> tuple[int, int, int] | None:
    """(year, index within the year, periods per year) of a period label, or None."""
    found = _LABEL.match(label.strip())
    if found is None:
        return None
    year, quarter, half, month = found.groups()
    if quarter:
        return int(year), int(quarter) - 1, 4
    if half:
        return int(year), int(half) - 1, 2
    if month:
        return int(year), int(month) - 1, 12
    return int(year), 0, 1


def period_start(label: str) -> date | None:
    """First day of a period labelled ``YYYY``, ``YYYY-Qn``, ``YYYY-Hn`` or ``YYYY-MM``."""
    parts = _label_parts(label)
    if parts is None:
        return None
    year, index, per_year = parts
    return date(year, 1 + index * 12 // per_year, 1)


def _label_after(label: str, steps: int) -> str:
    """The label ``steps`` periods after ``label`` in its own format (else ``label+steps``)."""
    parts = _label_parts(label)
    if parts is None:
        return f"{label}+{steps}"
    year, index, per_year = parts
    year, index = divmod(year * per_year + index + steps, per_year)
    if per_year == 4:
        return f"{year}-Q{index + 1}"
    if per_year == 2:
        return f"{year}-H{index + 1}"
    if per_year == 12:
        return f"{year}-{index + 1:02d}"
    return str(year)


def horizon_labels(periods: Sequence[str], horizon: int) -> list[str]:
    """The planning periods, continued past the last one up to ``horizon`` periods."""
    labels = list(periods)
    if not labels:
        return []
    last = labels[-1]
    labels += [_label_after(last, k) for k in range(1, horizon - len(labels) + 1)]
    return labels


def periods_per_year_of(labels: Sequence[str]) -> int | None:
    """Periods a year that the labels name (4 for ``YYYY-Qn``), or None.

    None when the labels do not all name the same kind, or one is of no known kind.
    """
    kinds = {parts[2] if (parts := _label_parts(label)) else None for label in labels}
    return next(iter(kinds)) if len(kinds) == 1 else None
