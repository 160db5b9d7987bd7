"""Role lenses: each role's computed stance on a candidate, entered stances, conflicts.

Computed stances (-2 … 2, -2 is blocking) come from the data each role owns:

- ``fde``: field pain and hours burned: the candidate's tercile among candidates by
  pain-weighted signals plus bespoke FDE hours (no field evidence: -1).
- ``solutions-architect``: reuse across accounts (accounts touched against the
  readiness minimum).
- ``ai-architect``: guardrails (a block guardrail: -2; a warn: -1) and readiness.
- ``ml-engineer``: model constraints (``no`` feasibility: -2, blocking).
- ``platform-engineering``: effort against the team's capacity per period.
- ``leadership``: strategic fit to the themes and revenue at stake.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np
from pydantic import BaseModel, Field

from controltower.domain import ModelConstraint, Stance, TeamCapacity
from controltower.settings import LensSettings, ReadinessSettings
from controltower.value.model import CandidateValue
from controltower.value.readiness import CandidateGuardrails

ROLES = (
    "fde",
    "solutions-architect",
    "ai-architect",
    "ml-engineer",
    "platform-engineering",
    "leadership",
)


class RoleStance(BaseModel):
    """One role's stance on a candidate."""

    role: str
    stance: int = Field(ge=-2, le=2)
    reason: str
    source: str = Field(description="'computed' or 'entered' (stances.csv).")
    author: str | None = None


class Disagreement(BaseModel):
    """How much the stances on a candidate disagree."""

    capability_id: str
    spread: int
    std: float
    blocking: list[str] = Field(description="Roles with a -2 (blocking) stance.")
    supporters: list[str] = Field(description="Roles at +1 or +2.")
    conflict: bool
    summary: str


def tercile_stance(value: float, population: Sequence[float]) -> int:
    """0, 1 or 2 by the tercile of ``value`` among a population of positive values."""
    positive = sorted(v for v in population if v > 0)
    if value <= 0 or not positive:
        return -1
    share_below = sum(v < value for v in positive) / len(positive)
    return 2 if share_below >= 2 / 3 else 1 if share_below >= 1 / 3 else 0


def field_pain(candidate: CandidateValue, pain_signals: int) -> float:
    """FDE pain figure: pain-weighted signals plus one per bespoke FDE hour / 10."""
    return pain_signals + candidate.fde_hours / 10.0


def fde_stance(
    candidate: CandidateValue, pain_signals: int, population: Sequence[float]
) -> RoleStance:
    """FDE: field pain and hours burned."""
    figure = field_pain(candidate, pain_signals)
    stance = tercile_stance(figure, population)
    reason = (
        "no field evidence"
        if stance == -1
        else f"{len(candidate.signal_ids)} signal(s), {pain_signals} pain/churn/bug, "
        f"{candidate.fde_hours:,.0f} FDE hours on bespoke builds"
    )
    return RoleStance(role="fde", stance=stance, reason=reason, source="computed")


def solutions_architect_stance(candidate: CandidateValue, min_accounts: int) -> RoleStance:
    """Solutions architect: reuse across accounts."""
    n = len(candidate.account_ids)
    stance = 2 if n >= 2 * min_accounts else 1 if n >= min_accounts else 0 if n > 1 else -1
    return RoleStance(
        role="solutions-architect",
        stance=stance,
        reason=f"reusable across {n} account(s) (standardize from {min_accounts})",
        source="computed",
    )


def ai_architect_stance(guardrails: CandidateGuardrails, ready: bool) -> RoleStance:
    """AI architect: guardrails and standardization readiness."""
    if guardrails.blocks:
        return RoleStance(
            role="ai-architect",
            stance=-2,
            reason=f"blocking guardrail(s) {guardrails.describe(guardrails.blocks)}",
            source="computed",
        )
    if guardrails.warns:
        return RoleStance(
            role="ai-architect",
            stance=-1,
            reason=f"guardrail(s) to heed {guardrails.describe(guardrails.warns)}",
            source="computed",
        )
    stance = 1 if ready else 0
    reason = "no guardrail applies; " + (
        "an addressed pattern is ready to standardize" if ready else "no addressed pattern is ready"
    )
    return RoleStance(role="ai-architect", stance=stance, reason=reason, source="computed")


