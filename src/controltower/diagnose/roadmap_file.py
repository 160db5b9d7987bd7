"""A hand-made roadmap (``roadmap.csv``: capability_id, period, team) as roadmap entries.

The file is checked as a whole: a missing column, an unknown or shipped capability id, an
engine proposal with no effort yet, an unknown period or team, or a capability listed
twice refuses it with every problem named by file, line and column; nothing is written.

Each row becomes a :class:`~controltower.optimize.RoadmapEntry` the detectors audit like
the optimizer's: ``period`` is the row's period (the first the item occupies); the
number of periods it spans is the optimizer's rule for its effort, the row's team and
that start (:meth:`~controltower.optimize.model.RoadmapProblem.span`; where it fits no
run from there, the fewest periods at the team's peak), its effort spread evenly
over them and cut at the last planning period; when the team has no usable capacity the
span cannot be derived and the whole effort is loaded on ``period`` (``end_period`` =
``period``). Status is now / next / later by the position of ``period`` among the
planning periods. Candidates not in the file are ``deferred`` (``refused`` when the
optimizer could never plan them), and capacity use is recomputed from the file's loads.
A row the optimizer would leave out (a standing decision defers it, or it needs one that
is) stays planned as the file says, its reason naming the hold, so the audit judges the
roadmap the file gives and ``coordination-breakdown`` flags it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from controltower.errors import BundleError, InputError, Problem
from controltower.ingest.csvfile import CsvFile
from controltower.optimize import RoadmapEntry, TeamLoad, left_out_entries, sort_entries
from controltower.optimize.explain import status_of
from controltower.optimize.model import Item, RoadmapProblem, bundle_credit, completed_bundles
from controltower.optimize.problem import (
    PlanningRows,
    build_problem,
    item_of,
    load_rows,
    planning_periods,
)
from controltower.settings import Settings
from controltower.value import Evaluation
from controltower.value.model import shipped_on
from controltower.workspace import Workspace

__all__ = [
    "COLUMNS",
    "AuditedRoadmap",
    "RoadmapFileError",
    "RoadmapRow",
    "audit_roadmap",
    "load_roadmap_file",
    "read_roadmap_file",
    "roadmap_entries",
]

COLUMNS = ("capability_id", "period", "team")


class RoadmapFileError(BundleError):
    """A roadmap file was refused as a whole; it carries every problem found."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(problems)
        shown = "\n".join(str(p) for p in problems)
        self.args = (f"the roadmap file was refused: {self.total} problem(s)\n{shown}",)


@dataclass(frozen=True)
class RoadmapRow:
    """One checked row of a roadmap file.

    Attributes:
        line: Line of the file the row starts on.
        capability_id: The candidate.
        period: Its first period.
        team: The team that builds it.
    """

    line: int
    capability_id: str
    period: str
    team: str


@dataclass(frozen=True)
class AuditedRoadmap:
    """A roadmap file as entries and capacity use, ready for the detectors."""

    source: str
    entries: list[RoadmapEntry]
    capacity: list[TeamLoad]


class _Checker:
    """Checks one roadmap file's rows against the workspace's capabilities, periods and teams."""

    def __init__(self, name: str, rows: PlanningRows, periods: list[str]) -> None:
        self.name = name
        self.problems: list[Problem] = []
        self.capabilities = rows.capabilities
        self.periods = periods
        self.teams = {t.team for t in rows.teams} | {c.team for c in rows.capabilities.values()}
        self.seen: dict[str, int] = {}

    def problem(self, line: int, column: str, message: str) -> None:
        self.problems.append(Problem(self.name, line, column, message))

    def header(self, header: list[str]) -> bool:
        missing = [c for c in COLUMNS if c not in header]
        for column in missing:
            self.problem(1, column, f"required column missing (columns: {', '.join(COLUMNS)})")
        return not missing

    def capability(self, line: int, capability_id: str) -> bool:
        if capability_id in self.seen:
            self.problem(
                line,
                "capability_id",
                f"{capability_id!r} is listed twice (first on line {self.seen[capability_id]})",
            )
            return False
        self.seen[capability_id] = line
        capability = self.capabilities.get(capability_id)
        if capability is None:
            self.problem(
                line,
                "capability_id",
                f"unknown capability id {capability_id!r}: not in capabilities.csv (an "
                "engine proposal needs a team and an effort there before it can be planned)",
            )
            return False
        shipped = shipped_on(capability)
        if shipped is not None:
            self.problem(line, "capability_id", f"{capability_id!r} already shipped on {shipped}")
            return False
        return True

    def row(self, line: int, cells: dict[str, str]) -> RoadmapRow | None:
        values = {c: (cells.get(c) or "").strip() for c in COLUMNS}
        for column, value in values.items():
            if not value:
                self.problem(line, column, "required value is empty")
        if not all(values.values()):
            return None
        ok = self.capability(line, values["capability_id"])
        if values["period"] not in self.periods:
            self.problem(
                line,
                "period",
                f"unknown period {values['period']!r}; the planning periods are "
                + (", ".join(self.periods) or "none (import teams.csv or set planning.periods)"),
            )
            ok = False
        if values["team"] not in self.teams:
            self.problem(
                line,
                "team",
                f"unknown team {values['team']!r}; teams.csv and capabilities.csv name "
                + ", ".join(sorted(self.teams)),
            )
            ok = False
        return RoadmapRow(line, **values) if ok else None


