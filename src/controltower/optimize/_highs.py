"""A small typed bridge to HiGHS: a sparse 0/1-or-continuous MILP in, a solution out."""

from __future__ import annotations

import os
import sys
import time
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


def solve(
    milp: Milp, *, time_limit: float = 60.0, mip_rel_gap: float = 1e-4, threads: int = 1
) -> MilpResult:
    """Solve a :class:`Milp` with HiGHS (maximise), silently."""
    started = time.perf_counter()
    h = new_highs()
    h.setOptionValue("time_limit", float(time_limit))
    h.setOptionValue("mip_rel_gap", float(mip_rel_gap))
    h.setOptionValue("threads", int(threads))
    n = len(milp.cost)
    inf = highspy.kHighsInf
    if n:
        h.addVars(n, np.array(milp.lower, dtype=np.float64), np.array(milp.upper, dtype=np.float64))
        h.changeColsCost(n, np.arange(n, dtype=np.int32), np.array(milp.cost, dtype=np.float64))
        integer = np.flatnonzero(np.array(milp.integer, dtype=bool)).astype(np.int32)
        if integer.size:
            h.changeColsIntegrality(
                integer.size,
                integer,
                np.full(integer.size, highspy.HighsVarType.kInteger),
            )
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
