"""Value stage: map patterns to candidates, value them, judge readiness, read role lenses.

One entry point, :func:`evaluate`, returns an :class:`Evaluation` that the roadmap
optimizer and the report consume; :func:`explain` answers ``tower why ID``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Literal

import numpy as np
from pydantic import BaseModel, Field

from controltower.errors import InputError
from controltower.store import patterns as pattern_store
from controltower.synthesize.embed import Embedder, HashingEmbedder, MiniLMEmbedder
from controltower.synthesize.recurrence import Recurrence
from controltower.value.frameworks import FrameworkScores, score_candidates
from controltower.value.inputs import ValueInputs, embed_texts, load_inputs
from controltower.value.lenses import Disagreement, RoleStance, disagreement, role_stances
from controltower.value.mapping import (
    Link,
    MappingResult,
    Proposal,
    candidate_text,
    map_candidates,
)
from controltower.value.model import (
    CandidateValue,
    Distribution,
    Evidence,
    SimulationInputs,
    Term,
    candidate_value,
    shipped_on,
    shipped_value,
    simulate,
)
from controltower.value.readiness import (
    CandidateGuardrails,
    Readiness,
    Recommendation,
    assess_readiness,
    candidate_guardrails,
)
from controltower.workspace import Workspace

__all__ = [
    "CandidateResult",
    "Evaluation",
    "Explanation",
    "PatternResult",
    "evaluate",
    "explain",
]

log = logging.getLogger(__name__)

_PAIN_KINDS = ("pain", "churn-risk", "bug")


class PatternResult(BaseModel):
    """A pattern with its standardization recommendation."""

    id: str
    label: str
    key_phrases: list[str]
    signal_ids: list[str]
    work_ids: list[str]
    account_ids: list[str]
    recurrence: Recurrence | None
    trend: str | None
    recommendation: Recommendation
    customization_trap: bool
    readiness: Readiness
    candidate_ids: list[str]
    reasons: list[str]


class CandidateResult(BaseModel):
    """A candidate: value model, framework scores, readiness and role stances."""

    id: str
    name: str
    status: str = Field(description="'candidate', 'proposed' (flagged for the PM) or 'shipped'.")
    flagged: bool = False
    model: CandidateValue
    links: list[Link]
    value: Distribution | None
    roi: Distribution | None
    cost_of_delay: Distribution | None
    scores: FrameworkScores
    readiness: Recommendation | None
    readiness_score: float | None
    stances: list[RoleStance]
    disagreement: Disagreement | None
    proposal: Proposal | None = None
    guardrails: CandidateGuardrails = Field(default_factory=CandidateGuardrails)


class Evaluation(BaseModel):
    """Everything the value stage found."""

    patterns: list[PatternResult]
    candidates: list[CandidateResult] = Field(description="Sorted by P50 value, highest first.")
    conflicts: list[Disagreement]
    unknown_addresses: dict[str, list[str]]
    seed: int
    draws: int
    embedder: str

    def candidate(self, candidate_id: str) -> CandidateResult | None:
        """A candidate by id, or None."""
        return next((c for c in self.candidates if c.id == candidate_id), None)

    def pattern(self, pattern_id: str) -> PatternResult | None:
        """A pattern by id, or None."""
        return next((p for p in self.patterns if p.id == pattern_id), None)


class Explanation(BaseModel):
    """The full breakdown of a candidate or pattern: terms, evidence and reasons."""

    kind: Literal["candidate", "pattern"]
    id: str
    title: str
    terms: list[Term]
    reasons: list[str]


def default_embedder(model_id: str | None) -> Embedder:
    """The embedder of the workspace's last synthesis run (its cached vectors match)."""
    prefix = "hashing-bow-1-2gram-"
    if model_id and model_id.startswith(prefix) and model_id[len(prefix) :].isdigit():
        return HashingEmbedder(int(model_id[len(prefix) :]))
    return MiniLMEmbedder()


