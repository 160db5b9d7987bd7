"""Export a workspace back to a bundle: deterministic, and importable to the same state.

Rows are ordered by id; contract columns come first in contract order, then extra
attribute columns sorted by name; numbers are written in their shortest exact form; every
file ends with a newline and uses LF line ends. Exporting twice gives byte-identical files.
The decision log is written as ``decisions.jsonl``: one decision per line, keys sorted.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Connection

from controltower.decisions.log import DECISIONS_FILE, write_log
from controltower.domain import LIST_SEPARATOR
from controltower.errors import InputError
from controltower.ingest.contract import SETTINGS_FILE, SPECS, FileSpec
from controltower.store import rows as store
from controltower.workspace import Workspace, write_atomically


@dataclass(frozen=True)
class ExportReport:
    """What an export wrote: file name to data rows."""

    path: Path
    files: dict[str, int]


def format_cell(value: Any) -> str:
    """Format one stored value as a CSV cell (the inverse of import's parsing)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list):
        return LIST_SEPARATOR.join(str(item) for item in value)
    return str(value)


def _attribute_columns(connection: Connection, spec: FileSpec) -> list[str]:
    names: set[str] = set()
    for record in store.iter_records(connection=connection, spec=spec):
        names.update(record["attributes"])
    return sorted(names)


def _export_file(connection: Connection, spec: FileSpec, folder: Path) -> int:
    extra = _attribute_columns(connection, spec)
    header = [*spec.columns, *extra]
    count = 0
    temporary = folder / f".{spec.filename}.tmp"
    with temporary.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow(header)
        for record in store.iter_records(connection=connection, spec=spec):
            values = store.restore_keys(record, spec)
            attributes = values["attributes"]
            writer.writerow(
                [format_cell(values[column]) for column in spec.columns]
                + [attributes.get(name, "") for name in extra]
            )
            count += 1
    temporary.replace(folder / spec.filename)
    return count


def export_workspace(workspace: Workspace, folder: Path) -> ExportReport:
    """Write every table of the workspace, its decision log and settings, as a bundle.

    Files of entities with no rows are written too (header only), so the folder always
    shows the whole contract; importing it into an empty workspace reproduces this one.

    Raises:
        InputError: ``folder`` exists and is not a folder.
    """
    if folder.exists() and not folder.is_dir():
        raise InputError(f"{folder} is a file; export needs a folder")
    folder.mkdir(parents=True, exist_ok=True)
    files: dict[str, int] = {}
    # Held against imports: an import committing between two files' reads gave a bundle
    # whose signals named accounts its accounts.csv did not have.
    with workspace.reading(), workspace.engine.connect() as connection:
        for spec in SPECS:
            files[spec.filename] = _export_file(connection, spec, folder)
        files[DECISIONS_FILE] = write_log(connection, folder)
    write_atomically(folder / SETTINGS_FILE, workspace.settings.to_toml())
    return ExportReport(path=folder, files=files)
