"""What the value stage reads from a workspace: rows, patterns and cached embeddings."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import Connection

from controltower.domain import (
    Account,
    Capability,
    CustomWork,
    Guardrail,
    ModelConstraint,
    Signal,
    Stance,
    TeamCapacity,
    Theme,
)
from controltower.ingest.contract import SPECS
from controltower.settings import Settings
from controltower.store import patterns as pattern_store
from controltower.store.rows import R, read_rows
from controltower.synthesize.embed import Embedder
from controltower.synthesize.items import text_hash
from controltower.synthesize.view import PatternView, list_patterns
from controltower.workspace import Workspace

Vectors = NDArray[np.float32]

_SPEC_BY_ENTITY = {spec.entity: spec for spec in SPECS}


@dataclass
class ValueInputs:
    """Everything the value stage needs, read once.

    Attributes:
        settings: The workspace settings.
        accounts: Accounts by id.
        signals: Signals by id.
        work: Custom-work notes by id.
        capabilities: Capability candidates, by id order.
        guardrails: Architecture guardrails.
        constraints: Model constraints by capability id.
        themes: Theme weights by theme.
        stances: Entered stances (stances.csv).
        teams: Team capacity rows.
        patterns: Active patterns, broadest first.
        as_of: Latest evidence date of the workspace (today for an empty one).
        observed_from: Earliest evidence date of the workspace.
    """

    settings: Settings
    accounts: dict[str, Account]
    signals: dict[str, Signal]
    work: dict[str, CustomWork]
    capabilities: list[Capability]
    guardrails: list[Guardrail]
    constraints: dict[str, list[ModelConstraint]]
    themes: dict[str, float]
    stances: list[Stance]
    teams: list[TeamCapacity]
    patterns: list[PatternView]
    as_of: date
    observed_from: date
    cached_model_id: str | None = None
    _cache: dict[str, Vectors] = field(default_factory=dict)

    def pattern_texts(self, pattern: PatternView) -> list[str]:
        """The texts of a pattern's signals and custom work."""
        texts = [self.signals[i].text for i in pattern.signal_ids if i in self.signals]
        return texts + [self.work[i].description for i in pattern.work_ids if i in self.work]

    def work_texts(self, pattern: PatternView) -> list[str]:
        """The descriptions of a pattern's custom work."""
        return [self.work[i].description for i in pattern.work_ids if i in self.work]


def _read(connection: Connection, entity: str, model: type[R]) -> list[R]:
    return read_rows(connection=connection, spec=_SPEC_BY_ENTITY[entity], model=model)


def load_inputs(workspace: Workspace) -> ValueInputs:
    """Read the rows and active patterns the value stage works on."""
    patterns = list_patterns(workspace)
    with workspace.engine.connect() as connection:
        accounts = _read(connection, "accounts", Account)
        signals = _read(connection, "signals", Signal)
        work = _read(connection, "custom_work", CustomWork)
        capabilities = _read(connection, "capabilities", Capability)
        guardrails = _read(connection, "guardrails", Guardrail)
        constraints = _read(connection, "model_constraints", ModelConstraint)
        themes = _read(connection, "themes", Theme)
        stances = _read(connection, "stances", Stance)
        teams = _read(connection, "teams", TeamCapacity)
        run = pattern_store.last_run(connection=connection)
    dates = [s.date for s in signals] + [w.date for w in work]
    by_capability: dict[str, list[ModelConstraint]] = {}
    for constraint in constraints:
        by_capability.setdefault(constraint.capability_id, []).append(constraint)
    return ValueInputs(
        settings=workspace.settings,
        accounts={a.account_id: a for a in accounts},
        signals={s.signal_id: s for s in signals},
        work={w.work_id: w for w in work},
        capabilities=capabilities,
        guardrails=guardrails,
        constraints=by_capability,
        themes={t.theme: t.weight for t in themes},
        stances=stances,
        teams=teams,
        patterns=patterns,
        as_of=max(dates, default=date.today()),
        observed_from=min(dates, default=date.today()),
        cached_model_id=None if run is None else str(run["model_id"]),
    )


def embed_texts(
    workspace: Workspace, inputs: ValueInputs, embedder: Embedder, texts: Sequence[str]
) -> Vectors:
    """Embed texts, reusing the workspace's embedding cache when it holds this model's space.

    Returns:
        One unit row per text, in order (zero rows for no texts).
    """
    wanted = [t for t in dict.fromkeys(texts) if text_hash(t) not in inputs._cache]
    if wanted:
        hashes = {t: text_hash(t) for t in wanted}
        with workspace.engine.connect() as connection:
            cached = pattern_store.load_vectors(
                connection=connection,
                model_id=embedder.model_id,
                hashes=list(hashes.values()),
                dim=embedder.dim,
            )
        missing = [t for t in wanted if hashes[t] not in cached]
        if missing:
            fresh = embedder.embed(missing)
            cached.update({hashes[t]: row for t, row in zip(missing, fresh, strict=True)})
        inputs._cache.update(cached)
    if not texts:
        return np.zeros((0, embedder.dim), dtype=np.float32)
    return np.stack([inputs._cache[text_hash(t)] for t in texts]).astype(np.float32)
