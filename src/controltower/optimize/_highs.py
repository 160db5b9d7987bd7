"""A small typed bridge to HiGHS: a sparse 0/1-or-continuous MILP in, a solution out."""

from __future__ import annotations

import math
import os
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import highspy
import numpy as np
import scipy.sparse
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]

IncumbentSource = Callable[[], "FloatArray | None"]
"""Called while a MIP solves: a better feasible solution to hand over, or None."""

Stop = Callable[[], bool]
"""Polled while a heuristic runs (its MIPs included): True asks it to stop."""

Block = Sequence[int] | Callable[[FloatArray], Sequence[int]]
"""Columns to re-optimise together, or a function that picks them from the current solution."""

_OWN_HEURISTICS = (
    "mip_heuristic_run_rins",
    "mip_heuristic_run_rens",
    "mip_heuristic_run_feasibility_jump",
    "mip_heuristic_run_root_reduced_cost",
)
"""HiGHS's sub-MIP and jump heuristics, switched off when a helper supplies the plans."""

_LARGEST_COST = 1e6
"""HiGHS calls costs above this excessively large (they cost it speed and accuracy)."""

INTERRUPTED = "Interrupted by user"
"""HiGHS's status of a solve stopped by its interrupt callback (``until``, the safety net)."""

CUTOFF_PROVEN = "Cutoff proven"
"""Status of a solve with a cutoff that ended without a solution above the cutoff."""

OVERRUN_GRACE = 5.0
"""Seconds a MIP may run past its time limit before it is interrupted (a safety net)."""

_banner_shown = False
_banner_lock = threading.Lock()


def new_highs() -> highspy.Highs:
    """A silent HiGHS instance (its one-time copyright banner kept off stdout).

    The first instance is made with standard output pointed at the null device, under a
    lock: two threads doing that at once (the exact solve and its helper both start
    HiGHS) would leave the second one's "saved" descriptor being the null device, and
    every later line the process prints lost.
    """
    global _banner_shown
    with _banner_lock:
        if not _banner_shown:
            sys.stdout.flush()
            saved = os.dup(1)
            try:
                with open(os.devnull, "w") as null:
                    os.dup2(null.fileno(), 1)
                    highspy.Highs()  # type: ignore[no-untyped-call]
            finally:
                os.dup2(saved, 1)
                os.close(saved)
            _banner_shown = True
    h = highspy.Highs()  # type: ignore[no-untyped-call]
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
        """Add ``lower <= sum(coefficients x) <= upper`` (use ``inf`` for no bound).

        A column named more than once counts once with its coefficients summed (HiGHS
        refuses a row that repeats a column), so an item that depends on or excludes
        itself gives a row that keeps it out rather than a model without rows.

        Raises:
            ValueError: The terms cancel out and 0 lies outside the bounds (no solution).
        """
        if len(set(indices)) < len(indices):
            summed: dict[int, float] = {}
            for index, coefficient in zip(indices, coefficients, strict=True):
                summed[index] = summed.get(index, 0.0) + coefficient
            indices = [i for i, c in summed.items() if c != 0.0]
            coefficients = [summed[i] for i in indices]
            if not indices and not lower <= 0.0 <= upper:
                raise ValueError(f"a row whose terms cancel cannot lie in [{lower}, {upper}]")
        if indices:
            self.rows.append((indices, coefficients, lower, upper))

    def objective(self, values: FloatArray) -> float:
        """Objective of a solution."""
        return float(np.dot(np.asarray(self.cost, dtype=np.float64), values))

    def is_feasible(self, values: FloatArray, tolerance: float = 1e-6) -> bool:
        """Whether a solution keeps every bound, row and integrality (within ``tolerance``)."""
        return FeasibilityCheck(self)(values, tolerance)


@dataclass(frozen=True)
class _RowArrays:
    """A :class:`Milp`'s rows in compressed sparse row form (what HiGHS and SciPy take)."""

    starts: NDArray[np.int64]
    """Where each row's entries start, and one past the last entry."""
    indices: NDArray[np.int64]
    data: NDArray[np.float64]
    lower: FloatArray
    upper: FloatArray

    @classmethod
    def of(cls, milp: Milp) -> _RowArrays:
        """The rows of ``milp``."""
        starts = np.zeros(len(milp.rows) + 1, dtype=np.int64)
        np.cumsum([len(row[0]) for row in milp.rows], out=starts[1:])
        count = int(starts[-1])
        return cls(
            starts=starts,
            indices=np.fromiter((i for r in milp.rows for i in r[0]), dtype=np.int64, count=count),
            data=np.fromiter((v for r in milp.rows for v in r[1]), dtype=np.float64, count=count),
            lower=np.array([row[2] for row in milp.rows], dtype=np.float64),
            upper=np.array([row[3] for row in milp.rows], dtype=np.float64),
        )


