"""Validate and import a bundle: every file checked, all problems collected, one transaction.

A bundle is read in one streaming pass per file, in the order of
:data:`~controltower.ingest.contract.SPECS` (targets before the files that refer to them).
Rows are upserted in batches inside a single transaction as they are checked; the first
problem stops the writing, the checking goes on to collect every problem (listing up to
``ingest.max_problems``), and the transaction is rolled back: nothing is half-written.
The decision log, ``decisions.jsonl``, is read last, one JSON object per line, and
appended in the same transaction (a decision already stored must be identical).
"""

from __future__ import annotations

import functools
import graphlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from operator import attrgetter
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails
from sqlalchemy import Connection

from controltower.decisions import store as decision_store
from controltower.decisions.log import DECISIONS_FILE, LogChecker
from controltower.decisions.models import Decision
from controltower.domain import Capability, ColumnError, Deployment, Row
from controltower.errors import BundleError, InputError, Problem
from controltower.ingest.contract import (
    IGNORED_FILES,
    SETTINGS_FILE,
    SPECS,
    FileSpec,
    Reference,
)
from controltower.ingest.csvfile import CsvFile
from controltower.ingest.jsonlines import read_json_lines
from controltower.ingest.writer import ProcessWriter, ThreadWriter, Writer
from controltower.settings import ImportSettings, Settings, overlay_settings, settings_changes
from controltower.store import rows as store
from controltower.workspace import Workspace

log = logging.getLogger(__name__)

BATCH_ROWS = 5_000

Progress = Callable[[str, int], None]
"""Called as ``progress(file name, rows read so far)`` while a file is read."""


@dataclass
class FileReport:
    """What happened to one file of a bundle."""

    file: str
    rows: int = 0
    counts: store.UpsertCounts = field(default_factory=store.UpsertCounts)

    @property
    def inserted(self) -> int:
        """Rows that were new."""
        return self.counts.inserted

    @property
    def updated(self) -> int:
        """Rows that changed."""
        return self.counts.updated

    @property
    def unchanged(self) -> int:
        """Rows identical to what the workspace held."""
        return self.counts.unchanged


@dataclass
class ImportReport:
    """The outcome of validating or importing a bundle.

    Attributes:
        bundle: The bundle folder.
        written: Whether anything was written (False for ``validate``).
        files: One report per contract file found, in import order.
        settings: When the bundle carried ``workspace.toml``: the workspace's settings with
            the keys that file sets (the keys it omits keep their current values).
        settings_changed: The settings that differ from the workspace's, ``key old -> new``.
        ignored: Files present but not imported (for example ``roadmap.csv``).
    """

    bundle: Path
    written: bool
    files: list[FileReport] = field(default_factory=list)
    settings: Settings | None = None
    settings_changed: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)

    @property
    def rows(self) -> int:
        """Data rows read across all files."""
        return sum(report.rows for report in self.files)


class _Problems:
    """Collects problems, keeping the first ``limit`` and counting all."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.shown: list[Problem] = []
        self.total = 0

    def __call__(self, problem: Problem) -> None:
        self.total += 1
        if len(self.shown) < self.limit:
            self.shown.append(problem)

    def raise_if_any(self) -> None:
        if self.total:
            raise BundleError(sorted(self.shown, key=_problem_order), self.total)


_FILE_ORDER = {spec.filename: index for index, spec in enumerate(SPECS)} | {
    DECISIONS_FILE: len(SPECS)
}


def _problem_order(problem: Problem) -> tuple[int, int]:
    return (_FILE_ORDER.get(problem.file, -1), problem.row)


@dataclass
class _Known:
    """Ids known so far, from the workspace and from the files of the bundle already read."""

    ids: dict[str, set[str]] = field(default_factory=dict)
    deployment_account: dict[str, str] = field(default_factory=dict)
    capability_deps: dict[str, list[str]] = field(default_factory=dict)
    capability_excludes: dict[str, list[str]] = field(default_factory=dict)
    empty: set[str] = field(default_factory=set)
    """Tables with no rows before the import (their rows can be inserted without look-ups)."""
    decisions: list[Decision] = field(default_factory=list)
    """The workspace's decision log."""

    @classmethod
    def from_store(cls, connection: Connection | None) -> _Known:
        known = cls(ids={spec.entity: set() for spec in SPECS})
        if connection is None:
            return known
        known.empty = {
            spec.entity for spec in SPECS if not store.count_rows(connection=connection, spec=spec)
        }
        for spec in SPECS:
            if _is_reference_target(spec.entity):
                known.ids[spec.entity] = store.column_values(
                    connection=connection, entity=spec.entity, column=spec.key[0]
                )
        known.deployment_account = store.column_map(
            connection=connection, entity="deployments", key="deployment_id", value="account_id"
        )
        known.capability_deps = store.column_map(
            connection=connection, entity="capabilities", key="capability_id", value="depends_on"
        )
        known.capability_excludes = store.column_map(
            connection=connection, entity="capabilities", key="capability_id", value="excludes"
        )
        known.decisions = decision_store.load_decisions(connection=connection)
        return known


