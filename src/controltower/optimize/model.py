"""The roadmap as a mixed-integer model on plain inputs, solved exactly with HiGHS.

Variables: ``x[i, s] = 1`` when item ``i`` starts in period ``s``. Started in ``s``, an
item occupies ``span(i, s)`` consecutive periods of its team: the fewest d for which each of
the periods s .. s+d-1 has ``effort / d`` usable weeks (capacity less the reserve, times
``max_period_share``), so an effort larger than a period spans as many as it needs from
where it starts. Its load is spread evenly, ``effort / d`` weeks in each period it
occupies, and it must finish inside the planning periods. Adding capacity never takes a
start away. Constraints:

- each item starts at most once (exactly once when ``must``);
- capacity: per team and period, the loads of the items occupying it stay within
  ``capacity x (1 - reserve)``;
- dependencies, time-indexed (the strong form): for every period t, the dependent
  item can have started by t only if the prerequisite finished before t. So an item is
  never chosen without its prerequisites and starts no earlier than the period after
  they finish;
- exclusions: at most one item of an excluded pair;
- forbidden items (``must=never``, blocking guardrails, model feasibility ``no``) get no
  variable at all.

Objective: maximise ``sum value_i x discount^(s + span(i, s) - 1) x x[i, s]``: value
counts from the period the item finishes in, discounted per period.

Account bundles (the bundle value mode): a bundle's value counts, discounted, from the
period the last of its required items finishes, and only when all of them are planned.
Its continuous column ``y[b, t]`` (completed in period t) has the strong time-indexed
rows ``sum_{t' <= t} y[b, t'] <= sum_{s + d_i - 1 <= t} x[i, s]`` for every required item
i and period t; with the x integral the best y is integral (the earliest t at which every
required item has finished), so y needs no integrality.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from controltower.errors import InputError
from controltower.optimize._highs import (
    CUTOFF_PROVEN,
    INTERRUPTED,
    OVERRUN_GRACE,
    Block,
    BlockSearch,
    FloatArray,
    Milp,
    MilpResult,
    relative_gap,
    relax_and_fix,
    relaxation_bound,
    solve,
)

_EPS = 1e-9


class PlanConflictError(InputError):
    """The must=yes items cannot all be planned; the message names the conflict.

    Attributes:
        item_id: The must=yes item the conflict is about (None when it is the must=yes
            items together).
        stops: What stops that item, worded to follow its id ("needs y, which cannot be
            planned: ..."), when the item alone is the cause.
        excluded: The other must=yes item it excludes, when that is the conflict.
    """

    def __init__(
        self,
        message: str,
        *,
        item_id: str | None = None,
        stops: str | None = None,
        excluded: str | None = None,
    ) -> None:
        super().__init__(message)
        self.item_id = item_id
        self.stops = stops
        self.excluded = excluded

    @classmethod
    def of_item(cls, item_id: str, stops: str) -> PlanConflictError:
        """A must=yes item that cannot be planned, for the reason ``stops``."""
        return cls(f"{item_id} is must=yes but {stops}", item_id=item_id, stops=stops)


@dataclass(frozen=True)
class Item:
    """One candidate as the optimizer sees it.

    Attributes:
        id: Capability id.
        team: Team that builds it.
        effort: Effort in engineer-weeks.
        value: Value if delivered in the first period (before discounting).
        depends_on: Ids of items that must finish first (ids not in the problem are
            taken as already satisfied).
        excludes: Ids of items it cannot be planned with.
        must: Forced into the plan (``must=yes``).
        forbidden: Why it may never be planned (None when it may).
    """

    id: str
    team: str
    effort: float
    value: float
    depends_on: tuple[str, ...] = ()
    excludes: tuple[str, ...] = ()
    must: bool = False
    forbidden: str | None = None


@dataclass(frozen=True)
class Bundle:
    """An account's deal that closes only when every candidate it requires has shipped.

    Attributes:
        id: Account id.
        value: Value once complete, before discounting: it counts from the period the last
            required item finishes in.
        requires: Ids of the items it needs (ids not in the problem are taken as shipped).
        blocked: Why it can never complete (None when it can); a blocked bundle adds
            nothing and binds nothing.
    """

    id: str
    value: float
    requires: tuple[str, ...]
    blocked: str | None = None


@dataclass(frozen=True)
class RoadmapProblem:
    """Everything the roadmap model needs.

    Attributes:
        periods: Planning periods in order (the first is "now").
        capacity: Weeks per period of each team (one figure per period).
        items: The candidates.
        reserve: Share of every team's capacity kept free for fires.
        discount: Value factor per period of delay (1 = no discounting).
        max_period_share: Largest share of its team's peak period capacity one item may
            take in a period (it spans more periods otherwise).
        bundles: Account bundles whose value counts once all their items are planned.
    """

    periods: Sequence[str]
    capacity: Mapping[str, Sequence[float]]
    items: Sequence[Item]
    reserve: float = 0.0
    discount: float = 1.0
    max_period_share: float = 1.0
    bundles: Sequence[Bundle] = ()
    _rooms: dict[str, list[float]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    """Each team's :meth:`_room`, worked out once (a solve asks for it tens of thousands of
    times); a problem is never changed in place (``replace`` makes a new one)."""
    _spans: dict[tuple[str, float], dict[int, int]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    """:meth:`spans` by team and effort, worked out once likewise."""

    def usable(self, team: str) -> list[float]:
        """Usable weeks of a team per period (after the reserve; zeros when unknown)."""
        raw = self.capacity.get(team, [0.0] * len(self.periods))
        return [max(0.0, c) * (1.0 - self.reserve) for c in raw]

    def _room(self, team: str) -> list[float]:
        """Weeks one item may take in each period of a team (usable x max_period_share)."""
        if team not in self._rooms:
            self._rooms[team] = [u * self.max_period_share for u in self.usable(team)]
        return self._rooms[team]

    def span(self, item: Item, start: int) -> int:
        """Periods the item occupies when it starts in ``start`` (0: it cannot start there).

        The fewest d for which each of the periods ``start .. start+d-1`` has room for
        ``effort / d`` weeks, within the planning periods.
        """
        room = self._room(item.team)
        for d in range(1, len(room) - start + 1):
            if min(room[start : start + d]) + _EPS >= item.effort / d:
                return d
        return 0

    def spans(self, item: Item) -> dict[int, int]:
        """The periods occupied from each start the item can take (none when forbidden)."""
        if item.forbidden is not None:
            return {}
        key = (item.team, item.effort)
        if key not in self._spans:
            found = {s: self.span(item, s) for s in range(len(self.periods))}
            self._spans[key] = {s: d for s, d in found.items() if d > 0}
        return dict(self._spans[key])

    def duration(self, item: Item) -> int:
        """The fewest periods the item can occupy (0 when its team has no usable capacity).

        From the best start; when it fits no run of the planning periods, the periods its
        effort needs at the team's peak capacity (what an explanation quotes).
        """
        room = self._room(item.team)
        peak = max(room, default=0.0)
        if peak <= _EPS:
            return 0
        fits = [d for d in (self.span(item, s) for s in range(len(room))) if d > 0]
        return min(fits) if fits else max(1, math.ceil(item.effort / peak - 1e-9))

    def starts(self, item: Item) -> list[int]:
        """Start periods where the item fits its team's capacity alone and ends in time."""
        return list(self.spans(item))

    def start_value(self, item: Item, start: int) -> float:
        """Discounted value of the item when it starts in period ``start``."""
        return item.value * self.discount ** (start + max(1, self.span(item, start)) - 1)

    def needed(self, bundle: Bundle) -> list[str]:
        """The bundle's required items that are in the problem (the others have shipped)."""
        known = {item.id for item in self.items}
        return [r for r in dict.fromkeys(bundle.requires) if r in known]

    def bundles_of(self, item_id: str) -> list[Bundle]:
        """The bundles that require an item (blocked ones left out)."""
        return [b for b in self.bundles if b.blocked is None and item_id in b.requires]

    def has_stake(self, item: Item) -> bool:
        """Whether planning the item can add value: its own, or a bundle's it belongs to."""
        return item.value > 0 or any(b.value > 0 for b in self.bundles_of(item.id))


