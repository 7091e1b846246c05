"""How the CLI shows things: JSON on stdout, progress bars and problems on stderr."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.progress import (
    BarColumn,
    ProgressColumn,
    Task,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
)
from rich.progress import Progress as RichBar
from rich.text import Text

F = TypeVar("F", bound=Callable[..., Any])

err_console = Console(stderr=True, highlight=False, soft_wrap=True)


def json_option(f: F) -> F:
    return click.option("--json", "as_json", is_flag=True, help="Print JSON on stdout.")(f)


def emit_json(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, indent=2, sort_keys=True) + "\n")


def human_bytes(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if abs(n) < 1000 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n} B"


class CountColumn(ProgressColumn):
    """ "120/500 files" on a count row; "12.3 MB/40.0 MB  30.1 MB/s" on a bytes row."""

    def render(self, task: Task) -> Text:
        total = task.total or 0
        if task.fields.get("unit") == "bytes":
            speed = human_bytes(task.speed or 0)
            return Text(f"{human_bytes(task.completed)}/{human_bytes(total)}  {speed}/s")
        return Text(f"{int(task.completed)}/{int(total)} {task.fields.get('unit', '')}")


class Bars:
    """A :class:`dhakira.progress.Progress` drawn with rich on a terminal's stderr."""

    def __init__(self, *, show: bool | None = None) -> None:
        self.show = err_console.is_terminal if show is None else show
        self._bar: RichBar | None = None
        self._files: TaskID | None = None
        self._bytes: TaskID | None = None

    def begin(self, description: str, total: int | None, total_bytes: int | None = None) -> None:
        if not self.show:
            return
        self._bar = RichBar(
            TextColumn("{task.description:<12}"),
            BarColumn(),
            CountColumn(),
            TimeRemainingColumn(),
            console=err_console,
            transient=False,
        )
        self._bar.start()
        self._files = self._bar.add_task(description, total=total, unit="items")
        if total_bytes:
            self._bytes = self._bar.add_task("", total=total_bytes, unit="bytes")

    def advance(self, count: int = 1, nbytes: int = 0) -> None:
        if self._bar is None:
            return
        assert self._files is not None
        self._bar.advance(self._files, count)
        if self._bytes is not None:
            self._bar.advance(self._bytes, nbytes)

    def end(self) -> None:
        if self._bar is not None:
            self._bar.stop()
        self._bar = self._files = self._bytes = None

    def problem(self, line: str, *, error: bool) -> None:
        style = "red" if error else "yellow"
        err_console.print(line, style=style, markup=False, highlight=False)
