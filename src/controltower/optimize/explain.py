"""Reasons for every roadmap entry, and "why not X" by exact re-solves."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from time import perf_counter

from controltower.format import money
from controltower.optimize import model as _model
from controltower.optimize.model import (
    LEAST_SECONDS,
    Item,
    PlanConflictError,
    RoadmapProblem,
    RoadmapSolution,
    completing_items,
    solve_roadmap,
)

_STATUS = ("now", "next")


_NAMED = 8
"""At most this many dominating items are named in a deferred reason (then a count)."""

_TIE = 1e-9
"""Relative difference within which two items' value per week counts as the same."""


def status_of(start: int) -> str:
    """The status of a start period: now (first), next (second) or later."""
    return _STATUS[start] if start < len(_STATUS) else "later"


def _forced_reason(item_id: str, conflict: PlanConflictError) -> str:
    """A must=yes conflict met with ``item_id`` forced in, worded for that item.

    Forcing an item in is solving with it as must=yes, so the solver's message calls it
    must=yes; this says what stops the item itself.
    """
    if conflict.item_id == item_id and conflict.stops is not None:
        return f"{item_id} {conflict.stops}"
    pair = (conflict.item_id, conflict.excluded)
    if conflict.excluded is not None and item_id in pair:
        other = conflict.excluded if conflict.item_id == item_id else conflict.item_id
        return f"{item_id} excludes {other}, which is must=yes"
    if conflict.item_id is None:
        return f"with {item_id} forced in, {conflict}"
    return str(conflict)


def planned_reason(problem: RoadmapProblem, item: Item, solution: RoadmapSolution) -> str:
    """Why a planned item sits where it does."""
    placed = solution.placements[item.id]
    span = f"{problem.periods[placed.start]}" + (
        f"-{problem.periods[placed.end]}" if placed.end > placed.start else ""
    )
    parts = [
        f"planned {span} on team {item.team}: {item.effort:g} weeks "
        f"({item.effort / (placed.end - placed.start + 1):g}/period), discounted value "
        f"{money(placed.value)} (weighted value {money(item.value)}, "
        f"{money(item.value / item.effort)} per week)"
    ]
    deps = [d for d in item.depends_on if d in solution.placements]
    if deps:
        parts.append("after " + ", ".join(deps))
    if item.must:
        parts.append("must=yes")
    completed = completing_items(problem, _ends(solution), solution.bundles).get(item.id, [])
    if completed:
        parts.append(
            "completes bundle(s) "
            + ", ".join(
                f"{b.id} ({money(b.value * problem.discount ** solution.bundles[b.id])})"
                for b in completed
            )
        )
    needed_by = [
        i.id for i in problem.items if item.id in i.depends_on and i.id in solution.placements
    ]
    needed_by += [
        f"bundle {b.id}"
        for b in problem.bundles_of(item.id)
        if b.id in solution.bundles and b not in completed
    ]
    if needed_by:
        parts.append("needed by " + ", ".join(needed_by))
    return "; ".join(parts)


def bundle_credit(problem: RoadmapProblem, solution: RoadmapSolution, item_id: str) -> float:
    """Discounted value of the bundles an item completes in a solution (0 for most items)."""
    return _model.bundle_credit(problem, item_id, _ends(solution), solution.bundles)


def _ends(solution: RoadmapSolution) -> dict[str, int]:
    return {i: placed.end for i, placed in solution.placements.items()}


def _bundle_note(problem: RoadmapProblem, item: Item, solution: RoadmapSolution) -> str:
    """For an item whose value comes through bundles: which, and what else they need."""
    notes = []
    for bundle in problem.bundles_of(item.id):
        others = [r for r in problem.needed(bundle) if r != item.id]
        missing = [r for r in others if r not in solution.placements]
        notes.append(
            f"{bundle.id} ({money(bundle.value)}"
            + (f"; also needs {', '.join(others)}" if others else "")
            + (f", of which {', '.join(missing)} not planned" if missing else "")
            + ")"
        )
    return "its value counts through bundle(s) " + ", ".join(notes) + "; " if notes else ""


