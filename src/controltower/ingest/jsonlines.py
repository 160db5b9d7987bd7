"""Streaming JSON Lines reading that knows the line of every object and what is wrong with it.

One JSON object per line, UTF-8 (a BOM is accepted), blank lines skipped. Lines that are
not UTF-8, not JSON, not an object, too long, or that use NaN/Infinity become
:class:`~controltower.errors.Problem` s naming the line.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from controltower.errors import Problem

Report = Callable[[Problem], None]

MAX_LINE_CHARS = 1_000_000
"""Longest line accepted: a record with thousands of evidence ids fits well within it."""


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def read_json_lines(
    path: Path, *, report: Report, max_line_chars: int = MAX_LINE_CHARS
) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield ``(line number, object)`` for every valid line; report the others.

    Args:
        path: The file.
        report: Called with each problem found; reading goes on with the next line.
        max_line_chars: Longest line accepted.
    """
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            problem = _problem_reporter(report, path.name, number)
            try:
                text = raw.decode("utf-8-sig" if number == 1 else "utf-8").strip()
            except UnicodeDecodeError as exc:
                problem(f"bytes that are not UTF-8 at byte {exc.start + 1}; save it as UTF-8")
                continue
            if not text:
                continue
            if len(text) > max_line_chars:
                problem(
                    f"the line is {len(text):,} characters long; the limit is {max_line_chars:,}"
                )
                continue
            try:
                payload = json.loads(text, parse_constant=_no_constants)
            except json.JSONDecodeError as exc:
                problem(f"not valid JSON: {exc.msg} at column {exc.colno}")
                continue
            except (ValueError, RecursionError) as exc:
                problem(f"not valid JSON: {exc}")
                continue
            if not isinstance(payload, dict):
                problem(f"each line must be one JSON object, not {type(payload).__name__}")
                continue
            yield number, payload


def _problem_reporter(report: Report, name: str, line: int) -> Callable[[str], None]:
    def problem(message: str) -> None:
        report(Problem(name, line, "-", message))

    return problem