def _is_reference_target(entity: str) -> bool:
    return any(ref.target == entity for spec in SPECS for ref in spec.references)


@functools.cache
def _refers_to_itself(spec: FileSpec) -> bool:
    return any(reference.target == spec.entity for reference in spec.references)


@functools.cache
def _contract_columns(spec: FileSpec) -> frozenset[str]:
    return frozenset(spec.columns)


def _message(error: ErrorDetails) -> tuple[str, str]:
    """Turn one pydantic error into ``(column, message)``."""
    location = error["loc"]
    column = str(location[0]) if location else "-"
    if error["type"] == "missing":
        return column, "a value is required but the cell is empty"
    message = error["msg"].removeprefix("Value error, ")
    if location and error["type"] != "value_error":
        message = f"{message} (got {error['input']!r})"
    cause = error.get("ctx", {}).get("error")
    if isinstance(cause, ColumnError):
        column = cause.column
    return column, message


class _BundleReader:
    """One pass over a bundle: checks every file, and writes when given a connection."""

    def __init__(
        self,
        bundle: Path,
        *,
        known: _Known,
        writer: Writer | None,
        limits: ImportSettings,
        progress: Progress | None = None,
    ) -> None:
        self.bundle = bundle
        self.progress = progress
        self.writer = writer
        self.limits = limits
        self.problems = _Problems(limits.max_problems)
        self.known = known

    @property
    def writing(self) -> bool:
        return self.writer is not None and self.problems.total == 0

    def read_file(self, spec: FileSpec) -> FileReport:
        report = FileReport(spec.filename)
        csv_file = CsvFile(
            self.bundle / spec.filename,
            report=self.problems,
            max_cell_chars=self.limits.max_cell_chars,
        )
        seen: set[Any] = set()
        deferred: list[tuple[int, Row]] = []
        batch: list[store.Values] = []
        new_ids: set[str] = set()
        header_checked = False
        table_was_empty = spec.entity in self.known.empty
        self_referring = _refers_to_itself(spec)
        contract = _contract_columns(spec)
        present: list[str] = []
        extras: list[str] = []
        key_of = attrgetter(*spec.key)
        single_key = len(spec.key) == 1
        outward = tuple(
            (r, attrgetter(r.column), self.known.ids.setdefault(r.target, set()))
            for r in spec.references
            if r.target != spec.entity
        )
        owned = "deployment_id" in spec.columns and spec.entity != "deployments"
        is_target = _is_reference_target(spec.entity)
        for record in csv_file.records():
            if not header_checked:
                header_checked = True
                if not self._check_header(spec, csv_file.header):
                    return report
                present = [name for name in csv_file.header if name in contract]
                extras = [name for name in csv_file.header if name not in contract]
            report.rows += 1
            if self.progress is not None and report.rows % BATCH_ROWS == 0:
                self.progress(spec.filename, report.rows)
            row = self._validate(spec, record.line, record.cells, present, extras)
            if row is None:
                # Still known, so rows referring to it are not reported as well.
                new_ids.add(record.cells.get(spec.key[0], "").strip())
                continue
            key = key_of(row)
            if key in seen:
                parts = (key,) if single_key else key
                # The cells as written (2026-11-01), not Python reprs of the parsed values.
                shown = ", ".join(
                    f"{c}={record.cells.get(c, str(v)).strip()!r}"
                    for c, v in zip(spec.key, parts, strict=True)
                )
                self._problem(spec, record.line, spec.key[0], f"duplicate id ({shown})")
                continue
            seen.add(key)
            if is_target:
                new_ids.add(str(key if single_key else key[0]))
            if isinstance(row, Deployment):
                self.known.deployment_account[row.deployment_id] = row.account_id
            for reference, value_of, targets in outward:
                value = value_of(row)
                if value is not None and not (isinstance(value, str) and value in targets):
                    self._check_reference(spec, record.line, row, reference)
            if owned and getattr(row, "deployment_id", None) is not None:
                self._check_deployment_owner(spec, record.line, row)
            if self_referring:
                deferred.append((record.line, row))
            if self.writing:
                batch.append(store.to_values(row, spec))
                if len(batch) >= BATCH_ROWS:
                    self._flush(spec, batch, report, all_new=table_was_empty)
                    batch = []
        if not header_checked:
            self._check_header(spec, csv_file.header)
        self.known.ids.setdefault(spec.entity, set()).update(new_ids)
        for line, row in deferred:
            self._check_self_references(spec, line, row)
        if spec.entity == "capabilities":
            self._check_cycles(spec, deferred)
            self._check_excluded_prerequisites(spec, deferred)
        if self.writing:
            self._flush(spec, batch, report, all_new=table_was_empty)
        if self.progress is not None:
            self.progress(spec.filename, report.rows)
        return report

    def read_decisions(self) -> FileReport:
        """Check ``decisions.jsonl`` line by line; append the new decisions when writing."""
        report = FileReport(DECISIONS_FILE)
        checker = LogChecker(self.known.decisions)
        new: list[store.Record] = []
        lines = read_json_lines(self.bundle / DECISIONS_FILE, report=self.problems)
        for line, payload in lines:
            report.rows += 1
            checked = checker.check(line, payload)
            for column, message in checked.problems:
                self.problems(Problem(DECISIONS_FILE, line, column, message))
            if checked.decision is None:
                continue
            if checked.new:
                new.append(decision_store.to_record(checked.decision))
            else:
                report.counts.unchanged += 1
        if self.writing and new and self.writer is not None:
            self.writer.submit_append("decisions", new, report.counts)
        return report

    def _problem(self, spec: FileSpec, line: int, column: str, message: str) -> None:
        self.problems(Problem(spec.filename, line, column, message))

    def _check_header(self, spec: FileSpec, header: list[str]) -> bool:
        if not header:
            return False
        missing = [column for column in spec.required_columns if column not in header]
        for column in missing:
            self._problem(
                spec,
                1,
                column,
                f"required column is missing; the header must name "
                f"{', '.join(spec.required_columns)}",
            )
        return not missing

    def _validate(
        self,
        spec: FileSpec,
        line: int,
        cells: dict[str, str],
        present: list[str],
        extras: list[str],
    ) -> Row | None:
        """Validate one row: contract columns (empty cells left out) and extra attributes."""
        values: dict[str, Any] = {
            name: value for name in present if (value := cells.get(name, "").strip())
        }
        values["attributes"] = {name: cells.get(name, "") for name in extras} if extras else {}
        try:
            return spec.model.model_validate(values)
        except ValidationError as exc:
            for error in exc.errors():
                column, message = _message(error)
                self._problem(spec, line, column, message)
            return None

    def _check_self_references(self, spec: FileSpec, line: int, row: Row) -> None:
        """Check a row's references to other rows of its own file (once it is all read)."""
        for reference in spec.references:
            if reference.target == spec.entity:
                self._check_reference(spec, line, row, reference)

    def _check_deployment_owner(self, spec: FileSpec, line: int, row: Row) -> None:
        """A row's deployment, when it names one, must belong to the row's account."""
        deployment_id = getattr(row, "deployment_id", None)
        account_id = getattr(row, "account_id", None)
        if deployment_id is None:
            return
        owner = self.known.deployment_account.get(deployment_id)
        if owner is not None and owner != account_id:
            self._problem(
                spec,
                line,
                "deployment_id",
                f"deployment {deployment_id!r} belongs to account {owner!r}, not {account_id!r}",
            )

    def _check_reference(self, spec: FileSpec, line: int, row: Row, reference: Reference) -> None:
        value = getattr(row, reference.column)
        if value is None:
            return
        targets = self.known.ids.get(reference.target, set())
        if isinstance(value, str):
            if value in targets or (reference.only_if_target_known and not targets):
                return
            values = [value]
        else:
            if reference.only_if_target_known and not targets:
                return
            values = [str(item) for item in value]
        for value in values:
            if value not in targets:
                self._problem(
                    spec,
                    line,
                    reference.column,
                    f"{value!r} is not a known {_singular(reference.target)} "
                    f"(not in {reference.target}.csv of the bundle or the workspace)",
                )

    def _check_cycles(self, spec: FileSpec, rows: list[tuple[int, Row]]) -> None:
        graph, lines = _with_rows(self.known.capability_deps, rows, "depends_on")
        try:
            graphlib.TopologicalSorter(graph).prepare()
        except graphlib.CycleError as exc:
            cycle = [str(node) for node in exc.args[1]]
            self._problem(
                spec,
                # the first row of the cycle in this bundle (others may be workspace rows)
                next((lines[node] for node in cycle if node in lines), 0),
                "depends_on",
                f"dependency cycle: {' -> '.join(cycle)}",
            )
        self.known.capability_deps = graph

    def _check_excluded_prerequisites(self, spec: FileSpec, rows: list[tuple[int, Row]]) -> None:
        """A capability that needs a capability it excludes (either side) can never be planned."""
        excludes, lines = _with_rows(self.known.capability_excludes, rows, "excludes")
        self.known.capability_excludes = excludes
        for cap, needs in self.known.capability_deps.items():
            for dep in needs:
                clash = dep in excludes.get(cap, ()) or cap in excludes.get(dep, ())
                if not clash or (cap not in lines and dep not in lines):
                    continue
                if cap in lines:  # the dependent's row: its excludes or its depends_on
                    line, column = lines[cap], "excludes" if dep in excludes[cap] else "depends_on"
                else:  # the prerequisite's row excludes the dependent
                    line, column = lines[dep], "excludes"
                self._problem(
                    spec,
                    line,
                    column,
                    f"{cap} depends on {dep} but the two exclude each other, so {cap} could "
                    "never be planned",
                )

    def _flush(
        self, spec: FileSpec, batch: list[store.Values], report: FileReport, *, all_new: bool
    ) -> None:
        if batch and self.writing and self.writer is not None:
            self.writer.submit(spec, batch, report.counts, all_new=all_new)