def completed_bundles(problem: RoadmapProblem, ends: Mapping[str, int]) -> dict[str, int]:
    """Bundles all of whose required items are planned, with the period the last finishes.

    Args:
        problem: The problem the bundles belong to.
        ends: Last period (index) of each planned item.
    """
    done: dict[str, int] = {}
    for bundle in problem.bundles:
        needed = problem.needed(bundle)
        if bundle.blocked is None and needed and all(r in ends for r in needed):
            done[bundle.id] = max(ends[r] for r in needed)
    return done


def completing_items(
    problem: RoadmapProblem, ends: Mapping[str, int], done: Mapping[str, int]
) -> dict[str, list[Bundle]]:
    """The completed bundles by the item that completes each.

    That is the bundle's last required item to finish (the first of them in ``requires``
    order when several finish in the same period).

    Args:
        problem: The problem the bundles belong to.
        ends: Last period (index) of each planned item.
        done: Completion period of each completed bundle (:func:`completed_bundles`).
    """
    found: dict[str, list[Bundle]] = {}
    for bundle in problem.bundles:
        period = done.get(bundle.id)
        if period is None:
            continue
        last = next(r for r in problem.needed(bundle) if ends[r] == period)
        found.setdefault(last, []).append(bundle)
    return found


def bundle_credit(
    problem: RoadmapProblem, item_id: str, ends: Mapping[str, int], done: Mapping[str, int]
) -> float:
    """Discounted value of the bundles an item completes (0 for most items)."""
    return sum(
        b.value * problem.discount ** done[b.id]
        for b in completing_items(problem, ends, done).get(item_id, [])
    )


def bundles_value(problem: RoadmapProblem, done: Mapping[str, int]) -> float:
    """Discounted value of completed bundles (completion period index by bundle id)."""
    values = {b.id: b.value for b in problem.bundles}
    return sum(values[b] * problem.discount**t for b, t in done.items())


@dataclass(frozen=True)
class Placement:
    """Where an item landed.

    Attributes:
        start: Index of its first period.
        end: Index of its last period.
        load: Weeks in each period it occupies, by period index.
        value: Its discounted value at that start.
    """

    start: int
    end: int
    load: dict[int, float]
    value: float


