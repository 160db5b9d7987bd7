"""One exception family for the library; front ends map it once (CLI now, API later)."""

from __future__ import annotations

from dataclasses import dataclass


class ControlTowerError(Exception):
    """Base of every error the library raises on purpose.

    Attributes:
        exit_code: The process exit code a command-line front end should use.
    """

    exit_code = 1


class InputError(ControlTowerError):
    """Bad input or usage: nothing was written (exit code 2)."""

    exit_code = 2


class WorkspaceError(ControlTowerError):
    """The workspace is missing, not initialised, or cannot be opened."""

    exit_code = 2


@dataclass(frozen=True, order=True)
class Problem:
    """One problem found in a bundle, located by file, row and column.

    Attributes:
        file: File name inside the bundle (for example ``signals.csv``).
        row: Line number in the file where the record starts (the header is line 1);
            0 when the problem concerns the whole file.
        column: Column (field) name, or ``-`` when the problem is not about one column.
        message: What is wrong, in words.
    """

    file: str
    row: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.row}:{self.column}: {self.message}"


class BundleError(InputError):
    """A bundle was refused as a whole; it carries every problem found (up to a cap).

    Args:
        problems: The problems found, in file then row order.
        total: How many problems there were in all (more than ``len(problems)`` when capped).
        subject: What was refused, for the message's first line.
    """

    def __init__(
        self, problems: list[Problem], total: int | None = None, *, subject: str = "the bundle"
    ) -> None:
        self.problems = problems
        self.total = total if total is not None else len(problems)
        shown = "\n".join(str(p) for p in problems)
        more = self.total - len(problems)
        tail = f"\n… and {more} more problem(s)" if more > 0 else ""
        super().__init__(
            f"{subject} was refused: {self.total} problem(s), nothing was written\n{shown}{tail}"
        )