def _evidence(inputs: ValueInputs, mapping: MappingResult, capability_id: str) -> Evidence:
    by_id = {p.id: p for p in inputs.patterns}
    pattern_ids = mapping.patterns_of(capability_id)
    signal_ids = list(dict.fromkeys(s for p in pattern_ids for s in by_id[p].signal_ids))
    signal_ids += mapping.loose_signals.get(capability_id, [])
    work_ids = list(dict.fromkeys(w for p in pattern_ids for w in by_id[p].work_ids))
    return Evidence(pattern_ids=pattern_ids, signal_ids=signal_ids, work_ids=work_ids)


def _readiness(
    workspace: Workspace, inputs: ValueInputs, embedder: Embedder, mapping: MappingResult
) -> dict[str, Readiness]:
    arr = {a: acc.arr for a, acc in inputs.accounts.items()}
    result = {}
    for pattern in inputs.patterns:
        evidence_accounts = [
            inputs.signals[s].account_id for s in pattern.signal_ids if s in inputs.signals
        ] + [inputs.work[w].account_id for w in pattern.work_ids if w in inputs.work]
        result[pattern.id] = assess_readiness(
            pattern,
            texts=inputs.pattern_texts(pattern),
            evidence_accounts=evidence_accounts,
            work_vectors=embed_texts(workspace, inputs, embedder, inputs.work_texts(pattern)),
            guardrails=inputs.guardrails,
            candidate_ids=mapping.candidates_of(pattern.id),
            arr=arr,
            as_of=inputs.as_of,
            config=inputs.settings.readiness,
            praise_share=_praise_share(inputs, pattern.signal_ids),
        )
    return result


def _candidate_readiness(
    primary: Readiness | None, *, blocked: bool, status: str
) -> Recommendation | None:
    """A candidate's recommendation.

    ``reject`` when a guardrail blocks the candidate itself, else its main pattern's, where
    a pattern's ``reject`` that the candidate only inherits as a warning reads ``watch`` (a
    plan may schedule it: "reject" beside "planned" contradicted itself).
    """
    if blocked and status != "shipped":
        return "reject"
    if primary is None:
        return None
    return "watch" if primary.recommendation == "reject" else primary.recommendation


def _praise_share(inputs: ValueInputs, signal_ids: Sequence[str]) -> float:
    """Share of the signals that are praise (0 without signals)."""
    kinds = [inputs.signals[s].kind for s in signal_ids if s in inputs.signals]
    return sum(k == "praise" for k in kinds) / len(kinds) if kinds else 0.0


def _simulate(values: Sequence[CandidateValue], inputs: ValueInputs, seed: int) -> None:
    live = [v for v in values if v.status != "shipped"]
    if not live:
        return
    config = inputs.settings.value
    terms = [{t.name: t.value for t in v.terms} for v in live]
    uplift = np.array(
        [(1 + config.reach_uplift * v.reach) * (1 + config.fit_uplift * v.fit) for v in live]
    )
    effort_mode = np.array([v.effort_weeks or 1.0 for v in live])
    sim = SimulationInputs(
        revenue=np.array([t["revenue value"] for t in terms]),
        savings=np.array([t["FDE savings"] for t in terms]),
        savings_cap=np.full(len(live), 1.0 / max(config.savings_share, 1e-9)),
        uplift=uplift,
        success=np.array([v.success_probability for v in live]),
        effort_low=np.array([v.effort_low or 1.0 for v in live]),
        effort_mode=effort_mode,
        effort_high=np.array([v.effort_high or 1.0 for v in live]),
        week_cost=config.engineer_week_cost,
        horizon=inputs.settings.planning.horizon_periods,
    )
    result = simulate(sim, draws=config.draws, seed=seed)
    for row, v in enumerate(live):
        v.value = Distribution(
            **dict(zip(("p10", "p50", "p90"), result.value[row].tolist(), strict=True))
        )
        v.cost_of_delay = Distribution(
            **dict(zip(("p10", "p50", "p90"), result.cost_of_delay[row].tolist(), strict=True))
        )
        if v.status == "candidate":
            v.roi = Distribution(
                **dict(zip(("p10", "p50", "p90"), result.roi[row].tolist(), strict=True))
            )