@dataclass
class RoadmapSolution:
    """The optimal plan.

    Attributes:
        placements: Planned items by id.
        objective: Total discounted value.
        status: Solver status in words.
        optimal: Whether optimality was proven within the gap.
        gap: Relative gap at the end.
        seconds: Solve time.
        used: Weeks used by team and period index.
        bundles: Completed bundles: the period (index) the last required item finishes in.
        left_out: Items left out of the model because others dominate them (see
            :func:`dominated`), each with those others.
    """

    placements: dict[str, Placement]
    objective: float
    status: str
    optimal: bool
    gap: float
    seconds: float
    used: dict[str, list[float]] = field(default_factory=dict)
    bundles: dict[str, int] = field(default_factory=dict)
    left_out: dict[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass
class _Built:
    milp: Milp
    columns: dict[str, list[tuple[int, int]]]
    must_rows: list[str]
    selection: dict[str, int] = field(default_factory=dict)
    """The selection column of each item that has one."""
    completions: dict[str, list[tuple[int, int]]] = field(default_factory=dict)
    """Each bundle's completion columns ``(period, column)`` (bundles that can complete)."""


def _build(
    problem: RoadmapProblem, *, soft_must: bool = False, left_out: Collection[str] = ()
) -> _Built:
    """The model's columns and rows; items in ``left_out`` get no column (never planned)."""
    milp = Milp()
    by_id = {item.id: item for item in problem.items}
    spans = {item.id: problem.spans(item) for item in problem.items}
    plannable = {
        item.id: [] if item.id in left_out else list(spans[item.id]) for item in problem.items
    }
    columns: dict[str, list[tuple[int, int]]] = {}
    for item in problem.items:
        starts = plannable[item.id]
        if any(d in by_id and not plannable[d] for d in item.depends_on):
            starts = []
        columns[item.id] = [
            (s, milp.add_column(0.0 if soft_must else problem.start_value(item, s))) for s in starts
        ]
    must_rows: list[str] = []
    selection: dict[str, int] = {}
    for item in problem.items:
        cols = [c for _, c in columns[item.id]]
        if item.must and soft_must:
            y = milp.add_column(1.0)
            milp.add_row([*cols, y], [1.0] * len(cols) + [-1.0], 0.0, 1.0)
            must_rows.append(item.id)
        elif len(cols) > 1 and not soft_must:
            # The item's selection as a column of its own: z = sum of its starts, so the
            # solver can branch on "in or out" as well as on "when".
            z = milp.add_column(0.0, lower=1.0 if item.must else 0.0)
            milp.add_row([*cols, z], [1.0] * len(cols) + [-1.0], 0.0, 0.0)
            selection[item.id] = z
        elif item.must:
            milp.add_row(cols, [1.0] * len(cols), 1.0, 1.0)
        elif len(cols) > 1:
            milp.add_row(cols, [1.0] * len(cols), -math.inf, 1.0)
    periods = len(problem.periods)
    for item in problem.items:
        mine = columns[item.id]
        for dep in item.depends_on:
            if dep not in by_id or not mine:
                continue
            theirs = columns[dep]
            for t in range(periods):
                started = [c for s, c in mine if s <= t]
                if not started:
                    continue
                finished = [c for s, c in theirs if s + spans[dep][s] - 1 < t]
                milp.add_row(
                    started + finished,
                    [1.0] * len(started) + [-1.0] * len(finished),
                    -math.inf,
                    0.0,
                )
    seen: set[tuple[str, str]] = set()
    for item in problem.items:
        for other in item.excludes:
            pair = (min(item.id, other), max(item.id, other))
            if other not in by_id or pair in seen:
                continue
            seen.add(pair)
            cols = [c for _, c in columns[item.id]] + [c for _, c in columns[other]]
            if cols:
                milp.add_row(cols, [1.0] * len(cols), -math.inf, 1.0)
    _add_capacity(problem, milp, columns, spans)
    completions = _add_bundles(problem, milp, columns, soft_must=soft_must)
    return _Built(
        milp=milp,
        columns=columns,
        must_rows=must_rows,
        selection=selection,
        completions=completions,
    )


def _start_values(
    problem: RoadmapProblem, built: _Built, starts: Mapping[str, int]
) -> FloatArray | None:
    """A known plan (start period by item) as the model's column values, if it is one.

    Items the model cannot place where the plan has them (left out as dominated, or no
    longer fitting there) are dropped, with every planned item that depends on one of
    them; a plan less some items keeps every other rule. None when what is left breaks a
    rule of the model all the same (a must=yes item dropped, or a plan made for other
    rules).
    """
    by_id = {item.id: item for item in problem.items}
    column_at = {item_id: dict(cols) for item_id, cols in built.columns.items()}
    kept = {i: start for i, start in starts.items() if start in column_at.get(i, {})}
    while dropped := [
        i for i in kept if any(d in by_id and d not in kept for d in by_id[i].depends_on)
    ]:
        for item_id in dropped:
            del kept[item_id]
    values = np.zeros(len(built.milp.cost), dtype=np.float64)
    for item_id, start in kept.items():
        values[column_at[item_id][start]] = 1.0
        if item_id in built.selection:
            values[built.selection[item_id]] = 1.0
    ends = {i: s + problem.span(by_id[i], s) - 1 for i, s in kept.items()}
    for bundle_id, done in completed_bundles(problem, ends).items():
        for t, column in built.completions.get(bundle_id, ()):
            values[column] = 1.0 if t == done else 0.0
    return values if built.milp.is_feasible(values) else None


def _add_capacity(
    problem: RoadmapProblem,
    milp: Milp,
    columns: dict[str, list[tuple[int, int]]],
    spans: dict[str, dict[int, int]],
) -> None:
    """One capacity row per team and period, and its rounded-down copy where it differs.

    The copy ``sum floor(load) x <= floor(usable)`` is a valid inequality (a Chvatal-Gomory
    cut: its left side is an integer no larger than the original's), so it removes no
    plan; but it tightens the relaxation wherever the usable weeks are fractional (a
    reserve of 10% of 45 weeks leaves 40.5, which whole-week efforts can never fill) or
    loads are (an item spread over periods).
    """
    rows: dict[tuple[str, int], tuple[list[int], list[float]]] = {}
    for item in problem.items:
        for s, c in columns[item.id]:
            d = spans[item.id][s]
            for p in range(s, s + d):
                indices, loads = rows.setdefault((item.team, p), ([], []))
                indices.append(c)
                loads.append(item.effort / d)
    for (team, p), (indices, loads) in sorted(rows.items()):
        usable = problem.usable(team)[p]
        if sum(loads) <= usable + _EPS:
            continue
        milp.add_row(indices, loads, -math.inf, usable)
        whole = [math.floor(w + 1e-9) for w in loads]
        # Rounding the right side up past a float error (40.499999... stays 40) only
        # weakens the copy, never invalidates it.
        top = math.floor(usable + 1e-6)
        if top < usable - 1e-6 or whole != loads:
            kept = [(c, float(w)) for c, w in zip(indices, whole, strict=True) if w > 0]
            milp.add_row([c for c, _ in kept], [w for _, w in kept], -math.inf, float(top))


def _add_bundles(
    problem: RoadmapProblem,
    milp: Milp,
    columns: dict[str, list[tuple[int, int]]],
    *,
    soft_must: bool,
) -> dict[str, list[tuple[int, int]]]:
    """Bundle columns y[b, t] (completed in period t) and their time-indexed rows.

    Returns:
        Each bundle's columns as ``(period, column)``, for the bundles that got any.
    """
    by_id = {item.id: item for item in problem.items}
    completions: dict[str, list[tuple[int, int]]] = {}
    for bundle in problem.bundles:
        needed = problem.needed(bundle)
        if bundle.blocked or bundle.value <= 0 or not needed or any(not columns[r] for r in needed):
            continue
        ends = {r: {s: s + problem.span(by_id[r], s) - 1 for s, _ in columns[r]} for r in needed}
        earliest = max(min(ends[r].values()) for r in needed)
        ys = [
            (
                t,
                milp.add_column(
                    0.0 if soft_must else bundle.value * problem.discount**t, integer=False
                ),
            )
            for t in range(earliest, len(problem.periods))
        ]
        completions[bundle.id] = ys
        if len(ys) > 1:
            milp.add_row([y for _, y in ys], [1.0] * len(ys), -math.inf, 1.0)
        for r in needed:
            for t, _ in ys:
                done = [y for u, y in ys if u <= t]
                finished = [c for s, c in columns[r] if ends[r][s] <= t]
                milp.add_row(
                    done + finished,
                    [1.0] * len(done) + [-1.0] * len(finished),
                    -math.inf,
                    0.0,
                )
    return completions


def dominated(problem: RoadmapProblem) -> dict[str, tuple[str, ...]]:
    """Items some optimal plan leaves out, each with the items that dominate it.

    Item i dominates item j of the same team when i can take j's place in any plan at no
    loss: from every start j can take, i occupies no more periods and no more weeks in
    each of them, it is worth at least as much, and it needs no prerequisite j does not
    need; neither is in an exclusion. j must also be free to go: not must=yes, no item
    depends on it and no account bundle requires it. When j's dominators and j together
    need more weeks than the team has in all the planning periods, a plan holding j
    misses one of them, and swapping j for that one loses nothing. Dominators come first
    in the order (effort, -value, id), so repeated swaps end; hence some optimal plan
    holds none of these items, and leaving them out of the model keeps its optimum while
    making it smaller. Leaving some out can free others (an item whose dependants were
    all left out), so it is repeated on what is left until nothing more goes. Big
    backlogs hold many such low-value candidates (405 of the scale benchmark's 2,000).
    """
    found: dict[str, tuple[str, ...]] = {}
    items = list(problem.items)
    while more := _dominated_once(replace(problem, items=items)):
        found.update(more)
        items = [item for item in items if item.id not in more]
    return found


def _dominated_once(problem: RoadmapProblem) -> dict[str, tuple[str, ...]]:
    """One pass of :func:`dominated` over the problem's items."""
    by_id = {item.id: item for item in problem.items}
    needed = {d for item in problem.items for d in item.depends_on}
    excluding = {x for item in problem.items for x in item.excludes}
    excluding.update(item.id for item in problem.items if item.excludes)
    bundled = {r for b in problem.bundles if b.blocked is None for r in b.requires}
    spans = {item.id: problem.spans(item) for item in problem.items}
    prerequisites = {i.id: {d for d in i.depends_on if d in by_id} for i in problem.items}
    teams: dict[str, list[Item]] = {}
    for item in problem.items:
        if spans[item.id] and item.id not in excluding:
            teams.setdefault(item.team, []).append(item)
    found: dict[str, tuple[str, ...]] = {}
    for team, items in teams.items():
        # "Cannot all fit" must hold beyond the overload a solve accepts (its feasibility
        # tolerance, and plan_breaks's 1e-6 weeks per period), or the model could still
        # fit them all.
        weeks = sum(problem.usable(team)) + 1e-6 * len(problem.periods)
        items.sort(key=lambda i: (i.effort, -i.value, i.id))
        for k, j in enumerate(items):
            if j.must or j.id in needed or j.id in bundled:
                continue
            total, who = j.effort, []
            for i in items[:k]:
                if (
                    i.value >= j.value
                    and prerequisites[i.id] <= prerequisites[j.id]
                    and _takes_place(i, spans[i.id], j, spans[j.id])
                ):
                    who.append(i.id)
                    total += i.effort
                    if total > weeks + _EPS:
                        found[j.id] = tuple(who)
                        break
    return found


def _takes_place(i: Item, i_spans: Mapping[int, int], j: Item, j_spans: Mapping[int, int]) -> bool:
    """Whether i fits wherever j starts: no more periods, no more weeks in each."""
    return all(
        s in i_spans and i_spans[s] <= d and i.effort / i_spans[s] <= j.effort / d + _EPS
        for s, d in j_spans.items()
    )


def _check_musts(problem: RoadmapProblem) -> None:
    by_id = {item.id: item for item in problem.items}
    for item in problem.items:
        if not item.must:
            continue
        if item.forbidden is not None:
            raise PlanConflictError.of_item(item.id, f"may not be planned: {item.forbidden}")
        if not problem.starts(item):
            d = problem.duration(item)
            why = (
                f"team {item.team} has no capacity"
                if d == 0
                else f"its {item.effort:g} weeks need {d} period(s) of team {item.team} within "
                f"{len(problem.periods)} period(s) and its capacity"
            )
            raise PlanConflictError.of_item(item.id, f"cannot be planned: {why}")
        for dep in item.depends_on:
            if dep in by_id and not problem.starts(by_id[dep]):
                reason = by_id[dep].forbidden or "it cannot be scheduled"
                raise PlanConflictError.of_item(
                    item.id, f"needs {dep}, which cannot be planned: {reason}"
                )
        for other in item.excludes:
            if other in by_id and by_id[other].must:
                raise PlanConflictError(
                    f"{item.id} and {other} are both must=yes but exclude each other",
                    item_id=item.id,
                    excluded=other,
                )


def _diagnose_infeasible(problem: RoadmapProblem, time_limit: float) -> str:
    built = _build(problem, soft_must=True)
    result = solve(built.milp, time_limit=time_limit, mip_rel_gap=0.0)
    musts = [item for item in problem.items if item.must]
    if not result.feasible:
        return "the must=yes items " + ", ".join(i.id for i in musts) + " cannot all be planned"
    placed = {
        item_id
        for item_id, cols in built.columns.items()
        if any(result.values[c] > 0.5 for _, c in cols)
    }
    left = [item.id for item in musts if item.id not in placed]
    by_id = {item.id: item for item in problem.items}
    first = {x: _prerequisites(problem, by_id[x]) for x in left}
    needed = [by_id[d] for x in left for d in first[x]]
    work = list({i.id: i for i in [*musts, *needed]}.values())
    teams = sorted({item.team for item in work})
    weeks = {t: sum(i.effort for i in work if i.team == t) for t in teams}
    usable = {t: sum(problem.usable(t)) for t in teams}
    what = "must items and their prerequisites" if needed else "must items"
    load = "; ".join(f"team {t}: {what} {weeks[t]:g} weeks, usable {usable[t]:g}" for t in teams)
    finish = earliest_finish(problem)
    chains = "".join(
        f"; {x} needs "
        + ", ".join(
            f"{d} (team {by_id[d].team}, done "
            + (f"in {problem.periods[finish[d]]} at the earliest)" if d in finish else "never)")
            for d in first[x]
        )
        + " finished before it starts"
        for x in left
        if first[x]
    )
    return (
        f"the must=yes items cannot all be planned: at most {len(musts) - len(left)} of "
        f"{len(musts)} fit together ({', '.join(left)} left out) under capacity, dependencies "
        f"and order ({load}){chains}"
    )


def _prerequisites(problem: RoadmapProblem, item: Item) -> list[str]:
    """Every item that must finish before ``item`` starts (transitively), nearest first."""
    by_id = {i.id: i for i in problem.items}
    found: list[str] = []
    todo = [d for d in item.depends_on if d in by_id]
    while todo:
        d = todo.pop(0)
        if d not in found:
            found.append(d)
            todo.extend(x for x in by_id[d].depends_on if x in by_id)
    return found


def earliest_finish(problem: RoadmapProblem) -> dict[str, int]:
    """The earliest period each item can finish in, alone on its team (after its prerequisites).

    Items that can never finish within the planning periods are left out.
    """
    by_id = {i.id: i for i in problem.items}
    done: dict[str, int | None] = {}

    def finish(item: Item, seen: frozenset[str]) -> int | None:
        if item.id in done:
            return done[item.id]
        ready = 0
        for d in item.depends_on:
            if d not in by_id or d in seen:
                continue
            end = finish(by_id[d], seen | {item.id})
            if end is None:
                done[item.id] = None
                return None
            ready = max(ready, end + 1)
        ends = [s + d - 1 for s, d in problem.spans(item).items() if s >= ready]
        done[item.id] = min(ends) if ends else None
        return done[item.id]

    return {i.id: end for i in problem.items if (end := finish(i, frozenset())) is not None}


_WARM_COLUMNS = 2000
"""Models with at least this many start columns get a helper thread searching for plans."""
_WARM_SHARE = 0.4
"""Share of the time limit the helper's first plan (relax-and-fix) may take."""
_BLOCK_SECONDS = 2.0
"""Time limit of one team's re-solve when the helper improves a plan."""


class _Incumbent:
    """The best plan found so far, by the helper thread or the exact solve.

    Each better plan is handed to the exact solve once, and ``met`` is set once the best
    is within the gap of a bound proven (:meth:`aim`).
    """

    def __init__(self, milp: Milp) -> None:
        self._milp = milp
        self._lock = threading.Lock()
        self.values: FloatArray | None = None
        self.objective = -math.inf
        self._handed = -math.inf
        self._bound = math.inf
        self._gap = 0.0
        self.met = threading.Event()

    def offer(self, values: FloatArray) -> None:
        """Keep ``values`` when it beats the best so far."""
        objective = self._milp.objective(values)
        with self._lock:
            if objective > self.objective:
                self.values, self.objective = values.copy(), objective
                if _proven(self._bound, objective, self._gap):
                    self.met.set()

    def aim(self, bound: float, mip_rel_gap: float) -> None:
        """Set ``met`` as soon as the best plan is within ``mip_rel_gap`` of ``bound``."""
        with self._lock:
            self._bound, self._gap = bound, mip_rel_gap
            if _proven(bound, self.objective, mip_rel_gap):
                self.met.set()

    def take_new(self) -> FloatArray | None:
        """The best plan if the exact solve has not had it yet, else None."""
        with self._lock:
            if self.values is None or self.objective <= self._handed:
                return None
            self._handed = self.objective
            return self.values.copy()


def _team_columns(problem: RoadmapProblem, built: _Built) -> dict[str, list[int]]:
    """Each team's start and selection columns."""
    columns: dict[str, list[int]] = {}
    for item in problem.items:
        block = columns.setdefault(item.team, [])
        block.extend(c for _, c in built.columns[item.id])
        if item.id in built.selection:
            block.append(built.selection[item.id])
    return columns


def _team_blocks(problem: RoadmapProblem, built: _Built) -> list[list[int]]:
    """Each team's columns: the blocks a plan is improved by first."""
    return [cols for _, cols in sorted(_team_columns(problem, built).items()) if cols]


def _linked_team_pairs(problem: RoadmapProblem, built: _Built) -> list[list[int]]:
    """Two teams' columns together, for each pair of teams a dependency or exclusion links.

    Most-linked pairs first. A pair block can move a prerequisite and its dependant of
    the other team at once, over all periods.
    """
    team_of = {item.id: item.team for item in problem.items}
    links: dict[tuple[str, str], int] = {}
    for item in problem.items:
        for other in (*item.depends_on, *item.excludes):
            if other in team_of and team_of[other] != item.team:
                pair = (min(item.team, team_of[other]), max(item.team, team_of[other]))
                links[pair] = links.get(pair, 0) + 1
    columns = _team_columns(problem, built)
    ranked = sorted(links, key=lambda pair: (-links[pair], pair))
    return [columns[a] + columns[b] for a, b in ranked if columns[a] or columns[b]]


def _period_blocks(
    problem: RoadmapProblem, built: _Built, width: int = 2
) -> list[Callable[[FloatArray], list[int]]]:
    """Makers of blocks over ``width`` adjacent periods of every team, from the current plan.

    A block frees the starts in its periods of every item not placed elsewhere (so items
    placed there may move between them or leave, and unplaced items may enter there),
    with their selection columns. Team blocks cannot move a prerequisite and its
    dependant of another team together; these can, across all teams at once.
    """

    def maker(first: int) -> Callable[[FloatArray], list[int]]:
        last = first + width - 1

        def block(values: FloatArray) -> list[int]:
            free: list[int] = []
            for item in problem.items:
                cols = built.columns[item.id]
                placed = [s for s, c in cols if values[c] > 0.5]
                if placed and not first <= placed[0] <= last:
                    continue
                free.extend(c for s, c in cols if first <= s <= last)
                if item.id in built.selection:
                    free.append(built.selection[item.id])
            return free

        return block

    return [maker(p) for p in range(len(problem.periods) - width + 1)]


class _SharedSearch:
    """The helper's plan search, once it has a first plan, for the exact solve to join."""

    def __init__(self) -> None:
        self._search: BlockSearch | None = None
        self._lock = threading.Lock()

    def publish(self, search: BlockSearch) -> None:
        """Open ``search`` to other workers."""
        with self._lock:
            self._search = search

    def open(self) -> BlockSearch | None:
        """The search, while it has steps left to take (None before it starts)."""
        with self._lock:
            search = self._search
        return None if search is None or search.converged else search


def _search_plans(
    problem: RoadmapProblem,
    built: _Built,
    incumbent: _Incumbent,
    shared: _SharedSearch,
    *,
    deadline: float,
    stop: Callable[[], bool],
    start: FloatArray | None = None,
) -> None:
    """The helper: a relax-and-fix plan (or ``start``), then re-solves that improve it.

    Relax-and-fix by period makes the starts in the first period integral with later
    periods relaxed, fixes them, and so on (:func:`relax_and_fix`); given a ``start`` (a
    feasible plan's column values), the helper takes it instead. Then a
    :class:`BlockSearch` re-optimises each team's columns with every other team's held
    fixed, which repacks a team's periods as a whole, and each pair of adjacent periods
    across all teams (:func:`_period_blocks`). When none of those improves the plan any
    more and time is left, the parts grow: two linked teams at once
    (:func:`_linked_team_pairs`) and three adjacent periods. The search is published in
    ``shared``, so the exact solve can join it on the other core once it has proven its
    bound (:func:`_prove`). Each better plan goes to ``incumbent``, where the exact solve
    picks it up. HiGHS's own heuristics find poor plans on big models (many near-equal
    ways to fill each team's periods), and a plan close to the optimum is what lets its
    bound prove the gap. The helper changes only which plans the search knows, never
    what counts as optimal.
    """
    plan = start
    if plan is None:
        stages: list[list[int]] = [[] for _ in problem.periods]
        for cols in built.columns.values():
            for s, c in cols:
                stages[s].append(c)
        seconds = _WARM_SHARE * (deadline - time.perf_counter())
        plan = relax_and_fix(built.milp, stages, time_limit=seconds, prune=5e-4, stop=stop)
        if plan is None:
            return
    incumbent.offer(plan)
    levels: list[list[Block]] = [
        [*_team_blocks(problem, built), *_period_blocks(problem, built)],
        [*_linked_team_pairs(problem, built), *_period_blocks(problem, built, width=3)],
    ]
    search = BlockSearch(
        built.milp, plan, levels, on_improve=incumbent.offer, block_seconds=_BLOCK_SECONDS
    )
    shared.publish(search)
    search.work(deadline=deadline, stop=stop)


def _solve_with_helper(
    problem: RoadmapProblem,
    built: _Built,
    *,
    time_limit: float,
    mip_rel_gap: float,
    start: FloatArray | None = None,
) -> MilpResult:
    """The exact solve, fed plans by a helper thread for big models (HiGHS frees the GIL).

    The machine's second core runs :func:`_search_plans` while HiGHS works on the bound
    (:func:`_prove`); HiGHS polls the helper's best plan through its user-solution
    callback, and the best plan either found is the one returned. A ``start`` (a feasible
    plan's column values) is where both begin: the helper improves it instead of building
    its own first plan.
    """
    if sum(len(cols) for cols in built.columns.values()) < _WARM_COLUMNS:
        return solve(built.milp, time_limit=time_limit, mip_rel_gap=mip_rel_gap, start=start)
    incumbent = _Incumbent(built.milp)
    if start is not None:
        incumbent.offer(start)
    shared = _SharedSearch()
    stop = threading.Event()
    failures: list[BaseException] = []
    deadline = time.perf_counter() + time_limit

    def helper() -> None:
        try:
            _search_plans(
                problem,
                built,
                incumbent,
                shared,
                deadline=deadline,
                stop=stop.is_set,
                start=start,
            )
        except BaseException as exc:  # re-raised in the caller's thread
            failures.append(exc)

    thread = threading.Thread(target=helper, name="roadmap-plan-search", daemon=True)
    thread.start()
    try:
        result = _prove(
            built.milp, incumbent, deadline=deadline, mip_rel_gap=mip_rel_gap, shared=shared
        )
    finally:
        stop.set()
        # The helper stops at its next check; a block solve it is in is interrupted too.
        # Past the grace it is left behind (a daemon thread) rather than waited for.
        thread.join(timeout=OVERRUN_GRACE)
    if failures:
        raise failures[0]
    return _with_better_plan(built.milp, result, incumbent, mip_rel_gap)


def _prove(
    milp: Milp,
    incumbent: _Incumbent,
    *,
    deadline: float,
    mip_rel_gap: float,
    shared: _SharedSearch | None = None,
) -> MilpResult:
    """The exact solve as HiGHS runs with falling cutoffs, each proving a bound.

    A run with a cutoff searches only for plans worth more than it and prunes against it
    from the start (see :func:`solve`), so when the cutoff lies just above the optimum
    it proves that bound far sooner than a run without one proves a bound that low
    (measured on the roadmap benchmark at 2,000 candidates: the relaxation's bound less
    0.1% is proven in 11-18 s from nothing; without a cutoff, and given a good plan from
    the start, HiGHS takes 7-9 minutes to bring its bound that low). The first cutoff is
    the relaxation's bound less the gap asked for, which any plan within about twice
    that gap of the relaxation then meets.

    Once a cutoff is proven and the best plan does not meet it, a better plan is the
    quickest way to close the gap (lower cutoffs were not proven in the time left on the
    benchmark), so this core joins the helper's plan search in ``shared`` (two workers take
    its block re-solves twice as fast) until the search converges; when the search has not
    started yet, the next run stops as soon as it does. With time left after that (or with
    no search to join), the next run tries a lower cutoff: the one the best plan needs, or a
    quarter of the gap below the bound proven, whichever is higher. A cutoff below the
    optimum cannot be proven; such a run goes on as a plain search once it has a plan above
    the cutoff, from the helper or its own. A cutoff proven with no plan known is followed
    by a run without one (the model may have no plan). Every run starts from the best plan
    known, takes the helper's better ones as they come, and everything stops as soon as the
    best plan is within the gap of a bound proven. The result carries the lowest bound any
    run proved and the best plan found.
    """
    started = time.perf_counter()
    relaxed = relaxation_bound(milp, time_limit=max(LEAST_SECONDS, deadline - started))
    cutoff = None if relaxed is None or mip_rel_gap <= 0 else relaxed - mip_rel_gap * abs(relaxed)
    bound = math.inf
    result: MilpResult | None = None
    proven = False  # whether a run has proven its cutoff: then plans are what is missing

    def joinable() -> BlockSearch | None:
        return shared.open() if proven and shared is not None else None

    while (left := deadline - time.perf_counter()) > 0 or result is None:
        result = solve(
            milp,
            time_limit=max(left, LEAST_SECONDS),
            mip_rel_gap=mip_rel_gap,
            start=incumbent.values,
            incumbents=incumbent.take_new,
            cutoff=cutoff,
            until=lambda: incumbent.met.is_set() or joinable() is not None,
        )
        bound = min(bound, result.bound)
        incumbent.aim(bound, mip_rel_gap)
        if result.values.size:
            incumbent.offer(result.values)
        if incumbent.met.is_set():
            break
        ended = result.status in _RUN_ENDED
        if ended and incumbent.objective == -math.inf:
            # Nothing above the cutoff and no plan yet: the model may have no plan at all,
            # which only a run without a cutoff can tell.
            cutoff = None
            continue
        proven = proven or ended
        if (search := joinable()) is not None:
            search.work(deadline=deadline, stop=incumbent.met.is_set)
            if incumbent.met.is_set():
                break
        elif result.status == INTERRUPTED:
            continue  # stopped to join a search that has converged since: run on
        elif not ended:
            break
        if ended:
            cutoff = _next_cutoff(incumbent.objective, bound, mip_rel_gap)
    assert result is not None
    return replace(result, bound=bound, seconds=time.perf_counter() - started)


def _next_cutoff(best: float, bound: float, mip_rel_gap: float) -> float | None:
    """The cutoff to try once ``bound`` is proven (None when none lies below it).

    The one the best plan (worth ``best``) needs, or a quarter of the gap below ``bound``,
    whichever is higher. The cutoff a plan needs lies a hair inside the gap, so that
    proving it proves the gap despite rounding.
    """
    needed = best + (mip_rel_gap - 1e-9) * max(abs(best), 1e-9)
    lower = max(needed, bound - mip_rel_gap / 4 * abs(bound))
    return lower if lower < bound else None


_RUN_ENDED = ("Optimal", CUTOFF_PROVEN)
"""Statuses of a run that ended before its time limit (another may follow)."""


def _with_better_plan(
    milp: Milp, result: MilpResult, incumbent: _Incumbent, mip_rel_gap: float
) -> MilpResult:
    """``result`` with the best plan known when that is better and feasible.

    Its gap and status are recomputed against ``result.bound``.
    """
    values, objective = result.values, result.objective
    better = incumbent.values
    if better is not None and incumbent.objective > objective and milp.is_feasible(better):
        values, objective = better, incumbent.objective
    if not values.size:
        return result
    proven = _proven(result.bound, objective, mip_rel_gap)
    return replace(
        result,
        status="Optimal" if proven else _TIME_LIMIT,
        optimal=proven,
        objective=objective,
        gap=max(0.0, relative_gap(result.bound, objective)),
        values=values,
    )


_TIME_LIMIT = "Time limit reached"

LEAST_SECONDS = 1.0
"""The least time a solve is given, whatever is left of its limit (a shorter one is no use)."""

_WRAP_UP = 0.2
"""Seconds of the time limit kept for reading the plan once the solver stops (HiGHS itself
overruns its own limit by a few hundredths), so a solve ends within the limit it was given."""

_ABS_GAP = 1e-6
"""Absolute gap within which a plan counts as optimal (HiGHS's default ``mip_abs_gap``)."""


def _proven(bound: float, objective: float, mip_rel_gap: float) -> bool:
    """Whether a plan worth ``objective`` is within the gap of ``bound``.

    Relative, or within HiGHS's absolute gap (``_ABS_GAP``), as its own optimality is.
    """
    if objective == -math.inf:
        return False
    return relative_gap(bound, objective) <= mip_rel_gap or bound - objective <= _ABS_GAP


def solve_roadmap(
    problem: RoadmapProblem,
    *,
    time_limit: float = 30.0,
    mip_rel_gap: float = 1e-4,
    start: Mapping[str, int] | None = None,
) -> RoadmapSolution:
    """Solve the roadmap model to optimality (within ``mip_rel_gap``) or the time limit.

    The model of the module docstring, with two exact strengthenings that remove no plan:
    rounded-down copies of the capacity rows and a selection column per item (see
    ``_build``), and without the items no optimal plan needs (:func:`dominated`); on big
    models a helper thread searches for plans while HiGHS proves falling cutoffs as
    bounds (:func:`_solve_with_helper`, :func:`_prove`). The solver stops ``_WRAP_UP``
    seconds before ``time_limit``, so that the whole solve, reading the plan included,
    ends within it.

    ``start`` is a plan known to be good (start period by item id: a plan of a problem
    close to this one, say), where the search begins. It changes how soon a plan good
    enough to prove the gap is found, never what counts as optimal; a plan that breaks
    this problem's rules (once the items it cannot hold are dropped, see
    :func:`_start_values`) is not used.

    Raises:
        PlanConflictError: The must=yes items conflict with each other or the rules.
    """
    _check_musts(problem)
    started = time.perf_counter()
    left_out = dominated(problem)
    built = _build(problem, left_out=left_out)
    known = None if start is None else _start_values(problem, built, start)
    left = max(LEAST_SECONDS, time_limit - _WRAP_UP - (time.perf_counter() - started))
    result = _solve_with_helper(
        problem, built, time_limit=left, mip_rel_gap=mip_rel_gap, start=known
    )
    result = replace(result, seconds=time.perf_counter() - started)
    if not result.feasible:
        if result.status == "Infeasible":
            raise PlanConflictError(_diagnose_infeasible(problem, time_limit))
        raise InputError(f"the roadmap solver stopped without a plan: {result.status}")
    return replace(read_solution(problem, built.columns, result), left_out=left_out)


def read_solution(
    problem: RoadmapProblem, columns: dict[str, list[tuple[int, int]]], result: MilpResult
) -> RoadmapSolution:
    """Turn column values into placements and team loads."""
    placements: dict[str, Placement] = {}
    for item in problem.items:
        for s, c in columns[item.id]:
            if result.values[c] > 0.5:
                d = problem.span(item, s)
                load = {p: item.effort / d for p in range(s, s + d)}
                placements[item.id] = Placement(
                    start=s, end=s + d - 1, load=load, value=problem.start_value(item, s)
                )
    placements = _without_idle(problem, placements)
    used = {team: [0.0] * len(problem.periods) for team in problem.capacity}
    by_id = {item.id: item for item in problem.items}
    for item_id, placed in placements.items():
        row = used.setdefault(by_id[item_id].team, [0.0] * len(problem.periods))
        for p, weeks in placed.load.items():
            row[p] += weeks
    done = completed_bundles(problem, {i: p.end for i, p in placements.items()})
    return RoadmapSolution(
        placements=placements,
        objective=sum(p.value for p in placements.values()) + bundles_value(problem, done),
        status=result.status,
        optimal=result.optimal,
        gap=result.gap,
        seconds=result.seconds,
        used=used,
        bundles=done,
    )


def _without_idle(
    problem: RoadmapProblem, placements: dict[str, Placement]
) -> dict[str, Placement]:
    """The placements less the items that add nothing: the same plan value, less work.

    The solver is indifferent to an item worth nothing (no value of its own, needed by no
    planned item and by no completed bundle, not must=yes) and may place it wherever
    capacity is left over. Such an item is taken out, repeatedly (taking one out can idle
    its prerequisite); the plan's value is unchanged, so an optimal plan stays optimal,
    and the item is reported as deferred with nothing at stake.
    """
    by_id = {item.id: item for item in problem.items}
    kept = dict(placements)
    while True:
        needed = {d for i in kept for d in by_id[i].depends_on}
        done = completed_bundles(problem, {i: p.end for i, p in kept.items()})
        needed.update(r for b in problem.bundles if b.id in done for r in problem.needed(b))
        idle = [i for i in kept if by_id[i].value <= 0 and not by_id[i].must and i not in needed]
        if not idle:
            return kept
        for i in idle:
            del kept[i]


def greedy_roadmap(problem: RoadmapProblem) -> dict[str, int]:
    """Baseline for comparison only: items by value per effort week, earliest start that fits.

    Returns:
        Start period index by planned item id.
    """
    by_id = {item.id: item for item in problem.items}
    used = {team: [0.0] * len(problem.periods) for team in problem.capacity}
    planned: dict[str, int] = {}
    order = sorted(problem.items, key=lambda i: (-i.value / i.effort if i.effort else 0.0, i.id))
    for item in order:
        if any(other in planned for other in item.excludes):
            continue
        if any(d in by_id and d not in planned for d in item.depends_on):
            continue
        earliest = max(
            (
                planned[x] + problem.span(by_id[x], planned[x])
                for x in item.depends_on
                if x in planned
            ),
            default=0,
        )
        usable = problem.usable(item.team)
        row = used.setdefault(item.team, [0.0] * len(problem.periods))
        for s, d in problem.spans(item).items():
            if s < earliest:
                continue
            if all(row[p] + item.effort / d <= usable[p] + _EPS for p in range(s, s + d)):
                for p in range(s, s + d):
                    row[p] += item.effort / d
                planned[item.id] = s
                break
    return planned


def plan_value(problem: RoadmapProblem, starts: dict[str, int]) -> float:
    """Discounted value of a plan given as start periods (bundles it completes included)."""
    by_id = {item.id: item for item in problem.items}
    ends = {i: s + problem.span(by_id[i], s) - 1 for i, s in starts.items()}
    own = sum(problem.start_value(by_id[i], s) for i, s in starts.items())
    return own + bundles_value(problem, completed_bundles(problem, ends))


def plan_breaks(problem: RoadmapProblem, starts: Mapping[str, int]) -> str | None:
    """The first rule of ``problem`` a plan (start periods by item) breaks, or None.

    Checks what the model enforces: each item may start where it starts and ends in time,
    team capacity (less the reserve) per period, prerequisites finished before a start,
    exclusions and must=yes items.
    """
    by_id = {item.id: item for item in problem.items}
    periods = problem.periods
    used: dict[tuple[str, int], float] = {}
    ends: dict[str, int] = {}
    for item_id, start in starts.items():
        item = by_id[item_id]
        d = problem.spans(item).get(start)
        if d is None:
            why = item.forbidden or "it does not fit its team's capacity from there"
            return f"{item_id} cannot start in {periods[start]}: {why}"
        ends[item_id] = start + d - 1
        for p in range(start, start + d):
            used[item.team, p] = used.get((item.team, p), 0.0) + item.effort / d
    for (team, p), weeks in sorted(used.items()):
        usable = problem.usable(team)[p]
        if weeks > usable + 1e-6:
            return f"team {team} in {periods[p]} needs {weeks:g} weeks, {usable:g} usable"
    for item_id, start in starts.items():
        for dep in by_id[item_id].depends_on:
            if dep in by_id and not (dep in ends and ends[dep] < start):
                return f"{item_id} starts before its prerequisite {dep} finishes"
        for other in by_id[item_id].excludes:
            if other in starts:
                return f"{item_id} and {other} exclude each other"
    missing = [item.id for item in problem.items if item.must and item.id not in starts]
    return f"must=yes {', '.join(missing)} not planned" if missing else None
