"""A small typed bridge to HiGHS: a sparse 0/1-or-continuous MILP in, a solution out."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import highspy
import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]

_banner_shown = False


def new_highs() -> highspy.Highs:
    """A silent HiGHS instance (its one-time copyright banner kept off stdout)."""
    global _banner_shown
    if _banner_shown:
        h = highspy.Highs()  # type: ignore[no-untyped-call]
    else:
        sys.stdout.flush()
        saved = os.dup(1)
        try:
            with open(os.devnull, "w") as null:
                os.dup2(null.fileno(), 1)
                h = highspy.Highs()  # type: ignore[no-untyped-call]
        finally:
            os.dup2(saved, 1)
            os.close(saved)
        _banner_shown = True
    h.setOptionValue("output_flag", False)
    return h


@dataclass
class Milp:
    """A maximisation MILP built row by row.

    Attributes:
        cost: Objective coefficient of each column (maximised).
        lower: Lower bound of each column.
        upper: Upper bound of each column.
        integer: Whether each column is integer.
        rows: Each row as ``(indices, coefficients, lower, upper)``.
    """

    cost: list[float] = field(default_factory=list)
    lower: list[float] = field(default_factory=list)
    upper: list[float] = field(default_factory=list)
    integer: list[bool] = field(default_factory=list)
    rows: list[tuple[list[int], list[float], float, float]] = field(default_factory=list)

    def add_column(
        self, cost: float, *, lower: float = 0.0, upper: float = 1.0, integer: bool = True
    ) -> int:
        """Add a column and return its index."""
        self.cost.append(cost)
        self.lower.append(lower)
        self.upper.append(upper)
        self.integer.append(integer)
        return len(self.cost) - 1

    def add_row(
        self, indices: list[int], coefficients: list[float], lower: float, upper: float
    ) -> None:
        """Add ``lower <= sum(coefficients x) <= upper`` (use ``inf`` for no bound)."""
        if indices:
            self.rows.append((indices, coefficients, lower, upper))


@dataclass(frozen=True)
class MilpResult:
    """What the solver found.

    Attributes:
        status: HiGHS model status in words (``Optimal``, ``Infeasible``, ``Time limit reached``).
        optimal: Whether optimality was proven (within the relative gap asked for).
        objective: Objective of the best solution (0 when none).
        bound: The solver's dual bound.
        gap: Relative gap between the solution and the bound.
        seconds: Wall-clock seconds of the solve.
        values: Column values of the best solution (empty when none).
    """

    status: str
    optimal: bool
    objective: float
    bound: float
    gap: float
    seconds: float
    values: FloatArray

    @property
    def feasible(self) -> bool:
        """Whether a solution was found."""
        return self.values.size > 0 or self.status == "Optimal"


def _load(milp: Milp, *, time_limit: float, mip_rel_gap: float, threads: int) -> highspy.Highs:
    """A silent HiGHS instance holding the model (maximise)."""
    h = new_highs()
    h.setOptionValue("time_limit", float(time_limit))
    h.setOptionValue("mip_rel_gap", float(mip_rel_gap))
    h.setOptionValue("threads", int(threads))
    n = len(milp.cost)
    inf = highspy.kHighsInf
    if n:
        h.addVars(n, np.array(milp.lower, dtype=np.float64), np.array(milp.upper, dtype=np.float64))
        h.changeColsCost(n, np.arange(n, dtype=np.int32), np.array(milp.cost, dtype=np.float64))
        _set_integrality(h, _integer_columns(milp), highspy.HighsVarType.kInteger)
    if milp.rows:
        starts = np.zeros(len(milp.rows), dtype=np.int32)
        index_parts: list[list[int]] = []
        value_parts: list[list[float]] = []
        offset = 0
        for r, (indices, coefficients, _, _) in enumerate(milp.rows):
            starts[r] = offset
            offset += len(indices)
            index_parts.append(indices)
            value_parts.append(coefficients)
        lows = np.array([max(row[2], -inf) for row in milp.rows], dtype=np.float64)
        ups = np.array([min(row[3], inf) for row in milp.rows], dtype=np.float64)
        h.addRows(
            len(milp.rows),
            lows,
            ups,
            offset,
            starts,
            np.fromiter((i for part in index_parts for i in part), dtype=np.int32, count=offset),
            np.fromiter((v for part in value_parts for v in part), dtype=np.float64, count=offset),
        )
    h.changeObjectiveSense(highspy.ObjSense.kMaximize)
    return h


def _integer_columns(milp: Milp) -> NDArray[np.int32]:
    return np.flatnonzero(np.array(milp.integer, dtype=bool)).astype(np.int32)


def _set_integrality(h: highspy.Highs, columns: NDArray[np.int32], kind: object) -> None:
    if columns.size:
        h.changeColsIntegrality(columns.size, columns, np.full(columns.size, kind))


def _fix(h: highspy.Highs, columns: NDArray[np.int32], values: FloatArray) -> None:
    if columns.size:
        h.changeColsBounds(columns.size, columns, values, values)


def solve(
    milp: Milp,
    *,
    time_limit: float = 60.0,
    mip_rel_gap: float = 1e-4,
    threads: int = 1,
    start: FloatArray | None = None,
) -> MilpResult:
    """Solve a :class:`Milp` with HiGHS (maximise), silently.

    Args:
        milp: The model.
        time_limit: Seconds the solve may take.
        mip_rel_gap: Relative gap at which optimality counts as proven.
        threads: HiGHS threads.
        start: A feasible solution to start from (every column's value), or None.
    """
    started = time.perf_counter()
    h = _load(milp, time_limit=time_limit, mip_rel_gap=mip_rel_gap, threads=threads)
    n = len(milp.cost)
    if start is not None and n:
        given = highspy.HighsSolution()
        given.col_value = [float(v) for v in start]
        given.value_valid = True
        h.setSolution(given)
    h.run()
    seconds = time.perf_counter() - started
    status = h.getModelStatus()
    words = h.modelStatusToString(status)
    info = h.getInfo()
    has_solution = info.primal_solution_status == 2 and n > 0  # kSolutionStatusFeasible
    values = np.array(h.getSolution().col_value, dtype=np.float64) if has_solution else np.zeros(0)
    objective = float(info.objective_function_value) if has_solution or n == 0 else 0.0
    if n == 0:
        return MilpResult("Optimal", True, 0.0, 0.0, 0.0, seconds, np.zeros(0))
    integral = any(milp.integer)
    bound = float(info.mip_dual_bound) if integral else objective
    gap = float(info.mip_gap) if integral else 0.0
    if not np.isfinite(gap):
        gap = 0.0 if status == highspy.HighsModelStatus.kOptimal else 1.0
    return MilpResult(
        status=words,
        optimal=status == highspy.HighsModelStatus.kOptimal,
        objective=objective,
        bound=bound,
        gap=gap,
        seconds=seconds,
        values=values,
    )


def relax_and_fix(
    milp: Milp,
    stages: Sequence[Sequence[int]],
    *,
    time_limit: float,
    mip_rel_gap: float = 1e-4,
    prune: float = 0.0,
) -> FloatArray | None:
    """A good feasible solution by relax-and-fix (a heuristic: no optimality claim).

    Every integer column is relaxed; then, stage by stage, the stage's columns are made
    integer, the model is solved (later stages still relaxed, earlier ones fixed) and the
    stage's columns are fixed at their values. Integer columns in no stage are rounded
    at the end (they must be implied integral by the others).

    Args:
        milp: The model.
        stages: Integer columns to settle, stage by stage.
        time_limit: Seconds for all stages together (shared out evenly as they go).
        mip_rel_gap: Relative gap of each stage's solve.
        prune: Columns at 0 in the first LP whose reduced cost loses more than this share
            of the LP objective are kept at 0 throughout (0: none), to keep stages small.

    Returns:
        Every column's value, or None when a stage found nothing feasible or time ran out.
    """
    deadline = time.perf_counter() + time_limit
    h = _load(milp, time_limit=time_limit, mip_rel_gap=mip_rel_gap, threads=1)
    integer = _integer_columns(milp)
    _set_integrality(h, integer, highspy.HighsVarType.kContinuous)
    h.run()
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return None
    if prune > 0:
        solution = h.getSolution()
        x = np.array(solution.col_value, dtype=np.float64)
        reduced = np.array(solution.col_dual, dtype=np.float64)
        threshold = prune * abs(float(h.getInfo().objective_function_value))
        drop = np.flatnonzero((x < 1e-9) & (reduced < -threshold)).astype(np.int32)
        _fix(h, drop, np.zeros(drop.size))
    for k, stage in enumerate(stages):
        left = deadline - time.perf_counter()
        if left <= 0:
            return None
        columns = np.array(stage, dtype=np.int32)
        _set_integrality(h, columns, highspy.HighsVarType.kInteger)
        h.setOptionValue("time_limit", left / (len(stages) - k))
        h.run()
        if h.getInfo().primal_solution_status != 2:
            return None
        values = np.round(np.array(h.getSolution().col_value, dtype=np.float64)[columns])
        _fix(h, columns, values)
        _set_integrality(h, columns, highspy.HighsVarType.kContinuous)
    h.setOptionValue("time_limit", max(1.0, deadline - time.perf_counter()))
    h.run()
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return None
    values = np.array(h.getSolution().col_value, dtype=np.float64)
    values[integer] = np.round(values[integer])
    return values