def bundle_summary(problem: RoadmapProblem, solution: RoadmapSolution) -> list[dict[str, object]]:
    """Each bundle of the problem: its value, the items it needs and when it completes.

    ``completed`` is the period the last required item finishes, ``"shipped"`` for a deal
    whose requirements have all shipped already, or None.
    """
    return [
        {
            "account_id": bundle.id,
            "value": bundle.value,
            "requires": list(bundle.requires),
            "completed": (
                problem.periods[solution.bundles[bundle.id]]
                if bundle.id in solution.bundles
                else "shipped"
                if bundle.blocked is None and not problem.needed(bundle)
                else None
            ),
            "blocked": bundle.blocked,
        }
        for bundle in problem.bundles
    ]


def _late_prerequisites(problem: RoadmapProblem, item: Item, solution: RoadmapSolution) -> str:
    """Why an item cannot start after its planned prerequisites finish, or "" when it can."""
    late = _finishing_too_late(problem, item, solution)
    if not late:
        return ""
    ready = solution.placements[late[0].id].end + 1
    last = [x.id for x in late]
    by_team = {x.id: x.team for x in late}
    after = (
        f"no period is left after them for its {item.effort:g} weeks on team {item.team}"
        if ready >= len(problem.periods)
        else f"from {problem.periods[ready]} on, team {item.team} has no run of periods with "
        f"room for its {item.effort:g} weeks before the horizon ends"
    )
    return (
        f"needs {', '.join(last)} first, planned to finish in {problem.periods[ready - 1]}: "
        f"{after} (it can get in only if {', '.join(last)} finishes earlier: room for it "
        f"sooner on team(s) {', '.join(sorted({by_team[x] for x in last}))})"
    )


def deferred_reason(
    problem: RoadmapProblem, item: Item, solution: RoadmapSolution, *, measure: str = "P50"
) -> str:
    """The binding reason an unplanned, allowed item stays out, in words and figures.

    ``measure`` is the value the plan maximises (``P10`` in the risk-averse mode).
    """
    by_id = {i.id: i for i in problem.items}
    d = problem.duration(item)
    usable = problem.usable(item.team)
    if d == 0:
        return f"fits no capacity: team {item.team} has no capacity in teams.csv for these periods"
    if not problem.starts(item):
        return (
            f"fits no capacity: {item.effort:g} weeks at most {max(usable):g} usable "
            f"weeks/period need {d} period(s) of team {item.team}; the plan has "
            f"{len(problem.periods)}"
        )
    if not problem.has_stake(item):
        if measure != "P50":
            return (
                f"no value at stake at {measure}, the value this risk-averse plan weighs: "
                "its downside case is worth nothing (its P50 may be higher; see tower value)"
            )
        return "no value at stake (weighted value 0): nothing to gain from building it"
    note = _bundle_note(problem, item, solution)
    blocked = [x for x in item.depends_on if x in by_id and x not in solution.placements]
    if blocked:
        why = [
            f"{x} ({by_id[x].forbidden})" if by_id[x].forbidden else f"{x} (deferred)"
            for x in blocked
        ]
        return note + "needs " + ", ".join(why) + ", not in the plan"
    late = _late_prerequisites(problem, item, solution)
    if late:
        return note + late
    rivals = [x for x in item.excludes if x in solution.placements]
    if rivals:
        return (
            note
            + "excludes "
            + ", ".join(
                f"{x} (planned, value {money(solution.placements[x].value)})" for x in rivals
            )
        )
    used = solution.used.get(item.team, [0.0] * len(problem.periods))
    free = [max(0.0, u - w) for u, w in zip(usable, used, strict=True)]
    on_team = [i for i in problem.items if i.team == item.team and i.id in solution.placements]
    rivals_team = sorted((i for i in on_team if not i.must), key=lambda i: i.value / i.effort)
    need = (
        f"needs {item.effort / d:g} weeks/period of team {item.team} for {d} period(s) (free: "
        + ", ".join(f"{p} {f:g}" for p, f in zip(problem.periods, free, strict=True))
        + ")"
    )
    density = item.value / item.effort if item.effort else math.inf
    if on_team and not rivals_team:
        return note + (
            f"no room beside must=yes work: {need}; every item planned on team {item.team} is "
            f"must=yes ({', '.join(i.id for i in on_team)})"
        )
    if item.id in solution.left_out:
        betters = [by_id[b] for b in solution.left_out[item.id]]
        return note + _dominated_reason(problem, item, betters, need, density)
    weakest_density = rivals_team[0].value / rivals_team[0].effort if rivals_team else 0.0
    if rivals_team and density >= weakest_density * (1 - _TIE):
        # As dense as the weakest planned item or denser, yet out: the free weeks are not
        # where it needs them, and clearing room in one piece displaces at least as much
        # as it brings.
        denser = density > weakest_density * (1 + _TIE)
        return note + (
            f"does not fit the room left: {need}; it brings {money(density)}/week, "
            f"{'more than' if denser else 'as much as'} the team's weakest planned item "
            f"({rivals_team[0].id}), but clearing {item.effort / d:g} weeks in a period would "
            f"displace planned work worth {'more' if denser else 'at least as much'} "
            f"(`tower whynot {item.id}` shows what)"
        )
    weakest = (
        f"; the weakest planned item of the team, {rivals_team[0].id}, brings "
        f"{money(weakest_density)}/week"
        if rivals_team
        else ""
    )
    return note + f"loses to better uses: {need}; it brings {money(density)}/week{weakest}"


