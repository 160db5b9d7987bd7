"""Trend of a pattern: a Poisson rate comparison of the recent window against history.

The rule. Let ``r`` be the pattern's evidence count in the recent window (the last
``window_days`` days up to the as-of date) and ``h`` its count in the history before the
window (from the first evidence date of the workspace). Under the null hypothesis that the
pattern recurs at one constant Poisson rate, given ``n = r + h`` events, ``r`` is
Binomial(n, p0) with ``p0`` the recent window's share of the observed time. With a one-sided
exact binomial test at level ``alpha``:

- recent rate significantly higher and (almost) no history → ``emerging``: at most one
  item in ten older than the window (``EMERGING_HISTORY_SHARE``), so one stray old item,
  often a misfiled text, does not hide a new need;
- recent rate significantly higher, with history → ``growing``;
- recent rate significantly lower → ``fading``;
- otherwise (including too little time observed to compare) → ``stable``.

A workspace tests every pattern in both directions, so at ``alpha`` each its trendless
patterns would be called growing or fading one time in ten. :func:`assess_trends` tests
them together and controls the false discovery rate at ``alpha`` (Benjamini-Hochberg over
all the one-sided p-values): of the trends it reports, about ``alpha`` are expected to be
noise, whatever the number of patterns.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from scipy.stats import binomtest, false_discovery_control

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


EMERGING_HISTORY_SHARE = 0.1
"""Largest share of a rising pattern's evidence older than the window for ``emerging``."""


def assess_trends(
    date_lists: Sequence[Iterable[date]],
    *,
    observed_from: date,
    as_of: date,
    window_days: int,
    alpha: float,
) -> list[TrendAssessment]:
    """Classify the trend of every pattern of a workspace, the false discovery rate at alpha.

    Each pattern is tested as by :func:`assess_trend`; the one-sided p-values of all of
    them (both directions) are adjusted by Benjamini-Hochberg (scipy's
    ``false_discovery_control``), and a trend is reported where its adjusted p-value is at
    most ``alpha``.
    """
    counts = [_counts(dates, observed_from, as_of, window_days) for dates in date_lists]
    tests = [_p_values(recent, history, window_days, days) for recent, history, days in counts]
    if not tests:
        return []
    adjusted = false_discovery_control([p for pair in tests for p in pair], method="bh")
    return [
        _classify(
            recent,
            history,
            window_days,
            days,
            (p_up, p_down),
            rise=bool(adjusted[2 * k] <= alpha),
            fall=bool(adjusted[2 * k + 1] <= alpha),
        )
        for k, ((recent, history, days), (p_up, p_down)) in enumerate(
            zip(counts, tests, strict=True)
        )
    ]


def _counts(
    dates: Iterable[date], observed_from: date, as_of: date, window_days: int
) -> tuple[int, int, int]:
    """Evidence in the recent window, in the history before it, and the history's days."""
    window_start = as_of - timedelta(days=window_days - 1)
    recent = history = 0
    for day in dates:
        if day >= window_start:
            recent += 1
        elif day >= observed_from:
            history += 1
    return recent, history, (window_start - observed_from).days


def _p_values(
    recent: int, history: int, window_days: int, history_days: int
) -> tuple[float, float]:
    """One-sided p-values of a higher and of a lower recent rate (1 when untestable)."""
    total = recent + history
    if history_days <= 0 or total == 0:
        return 1.0, 1.0
    share = window_days / (window_days + history_days)
    return (
        float(binomtest(recent, total, share, alternative="greater").pvalue),
        float(binomtest(recent, total, share, alternative="less").pvalue),
    )


def _classify(
    recent: int,
    history: int,
    window_days: int,
    history_days: int,
    p_values: tuple[float, float],
    *,
    rise: bool,
    fall: bool,
) -> TrendAssessment:
    """The trend from which change is significant (``p_values``: rise, fall, unadjusted)."""
    p_up, p_down = p_values
    trend: Trend = "stable"
    if rise:
        mostly_new = history <= EMERGING_HISTORY_SHARE * (recent + history)
        trend = "emerging" if mostly_new else "growing"
    elif fall:
        trend = "fading"
    return TrendAssessment(
        trend,
        recent,
        history,
        window_days,
        max(history_days, 0),
        {"fading": p_down, "stable": min(p_up, p_down)}.get(trend, p_up),
    )


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
    recent, history, days = _counts(dates, observed_from, as_of, window_days)
    p_up, p_down = _p_values(recent, history, window_days, days)
    # One pattern alone: each one-sided test at alpha (no correction).
    return _classify(
        recent, history, window_days, days, (p_up, p_down), rise=p_up < alpha, fall=p_down < alpha
    )