def _bundle_files(bundle: Path, problems: _Problems) -> tuple[list[FileSpec], list[str]]:
    """Check the bundle's file list; return the specs present and the files ignored."""
    if not bundle.is_dir():
        raise InputError(f"{bundle} is not a folder; a bundle is a folder of CSV files")
    by_name = {spec.filename: spec for spec in SPECS}
    names = sorted(path.name for path in bundle.iterdir() if path.is_file())
    meant = {
        expected.split(".", 1)[0]: expected
        for expected in [*by_name, SETTINGS_FILE, DECISIONS_FILE]
    }
    ignored: list[str] = []
    for name in names:
        if name in by_name or name in (SETTINGS_FILE, DECISIONS_FILE):
            continue
        if name in IGNORED_FILES:
            ignored.append(name)
            continue
        lowered = name.lower()
        expected = meant.get(lowered.split(".", 1)[0])
        if expected is not None:
            # Workspace.toml, workspace.tml, decisions.json, usage.csv.txt, themes.tsv:
            # meant as a file of the contract, but it would be skipped
            problems(Problem(name, 0, "-", f"not read: the file must be named {expected}"))
        elif lowered.endswith(".csv"):
            problems(
                Problem(
                    name,
                    0,
                    "-",
                    "not a file of the import contract; expected one of "
                    + ", ".join(sorted(by_name)),
                )
            )
    for spec in SPECS:
        if spec.required_file and spec.filename not in names:
            problems(Problem(spec.filename, 0, "-", "required file is missing from the bundle"))
    return [spec for spec in SPECS if spec.filename in names], ignored


