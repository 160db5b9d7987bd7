"""underestimated-constraints: planned work that breaks a technical or capacity constraint.

Checks, each its own finding:

- model feasibility: a planned item ML engineering rates ``no`` (critical) or ``partial``
  below ``diagnostics.feasibility_min_confidence`` (warn);
- guardrails: a planned item under a ``block`` guardrail (critical) or a ``warn`` one (warn);
- capacity: the peak share of a team's capacity used in a period against
  ``diagnostics.utilisation_warn`` / ``utilisation_critical`` (critical strictly above it),
  and weeks planned where a team has no capacity (critical);
- dependencies and exclusions (a hand-made roadmap can break them; the optimizer's
  cannot): a planned item whose prerequisite (``depends_on``, not yet shipped) is not
  planned or does not finish before the item starts, and two planned items that exclude
  each other, and must=yes candidates left out or must=never ones planned (all critical);
- effort uncertainty: items whose ``effort_high`` is at least ``diagnostics.wide_effort_ratio``
  times the planned effort; the overrun (high minus planned) is covered by the free weeks
  of the item's team in the periods it occupies, shared first come first served in plan
  order; the uncovered overrun as a share of planned effort is graded.
"""

from __future__ import annotations

from collections import defaultdict

from controltower.diagnose.detectors._common import critical, evidence_of, grade, share, unique
from controltower.diagnose.inputs import DiagnosisInputs, PlannedItem
from controltower.diagnose.models import Finding
from controltower.settings import Settings
from controltower.value.model import shipped_on

_EPS = 1e-9


def _feasibility(inputs: DiagnosisInputs, settings: Settings) -> list[Finding]:
    floor = settings.diagnostics.feasibility_min_confidence
    infeasible: list[tuple[PlannedItem, str]] = []
    shaky: list[tuple[PlannedItem, str, float]] = []
    for item in inputs.planned:
        for c in inputs.constraints.get(item.id, []):
            if c.feasibility == "no":
                infeasible.append((item, c.requirement))
            elif c.feasibility == "partial" and c.confidence < floor:
                shaky.append((item, c.requirement, c.confidence))
    findings = []
    if infeasible:
        findings.append(
            Finding(
                code="underestimated-constraints",
                severity="critical",
                message="planned although ML engineering rates the model requirement "
                "infeasible: " + "; ".join(f"{i.id} needs {req!r}" for i, req in infeasible),
                metric="planned items with model feasibility 'no'",
                value=float(len({i.id for i, _ in infeasible})),
                threshold=1.0,
                evidence=evidence_of(i for i, _ in infeasible),
                remedy="take "
                + ", ".join(unique(i.id for i, _ in infeasible))
                + " out of the roadmap until model_constraints.csv rates the requirement "
                "feasible, and spend the weeks on the next deferred candidate",
                subjects=unique(i.id for i, _ in infeasible),
            )
        )
    if shaky:
        worst = min(shaky, key=lambda s: (s[2], s[0].id))
        findings.append(
            Finding(
                code="underestimated-constraints",
                severity="warn",
                message="planned on partial model feasibility with low confidence: "
                + "; ".join(
                    f"{i.id} needs {req!r} (confidence {conf:g})" for i, req, conf in shaky
                ),
                metric="lowest confidence of a partially feasible planned item",
                value=worst[2],
                threshold=floor,
                evidence=evidence_of(i for i, _, _ in shaky),
                remedy=f"run an ML spike on {worst[0].id}'s {worst[1]!r} before it starts and "
                f"keep it out of {worst[0].entry.period} until the confidence reaches {floor:g}",
                subjects=unique(i.id for i, _, _ in shaky),
            )
        )
    return findings