def _dominated_reason(
    problem: RoadmapProblem, item: Item, betters: list[Item], need: str, density: float
) -> str:
    """Why an item left out by the dominance reduction loses: the items that dominate it."""
    weeks = item.effort + sum(b.effort for b in betters)
    shown = ", ".join(b.id for b in betters[:_NAMED]) + (
        f" and {len(betters) - _NAMED} more" if len(betters) > _NAMED else ""
    )
    return (
        f"loses to better uses: {need}; {len(betters)} other "
        f"candidate{'' if len(betters) == 1 else 's'} of team {item.team} ({shown}) "
        f"{'can' if len(betters) == 1 else 'can each'} take its place (no more weeks in any "
        f"period it could use, at least its value, no prerequisite it lacks), and it and they "
        f"need {weeks:g} weeks, more than the team's {sum(problem.usable(item.team)):g} "
        f"usable weeks in the plan's periods: a plan holding it leaves one of them out, and "
        f"swapping it for that one loses nothing; it brings {money(density)}/week"
    )


@dataclass(frozen=True)
class Change:
    """One change that would bring an item into the optimal plan.

    Attributes:
        kind: ``capacity``, ``effort`` or ``value``.
        amount: Weeks of capacity added, effort in weeks, or the value needed.
        team: Team whose capacity grows (capacity only).
        period: First period whose capacity grows (capacity only).
        description: The change in words.
        weeks: Usable weeks added in each period (capacity only; several consecutive
            periods for an item that spans them).
    """

    kind: str
    amount: float
    description: str
    team: str | None = None
    period: str | None = None
    weeks: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class WhyNotResult:
    """What forcing an item in costs, and the smallest changes that bring it in."""

    planned: bool
    forced_feasible: bool
    forced_reason: str
    value_lost: float
    displaced: list[str]
    moved: list[tuple[str, str, str]]
    changes: list[Change]
    added: list[str] = field(default_factory=list)
    """Other items the forced plan brings in (they fill room the displaced ones leave)."""
    resolves: int = 0
    """Re-solves the answer rests on (the forced plan and every bisection step)."""
    unproven: int = 0
    """Of those, how many stopped at the time limit before proving their gap: then the value
    lost and the changes are the best found, not proven smallest."""
    cut_short: bool = False
    """Whether the budget ran out before the searches finished (the steps left were taken as
    "not in"): a change may then be missing, or larger than the smallest."""
    undecided: int = 0
    """Search re-solves that left the item out within a gap worth more than all it could
    add: a plan with it may be as good, so their "not in" is not proven."""