class FeasibilityCheck:
    """A :class:`Milp`'s bounds, integrality and rows as arrays, to check many solutions."""

    def __init__(self, milp: Milp) -> None:
        self._lower = np.asarray(milp.lower, dtype=np.float64)
        self._upper = np.asarray(milp.upper, dtype=np.float64)
        self._whole = np.asarray(milp.integer, dtype=bool)
        rows = _RowArrays.of(milp)
        self._rows = scipy.sparse.csr_array(
            (rows.data, rows.indices, rows.starts), shape=(rows.lower.size, len(milp.cost))
        )
        self._row_lower, self._row_upper = rows.lower, rows.upper
        # A row's tolerance grows with its largest coefficient (weeks of effort, say).
        self._row_scale = np.array(
            [max(1.0, float(np.abs(row[1]).max())) for row in milp.rows], dtype=np.float64
        )

    def __call__(self, values: FloatArray, tolerance: float = 1e-6) -> bool:
        """Whether ``values`` keeps every bound, row and integrality (within ``tolerance``)."""
        if values.shape != self._lower.shape:
            return False
        if np.any(values < self._lower - tolerance) or np.any(values > self._upper + tolerance):
            return False
        whole = values[self._whole]
        if np.any(np.abs(whole - np.round(whole)) > tolerance):
            return False
        if not self._row_scale.size:
            return True
        activity = self._rows @ values
        slack = tolerance * self._row_scale
        return bool(
            np.all(activity >= self._row_lower - slack)
            and np.all(activity <= self._row_upper + slack)
        )


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


def _load(
    milp: Milp,
    *,
    time_limit: float,
    mip_rel_gap: float,
    threads: int,
    stop: Stop | None = None,
) -> highspy.Highs:
    """A silent HiGHS instance holding the model (maximise); ``stop`` interrupts its MIPs.

    Its costs are the model's times :func:`cost_scale`: objective values, bounds and duals
    read from it are in those units (see :func:`solve`).
    """
    h = new_highs()
    h.setOptionValue("time_limit", float(time_limit))
    h.setOptionValue("mip_rel_gap", float(mip_rel_gap))
    h.setOptionValue("threads", int(threads))
    if stop is not None:
        halt = stop  # narrowed for the callback
        h.cbMipInterrupt.subscribe(lambda event: event.interrupt() if halt() else None)
    n = len(milp.cost)
    if n:
        _ok(
            h.addVars(
                n, np.array(milp.lower, dtype=np.float64), np.array(milp.upper, dtype=np.float64)
            ),
            "columns",
        )
        _ok(
            h.changeColsCost(
                n,
                np.arange(n, dtype=np.int32),
                np.array(milp.cost, dtype=np.float64) * cost_scale(milp),
            ),
            "costs",
        )
        _set_integrality(h, _integer_columns(milp), highspy.HighsVarType.kInteger)
    if milp.rows:
        rows = _RowArrays.of(milp)
        status = h.addRows(
            rows.lower.size,
            rows.lower,  # HiGHS's infinity is IEEE infinity: unbounded sides pass as they are
            rows.upper,
            rows.data.size,
            rows.starts[:-1].astype(np.int32),
            rows.indices.astype(np.int32),
            rows.data,
        )
        _ok(status, "rows")
    h.changeObjectiveSense(highspy.ObjSense.kMaximize)
    return h


def cost_scale(milp: Milp) -> float:
    """The factor a model's costs are multiplied by inside HiGHS (``2 ** objective_scale``)."""
    return 2.0 ** objective_scale(milp.cost)


def objective_scale(cost: Sequence[float]) -> int:
    """The power of two the costs are scaled by in HiGHS, so none exceeds ``_LARGEST_COST``.

    It is the scaling HiGHS's own warning recommends for such models: money-valued costs
    in the millions slow its LP and cut loop (measured on the roadmap benchmark at 2,000
    candidates: the bound it proves in 30 s is lower by about 0.007% of the objective).
    Scaling by a power of two is exact. It is done here rather than with HiGHS's
    ``user_objective_scale`` option, which reports the MIP's dual bound still scaled
    before HiGHS 1.16.
    """
    largest = max((abs(c) for c in cost), default=0.0)
    if largest <= _LARGEST_COST:
        return 0
    return -math.ceil(math.log2(largest / _LARGEST_COST))