def _guardrail_finding(
    inputs: DiagnosisInputs, hits: list[tuple[PlannedItem, list[str]]], kind: str
) -> list[Finding]:
    if not hits:
        return []
    rules = {g.guardrail_id: g for g in inputs.guardrails}
    shown = "; ".join(
        f"{item.id}: "
        + ", ".join(
            f"{g} ({rules[g].rule}: {item.candidate.guardrails.why.get(g, 'it applies')})"
            if g in rules
            else g
            for g in ids
        )
        for item, ids in hits
    )
    owners = ", ".join(sorted({rules[g].owner_role for _, ids in hits for g in ids if g in rules}))
    guardrail_ids = unique(g for _, ids in hits for g in ids)
    items = [item.id for item, _ in hits]
    if kind == "block":
        remedy = (
            f"take {', '.join(items)} out of the roadmap: a blocking guardrail forbids it (or "
            f"change the guardrail with its owner, {owners or 'the architect'}, and record "
            "the decision)"
        )
    else:
        remedy = (
            f"get a design review of {', '.join(items)} against {', '.join(guardrail_ids)} by "
            f"{owners or 'the guardrail owner'} before each starts, and record the decision"
        )
    return [
        Finding(
            code="underestimated-constraints",
            severity="critical" if kind == "block" else "warn",
            message=f"a {kind} guardrail applies to planned work: {shown}",
            metric=f"planned items under a {kind} guardrail",
            value=float(len(hits)),
            threshold=1.0,
            evidence=unique([*guardrail_ids, *evidence_of(item for item, _ in hits)]),
            remedy=remedy,
            subjects=items,
        )
    ]


def _guardrails(inputs: DiagnosisInputs) -> list[Finding]:
    blocked: list[tuple[PlannedItem, list[str]]] = []
    warned: list[tuple[PlannedItem, list[str]]] = []
    for item in inputs.planned:
        blocks, warns = inputs.guardrails_of(item.candidate)
        if blocks:
            blocked.append((item, blocks))
        if warns:
            warned.append((item, warns))
    return [
        *_guardrail_finding(inputs, blocked, "block"),
        *_guardrail_finding(inputs, warned, "warn"),
    ]


def _occupants(inputs: DiagnosisInputs, team: str, period: str) -> list[PlannedItem]:
    return [i for i in inputs.planned if i.entry.team == team and period in i.entry.load]


def _utilisation(inputs: DiagnosisInputs, settings: Settings) -> list[Finding]:
    config = settings.diagnostics
    hot = sorted(
        (
            c
            for c in inputs.capacity
            if c.capacity > _EPS and c.used / c.capacity > config.utilisation_warn + _EPS
        ),
        key=lambda c: (-c.used / c.capacity, c.team, c.period),
    )
    if not hot:
        return []
    peak = hot[0].used / hot[0].capacity
    items = unique(i.id for c in hot for i in _occupants(inputs, c.team, c.period))
    smallest = min(
        _occupants(inputs, hot[0].team, hot[0].period),
        key=lambda i: (i.effort, i.id),
        default=None,
    )
    move = (
        f"move {smallest.id} ({smallest.effort:g} weeks) out of {hot[0].team} {hot[0].period}"
        if smallest is not None
        else f"free weeks of {hot[0].team} in {hot[0].period}"
    )
    reserve = settings.planning.capacity_reserve
    enough = 1 - config.utilisation_warn
    remedy = (
        f"{move}, or set planning.capacity_reserve to {enough:.2f} (now {reserve:.2f}) so the "
        "optimizer keeps room for fires"
        if reserve < enough - _EPS
        else f"{move}: with a reserve of {reserve:.2f} the optimizer stays within "
        f"{1 - reserve:.0%}, so this load comes from the roadmap given or must=yes work"
    )
    return [
        Finding(
            code="underestimated-constraints",
            severity="critical" if peak > config.utilisation_critical + _EPS else "warn",
            message=f"team-periods loaded past {config.utilisation_warn:.0%} of capacity with "
            + (f"a {reserve:.0%} reserve" if reserve else "no reserve")
            + " for fires: "
            + ", ".join(
                f"{c.team} {c.period} {c.used:g}/{c.capacity:g} weeks ({c.used / c.capacity:.0%})"
                for c in hot
            ),
            metric="peak share of a team's capacity used in a period",
            value=peak,
            threshold=config.utilisation_warn,
            evidence=items,
            remedy=remedy,
            subjects=items,
        )
    ]