@dataclass
class _ReSolves:
    """The re-solves of one why-not question, counted, with those that proved no optimum.

    Each starts from the plan in question (``start``) where that plan still keeps the
    re-solved problem's rules: every change searched (less effort or more value for an
    item left out, more capacity) leaves it a plan, and near the optimum, which on big
    workspaces is what lets a re-solve prove its gap within the time limit.

    With a ``deadline`` (a :func:`time.perf_counter` reading), each re-solve gets what is
    left of it when that is less than the time limit (``LEAST_SECONDS`` at least, so the
    last may end that much past it), and once it has passed, :meth:`has` answers "not in"
    without solving (and ``cut_short`` is set). "Not in" is the answer that claims nothing
    untested: every search then stops with an amount a re-solve found to bring the item
    in, or with none.

    A re-solve proves its plan within a gap, so its "not in" is proven only when the item
    could add more than that gap; :meth:`has` counts the others in ``undecided``.
    """

    time_limit: float
    mip_rel_gap: float
    start: Mapping[str, int] | None = None
    deadline: float | None = None
    count: int = 0
    unproven: int = 0
    cut_short: bool = False
    undecided: int = 0

    def _left(self) -> float:
        """Seconds the next re-solve may take."""
        if self.deadline is None:
            return self.time_limit
        return min(self.time_limit, self.deadline - perf_counter())

    def solve(self, problem: RoadmapProblem) -> RoadmapSolution:
        """:func:`solve_roadmap` with the question's limits (a conflict counts as proven)."""
        self.count += 1
        solution = solve_roadmap(
            problem,
            time_limit=max(self._left(), LEAST_SECONDS),
            mip_rel_gap=self.mip_rel_gap,
            start=self.start,
        )
        self.unproven += not solution.optimal
        return solution

    def has(self, problem: RoadmapProblem, item_id: str) -> bool:
        """Whether ``item_id`` is in the optimal plan of ``problem`` ("not in" past the budget)."""
        if self._left() <= 0:
            self.cut_short = True
            return False
        try:
            solution = self.solve(problem)
        except PlanConflictError:
            return False
        if item_id in solution.placements:
            return True
        within = solution.gap * max(abs(solution.objective), 1e-9)
        item = next(i for i in problem.items if i.id == item_id)
        self.undecided += 0.0 < _stake(problem, item) <= within
        return False


def _stake(problem: RoadmapProblem, item: Item) -> float:
    """The most planning ``item`` could add to a plan.

    Its own value from its best start, and the whole value of every deal it is needed for.
    """
    own = max((problem.start_value(item, s) for s in problem.starts(item)), default=0.0)
    return max(0.0, own) + sum(max(0.0, b.value) for b in problem.bundles_of(item.id))


def _with_item(problem: RoadmapProblem, item: Item) -> RoadmapProblem:
    return replace(problem, items=[item if i.id == item.id else i for i in problem.items])


def capacity_windows(
    problem: RoadmapProblem, item: Item, solution: RoadmapSolution
) -> list[tuple[int, list[float]]]:
    """Where more capacity could bring an item in, and how much each period lacks.

    For every run of ``length`` consecutive periods of the item's team, ``length`` from 1
    to the longest the item takes from any start (more capacity never lengthens it), the
    usable weeks each period
    of the run lacks for the item to take ``effort / length`` weeks there on top of what
    the plan already uses (and within ``max_period_share``). Runs lacking nothing are left
    out: capacity is not what keeps the item out there.

    Returns:
        ``(first period index, weeks lacking in each period of the run)`` per run.
    """
    periods = len(problem.periods)
    usable = problem.usable(item.team)
    used = solution.used.get(item.team, [0.0] * periods)
    windows = []
    longest = max([1, problem.duration(item), *problem.spans(item).values()])
    for length in range(1, longest + 1):
        load = item.effort / length
        for start in range(periods - length + 1):
            lacking = [
                max(0.0, load - (usable[q] - used[q]), load / problem.max_period_share - usable[q])
                for q in range(start, start + length)
            ]
            if sum(lacking) > 1e-9:
                windows.append((start, lacking))
    return windows


