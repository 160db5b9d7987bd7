"""The standard prioritisation frameworks, side by side with the value model.

Each is a small pure function following its public definition; :func:`score_candidates`
feeds them from the value model so a PM can compare rankings.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from pydantic import BaseModel, Field

from controltower.settings import ValueSettings
from controltower.value.model import CandidateValue

WEEKS_PER_MONTH = 52.0 / 12.0
FRAMEWORKS = ("rice", "wsjf", "ice", "value-effort", "scorecard")

_RICE_IMPACT = {1: 0.25, 2: 0.5, 3: 1.0, 4: 2.0, 5: 3.0}


def rice(reach: float, impact: float, confidence: float, effort_person_months: float) -> float:
    """RICE score = Reach x Impact x Confidence / Effort.

    Definition: Sean McBride, "RICE: Simple prioritization for product managers",
    Intercom blog (2016): reach in people or events per period, impact on the scale
    3 / 2 / 1 / 0.5 / 0.25, confidence as a fraction (100% / 80% / 50%), effort in
    person-months.
    """
    if effort_person_months <= 0:
        raise ValueError("effort must be positive")
    return reach * impact * confidence / effort_person_months


def rice_impact(mean_urgency: float) -> float:
    """Intercom's impact scale (0.25 … 3) from a 1-5 urgency, rounded to the nearest step."""
    step = min(5, max(1, round(mean_urgency)))
    return _RICE_IMPACT[step]


def wsjf(cost_of_delay: float, job_size: float) -> float:
    """Weighted Shortest Job First = Cost of Delay / Job Size.

    Definition: Donald Reinertsen, *The Principles of Product Development Flow* (2009),
    "CD3" (cost of delay divided by duration), as adopted by SAFe's WSJF
    (scaledagileframework.com/wsjf). Here cost of delay is money per period and job size
    is effort in weeks.
    """
    if job_size <= 0:
        raise ValueError("job size must be positive")
    return cost_of_delay / job_size


def ice(impact: float, confidence: float, ease: float) -> float:
    """ICE score = Impact x Confidence x Ease, each on a 1-10 scale.

    Definition: Sean Ellis's ICE scoring (GrowthHackers, "Hacking Growth", 2017), in its
    multiplicative form.
    """
    return impact * confidence * ease


def ease_from_effort(effort_weeks: float, half_weeks: float) -> float:
    """ICE ease on 0-10: 10 / (1 + effort / half_weeks), 5 at ``half_weeks``."""
    return 10.0 / (1.0 + effort_weeks / half_weeks)


def value_effort(value: float, effort: float) -> float:
    """Value / effort ratio (the value-vs-effort matrix collapsed to its slope)."""
    if effort <= 0:
        raise ValueError("effort must be positive")
    return value / effort


def weighted_scorecard(scores: Mapping[str, float], weights: Mapping[str, float]) -> float:
    """Weighted scoring model: sum of weight x score over criteria, divided by total weight.

    Definition: the weighted scoring (scorecard) method of prioritisation, e.g.
    ProductPlan's glossary "Weighted Scoring"; scores are on a common 0-1 scale.
    """
    total = sum(weights.values())
    if total <= 0:
        raise ValueError("weights must sum to more than 0")
    return sum(weights[name] * scores[name] for name in weights) / total


def ranks(values: Sequence[float | None]) -> list[int | None]:
    """Rank 1 for the highest value; ties share the better rank; None stays unranked."""
    present = sorted((v for v in values if v is not None), reverse=True)
    first: dict[float, int] = {}
    for position, value in enumerate(present, start=1):
        first.setdefault(value, position)
    return [None if v is None else first[v] for v in values]


class FrameworkScores(BaseModel):
    """A candidate's framework scores and ranks (None when effort is unknown)."""

    rice: float | None = None
    wsjf: float | None = None
    ice: float | None = None
    value_effort: float | None = None
    scorecard: float | None = None
    ranks: dict[str, int | None] = Field(default_factory=dict)

    def get(self, framework: str) -> float | None:
        """Score of a framework by its CLI name (``value-effort`` etc.)."""
        score: float | None = getattr(self, framework.replace("-", "_"))
        return score


def score_candidates(
    values: Sequence[CandidateValue], settings: ValueSettings
) -> list[FrameworkScores]:
    """Score every candidate with every framework and rank them (shipped ones unscored).

    Inputs from the value model: RICE reach = accounts touched, impact = Intercom's step
    of the mean urgency, confidence = the confidence score, effort = effort weeks in
    person-months; WSJF = P50 cost of delay per period / effort weeks; ICE = (2 x mean
    urgency) x (10 x confidence) x ease; value/effort = P50 value / effort weeks;
    scorecard over P50 value (scaled by the largest), reach, fit, confidence, ease / 10.
    """
    weights = {
        "value": settings.scorecard_value,
        "reach": settings.scorecard_reach,
        "fit": settings.scorecard_fit,
        "confidence": settings.scorecard_confidence,
        "ease": settings.scorecard_ease,
    }
    top = max((v.value.p50 for v in values if v.value is not None), default=0.0)
    scored: list[FrameworkScores] = []
    for v in values:
        if v.status != "candidate" or v.effort_weeks is None or v.value is None:
            scored.append(FrameworkScores())
            continue
        cod = v.cost_of_delay.p50 if v.cost_of_delay else 0.0
        ease = ease_from_effort(v.effort_weeks, settings.ease_half_weeks)
        criteria = {
            "value": v.value.p50 / top if top > 0 else 0.0,
            "reach": v.reach,
            "fit": v.fit,
            "confidence": v.confidence,
            "ease": ease / 10.0,
        }
        scored.append(
            FrameworkScores(
                rice=rice(
                    len(v.account_ids),
                    rice_impact(v.impact) if v.impact else 0.0,
                    v.confidence,
                    v.effort_weeks / WEEKS_PER_MONTH,
                ),
                wsjf=wsjf(cod, v.effort_weeks),
                ice=ice(2.0 * v.impact, 10.0 * v.confidence, ease),
                value_effort=value_effort(v.value.p50, v.effort_weeks),
                scorecard=weighted_scorecard(criteria, weights),
            )
        )
    for framework in FRAMEWORKS:
        for scores, rank in zip(scored, ranks([s.get(framework) for s in scored]), strict=True):
            scores.ranks[framework] = rank
    return scored