_ORDER: dict[str, int] = {"standardize": 0, "watch": 1, "keep-custom": 2, "reject": 3}


def evaluate(
    workspace: Workspace, *, embedder: Embedder | None = None, seed: int | None = None
) -> Evaluation:
    """Map, value, score, judge readiness and read the role lenses of a workspace.

    Args:
        workspace: An open workspace whose patterns have been synthesized.
        embedder: Embedder for candidate texts; default: the model of the last synthesis.
        seed: Monte Carlo seed; default ``value.seed``.

    Raises:
        InputError: The workspace has no synthesized patterns yet.
    """
    inputs = load_inputs(workspace)
    if inputs.cached_model_id is None:
        raise InputError("no patterns yet: run `tower synthesize` first")
    embedder = embedder or default_embedder(inputs.cached_model_id)
    config = workspace.settings.value
    seed = config.seed if seed is None else seed
    log.info("mapping: start")

    def embed(texts: Sequence[str]) -> np.typing.NDArray[np.float32]:
        return embed_texts(workspace, inputs, embedder, texts)

    mapping = map_candidates(
        embed,
        inputs.capabilities,
        inputs.patterns,
        {p.id: inputs.pattern_texts(p) for p in inputs.patterns},
        threshold=config.mapping_threshold,
        max_patterns=config.mapping_max_patterns,
        propose_min_accounts=config.propose_min_accounts,
        signal_ids=inputs.signals.keys(),
    )
    log.info("readiness: start")
    readiness = _readiness(workspace, inputs, embedder, mapping)
    log.info("value model: start")
    values: list[CandidateValue] = []
    for capability in inputs.capabilities:
        evidence = _evidence(inputs, mapping, capability.capability_id)
        shipped = shipped_on(capability)
        values.append(
            shipped_value(capability, shipped, evidence)
            if shipped is not None
            else candidate_value(
                inputs,
                capability_id=capability.capability_id,
                name=capability.name,
                capability=capability,
                evidence=evidence,
            )
        )
    by_pattern = {p.id: p for p in inputs.patterns}
    for proposal in mapping.proposals:
        pattern = by_pattern[proposal.pattern_id]
        values.append(
            candidate_value(
                inputs,
                capability_id=proposal.capability_id,
                name=proposal.name,
                capability=None,
                evidence=Evidence([pattern.id], pattern.signal_ids, pattern.work_ids),
            )
        )
    _simulate(values, inputs, seed)
    scores = score_candidates(values, config)
    log.info("lenses: start")
    capabilities = {c.capability_id: c for c in inputs.capabilities}
    guardrails_of = {
        v.capability_id: candidate_guardrails(
            v.capability_id,
            text=candidate_text(capabilities[v.capability_id])
            if v.capability_id in capabilities
            else "",
            proposed=v.status == "proposed",
            patterns=[readiness[pid] for pid in v.pattern_ids],
            guardrails=inputs.guardrails,
        )
        for v in values
    }
    pain = {
        v.capability_id: sum(1 for s in v.signal_ids if inputs.signals[s].kind in _PAIN_KINDS)
        for v in values
    }
    ready = {
        v.capability_id: any(readiness[p].recommendation == "standardize" for p in v.pattern_ids)
        for v in values
    }
    stances = role_stances(
        values,
        pain_signals=pain,
        guardrails_of=guardrails_of,
        ready=ready,
        constraints=inputs.constraints,
        teams=inputs.teams,
        entered=inputs.stances,
        readiness=workspace.settings.readiness,
        config=workspace.settings.lenses,
    )
    proposals = {p.capability_id: p for p in mapping.proposals}
    candidates = []
    for v, score in zip(values, scores, strict=True):
        primary = readiness[v.pattern_ids[0]] if v.pattern_ids else None
        own = stances.get(v.capability_id, [])
        candidates.append(
            CandidateResult(
                id=v.capability_id,
                name=v.name,
                status=v.status,
                flagged=v.capability_id in proposals,
                model=v,
                links=[link for link in mapping.links if link.capability_id == v.capability_id],
                value=v.value,
                roi=v.roi,
                cost_of_delay=v.cost_of_delay,
                scores=score,
                readiness=_candidate_readiness(
                    primary, blocked=bool(guardrails_of[v.capability_id].blocks), status=v.status
                ),
                readiness_score=primary.score if primary else None,
                stances=own,
                disagreement=disagreement(v.capability_id, own, workspace.settings.lenses)
                if own
                else None,
                proposal=proposals.get(v.capability_id),
                guardrails=guardrails_of[v.capability_id],
            )
        )
    candidates.sort(key=lambda c: (c.value is None, -(c.value.p50 if c.value else 0.0), c.id))
    conflicts = sorted(
        (c.disagreement for c in candidates if c.disagreement and c.disagreement.conflict),
        key=lambda d: (-len(d.blocking) - d.spread, -d.std, d.capability_id),
    )[: workspace.settings.lenses.top_conflicts]
    patterns = [
        PatternResult(
            id=p.id,
            label=p.label,
            key_phrases=p.key_phrases,
            signal_ids=p.signal_ids,
            work_ids=p.work_ids,
            account_ids=p.account_ids,
            recurrence=p.recurrence,
            trend=p.trend,
            recommendation=readiness[p.id].recommendation,
            customization_trap=readiness[p.id].customization_trap,
            readiness=readiness[p.id],
            candidate_ids=mapping.candidates_of(p.id)
            + [q.capability_id for q in mapping.proposals if q.pattern_id == p.id],
            reasons=[*readiness[p.id].reasons, *p.reasons],
        )
        for p in inputs.patterns
    ]
    return Evaluation(
        patterns=patterns,
        candidates=candidates,
        conflicts=conflicts,
        unknown_addresses=mapping.unknown_addresses,
        seed=seed,
        draws=config.draws,
        embedder=embedder.model_id,
    )


