"""Standardization readiness of a pattern, and the recommendation drawn from it.

The rules, in order (the first that fires decides):

1. ``reject``: a ``block`` guardrail applies (its keywords are among the pattern's key
   phrases or label, or appear in at least ``readiness.guardrail_min_share`` of its texts,
   or its ``applies_to`` names a candidate mapped to the pattern): standardizing it would
   degrade the architecture.
2. ``keep-custom``: fewer than ``readiness.min_accounts`` accounts, or one account holds
   more than ``readiness.max_top_account_share`` of the evidence: a one-off. When that
   account's ARR is at or above the ``readiness.trap_arr_quantile`` of all accounts, it is
   flagged as a customization trap (a big customer pulling the platform its way).
3. ``watch``: too new (first evidence within ``readiness.recent_days`` of the latest, or
   trend ``emerging``), too few months with evidence, too few industries, divergent
   bespoke implementations, or a readiness score below ``readiness.min_readiness``.
4. ``standardize`` otherwise.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Literal

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, Field

from controltower.domain import Guardrail
from controltower.settings import ReadinessSettings
from controltower.synthesize.view import PatternView

Recommendation = Literal["standardize", "watch", "keep-custom", "reject"]


class Readiness(BaseModel):
    """A pattern's readiness figures, recommendation and reasons."""

    pattern_id: str
    label: str
    recommendation: Recommendation
    score: float = Field(description="Readiness 0-1: breadth, spread, convergence, stability.")
    customization_trap: bool = False
    accounts: int
    industries: int
    segments: int
    top_account: str | None
    top_account_share: float
    convergence: float | None = Field(
        description="Mean pairwise cosine similarity of the custom-work texts (None: < 2)."
    )
    months: int
    first_seen: date | None
    block_guardrails: list[str]
    warn_guardrails: list[str]
    candidate_ids: list[str]
    reasons: list[str]


def convergence(vectors: NDArray[np.float32]) -> float | None:
    """Mean pairwise cosine similarity of unit rows (None for fewer than two)."""
    n = len(vectors)
    if n < 2:
        return None
    total = vectors.astype(np.float64).sum(axis=0)
    return float((total @ total - n) / (n * (n - 1)))


class CandidateGuardrails(BaseModel):
    """The guardrails that bind a candidate, and why each does."""

    blocks: list[str] = Field(default_factory=list, description="Blocking guardrails: refused.")
    warns: list[str] = Field(
        default_factory=list,
        description="Warn guardrails, and blocking ones it only inherits from a pattern.",
    )
    why: dict[str, str] = Field(default_factory=dict, description="Guardrail id: the reason.")

    def describe(self, ids: Sequence[str]) -> str:
        """``ids`` with the reason each applies."""
        return "; ".join(f"{g} ({self.why[g]})" for g in ids)


def candidate_guardrails(
    candidate_id: str,
    *,
    text: str,
    proposed: bool,
    patterns: Sequence[Readiness],
    guardrails: Sequence[Guardrail],
) -> CandidateGuardrails:
    """The guardrails that bind a candidate.

    A guardrail binds a candidate with its own severity when its ``applies_to`` names the
    candidate, when one of its keywords is in the candidate's own name or description, or
    when the candidate is the engine's proposal for a pattern it applies to (the proposal
    is that pattern's need). A blocking guardrail that only reaches the candidate through
    a pattern it addresses binds as a warning: a pattern mixes texts (a cluster can hold
    the blocked need beside a harmless one), and a rule that names its capabilities does
    not refuse others that serve the same customers.

    Args:
        candidate_id: The candidate.
        text: Its name and description (empty for a proposal).
        proposed: Whether the engine proposed it for ``patterns``.
        patterns: Readiness of the patterns it addresses.
        guardrails: Every guardrail.
    """
    lowered = text.lower()
    found = CandidateGuardrails()
    for guardrail in guardrails:
        gid = guardrail.guardrail_id
        via = [
            p.pattern_id for p in patterns if gid in p.block_guardrails or gid in p.warn_guardrails
        ]
        keyword = next((k for k in guardrail.keywords if k.lower() in lowered), None)
        if candidate_id in guardrail.applies_to:
            why = "its applies_to names this candidate"
        elif keyword is not None:
            why = f"keyword {keyword!r} in this candidate's name or description"
        elif proposed and via:
            why = f"it applies to {', '.join(via)}, the need this proposal is for"
        elif via:
            found.warns.append(gid)
            found.why[gid] = f"it applies to {', '.join(via)}, which this candidate addresses" + (
                ": a warning here, as it names neither this candidate nor its text"
                if guardrail.severity == "block"
                else ""
            )
            continue
        else:
            continue
        (found.blocks if guardrail.severity == "block" else found.warns).append(gid)
        found.why[gid] = why
    found.blocks.sort()
    found.warns.sort()
    return found


