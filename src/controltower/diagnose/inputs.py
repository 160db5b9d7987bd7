"""What the detectors read: the roadmap under audit, the evaluation and the rows they need."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from functools import cached_property

from controltower.decisions import Hold, decision_holds
from controltower.diagnose.models import Economics
from controltower.domain import PLANNED, Account, Capability, Guardrail, ModelConstraint
from controltower.ingest.contract import SPEC_BY_ENTITY
from controltower.optimize import RoadmapEntry, TeamLoad
from controltower.optimize.problem import load_rows
from controltower.store.rows import read_rows
from controltower.value import CandidateResult, Evaluation, PatternResult
from controltower.value.model import shipped_on
from controltower.workspace import Workspace

__all__ = ["PLANNED", "DiagnosisInputs", "PlannedItem", "load_diagnosis_inputs"]


@dataclass(frozen=True)
class PlannedItem:
    """A planned roadmap entry with the candidate it builds.

    Attributes:
        entry: The roadmap entry (status now, next or later).
        candidate: The candidate's evaluation.
        kind: ``capability``, ``feature`` or None (not given in capabilities.csv).
    """

    entry: RoadmapEntry
    candidate: CandidateResult
    kind: str | None

    @property
    def id(self) -> str:
        """The capability id."""
        return self.entry.capability_id

    @property
    def effort(self) -> float:
        """Planned engineer-weeks (the entry's effort, else the sum of its load)."""
        if self.entry.effort_weeks is not None:
            return self.entry.effort_weeks
        return sum(self.entry.load.values())

    @property
    def accounts(self) -> list[str]:
        """Distinct accounts of the candidate's evidence."""
        return self.candidate.model.account_ids

    @property
    def patterns(self) -> list[str]:
        """Patterns the candidate addresses."""
        return self.candidate.model.pattern_ids

    @property
    def value(self) -> float:
        """P50 value of the candidate (0 when not simulated)."""
        return self.candidate.value.p50 if self.candidate.value else 0.0

    @property
    def has_field_evidence(self) -> bool:
        """Whether any signal or custom work backs the candidate."""
        return bool(self.candidate.model.signal_ids or self.candidate.model.work_ids)


@dataclass(frozen=True)
class DiagnosisInputs:
    """Everything the detectors look at, read once.

    Attributes:
        evaluation: The value stage's result (patterns, candidates, stances, readiness).
        entries: The roadmap under audit, one entry per candidate.
        capacity: Capacity use per team and period under that roadmap.
        capabilities: Rows of capabilities.csv by id (kind, excludes, effort range).
        constraints: Model constraints by capability id.
        guardrails: Architecture guardrails.
        accounts: Accounts by id.
        economics: The FDE economics under that roadmap (None: not simulated, and
            high-touch-trap does not run).
        decided: Candidate or pattern ids with a recorded decision (empty when unknown).
        holds: Candidates the standing decisions keep out of the roadmap, with why (a
            refuse, a defer whose triggers are quiet, or a dependency on one deferred).
    """

    evaluation: Evaluation
    entries: Sequence[RoadmapEntry]
    capacity: Sequence[TeamLoad]
    capabilities: dict[str, Capability] = field(default_factory=dict)
    constraints: dict[str, list[ModelConstraint]] = field(default_factory=dict)
    guardrails: Sequence[Guardrail] = ()
    accounts: dict[str, Account] = field(default_factory=dict)
    economics: Economics | None = None
    decided: frozenset[str] = frozenset()
    holds: dict[str, Hold] = field(default_factory=dict)

    @cached_property
    def _candidates(self) -> dict[str, CandidateResult]:
        return {c.id: c for c in self.evaluation.candidates}

    @cached_property
    def _patterns(self) -> dict[str, PatternResult]:
        return {p.id: p for p in self.evaluation.patterns}

    def candidate(self, candidate_id: str) -> CandidateResult | None:
        """A candidate by id, or None."""
        return self._candidates.get(candidate_id)

    def pattern(self, pattern_id: str) -> PatternResult | None:
        """A pattern by id, or None."""
        return self._patterns.get(pattern_id)

    @cached_property
    def planned(self) -> list[PlannedItem]:
        """Planned entries whose candidate is known, in roadmap order."""
        items = []
        for entry in self.entries:
            candidate = self.candidate(entry.capability_id)
            if entry.status in PLANNED and candidate is not None:
                items.append(PlannedItem(entry, candidate, self.kind_of(candidate)))
        return items

    @cached_property
    def planned_effort(self) -> float:
        """Engineer-weeks of every planned item."""
        return sum(item.effort for item in self.planned)

    def kind_of(self, candidate: CandidateResult) -> str | None:
        """A candidate's kind from capabilities.csv, else from its value model."""
        row = self.capabilities.get(candidate.id)
        return row.kind if row is not None and row.kind else candidate.model.kind

    def alternatives(
        self, *, alone: bool = False, without: Collection[str] = ()
    ) -> list[tuple[RoadmapEntry, CandidateResult]]:
        """Deferred candidates that could be planned (they have a team and an effort).

        With ``alone``, only those that could enter the plan as it stands with the items
        ``without`` taken out: every prerequisite planned (and not taken out) or shipped,
        and no planned item excluded. A remedy that says "plan X" names only such an X.
        """
        planned = {i.id for i in self.planned} - set(without)
        result = []
        for entry in self.entries:
            candidate = self.candidate(entry.capability_id)
            if entry.status == "deferred" and entry.effort_weeks and candidate is not None:
                if alone and not self._fits_beside(candidate.id, planned):
                    continue
                result.append((entry, candidate))
        return result

    def _fits_beside(self, candidate_id: str, planned: set[str]) -> bool:
        """Whether a candidate's prerequisites and exclusions allow it beside ``planned``."""
        row = self.capabilities.get(candidate_id)
        if row is None:
            return True
        for dep in row.depends_on:
            if dep in planned:
                continue
            needed = self.capabilities.get(dep)
            if needed is not None and shipped_on(needed) is None:
                return False
            if needed is None and self.candidate(dep) is not None:
                return False
        return not any(x in planned for x in row.excludes)

    def guardrails_of(self, candidate: CandidateResult) -> tuple[list[str], list[str]]:
        """Block and warn guardrail ids that bind a candidate.

        Those the value stage found (:func:`candidate_guardrails`), and any whose
        ``applies_to`` names it.
        """
        blocks = set(candidate.guardrails.blocks)
        warns = set(candidate.guardrails.warns)
        for guardrail in self.guardrails:
            if candidate.id in guardrail.applies_to:
                (blocks if guardrail.severity == "block" else warns).add(guardrail.guardrail_id)
        return sorted(blocks), sorted(warns - blocks)


def load_diagnosis_inputs(
    workspace: Workspace,
    evaluation: Evaluation,
    entries: Sequence[RoadmapEntry],
    capacity: Sequence[TeamLoad],
    *,
    economics: Economics | None = None,
    decided: Collection[str] = frozenset(),
) -> DiagnosisInputs:
    """Read the rows the detectors need and bundle them with a roadmap.

    Args:
        workspace: An open workspace.
        evaluation: Its evaluation (``controltower.value.evaluate``).
        entries: The roadmap to audit (the optimizer's or one read from a roadmap CSV).
        capacity: Capacity use of that roadmap per team and period.
        economics: The FDE economics of that roadmap, when simulated.
        decided: Ids with a recorded decision (the decision log).
    """
    rows = load_rows(workspace)
    with workspace.engine.connect() as connection:
        accounts = read_rows(connection=connection, spec=SPEC_BY_ENTITY["accounts"], model=Account)
        guardrails = read_rows(
            connection=connection, spec=SPEC_BY_ENTITY["guardrails"], model=Guardrail
        )
    constraints: dict[str, list[ModelConstraint]] = {}
    for constraint in rows.constraints:
        constraints.setdefault(constraint.capability_id, []).append(constraint)
    return DiagnosisInputs(
        evaluation=evaluation,
        entries=list(entries),
        capacity=list(capacity),
        capabilities=rows.capabilities,
        constraints=constraints,
        guardrails=guardrails,
        accounts={a.account_id: a for a in accounts},
        economics=economics,
        decided=frozenset(decided),
        holds=decision_holds(
            evaluation, rows.decisions, capabilities=rows.capabilities, today=rows.today
        ),
    )