def _distribution_terms(name: str, unit: str, dist: Distribution | None) -> list[Term]:
    if dist is None:
        return []
    return [
        Term(
            name=f"{name} {label}",
            value=getattr(dist, label.lower()),
            unit=unit,
            explanation=f"{label} of the Monte Carlo draws",
        )
        for label in ("P10", "P50", "P90")
    ]


def _unknown_addresses(candidate: CandidateResult, evaluation: Evaluation) -> list[str]:
    """What the candidate's ``addresses`` named that no pattern or signal has."""
    unknown = evaluation.unknown_addresses.get(candidate.id, [])
    if not unknown:
        return []
    explicit = any(link.method == "addresses" for link in candidate.links)
    return [
        f"addresses names {', '.join(unknown)}, which no pattern or signal has"
        + ("" if explicit else ": linked by meaning instead, as if the cell were empty")
    ]


def explain_candidate(candidate: CandidateResult, evaluation: Evaluation) -> Explanation:
    """Every term, score, stance and reason behind one candidate."""
    model = candidate.model
    terms = [
        Term(
            name="addressed patterns",
            value=len(model.pattern_ids),
            unit="patterns",
            explanation="; ".join(
                [
                    *(
                        f"{link.pattern_id} by {link.method} ({link.score:.2f})"
                        for link in candidate.links
                    ),
                    *_unknown_addresses(candidate, evaluation),
                ]
            )
            or "no pattern is linked",
            evidence_ids=model.pattern_ids,
        ),
        *model.terms,
        *_distribution_terms("value", "currency over horizon", candidate.value),
        *_distribution_terms("ROI", "ratio", candidate.roi),
        *_distribution_terms("cost of delay", "currency per period", candidate.cost_of_delay),
    ]
    for framework, rank in candidate.scores.ranks.items():
        score = candidate.scores.get(framework)
        if score is not None:
            terms.append(
                Term(
                    name=framework,
                    value=score,
                    unit="score",
                    explanation=f"rank {rank} of the candidates",
                )
            )
    reasons = [
        f"{s.role} ({s.source}{', ' + s.author if s.author else ''}): {s.stance:+d}, {s.reason}"
        for s in candidate.stances
    ]
    if candidate.disagreement is not None:
        reasons.append(f"disagreement: {candidate.disagreement.summary}")
    if candidate.proposal is not None:
        reasons.insert(0, f"proposed by the engine: {candidate.proposal.reason}")
    for pid in model.pattern_ids:
        pattern = evaluation.pattern(pid)
        if pattern is not None:
            reasons.append(f"pattern {pid} ({pattern.label}): {pattern.readiness.reasons[0]}")
    return Explanation(
        kind="candidate", id=candidate.id, title=candidate.name, terms=terms, reasons=reasons
    )