def _period_order(inputs: DiagnosisInputs) -> dict[str, int]:
    return {p: k for k, p in enumerate(unique(c.period for c in inputs.capacity))}


def _broken_dependencies(inputs: DiagnosisInputs) -> list[Finding]:
    planned = {i.id: i for i in inputs.planned}
    order = _period_order(inputs)
    broken: list[tuple[PlannedItem, str, str]] = []
    for item in inputs.planned:
        capability = inputs.capabilities.get(item.id)
        for dep in capability.depends_on if capability else ():
            needed = inputs.capabilities.get(dep)
            if needed is not None and shipped_on(needed) is not None:
                continue
            before = planned.get(dep)
            if before is None:
                broken.append((item, dep, f"{item.id} needs {dep}, which is not planned"))
                continue
            end = order.get(before.entry.end_period or "")
            start = order.get(item.entry.period or "")
            if end is not None and start is not None and end >= start:
                broken.append(
                    (
                        item,
                        dep,
                        f"{item.id} starts in {item.entry.period} but needs {dep}, which "
                        f"finishes in {before.entry.end_period}",
                    )
                )
    if not broken:
        return []
    first, dep, _ = broken[0]
    return critical(
        "underestimated-constraints",
        message="planned before what it depends on is built: "
        + "; ".join(why for _, _, why in broken),
        metric="planned items whose prerequisite is missing or finishes too late",
        value=float(len({i.id for i, _, _ in broken})),
        evidence=unique([*evidence_of(i for i, _, _ in broken), *(d for _, d, _ in broken)]),
        remedy=f"plan {dep} so that it finishes before {first.id} starts (or move "
        f"{first.id} to the period after it), and likewise for the others; the "
        "optimizer's roadmap keeps every dependency",
        subjects=unique([*(i.id for i, _, _ in broken), *(d for _, d, _ in broken)]),
    )


def _must_rules(inputs: DiagnosisInputs) -> list[Finding]:
    """must=yes candidates left out, must=never ones planned (a hand-made roadmap can)."""
    planned = {i.id for i in inputs.planned}
    musts = {
        c.capability_id: c.must
        for c in inputs.capabilities.values()
        if c.must in ("yes", "never") and shipped_on(c) is None
    }
    missing = sorted(i for i, m in musts.items() if m == "yes" and i not in planned)
    forbidden = sorted(i for i, m in musts.items() if m == "never" and i in planned)
    if not missing and not forbidden:
        return []
    parts = [f"must=yes but left out: {', '.join(missing)}"] if missing else []
    parts += [f"must=never but planned: {', '.join(forbidden)}"] if forbidden else []
    remedy = [f"plan {', '.join(missing)}"] if missing else []
    remedy += [f"take {', '.join(forbidden)} out"] if forbidden else []
    return critical(
        "underestimated-constraints",
        message="the roadmap breaks capabilities.csv's must rules: " + "; ".join(parts),
        metric="must=yes candidates left out plus must=never candidates planned",
        value=float(len(missing) + len(forbidden)),
        evidence=[*missing, *forbidden],
        remedy=" and ".join(remedy) + ", or change the must column with its owner",
        subjects=[*missing, *forbidden],
    )


def _excluded_pairs(inputs: DiagnosisInputs) -> list[Finding]:
    planned = {i.id: i for i in inputs.planned}
    pairs: dict[tuple[str, str], None] = {}
    for item in inputs.planned:
        capability = inputs.capabilities.get(item.id)
        for other in capability.excludes if capability else ():
            if other in planned:
                pairs[(min(item.id, other), max(item.id, other))] = None
    if not pairs:
        return []
    a, b = next(iter(pairs))
    ids = unique(i for pair in pairs for i in pair)
    return critical(
        "underestimated-constraints",
        message="planned together although capabilities.csv says they exclude each "
        "other: " + "; ".join(f"{x} and {y}" for x, y in pairs),
        metric="pairs of planned items that exclude each other",
        value=float(len(pairs)),
        evidence=evidence_of(planned[i] for i in ids),
        remedy=f"keep one of {a} and {b} (the other is deferred), and likewise for each "
        "pair; or change the exclusion in capabilities.csv with its owner",
        subjects=ids,
    )