def _bundle_settings(bundle: Path, problems: _Problems, base: Settings) -> Settings | None:
    """The workspace's settings with the keys the bundle's ``workspace.toml`` sets."""
    path = bundle / SETTINGS_FILE
    if not path.exists():
        return None
    try:
        return overlay_settings(base, path)
    except BundleError as exc:
        for problem in exc.problems:
            problems(problem)
        return None


def _read_bundle(
    bundle: Path,
    *,
    known: _Known,
    writer: Writer | None,
    settings: Settings,
    progress: Progress | None,
) -> ImportReport:
    reader = _BundleReader(
        bundle, known=known, writer=writer, limits=settings.ingest, progress=progress
    )
    specs, ignored = _bundle_files(bundle, reader.problems)
    report = ImportReport(bundle=bundle, written=writer is not None, ignored=ignored)
    report.settings = _bundle_settings(bundle, reader.problems, settings)
    if report.settings is not None:
        report.settings_changed = settings_changes(settings, report.settings)
    for spec in specs:
        log.info("reading %s", spec.filename)
        report.files.append(reader.read_file(spec))
    if (bundle / DECISIONS_FILE).is_file():
        log.info("reading %s", DECISIONS_FILE)
        report.files.append(reader.read_decisions())
    reader.problems.raise_if_any()
    return report