def ml_engineer_stance(
    constraints: Sequence[ModelConstraint], partial_confidence: float
) -> RoleStance:
    """ML engineer: model constraints; ``no`` feasibility is blocking."""
    if not constraints:
        return RoleStance(
            role="ml-engineer", stance=0, reason="no model constraint recorded", source="computed"
        )
    listed = "; ".join(f"{c.requirement}: {c.feasibility} ({c.confidence:g})" for c in constraints)
    if any(c.feasibility == "no" for c in constraints):
        stance = -2
    elif any(c.feasibility == "partial" for c in constraints):
        low = min(c.confidence for c in constraints if c.feasibility == "partial")
        stance = -1 if low < partial_confidence else 0
    else:
        stance = 1
    return RoleStance(role="ml-engineer", stance=stance, reason=listed, source="computed")


def platform_stance(candidate: CandidateValue, capacity: tuple[float, float] | None) -> RoleStance:
    """Platform engineering: effort (high end) against the team's capacity.

    ``capacity`` is the team's mean weeks in a working period and its total over every
    period (:func:`team_capacity`): +1 within a quarter of a period, 0 within half, -1
    beyond, -2 (blocking) when the effort exceeds the team's whole recorded capacity or
    the team has none in any period.
    """
    effort = candidate.effort_high or candidate.effort_weeks
    if effort is None:
        return RoleStance(
            role="platform-engineering", stance=0, reason="effort unknown", source="computed"
        )
    if not capacity:
        return RoleStance(
            role="platform-engineering",
            stance=0,
            reason=f"up to {effort:g} weeks; no capacity recorded for team {candidate.team}",
            source="computed",
        )
    per_period, total = capacity
    if per_period <= 0:
        return RoleStance(
            role="platform-engineering",
            stance=-2,
            reason=f"up to {effort:g} weeks; team {candidate.team} has 0 weeks in every period "
            "of teams.csv",
            source="computed",
        )
    ratio = effort / per_period
    stance = 1 if ratio <= 0.25 else 0 if ratio <= 0.5 else -2 if effort > total else -1
    return RoleStance(
        role="platform-engineering",
        stance=stance,
        reason=f"up to {effort:g} weeks = {ratio:.0%} of {candidate.team}'s "
        f"{per_period:.3g} weeks in a working period ({total:g} in all periods)",
        source="computed",
    )


def leadership_stance(candidate: CandidateValue, revenue_population: Sequence[float]) -> RoleStance:
    """Leadership: strategic fit to the themes and revenue at stake."""
    revenue = tercile_stance(candidate.weighted_revenue, revenue_population)
    fit = 2 if candidate.fit >= 0.5 else 1 if candidate.fit > 0 else 0
    stance = max(-1, min(2, round((max(revenue, 0) + fit) / 2) if fit or revenue > 0 else -1))
    return RoleStance(
        role="leadership",
        stance=stance,
        reason=f"strategic fit {candidate.fit:.0%} of theme weight, weighted revenue "
        f"{candidate.weighted_revenue:,.0f}",
        source="computed",
    )


def team_capacity(teams: Sequence[TeamCapacity]) -> dict[str, tuple[float, float]]:
    """Mean weeks of a working period (one with capacity) and the total, by team.

    Periods with no capacity (a team away for a quarter) are left out of the mean: they
    say when the team works, not how big a period of its work is. A team whose every
    period is empty gets (0, 0).
    """
    per_team: dict[str, list[float]] = {}
    for row in teams:
        per_team.setdefault(row.team, []).append(row.capacity_weeks)
    result = {}
    for team, weeks in per_team.items():
        working = [w for w in weeks if w > 0]
        result[team] = (float(np.mean(working)) if working else 0.0, float(np.sum(weeks)))
    return result