def _no_capacity(inputs: DiagnosisInputs) -> list[Finding]:
    bare = [c for c in inputs.capacity if c.capacity <= _EPS and c.used > _EPS]
    if not bare:
        return []
    items = unique(i.id for c in bare for i in _occupants(inputs, c.team, c.period))
    return [
        Finding(
            code="underestimated-constraints",
            severity="critical",
            message="weeks planned where the team has no capacity in teams.csv: "
            + ", ".join(f"{c.team} {c.period} {c.used:g} weeks" for c in bare),
            metric="planned weeks where the team has no capacity",
            value=sum(c.used for c in bare),
            threshold=0.0,
            evidence=items,
            remedy="move "
            + (", ".join(items) or "the work")
            + " to a team and period with capacity, or add the team's capacity for those "
            "periods to teams.csv",
            subjects=items,
        )
    ]


def _uncovered_overruns(
    inputs: DiagnosisInputs, ratio: float
) -> list[tuple[PlannedItem, float, float, float]]:
    """Wide items and (overrun, free weeks found, uncovered weeks), in plan order."""
    free: dict[tuple[str, str], float] = defaultdict(float)
    for c in inputs.capacity:
        free[(c.team, c.period)] += max(0.0, c.capacity - c.used)
    order = _period_order(inputs)
    found = []
    for item in sorted(inputs.planned, key=lambda i: (order.get(i.entry.period or "", 0), i.id)):
        high = item.candidate.model.effort_high
        if high is None or item.effort <= 0 or high < ratio * item.effort - _EPS:
            continue
        overrun = high - item.effort
        remaining = overrun
        for period in item.entry.load:
            take = min(free[(item.entry.team or "", period)], remaining)
            free[(item.entry.team or "", period)] -= take
            remaining -= take
        if remaining > _EPS:
            found.append((item, overrun, overrun - remaining, remaining))
    return found


def _uncertainty(inputs: DiagnosisInputs, settings: Settings) -> list[Finding]:
    config = settings.diagnostics
    wide = _uncovered_overruns(inputs, config.wide_effort_ratio)
    uncovered = sum(w[3] for w in wide)
    value = share(uncovered, inputs.planned_effort)
    severity = grade(value, config.overrun_warn, config.overrun_critical)
    if severity is None:
        return []
    worst, _, _, missing = max(wide, key=lambda w: (w[3], w[0].id))
    model = worst.candidate.model
    periods = ", ".join(worst.entry.load)
    return [
        Finding(
            code="underestimated-constraints",
            severity=severity,
            message=f"wide effort estimates with no buffer: {uncovered:g} weeks of possible "
            f"overrun ({value:.0%} of planned effort) do not fit the free weeks of their "
            "teams: "
            + "; ".join(
                f"{i.id} planned at {i.effort:g} weeks, up to {i.candidate.model.effort_high:g}, "
                f"{c:g} free weeks in {i.entry.team}, {m:g} uncovered"
                for i, _, c, m in wide
            ),
            metric="uncovered effort overrun as a share of planned effort",
            value=value,
            threshold=config.overrun_warn,
            evidence=evidence_of(w[0] for w in wide),
            remedy=f"narrow {worst.id}'s {model.effort_low or worst.effort:g}-"
            f"{model.effort_high or worst.effort:g} week estimate with a spike before it "
            f"starts, or free {missing:g} weeks of {worst.entry.team} in {periods} (move an "
            "item out or set planning.capacity_reserve)",
            subjects=[w[0].id for w in wide],
        )
    ]


def detect_underestimated_constraints(inputs: DiagnosisInputs, settings: Settings) -> list[Finding]:
    """Flag planned work that breaks feasibility, a guardrail, capacity or a safe estimate."""
    return [
        *_feasibility(inputs, settings),
        *_guardrails(inputs),
        *_broken_dependencies(inputs),
        *_excluded_pairs(inputs),
        *_must_rules(inputs),
        *_utilisation(inputs, settings),
        *_no_capacity(inputs),
        *_uncertainty(inputs, settings),
    ]