def _ok(status: object, what: str) -> None:
    """Raise when HiGHS refused part of a model (it would otherwise solve without it)."""
    if status == highspy.HighsStatus.kError:
        raise ValueError(f"HiGHS refused the model's {what}")


def _integer_columns(milp: Milp) -> NDArray[np.int32]:
    return np.flatnonzero(np.array(milp.integer, dtype=bool)).astype(np.int32)


def _set_integrality(h: highspy.Highs, columns: NDArray[np.int32], kind: object) -> None:
    if columns.size:
        _ok(h.changeColsIntegrality(columns.size, columns, np.full(columns.size, kind)), "types")


def _set_start(h: highspy.Highs, values: FloatArray) -> None:
    """Hand HiGHS a feasible solution to start its search from."""
    given = highspy.HighsSolution()
    given.col_value = [float(v) for v in values]
    given.value_valid = True
    h.setSolution(given)


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
    incumbents: IncumbentSource | None = None,
    cutoff: float | None = None,
    until: Callable[[], bool] | None = None,
) -> MilpResult:
    """Solve a :class:`Milp` with HiGHS (maximise), silently.

    Args:
        milp: The model.
        time_limit: Seconds the solve may take.
        mip_rel_gap: Relative gap at which optimality counts as proven.
        threads: HiGHS threads.
        start: A feasible solution to start from (every column's value), or None.
        incumbents: Polled while the solve runs for better solutions found elsewhere (a
            helper thread); HiGHS's own sub-MIP heuristics are then switched off.
        cutoff: Search only for solutions worth more than this (None: no cutoff). HiGHS
            then prunes and fixes columns by reduced cost against the cutoff instead of
            against its best solution, so a cutoff just above the optimum proves "nothing
            is worth more" far sooner than the search proves a bound that low without it.
            The bound returned stays valid: never below the cutoff, and the cutoff itself
            when the search ends without a solution above it (status ``Cutoff proven``).
        until: Polled while the solve runs: when it returns True the solve stops (status
            ``Interrupted by user``), keeping its best solution and bound.
    """
    started = time.perf_counter()
    h = _load(milp, time_limit=time_limit, mip_rel_gap=mip_rel_gap, threads=threads)
    # A safety net under HiGHS's own time limit: past it by OVERRUN_GRACE, the search is
    # interrupted at its next check (its best plan and bound are kept).
    overdue = started + time_limit + OVERRUN_GRACE
    h.cbMipInterrupt.subscribe(
        lambda event: event.interrupt() if time.perf_counter() > overdue else None
    )
    if until is not None:
        done = until
        h.cbMipInterrupt.subscribe(lambda event: event.interrupt() if done() else None)
    n = len(milp.cost)
    scale = cost_scale(milp)
    if cutoff is not None:
        # HiGHS reads objective_bound in its own minimisation form: the negated objective
        # of a maximisation, in the scaled units it holds (checked on HiGHS 1.11-1.16 by
        # tests/test_optimize_search.py).
        h.setOptionValue("objective_bound", -cutoff * scale)
    if start is not None and n:
        _set_start(h, start)
    if incumbents is not None and n:
        for option in _OWN_HEURISTICS:
            h.setOptionValue(option, False)
        source = incumbents

        def offer(event: highspy.HighsCallbackEvent) -> None:
            values = source()
            if values is not None and event.data_in is not None:
                event.data_in.setSolution(values)

        h.cbMipUserSolution.subscribe(offer)
    h.run()
    seconds = time.perf_counter() - started
    status = h.getModelStatus()
    words = h.modelStatusToString(status)
    info = h.getInfo()
    has_solution = info.primal_solution_status == 2 and n > 0  # kSolutionStatusFeasible
    values = np.array(h.getSolution().col_value, dtype=np.float64) if has_solution else np.zeros(0)
    if n == 0:
        return MilpResult("Optimal", True, 0.0, 0.0, 0.0, seconds, np.zeros(0))
    objective = float(info.objective_function_value) / scale if has_solution else 0.0
    integral = any(milp.integer)
    bound = float(info.mip_dual_bound) / scale if integral else objective
    gap = float(info.mip_gap) if integral else 0.0
    if not np.isfinite(gap):
        gap = 0.0 if status == highspy.HighsModelStatus.kOptimal else 1.0
    optimal = status == highspy.HighsModelStatus.kOptimal
    if cutoff is not None:
        # Whatever the search pruned is worth at most the cutoff.
        if status == highspy.HighsModelStatus.kInfeasible:
            words, bound = CUTOFF_PROVEN, cutoff
        bound = max(bound, cutoff)
        gap = relative_gap(bound, objective)
        gap = gap if has_solution and np.isfinite(gap) else 1.0
        optimal = has_solution and gap <= mip_rel_gap
    return MilpResult(
        status=words,
        optimal=optimal,
        objective=objective,
        bound=bound,
        gap=gap,
        seconds=seconds,
        values=values,
    )


