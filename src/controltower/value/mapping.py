"""Pattern → candidate mapping, and proposed candidates for patterns nobody covers.

A candidate's ``addresses`` column, when filled, is taken as the PM's word: each id is a
pattern id or a signal id (a signal links the candidate to the pattern holding it; one in
no pattern is evidence of its own). A candidate with an empty ``addresses``, or one whose
ids all name nothing known, is linked by meaning: the cosine similarity of its
name and description to each pattern's centroid (the normalised mean of its members'
embeddings) and to its key phrases; the better of the two is the link's score, and links
at or above ``value.mapping_threshold`` are kept (at most ``value.mapping_max_patterns``).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Literal

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, Field

from controltower.domain import Capability
from controltower.synthesize.cluster import unit_centroid
from controltower.synthesize.view import PatternView

FloatMatrix = NDArray[np.float32]

PROPOSED_PREFIX = "new-"


class Link(BaseModel):
    """A candidate addresses a pattern."""

    capability_id: str
    pattern_id: str
    method: Literal["addresses", "similarity"]
    score: float = Field(description="1 for an explicit link; else the cosine similarity.")
    evidence_ids: list[str] = Field(
        default_factory=list, description="Ids in the addresses cell that made the link."
    )


class Proposal(BaseModel):
    """A candidate the engine proposes for a recurring pattern that no candidate covers."""

    capability_id: str
    pattern_id: str
    name: str
    key_phrases: list[str]
    accounts: int
    reason: str
    flagged: bool = True


class MappingResult(BaseModel):
    """Every link, every proposal, and addresses ids that named nothing known."""

    links: list[Link]
    proposals: list[Proposal]
    unknown_addresses: dict[str, list[str]] = Field(default_factory=dict)
    loose_signals: dict[str, list[str]] = Field(
        default_factory=dict, description="Addressed signal ids that are in no pattern."
    )

    def patterns_of(self, capability_id: str) -> list[str]:
        """Pattern ids a candidate addresses, best link first."""
        return [link.pattern_id for link in self.links if link.capability_id == capability_id]

    def candidates_of(self, pattern_id: str) -> list[str]:
        """Candidate ids addressing a pattern."""
        return [link.capability_id for link in self.links if link.pattern_id == pattern_id]


def candidate_text(capability: Capability) -> str:
    """The text a candidate is embedded by: its name and description."""
    return f"{capability.name}. {capability.description}".strip()


def phrase_text(pattern: PatternView) -> str:
    """The text a pattern's key phrases are embedded by."""
    return ", ".join(pattern.key_phrases) or pattern.label


