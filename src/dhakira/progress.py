"""Progress reporting for long work, independent of how it is shown.

The library reports through a :class:`Progress`; the CLI supplies one that draws rich progress
bars on a terminal and prints problems above them, tests and ``--json`` use :class:`Quiet`.
"""

from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
    def begin(self, description: str, total: int | None, total_bytes: int | None = None) -> None:
        """Start a phase of work (``total`` files or items, if known)."""

    def advance(self, count: int = 1, nbytes: int = 0) -> None: ...

    def end(self) -> None: ...

    def problem(self, line: str, *, error: bool) -> None:
        """One line about one problem, shown at once."""


class Quiet:
    """Collects problem lines; shows nothing."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def begin(self, description: str, total: int | None, total_bytes: int | None = None) -> None:
        pass

    def advance(self, count: int = 1, nbytes: int = 0) -> None:
        pass

    def end(self) -> None:
        pass

    def problem(self, line: str, *, error: bool) -> None:
        self.lines.append(line)
