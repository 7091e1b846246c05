"""Per-process tool state: the shared exiftool process and cached tool versions.

Versions are probed once per process and only remembered once found, so a tool installed
while a long-running worker is up is noticed; a missing tool costs one failed exec per probe.
"""

from __future__ import annotations

import atexit
import os
import subprocess
import threading

import PIL
import pypdf

from dhakira.media.exiftool import ExifTool

_lock = threading.Lock()
_shared: ExifTool | None = None
_shared_pid = 0
_versions: dict[str, str] = {}


def shared_exiftool() -> ExifTool:
    """This process's exiftool (started on first use, restarted in a forked child).

    Raises :class:`~dhakira.media.output.ToolNotInstalled` if exiftool is missing.
    """
    global _shared, _shared_pid
    with _lock:
        if _shared is None or _shared_pid != os.getpid():
            _shared = ExifTool()
            _shared_pid = os.getpid()
            _versions["exiftool"] = _shared.version
        return _shared


def close_shared_exiftool() -> None:
    """Stop this process's shared exiftool, if any (the next use starts a new one)."""
    global _shared
    with _lock:
        instance, _shared = _shared, None
    if instance is not None:
        instance.close()


atexit.register(close_shared_exiftool)


def _probe(tool: str, command: list[str]) -> str | None:
    found = _versions.get(tool)
    if found is not None:
        return found
    try:
        done = subprocess.run(command, capture_output=True, timeout=30, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    text = done.stdout.decode("utf-8", "replace").strip()
    if done.returncode != 0 or not text:
        return None
    if tool == "ffprobe":  # "ffprobe version 5.1.6-0+deb12u1 Copyright (c) ..."
        words = text.split()
        if len(words) < 3 or words[1] != "version":
            return None
        text = words[2]
    _versions[tool] = text
    return text


def exiftool_version() -> str | None:
    """exiftool's version (``"12.57"``), or ``None`` if it is not installed."""
    return _probe("exiftool", ["exiftool", "-ver"])


def ffprobe_version() -> str | None:
    """ffprobe's version (``"5.1.6-0+deb12u1"``), or ``None`` if it is not installed."""
    return _probe("ffprobe", ["ffprobe", "-version"])


def tool_versions() -> dict[str, str | None]:
    """What is installed, for reports: ``{"exiftool": "12.57", "ffprobe": None, ...}``."""
    return {
        "exiftool": exiftool_version(),
        "ffprobe": ffprobe_version(),
        "pillow": PIL.__version__,
        "pypdf": pypdf.__version__,
    }