def explicit_links(
    capability: Capability,
    pattern_ids: set[str],
    pattern_of_signal: Mapping[str, str],
) -> tuple[list[Link], list[str]]:
    """Links from the ``addresses`` column.

    Args:
        capability: The candidate.
        pattern_ids: Ids of the active patterns.
        pattern_of_signal: Signal id to the active pattern holding it.

    Returns:
        The links (one per pattern, score 1) and the ids that named no pattern or signal
        of a pattern.
    """
    by_pattern: dict[str, list[str]] = {}
    unknown: list[str] = []
    for ref in capability.addresses:
        target = ref if ref in pattern_ids else pattern_of_signal.get(ref)
        if target is None:
            unknown.append(ref)
        else:
            by_pattern.setdefault(target, []).append(ref)
    links = [
        Link(
            capability_id=capability.capability_id,
            pattern_id=pid,
            method="addresses",
            score=1.0,
            evidence_ids=refs,
        )
        for pid, refs in sorted(by_pattern.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    ]
    return links, unknown


def similarity_scores(
    candidates: FloatMatrix, centroids: FloatMatrix, phrases: FloatMatrix
) -> FloatMatrix:
    """Score of every candidate against every pattern: the better of centroid and phrases.

    Args:
        candidates: Unit rows, one per candidate.
        centroids: Unit rows, one per pattern.
        phrases: Unit rows, one per pattern (its key phrases).

    Returns:
        Matrix ``(candidates, patterns)`` of cosine similarities.
    """
    scores: FloatMatrix = np.maximum(candidates @ centroids.T, candidates @ phrases.T).astype(
        np.float32
    )
    return scores


def similarity_links(
    capability_ids: Sequence[str],
    pattern_ids: Sequence[str],
    scores: FloatMatrix,
    *,
    threshold: float,
    max_patterns: int,
) -> list[Link]:
    """Links from a score matrix: at or above the threshold, the best few per candidate."""
    links: list[Link] = []
    for row, capability_id in enumerate(capability_ids):
        order = np.argsort(-scores[row], kind="stable")[:max_patterns]
        links += [
            Link(
                capability_id=capability_id,
                pattern_id=pattern_ids[col],
                method="similarity",
                score=round(float(scores[row, col]), 4),
            )
            for col in order
            if scores[row, col] >= threshold
        ]
    return links


def propose(
    patterns: Sequence[PatternView], covered: set[str], *, min_accounts: int
) -> list[Proposal]:
    """Proposed candidates for recurring patterns (enough accounts) that nothing covers.

    A pattern whose texts have no words to name a need (no key phrases: only symbols,
    numbers or links) is not proposed: there is nothing to build from it.
    """
    proposals = []
    for pattern in patterns:
        accounts = pattern.recurrence.accounts if pattern.recurrence else 0
        if pattern.id in covered or accounts < min_accounts or not pattern.key_phrases:
            continue
        name = " / ".join(pattern.key_phrases[:3])
        proposals.append(
            Proposal(
                capability_id=f"{PROPOSED_PREFIX}{pattern.id}",
                pattern_id=pattern.id,
                name=name,
                key_phrases=pattern.key_phrases,
                accounts=accounts,
                reason=f"pattern {pattern.id} recurs across {accounts} accounts and no "
                f"candidate addresses it: proposed from its key phrases; effort unknown, "
                f"for the PM to estimate",
            )
        )
    return proposals


def map_candidates(
    embed: Callable[[Sequence[str]], FloatMatrix],
    capabilities: Sequence[Capability],
    patterns: Sequence[PatternView],
    pattern_texts: Mapping[str, list[str]],
    *,
    threshold: float,
    max_patterns: int,
    propose_min_accounts: int,
    signal_ids: Collection[str] = frozenset(),
) -> MappingResult:
    """Link every candidate to the patterns it addresses and propose the missing ones.

    Args:
        embed: Turns texts into unit rows (cached by the caller).
        capabilities: The candidates.
        patterns: The active patterns.
        pattern_texts: Each pattern's member texts, by pattern id.
        threshold: Least similarity of a semantic link.
        max_patterns: Most semantic links per candidate.
        propose_min_accounts: Accounts a pattern needs to be proposed when uncovered.
        signal_ids: Every signal id: addressed signals in no pattern are evidence, not
            unknown ids.
    """
    pattern_ids = {p.id for p in patterns}
    pattern_of_signal = {s: p.id for p in patterns for s in p.signal_ids}
    links: list[Link] = []
    unknown: dict[str, list[str]] = {}
    loose: dict[str, list[str]] = {}
    implicit = [c for c in capabilities if not c.addresses]
    for capability in capabilities:
        if capability.addresses:
            found, missing = explicit_links(capability, pattern_ids, pattern_of_signal)
            links += found
            signals = [ref for ref in missing if ref in signal_ids]
            named = [ref for ref in missing if ref not in signal_ids]
            if signals:
                loose[capability.capability_id] = signals
            if named:
                unknown[capability.capability_id] = named
            if not found and not signals:
                # Every id is a typo or gone: the PM's word names nothing, so the candidate
                # is linked by meaning, as if the cell were empty (the ids are reported).
                implicit.append(capability)
    if implicit and patterns:
        centroids = np.stack([unit_centroid(embed(pattern_texts[p.id])) for p in patterns])
        phrases = embed([phrase_text(p) for p in patterns])
        scores = similarity_scores(embed([candidate_text(c) for c in implicit]), centroids, phrases)
        links += similarity_links(
            [c.capability_id for c in implicit],
            [p.id for p in patterns],
            scores,
            threshold=threshold,
            max_patterns=max_patterns,
        )
    covered = {link.pattern_id for link in links}
    return MappingResult(
        links=links,
        proposals=propose(patterns, covered, min_accounts=propose_min_accounts),
        unknown_addresses=unknown,
        loose_signals=loose,
    )
