"""Helpers shared by the benchmarks: timing commands, making data, running dhakira."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

DHAKIRA = [sys.executable, "-m", "dhakira"]


def timed(argv: Sequence[str | os.PathLike[str]], **kw: Any) -> float:
    start = time.perf_counter()
    subprocess.run([os.fspath(a) for a in argv], check=True, stdout=subprocess.DEVNULL, **kw)
    return time.perf_counter() - start


def workdir(name: str) -> Path:
    """A scratch folder on the same disk as the project (not a tmpfs)."""
    base = Path(
        os.environ.get("DHAKIRA_BENCH_DIR", Path(__file__).resolve().parent.parent / ".bench")
    )
    base.mkdir(exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=name + "-", dir=base))


def sync() -> None:
    os.sync()


def cleanup(path: Path) -> None:
    for p in path.rglob("*"):
        if p.is_file() and not os.access(p, os.W_OK):
            p.chmod(0o644)
    shutil.rmtree(path, ignore_errors=True)
