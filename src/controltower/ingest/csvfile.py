"""Streaming CSV reading that knows where every record starts and what is wrong with it.

Accepts UTF-8 with or without a BOM, LF or CRLF line ends, and quoted multi-line cells as
Excel writes them. Bytes that are not UTF-8, malformed quoting, rows with too many or too
few cells and absurdly long cells become :class:`~controltower.errors.Problem` s naming the
line and column.
"""

from __future__ import annotations

import csv
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NamedTuple

from controltower.errors import Problem

csv.field_size_limit(min(sys.maxsize, 2**31 - 1))

Report = Callable[[Problem], None]

_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


class CsvRecord(NamedTuple):
    """One data record: the line it starts on and its cells, by column name."""

    line: int
    cells: dict[str, str]


class CsvFile:
    """Reads one CSV file lazily: the header first, then records one by one.

    Args:
        path: The file.
        report: Called with each problem found; reading goes on after a problem where it can.
        max_cell_chars: Longest cell accepted.
    """

    def __init__(self, path: Path, *, report: Report, max_cell_chars: int) -> None:
        self.path = path
        self.report = report
        self.max_cell_chars = max_cell_chars
        self.header: list[str] = []

    def _problem(self, line: int, column: str, message: str) -> None:
        self.report(Problem(self.path.name, line, column, message))

    def _report_undecodable(self) -> None:
        """Find and report every line that is not UTF-8 (after a decode error)."""
        with self.path.open("rb") as handle:
            if handle.read(2) in _UTF16_BOMS:
                self._problem(1, "-", "the file is UTF-16 text; save it as UTF-8")
                return
            handle.seek(0)
            if not self.header:
                first = handle.readline().decode("utf-8-sig", errors="replace")
                names = [name.strip() for name in next(csv.reader([first]), [])]
                self.header = [n if n.isprintable() and "\ufffd" not in n else "-" for n in names]
                handle.seek(0)
            for number, raw in enumerate(handle, start=1):
                encoding = "utf-8-sig" if number == 1 else "utf-8"
                try:
                    raw.decode(encoding)
                except UnicodeDecodeError as exc:
                    prefix = raw[: exc.start].decode(encoding, errors="replace")
                    self._problem(
                        number,
                        self._column_at(prefix.count(",")),
                        f"bytes that are not UTF-8 at byte {exc.start + 1} of the line "
                        f"({raw[exc.start : exc.end]!r}); save the file as UTF-8",
                    )

    def _column_at(self, index: int) -> str:
        return self.header[index] if 0 <= index < len(self.header) else "-"

    def records(self) -> Iterator[CsvRecord]:
        """Yield the data records; the header is read first into :attr:`header`.

        The file is decoded as it streams; at the first bytes that are not UTF-8 reading
        stops and every such line of the file is reported.
        """
        with self.path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle, strict=True)
            last_line = 0
            try:
                first = next(reader, None)
                if first is None:
                    self._problem(0, "-", "the file is empty: a header row is required")
                    return
                if not self._read_header(first):
                    return
                last_line = reader.line_num
                for cells in reader:
                    start = last_line + 1
                    last_line = reader.line_num
                    if not cells or (len(cells) == 1 and not cells[0].strip()):
                        continue
                    record = self._record(start, cells)
                    if record is not None:
                        yield record
            except csv.Error as exc:
                # The parser fails where it gives up (an unclosed quote runs on for
                # lines); the record it was reading starts after the last one read.
                self._problem(
                    last_line + 1,
                    "-",
                    f"malformed CSV in the record starting on this line (the parser gave "
                    f"up on line {reader.line_num}): {exc}",
                )
            except UnicodeDecodeError:
                self._report_undecodable()

    def _read_header(self, cells: list[str]) -> bool:
        if any("\x00" in cell for cell in cells):
            # UTF-16 without a byte-order mark decodes as "valid" UTF-8 with a NUL after
            # every letter: every column then looked missing.
            self._problem(1, "-", "the file looks like UTF-16 text (NUL bytes); save it as UTF-8")
            return False
        names = [cell.strip() for cell in cells]
        ok = True
        seen: set[str] = set()
        for index, name in enumerate(names, start=1):
            if not name:
                self._problem(1, f"#{index}", "a column has no name in the header row")
                ok = False
            elif name in seen:
                self._problem(1, name, "the column appears twice in the header row")
                ok = False
            seen.add(name)
        self.header = names
        return ok

    def _record(self, line: int, cells: list[str]) -> CsvRecord | None:
        if len(cells) < len(self.header):
            self._problem(
                line,
                "-",
                f"the row has {len(cells)} cells but the header has {len(self.header)} "
                "columns (a missing comma? every row needs a cell for every column, empty "
                "or not)",
            )
            return None
        if len(cells) > len(self.header):
            extra = cells[len(self.header) :]
            if any(cell.strip() for cell in extra):
                self._problem(
                    line,
                    "-",
                    f"the row has {len(cells)} cells but the header has {len(self.header)} "
                    "columns (an unquoted comma?)",
                )
                return None
        values = dict(zip(self.header, cells, strict=False))
        if max(map(len, cells)) <= self.max_cell_chars:
            return CsvRecord(line, values)
        for name, cell in values.items():
            if len(cell) > self.max_cell_chars:
                self._problem(
                    line,
                    name,
                    f"the cell is {len(cell):,} characters long; the limit is "
                    f"{self.max_cell_chars:,} (setting ingest.max_cell_chars)",
                )
        return None
