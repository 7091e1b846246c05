"""Shared fixtures: real archives on disk, the real CLI, real tools."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from dhakira.archive import Archive
from dhakira.cli import cli

INSTALL = {
    "ffmpeg": "apt-get install -y ffmpeg",
    "ffprobe": "apt-get install -y ffmpeg",
    "exiftool": "apt-get install -y libimage-exiftool-perl",
}


def missing(message: str) -> None:
    """Something a test needs is not on this machine: skip it here, but fail it in CI, where
    every tool is installed by scripts/setup.sh and a skipped test would test nothing."""
    if os.environ.get("CI", "").strip().lower() in ("1", "true", "yes"):
        pytest.fail(message)
    pytest.skip(message)


def require_tool(name: str) -> None:
    """Skip (or, in CI, fail) when an external tool is missing."""
    if shutil.which(name) is None:
        missing(f"{name} is not installed: {INSTALL.get(name, 'apt-get install ' + name)}")


@pytest.fixture
def archive(tmp_path: Path) -> Iterator[Archive]:
    a = Archive.create(tmp_path / "archive")
    yield a
    a.close()


def run(*args: str | bytes | os.PathLike[str], archive: Path | None = None) -> Result:
    """Run the CLI in-process."""
    argv = [os.fsdecode(a) for a in args]
    if archive is not None:
        argv = ["-A", str(archive), *argv]
    return CliRunner().invoke(cli, argv, catch_exceptions=False)


def run_process(
    *args: str | bytes | os.PathLike[str], archive: Path | None = None, **kw: Any
) -> subprocess.CompletedProcess[str]:
    """Run the real `dhakira` program in a subprocess."""
    argv: list[str | bytes] = [sys.executable, "-m", "dhakira"]
    if archive is not None:
        argv += ["-A", os.fsencode(archive)]
    argv += [a if isinstance(a, bytes) else os.fsencode(a) for a in args]
    return subprocess.run(argv, capture_output=True, text=True, check=False, **kw)