def read_roadmap_file(
    workspace: Workspace, path: Path, settings: Settings | None = None
) -> list[RoadmapRow]:
    """Read and check every row of a roadmap file against the workspace.

    Raises:
        InputError: The file does not exist.
        RoadmapFileError: The header or any row is wrong (every problem, by file, line,
            column; a :class:`BundleError`, so exit code 2).
    """
    if not path.is_file():
        raise InputError(f"no roadmap file {path}")
    settings = settings or workspace.settings
    planning = load_rows(workspace)
    checker = _Checker(path.name, planning, planning_periods(settings, planning.teams))
    reader = CsvFile(
        path, report=checker.problems.append, max_cell_chars=settings.ingest.max_cell_chars
    )
    rows: list[RoadmapRow] = []
    header_ok: bool | None = None
    for record in reader.records():
        if header_ok is None:
            header_ok = checker.header(reader.header)
        if header_ok:
            row = checker.row(record.line, record.cells)
            if row is not None:
                rows.append(row)
    if header_ok is None and not checker.problems:
        checker.header(reader.header)
    if checker.problems:
        raise RoadmapFileError(sorted(checker.problems))
    return rows


def _planned_entry(
    problem: RoadmapProblem,
    item: Item,
    row: RoadmapRow,
    name: str,
    source: str,
    verdict: str = "refuse it",
) -> RoadmapEntry:
    notes = [f"from {source} line {row.line}"]
    if row.team != item.team:
        notes.append(f"built by {row.team} instead of {item.team} (capabilities.csv)")
        item = replace(item, team=row.team)
    start = problem.periods.index(row.period)
    # The optimizer's rule from this start; where the item fits no run from there, the
    # fewest periods its effort needs at the team's peak (the file overloads the team).
    span = problem.span(item, start) or problem.duration(item)
    last = len(problem.periods) - 1
    if span == 0:
        end = start
        notes.append(f"team {row.team} has no usable capacity: all {item.effort:g} weeks put in")
        load = {row.period: item.effort}
    else:
        end = min(start + span - 1, last)
        if start + span - 1 > last:
            notes.append(f"needs {span} period(s): runs past the last planning period")
        load = {problem.periods[p]: item.effort / span for p in range(start, end + 1)}
    if item.forbidden:
        notes.append(f"the optimizer would {verdict}: {item.forbidden}")
    return RoadmapEntry(
        capability_id=item.id,
        name=name,
        team=row.team,
        period=row.period,
        end_period=problem.periods[end],
        effort_weeks=item.effort,
        load=load,
        status=status_of(start),
        reason="; ".join(notes),
        value=item.value,
        planned_value=item.value * problem.discount ** (start + max(span, 1) - 1),
    )


