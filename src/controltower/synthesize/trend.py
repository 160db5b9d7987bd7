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
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from scipy.stats import binomtest

Trend = Literal["emerging", "growing", "stable", "fading"]


@dataclass(frozen=True)
class TrendAssessment:
    """A trend and the figures it was decided on."""

    trend: Trend
    recent: int
    history: int
    window_days: int
    history_days: int
    p_value: float

    @property
    def reason(self) -> str:
        """The decision in words, with its figures."""
        if self.history_days <= 0:
            return "stable: no history before the recent window to compare against"
        rate = (
            f"{self.recent} in the last {self.window_days} days vs {self.history} in the "
            f"{self.history_days} days before"
        )
        if self.trend == "stable":
            return f"stable: {rate} (no significant change, p={self.p_value:.2g})"
        return f"{self.trend}: {rate} (one-sided Poisson rate test p={self.p_value:.2g})"


def assess_trend(
    dates: Iterable[date],
    *,
    observed_from: date,
    as_of: date,
    window_days: int,
    alpha: float,
) -> TrendAssessment:
    """Classify a pattern's trend from the dates of its evidence.

    Args:
        dates: One date per piece of evidence (signal or custom work) of the pattern.
        observed_from: First day the workspace has any evidence for (start of history).
        as_of: Last day observed (the newest evidence date of the workspace).
        window_days: Length of the recent window, in days.
        alpha: Significance level of each one-sided test.

    Returns:
        The trend by the rule of this module, with the counts and p-value behind it.
    """
    window_start = as_of - timedelta(days=window_days - 1)
    history_days = (window_start - observed_from).days
    recent = history = 0
    for day in dates:
        if day >= window_start:
            recent += 1
        elif day >= observed_from:
            history += 1
    total = recent + history
    if history_days <= 0 or total == 0:
        return TrendAssessment("stable", recent, history, window_days, max(history_days, 0), 1.0)
    share = window_days / (window_days + history_days)
    p_up = float(binomtest(recent, total, share, alternative="greater").pvalue)
    p_down = float(binomtest(recent, total, share, alternative="less").pvalue)
    trend: Trend = "stable"
    if p_up < alpha:
        trend = "emerging" if history == 0 else "growing"
    elif p_down < alpha:
        trend = "fading"
    return TrendAssessment(
        trend,
        recent,
        history,
        window_days,
        history_days,
        {"fading": p_down, "stable": min(p_up, p_down)}.get(trend, p_up),
    )