def _bisect(low: float, high: float, tol: float, inside: object) -> float:
    """Smallest x in (low, high] with ``inside(x)`` true, to ``tol`` (``inside(high)`` holds)."""
    assert callable(inside)
    while high - low > tol:
        mid = (low + high) / 2
        if inside(mid):
            high = mid
        else:
            low = mid
    return high


def why_not(
    problem: RoadmapProblem,
    solution: RoadmapSolution,
    item_id: str,
    *,
    time_limit: float = 30.0,
    mip_rel_gap: float = 1e-4,
    tolerance: float = 0.5,
    budget: float | None = None,
) -> WhyNotResult:
    """Force ``item_id`` in, compare, and search the smallest change that brings it in.

    Each change is found by exact re-solves: bisection on the item's effort (the largest that gets
    in, to ``tolerance`` weeks), on its value (to 1%), and on capacity added to its team over each
    run of consecutive periods it could occupy, spread as those periods lack it (to ``tolerance``
    weeks in total; :func:`capacity_windows`). Bisection takes a change that brings the item
    in to keep it in when made larger; for capacity that can fail (extra room can let other
    items regroup and win), so in such cases a smaller working amount may exist below the
    one reported.

    ``budget`` caps the seconds all re-solves take together (None: each gets
    ``time_limit``). The forced re-solve always runs (for at least ``LEAST_SECONDS``); the
    searches stop where the budget runs out (see :class:`_ReSolves`) and the result says
    so (``cut_short``).
    """
    item = next(i for i in problem.items if i.id == item_id)
    if item_id in solution.placements:
        return WhyNotResult(True, True, "already planned", 0.0, [], [], [])
    solves = _ReSolves(
        time_limit,
        mip_rel_gap,
        start={i: p.start for i, p in solution.placements.items()},
        deadline=None if budget is None else perf_counter() + budget,
    )
    forced_problem = _with_item(problem, replace(item, must=True))
    try:
        forced = solves.solve(forced_problem)
        feasible, reason = True, "forced in"
    except PlanConflictError as exc:
        forced, feasible, reason = None, False, _forced_reason(item_id, exc)
    displaced: list[str] = []
    moved: list[tuple[str, str, str]] = []
    added: list[str] = []
    lost = 0.0
    if forced is not None:
        lost = solution.objective - forced.objective
        for other, placed in solution.placements.items():
            now = forced.placements.get(other)
            if now is None:
                displaced.append(other)
            elif now.start != placed.start:
                moved.append((other, problem.periods[placed.start], problem.periods[now.start]))
        added = sorted(
            i for i in forced.placements if i not in solution.placements and i != item_id
        )
    changes: list[Change] = []

    def result() -> WhyNotResult:
        capacity = sorted((c for c in changes if c.kind == "capacity"), key=lambda c: c.amount)
        others = [c for c in changes if c.kind != "capacity"]
        return WhyNotResult(
            False,
            feasible,
            reason,
            lost,
            displaced,
            moved,
            others + capacity,
            added,
            resolves=solves.count,
            unproven=solves.unproven,
            cut_short=solves.cut_short,
            undecided=solves.undecided,
        )

    if item.forbidden is not None:
        return result()

    def test(p: RoadmapProblem) -> bool:
        return solves.has(p, item_id)

    stake = problem.has_stake(item)
    if stake and test(_with_item(problem, replace(item, effort=tolerance))):
        low, high = tolerance, item.effort  # in at low, out at high
        while high - low > tolerance:
            mid = (low + high) / 2
            if test(_with_item(problem, replace(item, effort=mid))):
                low = mid
            else:
                high = mid
        changes.append(
            Change(
                "effort",
                round(low, 2),
                f"cut its effort from {item.effort:g} to {low:.1f} weeks",
            )
        )
    if forced is not None:
        high = max(item.value, 1.0)
        while not test(_with_item(problem, replace(item, value=high))) and high < 1e15:
            high *= 2
        if high < 1e15:
            needed = _bisect(
                item.value,
                high,
                max(1.0, 0.01 * high),
                lambda v: test(_with_item(problem, replace(item, value=v))),
            )
            changes.append(Change("value", round(needed, 0), _value_change(problem, item, needed)))
    if stake:
        changes.extend(_capacity_changes(problem, item, solution, test, tolerance))
        for prerequisite in _finishing_too_late(problem, item, solution):
            changes.extend(
                _capacity_changes(problem, prerequisite, solution, test, tolerance, bringing=item)
            )
    return result()


