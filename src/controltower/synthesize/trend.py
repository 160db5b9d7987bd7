"""Trend of a pattern: a Poisson rate comparison of the recent window against history.

The rule. Let ``r`` be the pattern's evidence count in the recent window (the last
``window_days`` days up to the as-of date) and ``h`` its count in the history before the
window (from the first evidence date of the workspace). Under the null hypothesis that the
pattern recurs at one constant Poisson rate, given ``n = r + h`` events, ``r`` is
Binomial(n, p0) with ``p0`` the recent window's share of the observed time. With a one-sided
exact binomial test at level ``alpha``:

- recent rate significantly higher and no history at all → ``emerging``;
- recent rate significantly higher, with history → ``growing``;
- recent rate significantly lower → ``fading``;
- otherwise (including too little time observed to compare) → ``stable``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Literal

from scipy.stats import binomtest

Trend = Literal["emerging", "growing", "stable", "fading"]


def classify_trend(
    dates: Iterable[date],
    *,
    observed_from: date,
    as_of: date,
    window_days: int,
    alpha: float,
) -> Trend:
    """Classify a pattern's trend from the dates of its evidence.

    Args:
        dates: One date per piece of evidence (signal or custom work) of the pattern.
        observed_from: First day the workspace has any evidence for (start of history).
        as_of: Last day observed (the newest evidence date of the workspace).
        window_days: Length of the recent window, in days.
        alpha: Significance level of each one-sided test.

    Returns:
        ``emerging``, ``growing``, ``stable`` or ``fading`` by the rule of this module.
    """
    window_start = as_of - timedelta(days=window_days - 1)
    history_days = (window_start - observed_from).days
    if history_days <= 0:
        return "stable"
    recent = history = 0
    for day in dates:
        if day >= window_start:
            recent += 1
        elif day >= observed_from:
            history += 1
    total = recent + history
    if total == 0:
        return "stable"
    share = window_days / (window_days + history_days)
    if binomtest(recent, total, share, alternative="greater").pvalue < alpha:
        return "emerging" if history == 0 else "growing"
    if binomtest(recent, total, share, alternative="less").pvalue < alpha:
        return "fading"
    return "stable"