def roadmap_entries(
    rows: list[RoadmapRow],
    evaluation: Evaluation,
    problem: RoadmapProblem,
    left_out: dict[str, str],
    source: str,
    held: Sequence[Item] = (),
    settings: Settings | None = None,
) -> AuditedRoadmap:
    """Entries for every candidate (the file's rows planned, the others not) and capacity use.

    ``held`` are items for the file's rows that the problem leaves out (in ``left_out``):
    they are planned as the file says, their reason naming why the optimizer would not.
    """
    names = {c.id: c.name for c in evaluation.candidates}
    by_id = {r.capability_id: r for r in rows}
    entries: list[RoadmapEntry] = []
    held_ids = {item.id for item in held}
    for item in [*problem.items, *held]:
        row = by_id.get(item.id)
        if row is not None:
            verdict = "leave it out" if item.id in held_ids else "refuse it"
            name = names.get(item.id, item.id)
            entries.append(_planned_entry(problem, item, row, name, source, verdict))
            continue
        entries.append(
            RoadmapEntry(
                capability_id=item.id,
                name=names.get(item.id, item.id),
                team=item.team,
                period=None,
                end_period=None,
                effort_weeks=item.effort,
                load={},
                status="refused" if item.forbidden else "deferred",
                reason=item.forbidden or f"not in {source}",
                value=item.value,
            )
        )
    entries = _with_bundle_credit(replace(problem, items=[*problem.items, *held]), entries)
    still_out = {k: v for k, v in left_out.items() if k not in held_ids}
    entries = sort_entries([*entries, *left_out_entries(evaluation, still_out, settings)])
    return AuditedRoadmap(source=source, entries=entries, capacity=_capacity(problem, entries))


def _with_bundle_credit(problem: RoadmapProblem, entries: list[RoadmapEntry]) -> list[RoadmapEntry]:
    """Credit each account deal the file completes to the entry that completes it.

    That is the deal's last required item to finish, as the optimizer credits it (the
    bundle value mode; in the additive mode there are no deals and nothing changes).
    """
    ends = {
        e.capability_id: problem.periods.index(e.end_period)
        for e in entries
        if e.end_period is not None
    }
    done = completed_bundles(problem, ends)
    if not done:
        return entries
    return [
        e.model_copy(update={"planned_value": e.planned_value + credit})
        if (credit := bundle_credit(problem, e.capability_id, ends, done))
        else e
        for e in entries
    ]


def _capacity(problem: RoadmapProblem, entries: list[RoadmapEntry]) -> list[TeamLoad]:
    teams = sorted(set(problem.capacity) | {e.team for e in entries if e.load and e.team})
    used = {(team, period): 0.0 for team in teams for period in problem.periods}
    for entry in entries:
        for period, weeks in entry.load.items():
            used[(entry.team or "", period)] += weeks
    return [
        TeamLoad(
            team=team,
            period=period,
            capacity=problem.capacity.get(team, [0.0] * len(problem.periods))[p],
            usable=problem.usable(team)[p],
            used=used[(team, period)],
        )
        for team in teams
        for p, period in enumerate(problem.periods)
    ]


def audit_roadmap(
    workspace: Workspace,
    rows: list[RoadmapRow],
    evaluation: Evaluation,
    source: str,
    settings: Settings | None = None,
) -> AuditedRoadmap:
    """Turn checked roadmap rows into entries and capacity use (see the module docstring)."""
    settings = settings or workspace.settings
    planning = load_rows(workspace)
    problem, left_out = build_problem(evaluation, planning, settings)
    held = _held_items(rows, evaluation, planning, left_out, settings)
    return roadmap_entries(rows, evaluation, problem, left_out, source, held, settings)


def _held_items(
    rows: list[RoadmapRow],
    evaluation: Evaluation,
    planning: PlanningRows,
    left_out: dict[str, str],
    settings: Settings,
) -> list[Item]:
    """Items for the file's rows the optimizer leaves out, each forbidden with the reason."""
    items = []
    for row in rows:
        capability = planning.capabilities.get(row.capability_id)
        candidate = evaluation.candidate(row.capability_id)
        if row.capability_id not in left_out or capability is None or candidate is None:
            continue
        items.append(
            item_of(candidate, capability, settings, forbidden=left_out[row.capability_id])
        )
    return items


def load_roadmap_file(
    workspace: Workspace, path: Path, evaluation: Evaluation, settings: Settings | None = None
) -> AuditedRoadmap:
    """Read, check and convert a roadmap CSV in one call.

    Args:
        workspace: The workspace whose capabilities, periods and teams the file names.
        path: The roadmap CSV (capability_id, period, team).
        evaluation: The workspace's evaluation.
        settings: Settings for periods, reserve and discounting (default: the workspace's).

    Raises:
        InputError: The file is missing.
        RoadmapFileError: The file is refused; every problem names the file, line and column.
    """
    rows = read_roadmap_file(workspace, path, settings)
    return audit_roadmap(workspace, rows, evaluation, path.name, settings)