def _value_change(problem: RoadmapProblem, item: Item, needed: float) -> str:
    """The value change that brings an item in, in words."""
    deals = [b.id for b in problem.bundles_of(item.id)]
    if deals and item.value <= 0:
        return (
            f"be worth {money(needed)} on its own: it counts now only through the deal(s) "
            f"of {', '.join(deals)}, which it does not close in the best plan"
        )
    if item.value <= 0 and needed <= 1.0:
        return (
            "give it any value above zero: there is room for it, but an item worth nothing "
            "is left out"
        )
    return f"raise its weighted value from {money(item.value)} to {money(needed)}"


def _finishing_too_late(
    problem: RoadmapProblem, item: Item, solution: RoadmapSolution
) -> list[Item]:
    """Planned prerequisites after whose end the item has no start left (see deferred_reason)."""
    by_id = {i.id: i for i in problem.items}
    ends = {x: solution.placements[x].end for x in item.depends_on if x in solution.placements}
    if not ends:
        return []
    ready = max(ends.values()) + 1
    if any(s >= ready for s in problem.starts(item)):
        return []
    return [by_id[x] for x, end in sorted(ends.items()) if end + 1 == ready]


def _capacity_changes(
    problem: RoadmapProblem,
    item: Item,
    solution: RoadmapSolution,
    test: Callable[[RoadmapProblem], bool],
    tolerance: float,
    *,
    bringing: Item | None = None,
) -> list[Change]:
    """The smallest capacity additions, one per run of periods, that bring the item in.

    Along each run of :func:`capacity_windows`, the weeks it lacks are scaled by a factor in
    (0, 1] (at 1 the item fits without displacing anything) and the smallest factor that
    brings the item into the optimal plan is found by bisection over exact re-solves, to
    ``tolerance`` weeks in total. Runs where even the full amount does not bring it in
    (capacity is not what keeps it out) are left out. With ``bringing``, ``item`` is a
    prerequisite of it that finishes too late: the runs are where the prerequisite could
    go earlier, and ``test`` asks whether ``bringing`` gets in.
    """
    keep = 1.0 - problem.reserve
    periods = len(problem.periods)
    changes = []
    for start, lacking in capacity_windows(problem, item, solution):

        def grown(scale: float, start: int = start, lacking: list[float] = lacking) -> bool:
            row = list(problem.capacity.get(item.team, [0.0] * periods))
            for offset, weeks in enumerate(lacking):
                row[start + offset] += scale * weeks / keep
            return test(replace(problem, capacity={**problem.capacity, item.team: row}))

        total = sum(lacking)
        if not grown(1.0):
            continue
        scale = _bisect(0.0, 1.0, tolerance / total, grown)
        names = problem.periods[start : start + len(lacking)]
        weeks = {name: round(scale * w, 2) for name, w in zip(names, lacking, strict=True)}
        where = (
            f"in {names[0]}"
            if len(names) == 1
            else f"over {names[0]}-{names[-1]} ("
            + ", ".join(f"{w:.1f} in {name}" for name, w in weeks.items() if w >= 0.05)
            + ")"
        )
        so = f", so its prerequisite {item.id} can finish earlier" if bringing else ""
        changes.append(
            Change(
                "capacity",
                round(scale * total, 2),
                f"add {scale * total:.1f} usable weeks to team {item.team} {where}{so}",
                team=item.team,
                period=names[0],
                weeks=weeks,
            )
        )
    return changes
