"""Helpers the detectors share: grading, shares, evidence lists and swap remedies."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from controltower.diagnose.inputs import DiagnosisInputs, PlannedItem
from controltower.diagnose.models import DiagnosticCode, Finding, Severity
from controltower.optimize import RoadmapEntry
from controltower.value import CandidateResult

EVIDENCE_PER_SUBJECT = 10
"""Accounts, signals or work ids listed per subject; `tower why ID` lists them all."""

Wanted = Callable[[CandidateResult], bool]


def grade(value: float, warn: float, critical: float) -> Severity | None:
    """``critical`` at or above ``critical``, ``warn`` at or above ``warn``, else None."""
    if value >= critical:
        return "critical"
    if value >= warn:
        return "warn"
    return None


def share(part: float, whole: float) -> float:
    """``part / whole``, 0 when the whole is 0."""
    return part / whole if whole > 0 else 0.0


def unique(ids: Iterable[str]) -> list[str]:
    """Ids without repeats, first occurrence first."""
    return list(dict.fromkeys(ids))


def evidence_of(items: Iterable[PlannedItem], *, field: bool = False) -> list[str]:
    """Candidate ids, then their patterns and accounts (and signals and work when ``field``)."""
    items = list(items)
    ids = [i.id for i in items]
    ids += [p for i in items for p in i.patterns]
    ids += [a for i in items for a in i.accounts[:EVIDENCE_PER_SUBJECT]]
    if field:
        model = [i.candidate.model for i in items]
        ids += [s for m in model for s in m.signal_ids[:EVIDENCE_PER_SUBJECT]]
        ids += [w for m in model for w in m.work_ids[:EVIDENCE_PER_SUBJECT]]
    return unique(ids)


def plural(n: int, word: str) -> str:
    """``1 account``, ``3 accounts``."""
    return f"{n} {word}{'' if n == 1 else 's'}"


def describe(candidate: CandidateResult, kind: str | None) -> str:
    """A candidate in a few words: kind, patterns addressed and breadth."""
    label = {"feature": "single-use feature", "capability": "capability"}.get(kind or "", "item")
    patterns = candidate.model.pattern_ids
    addressing = f" addressing {', '.join(patterns[:3])}" if patterns else " with no pattern"
    accounts = plural(len(candidate.model.account_ids), "account")
    return f"{candidate.id} ({label}{addressing}, {accounts})"


def weeks_of(items: Iterable[PlannedItem]) -> float:
    """Planned engineer-weeks of some items."""
    return sum(i.effort for i in items)


def listing(items: Sequence[PlannedItem], shown: int = 5) -> str:
    """``cap-1 (6 weeks), cap-2 (4 weeks) and 3 more``, largest first."""
    ordered = sorted(items, key=lambda i: (-i.effort, i.id))
    parts = [f"{i.id} ({i.effort:g} weeks)" for i in ordered[:shown]]
    more = f" and {len(ordered) - shown} more" if len(ordered) > shown else ""
    return ", ".join(parts) + more


def best_alternative(
    inputs: DiagnosisInputs,
    wanted: Wanted,
    *,
    team: str | None = None,
    exclude: Iterable[str] = (),
) -> tuple[RoadmapEntry, CandidateResult] | None:
    """The deferred, plannable candidate a remedy should bring in, or None.

    Among deferred candidates with a team and an effort for which ``wanted`` holds, and
    that the plan could take with the ``exclude`` items out (prerequisites planned, no
    exclusion broken): the same team first (its weeks are the ones freed), then the
    highest P50 value.
    """
    skip = set(exclude)
    options = [
        (e, c)
        for e, c in inputs.alternatives(alone=True, without=skip)
        if c.id not in skip and wanted(c)
    ]
    if not options:
        return None
    return min(
        options,
        key=lambda pair: (
            pair[0].team != team,
            -(pair[1].value.p50 if pair[1].value else 0.0),
            pair[1].id,
        ),
    )


def swap_remedy(
    inputs: DiagnosisInputs, item: PlannedItem, wanted: Wanted, *, fallback: str
) -> tuple[str, list[str]]:
    """``swap A for B`` with the best alternative to a planned item, and the ids it names.

    Returns:
        The remedy and the ids it names (the item, and the alternative when there is one);
        ``fallback`` when no deferred candidate qualifies.
    """
    found = best_alternative(inputs, wanted, team=item.entry.team, exclude=[item.id])
    if found is None:
        return fallback, [item.id]
    entry, candidate = found
    taken = f"{describe(item.candidate, item.kind)}, {item.effort:g} weeks on {item.entry.team}"
    brought = (
        f"{describe(candidate, inputs.kind_of(candidate))}, {entry.effort_weeks:g} weeks on "
        f"{entry.team}"
    )
    if entry.team == item.entry.team:
        return f"swap {taken}, for {brought}", [item.id, candidate.id]
    # No qualifying alternative on the same team: the weeks freed are not where the
    # alternative needs them, so the remedy says both halves.
    return (
        f"take out {taken}, and plan {brought} instead: the weeks freed on {item.entry.team} "
        f"do not make room on {entry.team}, so it needs room there",
        [item.id, candidate.id],
    )


def critical(
    code: DiagnosticCode,
    *,
    message: str,
    metric: str,
    value: float,
    evidence: list[str],
    remedy: str,
    subjects: list[str],
) -> list[Finding]:
    """One critical finding on a rule broken at all (threshold 1: once is too many)."""
    return [
        Finding(
            code=code,
            severity="critical",
            message=message,
            metric=metric,
            value=value,
            threshold=1.0,
            evidence=evidence,
            remedy=remedy,
            subjects=subjects,
        )
    ]