def _who(stances: Sequence[RoleStance], holds: Callable[[int], bool]) -> str:
    """The roles whose stance holds, once each.

    How each holds (computed, entered by whom) is in brackets when a person entered it.
    """
    how: dict[str, list[str]] = {}
    for s in stances:
        if holds(s.stance):
            said = "computed" if s.source == "computed" else f"entered by {s.author or 'someone'}"
            how.setdefault(s.role, [])
            if said not in how[s.role]:
                how[s.role].append(said)
    return ", ".join(
        role if ways == ["computed"] else f"{role} ({'; '.join(ways)})"
        for role, ways in sorted(how.items())
    )


def disagreement(
    capability_id: str, stances: Sequence[RoleStance], config: LensSettings
) -> Disagreement:
    """Spread, standard deviation and blocking stances on one candidate.

    Computed and entered stances count alike: a person who disagrees with their role's
    data is a conflict.
    """
    values = [s.stance for s in stances]
    spread = max(values) - min(values) if values else 0
    blocking = sorted({s.role for s in stances if s.stance == -2})
    supporters = sorted({s.role for s in stances if s.stance >= 1})
    opposed = any(s.stance == -1 for s in stances)
    conflict = spread >= config.conflict_spread or bool(blocking and supporters)
    summary = (
        f"spread {spread}"
        + (f"; blocked by {_who(stances, lambda v: v == -2)}" if blocking else "")
        + (f"; opposed by {_who(stances, lambda v: v == -1)}" if opposed else "")
        + (f"; backed by {_who(stances, lambda v: v >= 1)}" if supporters else "")
    )
    return Disagreement(
        capability_id=capability_id,
        spread=spread,
        std=float(np.std(values)) if values else 0.0,
        blocking=blocking,
        supporters=supporters,
        conflict=conflict,
        summary=summary,
    )


def role_stances(
    values: Sequence[CandidateValue],
    *,
    pain_signals: Mapping[str, int],
    guardrails_of: Mapping[str, CandidateGuardrails],
    ready: Mapping[str, bool],
    constraints: Mapping[str, list[ModelConstraint]],
    teams: Sequence[TeamCapacity],
    entered: Sequence[Stance],
    readiness: ReadinessSettings,
    config: LensSettings,
) -> dict[str, list[RoleStance]]:
    """Computed and entered stances for every candidate (shipped ones excluded).

    Args:
        values: The candidates' value models.
        pain_signals: Pain, churn-risk and bug signals per candidate.
        guardrails_of: The guardrails binding each candidate.
        ready: Whether an addressed pattern is ``standardize``, per candidate.
        constraints: Model constraints by candidate.
        teams: Team capacity rows.
        entered: Stances from stances.csv.
        readiness: Readiness thresholds (for reuse across accounts).
        config: Lens settings.
    """
    live = [v for v in values if v.status != "shipped"]
    pains = [field_pain(v, pain_signals.get(v.capability_id, 0)) for v in live]
    revenues = [v.weighted_revenue for v in live]
    capacity = team_capacity(teams)
    result: dict[str, list[RoleStance]] = {}
    for v in live:
        result[v.capability_id] = [
            fde_stance(v, pain_signals.get(v.capability_id, 0), pains),
            solutions_architect_stance(v, readiness.min_accounts),
            ai_architect_stance(
                guardrails_of.get(v.capability_id, CandidateGuardrails()),
                ready.get(v.capability_id, False),
            ),
            ml_engineer_stance(constraints.get(v.capability_id, []), config.partial_confidence),
            platform_stance(v, capacity.get(v.team or "")),
            leadership_stance(v, revenues),
        ]
    for stance in entered:
        if stance.capability_id in result:
            result[stance.capability_id].append(
                RoleStance(
                    role=stance.role,
                    stance=stance.stance,
                    reason=stance.rationale or "entered without a rationale",
                    source="entered",
                    author=stance.author,
                )
            )
    return result