def relative_gap(bound: float, objective: float) -> float:
    """How far ``bound`` lies above a solution worth ``objective``, relative to it."""
    return (bound - objective) / max(abs(objective), 1e-9)


def relaxation_bound(milp: Milp, *, time_limit: float) -> float | None:
    """The optimum of the linear relaxation (a bound on the MILP's), or None if not reached."""
    h = _load(milp, time_limit=time_limit, mip_rel_gap=0.0, threads=1)
    _set_integrality(h, _integer_columns(milp), highspy.HighsVarType.kContinuous)
    h.run()
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return None
    return float(h.getInfo().objective_function_value) / cost_scale(milp)


def relax_and_fix(
    milp: Milp,
    stages: Sequence[Sequence[int]],
    *,
    time_limit: float,
    mip_rel_gap: float = 1e-4,
    prune: float = 0.0,
    stop: Stop | None = None,
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
        stop: Returns True to give up early (returns None).

    Returns:
        Every column's value, or None when a stage found nothing feasible, time ran out or
        ``stop`` asked.
    """
    deadline = time.perf_counter() + time_limit
    h = _load(milp, time_limit=time_limit, mip_rel_gap=mip_rel_gap, threads=1, stop=stop)
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
        if left <= 0 or (stop is not None and stop()):
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
    return _rounded(milp, np.array(h.getSolution().col_value, dtype=np.float64))


def _rounded(milp: Milp, values: FloatArray) -> FloatArray:
    """A copy of a solution with its integer columns rounded (solver noise removed)."""
    out = np.array(values, dtype=np.float64)
    integer = _integer_columns(milp)
    out[integer] = np.round(out[integer])
    return out


@dataclass(frozen=True)
class _Step:
    """One block re-solve: the solution it starts from and the columns it frees."""

    level: int
    start: FloatArray
    objective: float
    free: NDArray[np.int32]
    seconds: float


class BlockSearch:
    """A feasible solution improved block by block, by one worker or several at once.

    Each step frees one block's columns (back to their own bounds), fixes every other
    column at its value in the current solution and re-solves, starting from it. When the
    step finds better, its block's columns are put into the current solution (which
    another worker may have improved meanwhile, in another block) and the result is kept
    when it is feasible and better still; each kept solution goes to ``on_improve``.
    Blocks come in levels (small ones first). A level's blocks are cycled through until a
    full pass improves nothing with every block solved to its gap (a local optimum for
    that level); a pass that improves nothing only because blocks hit their time limit
    doubles that limit. Then the next level starts, and after the last the search has
    ``converged``. Any number of threads may :meth:`work` on one search: each takes the
    next block of the current level, so two workers pass over the blocks twice as fast.

    Args:
        milp: The model.
        values: A feasible solution (every column's value).
        levels: Blocks by level (for the roadmap: teams and period pairs, then wider).
        on_improve: Called with each better solution kept, in the order they are kept.
        block_seconds: Time limit of one block's solve (to begin each level with).
        mip_rel_gap: Relative gap of one block's solve: it is measured on the whole
            objective, so it must be small for a block's share of the value to matter.
    """

    def __init__(
        self,
        milp: Milp,
        values: FloatArray,
        levels: Sequence[Sequence[Block]],
        *,
        on_improve: Callable[[FloatArray], None],
        block_seconds: float = 2.0,
        mip_rel_gap: float = 1e-6,
    ) -> None:
        self._milp = milp
        self._feasible = FeasibilityCheck(milp)
        self._cost = np.asarray(milp.cost, dtype=np.float64)
        self._levels = [list(level) for level in levels if level]
        self._on_improve = on_improve
        self._first_seconds = block_seconds
        self._gap = mip_rel_gap
        self._lock = threading.Lock()
        self.values = _rounded(milp, values)
        self.objective = float(self._cost @ self.values)
        self.converged = not self._levels
        self._level = 0
        self._next = 0  # the current level's next block (cycling)
        self._seconds = block_seconds
        self._unchanged = 0  # steps of this level in a row without a gain
        self._timed_out = False  # whether one of them stopped at its time limit
        self._unsure = False  # whether one found better that could not be merged

    def work(self, *, deadline: float, stop: Stop | None = None) -> None:
        """Take steps until the search converges, ``deadline`` passes or ``stop`` asks."""
        h = _load(self._milp, time_limit=self._seconds, mip_rel_gap=self._gap, threads=1, stop=stop)
        # A block's model is small once the fixed columns are presolved away; HiGHS's
        # restarts (re-presolving as columns settle) cost more there than they save
        # (measured: a sweep of the roadmap benchmark's twelve team blocks takes 14 s
        # instead of 23 s without).
        h.setOptionValue("mip_allow_restart", False)
        # Nor strong branching: on these small multiple knapsacks it costs most of the
        # solve (measured: one team of the roadmap benchmark proves its best repacking in
        # 3.9 s with pseudo-costs trusted from the start, 14.1 s with HiGHS's default of 8
        # strong-branching samples per column first).
        h.setOptionValue("mip_pscost_minreliable", 0)
        lower = np.asarray(self._milp.lower, dtype=np.float64)
        upper = np.asarray(self._milp.upper, dtype=np.float64)
        every = np.arange(self._cost.size, dtype=np.int32)
        while (step := self._take(deadline, stop)) is not None:
            _fix(h, every, step.start)
            h.changeColsBounds(step.free.size, step.free, lower[step.free], upper[step.free])
            h.setOptionValue("time_limit", step.seconds)
            _set_start(h, step.start)
            h.run()
            found = None
            if h.getInfo().primal_solution_status == 2:  # kSolutionStatusFeasible
                found = _rounded(self._milp, np.array(h.getSolution().col_value, dtype=np.float64))
            solved = h.getModelStatus() == highspy.HighsModelStatus.kOptimal
            self._settle(step, found, solved=solved)

    def _take(self, deadline: float, stop: Stop | None) -> _Step | None:
        """The next step, or None when there is none to take."""
        with self._lock:
            left = deadline - time.perf_counter()
            if self.converged or left <= 0.05 or (stop is not None and stop()):
                return None
            level = self._levels[self._level]
            block = level[self._next % len(level)]
            self._next += 1
            start, objective = self.values.copy(), self.objective
            step_level, seconds = self._level, min(self._seconds, left)
        free = block(start) if callable(block) else block
        return _Step(step_level, start, objective, np.asarray(free, dtype=np.int32), seconds)

    def _settle(self, step: _Step, found: FloatArray | None, *, solved: bool) -> None:
        """Merge what a step found into the current solution and count the step.

        ``on_improve`` is called under the lock, so the solutions it gets only get better.
        """
        kept: FloatArray | None = None
        with self._lock:
            tolerance = 1e-9 * max(1.0, abs(self.objective))
            if found is not None and float(self._cost @ found) > step.objective + tolerance:
                merged = self.values.copy()
                merged[step.free] = found[step.free]
                objective = float(self._cost @ merged)
                if objective > self.objective + tolerance and self._feasible(merged):
                    self.values, self.objective, kept = merged, objective, merged
                else:
                    self._unsure = True  # another worker's gain got in the way: retry
            if kept is not None:
                self._unchanged, self._timed_out, self._unsure = 0, False, False
                self._on_improve(kept)
            elif step.level == self._level:
                self._unchanged += 1
                self._timed_out = self._timed_out or not solved
                if self._unchanged >= len(self._levels[self._level]):
                    self._end_pass()

    def _end_pass(self) -> None:
        """A full pass of the current level gained nothing: retry longer, or go wider."""
        if self._timed_out:
            self._seconds *= 2
        elif self._unsure:
            pass
        elif self._level + 1 < len(self._levels):
            self._level, self._next, self._seconds = self._level + 1, 0, self._first_seconds
        else:
            self.converged = True
        self._unchanged, self._timed_out, self._unsure = 0, False, False