def validate_bundle(
    bundle: Path, *, workspace: Workspace | None = None, progress: Progress | None = None
) -> ImportReport:
    """Run every check of an import and write nothing.

    Args:
        bundle: The bundle folder.
        workspace: When given, references may also point at rows already in it.
        progress: Called with the rows read so far, per file.

    Returns:
        The report of what an import would read.

    Raises:
        BundleError: With every problem found (file, row, column, message).
    """
    if workspace is None:
        known, settings = _Known.from_store(None), Settings()
    else:
        with workspace.engine.connect() as connection:
            known = _Known.from_store(connection)
        settings = workspace.settings
    return _read_bundle(bundle, known=known, writer=None, settings=settings, progress=progress)


PARALLEL_BYTES = 16 * 2**20
"""Bundles larger than this are written from a separate process (see ``ingest/writer.py``)."""


def _bundle_bytes(bundle: Path) -> int:
    return sum(path.stat().st_size for path in bundle.glob("*.csv") if path.is_file())


def import_bundle(
    bundle: Path,
    *,
    workspace: Workspace,
    progress: Progress | None = None,
    parallel: bool | None = None,
) -> ImportReport:
    """Import a bundle into a workspace as one transaction (idempotent upsert by id).

    The bundle's ``workspace.toml``, when present, sets the keys it names in the
    workspace's settings once the data is committed; keys it omits keep their values.

    Args:
        bundle: The bundle folder.
        workspace: The open workspace to import into.
        progress: Called with the rows read so far, per file.
        parallel: Write from a separate process; None decides by the bundle's size.

    Raises:
        BundleError: With every problem found; nothing was written.
    """
    if not bundle.is_dir():
        raise InputError(f"{bundle} is not a folder; a bundle is a folder of CSV files")
    with workspace.writing():
        return _import(bundle, workspace, progress, parallel)


def _import(
    bundle: Path, workspace: Workspace, progress: Progress | None, parallel: bool | None
) -> ImportReport:
    """:func:`import_bundle` once the workspace is held: read what is stored, then write."""
    with workspace.engine.connect() as connection:
        known = _Known.from_store(connection)
    if parallel is None:
        parallel = _bundle_bytes(bundle) > PARALLEL_BYTES
    if parallel:
        report = _write_with(
            ProcessWriter(workspace.engine.url.render_as_string(hide_password=False)),
            bundle,
            known,
            workspace,
            progress,
        )
    else:
        with workspace.engine.begin() as connection:
            report = _write_with(ThreadWriter(connection), bundle, known, workspace, progress)
    if report.settings is not None:
        workspace.save_settings(report.settings)
    return report


def _write_with(
    writer: Writer,
    bundle: Path,
    known: _Known,
    workspace: Workspace,
    progress: Progress | None,
) -> ImportReport:
    committed = False
    try:
        report = _read_bundle(
            bundle, known=known, writer=writer, settings=workspace.settings, progress=progress
        )
        writer.finish(commit=True)
        committed = True
    finally:
        if not committed:
            writer.finish(commit=False)
    return report


def _with_rows(
    known: dict[str, list[str]], rows: list[tuple[int, Row]], column: str
) -> tuple[dict[str, list[str]], dict[str, int]]:
    """A capability id list column of the workspace updated with the bundle's rows.

    Returns:
        The column by capability id, and the line of each capability the bundle holds.
    """
    merged = dict(known)
    lines: dict[str, int] = {}
    for line, row in rows:
        assert isinstance(row, Capability)
        merged[row.capability_id] = list(getattr(row, column))
        lines[row.capability_id] = line
    return merged, lines


def _singular(entity: str) -> str:
    """An entity's name for one of its rows: ``capabilities`` -> ``capability``."""
    noun = entity.replace("_", " ")
    return noun[:-3] + "y" if noun.endswith("ies") else noun.removesuffix("s")