def explain_pattern(pattern: PatternResult) -> Explanation:
    """Every recurrence figure, readiness check and reason behind one pattern."""
    rec = pattern.recurrence
    ready = pattern.readiness
    terms = [
        Term(
            name="signals",
            value=len(pattern.signal_ids),
            unit="signals",
            explanation="signals in the pattern",
            evidence_ids=pattern.signal_ids,
        ),
        Term(
            name="custom work",
            value=len(pattern.work_ids),
            unit="builds",
            explanation="bespoke builds in the pattern",
            evidence_ids=pattern.work_ids,
        ),
        Term(
            name="accounts",
            value=len(pattern.account_ids),
            unit="accounts",
            explanation="distinct accounts",
            evidence_ids=pattern.account_ids,
        ),
        Term(
            name="FDE hours",
            value=rec.fde_hours if rec else 0.0,
            unit="hours",
            explanation="hours of the pattern's custom work",
            evidence_ids=pattern.work_ids,
        ),
        Term(
            name="ARR touched",
            value=rec.arr if rec else 0.0,
            unit="ARR",
            explanation="ARR of the distinct accounts",
            evidence_ids=pattern.account_ids,
        ),
        Term(
            name="top account share",
            value=ready.top_account_share,
            unit="share",
            explanation="share of the evidence from the largest contributor",
            evidence_ids=[ready.top_account] if ready.top_account else [],
        ),
        Term(
            name="readiness",
            value=ready.score,
            unit="score 0-1",
            explanation="mean of breadth, spread, convergence and stability, less warn penalties",
            evidence_ids=[*ready.block_guardrails, *ready.warn_guardrails],
        ),
    ]
    if ready.convergence is not None:
        terms.append(
            Term(
                name="convergence",
                value=ready.convergence,
                unit="cosine",
                explanation="mean pairwise similarity of the bespoke builds",
                evidence_ids=pattern.work_ids,
            )
        )
    return Explanation(
        kind="pattern",
        id=pattern.id,
        title=f"{pattern.label}: {pattern.recommendation}"
        + (" (customization trap)" if pattern.customization_trap else ""),
        terms=terms,
        reasons=[*pattern.reasons, f"candidates: {', '.join(pattern.candidate_ids) or 'none'}"],
    )


def explain(
    workspace: Workspace,
    item_id: str,
    *,
    embedder: Embedder | None = None,
    seed: int | None = None,
    evaluation: Evaluation | None = None,
) -> Explanation:
    """The full breakdown of a candidate or a pattern (``tower why ID``).

    Raises:
        InputError: No candidate or pattern has that id.
    """
    evaluation = evaluation or evaluate(workspace, embedder=embedder, seed=seed)
    candidate = evaluation.candidate(item_id)
    if candidate is not None:
        return explain_candidate(candidate, evaluation)
    pattern = evaluation.pattern(item_id)
    if pattern is not None:
        return explain_pattern(pattern)
    merged = _merged_into(workspace, item_id)
    if merged is not None and (target := evaluation.pattern(merged)) is not None:
        found = explain_pattern(target)
        note = f"{item_id} was merged into {merged}: this is {merged}'s breakdown"
        return found.model_copy(update={"reasons": [note, *found.reasons]})
    raise InputError(f"no candidate or pattern {item_id!r}; `tower value` lists them")


def _merged_into(workspace: Workspace, pattern_id: str) -> str | None:
    """The active pattern a merged pattern id now lives in (following merges), or None."""
    with workspace.engine.connect() as connection:
        redirects = pattern_store.pattern_redirects(connection=connection)
    if pattern_id not in redirects:
        return None
    return pattern_store.resolve_pattern(pattern_id, redirects)