def guardrail_hits(
    guardrail: Guardrail,
    *,
    phrases: Sequence[str],
    texts: Sequence[str],
    min_share: float,
) -> str | None:
    """Why a guardrail applies to a pattern (by its keywords), or None when it does not.

    A guardrail's ``applies_to`` names capabilities, not needs: it forbids building those
    capabilities, not the pattern they address (it applies to those capabilities directly,
    in the value stage). So only keywords carry a guardrail to a pattern; from there it
    reaches the candidates that address it as :func:`candidate_guardrails` says.
    """
    lowered_phrases = " | ".join(phrases).lower()
    lowered = [t.lower() for t in texts]
    for keyword in guardrail.keywords:
        key = keyword.lower()
        if key in lowered_phrases:
            return f"keyword {keyword!r} is among the key phrases"
        share = sum(key in t for t in lowered) / len(lowered) if lowered else 0.0
        if share >= min_share:
            return f"keyword {keyword!r} in {share:.0%} of the pattern's texts"
    return None


def assess_readiness(
    pattern: PatternView,
    *,
    texts: Sequence[str],
    evidence_accounts: Sequence[str],
    work_vectors: NDArray[np.float32],
    guardrails: Sequence[Guardrail],
    candidate_ids: Sequence[str],
    arr: Mapping[str, float],
    as_of: date,
    config: ReadinessSettings,
    praise_share: float = 0.0,
) -> Readiness:
    """Assess one pattern.

    Args:
        pattern: The pattern.
        texts: Its signal and custom-work texts.
        evidence_accounts: The account of each of its items (one entry per item).
        work_vectors: Unit embeddings of its custom-work texts.
        guardrails: Every guardrail.
        candidate_ids: Candidates mapped to the pattern.
        arr: ARR by account id (every account of the workspace).
        as_of: Latest evidence date of the workspace.
        config: The readiness thresholds.
        praise_share: Share of its signals of kind ``praise``: above half, the pattern
            says what customers like, not a need to build (``watch``, not standardize).
    """
    rec = pattern.recurrence
    accounts = rec.accounts if rec else 0
    industries = rec.industries if rec else 0
    segments = len(rec.segments) if rec else 0
    months = len(rec.by_month) if rec else 0
    per_account = Counter(evidence_accounts)
    top_account, top_count = per_account.most_common(1)[0] if per_account else (None, 0)
    top_share = top_count / len(evidence_accounts) if evidence_accounts else 0.0
    converge = convergence(work_vectors)
    phrases = [*pattern.key_phrases, pattern.label]
    blocks: list[str] = []
    warns: list[str] = []
    guard_reasons: list[str] = []
    for guardrail in guardrails:
        why = guardrail_hits(
            guardrail,
            phrases=phrases,
            texts=texts,
            min_share=config.guardrail_min_share,
        )
        if why is not None:
            (blocks if guardrail.severity == "block" else warns).append(guardrail.guardrail_id)
            guard_reasons.append(
                f"{guardrail.severity} guardrail {guardrail.guardrail_id} ({guardrail.rule}): {why}"
            )
    first_seen = rec.first_seen if rec else None
    age_days = (as_of - first_seen).days if first_seen else 0
    recent = first_seen is not None and age_days < config.recent_days
    breadth = min(1.0, accounts / (2.0 * config.min_accounts))
    stability = 0.0 if recent else min(1.0, months / config.min_months)
    score = float(
        np.clip(
            np.mean([breadth, 1.0 - top_share, 0.5 if converge is None else converge, stability])
            - config.warn_penalty * len(warns),
            0.0,
            1.0,
        )
    )
    reasons = [
        f"breadth: {accounts} account(s), {industries} industr"
        f"{'y' if industries == 1 else 'ies'}, {segments} segment(s)",
        f"concentration: {top_share:.0%} of the evidence from {top_account or '-'}",
        "convergence: "
        + (
            "fewer than two bespoke builds to compare"
            if converge is None
            else f"bespoke builds' mean similarity {converge:.2f}"
        ),
        f"stability: first seen {first_seen} ({age_days} days before the latest evidence), "
        f"{months} month(s) with evidence, trend {pattern.trend or 'unknown'}",
        *guard_reasons,
    ]
    trap = False
    recommendation: Recommendation
    if blocks:
        recommendation = "reject"
        reasons.insert(0, "reject: a blocking guardrail forbids standardizing this")
    elif accounts < config.min_accounts or top_share > config.max_top_account_share:
        recommendation = "keep-custom"
        values = sorted(arr.values())
        cutoff = float(np.quantile(values, config.trap_arr_quantile)) if values else 0.0
        trap = top_account is not None and arr.get(top_account, 0.0) >= cutoff
        why = (
            f"only {accounts} account(s) (needs {config.min_accounts})"
            if accounts < config.min_accounts
            else f"{top_share:.0%} of the evidence from one account "
            f"(max {config.max_top_account_share:.0%})"
        )
        reasons.insert(0, f"keep-custom: {why}")
        if trap:
            reasons.insert(
                1,
                f"customization trap: dominated by {top_account}, ARR "
                f"{arr.get(top_account or '', 0.0):,.0f} (at or above the "
                f"{config.trap_arr_quantile:.0%} quantile, {cutoff:,.0f})",
            )
    else:
        premature = []
        if not pattern.key_phrases:
            premature.append(
                "its texts have no words that name a need (only symbols, numbers or links): "
                "read them before acting"
            )
        if praise_share > 0.5:
            premature.append(
                f"{praise_share:.0%} of its signals are praise: what customers like, not a "
                "need to build"
            )
        if recent:
            premature.append(f"first seen only {age_days} days ago (< {config.recent_days})")
        if pattern.trend == "emerging":
            premature.append("trend is emerging")
        if months < config.min_months:
            premature.append(f"{months} month(s) with evidence (< {config.min_months})")
        if industries < config.min_industries:
            premature.append(
                f"{industries} industr{'y' if industries == 1 else 'ies'} "
                f"(< {config.min_industries})"
            )
        if converge is not None and converge < config.min_convergence:
            premature.append(
                f"bespoke builds diverge (similarity {converge:.3f} < {config.min_convergence:g})"
            )
        if not premature and score < config.min_readiness:
            premature.append(f"readiness {score:.2f} < {config.min_readiness}")
        if premature:
            recommendation = "watch"
            reasons.insert(0, "watch: recurring but not ready: " + "; ".join(premature))
        else:
            recommendation = "standardize"
            qualities = (
                "broad and stable (no bespoke builds to compare)"
                if converge is None
                else "broad, stable and convergent"
            )
            reasons.insert(0, f"standardize: {qualities} (readiness {score:.2f})")
    return Readiness(
        pattern_id=pattern.id,
        label=pattern.label,
        recommendation=recommendation,
        score=round(score, 4),
        customization_trap=trap,
        accounts=accounts,
        industries=industries,
        segments=segments,
        top_account=top_account,
        top_account_share=top_share,
        convergence=converge,
        months=months,
        first_seen=first_seen,
        block_guardrails=blocks,
        warn_guardrails=warns,
        candidate_ids=list(candidate_ids),
        reasons=reasons,
    )
