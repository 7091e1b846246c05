"""Per-process tool state: the shared exiftool process and cached tool versions.

Versions are probed once per process and only remembered once found, so a tool installed
while a long-running worker is up is noticed; a missing tool costs one failed exec per probe.
"""

from __future__ import annotations

import atexit
import os
import threading

import PIL
import pypdf

from dhakira.media.exiftool import ExifTool
from dhakira.toolversion import probe

_lock = threading.Lock()
_shared: ExifTool | None = None
_shared_pid = 0


def shared_exiftool() -> ExifTool:
    """This process's exiftool (started on first use, restarted in a forked child).

    Raises :class:`~dhakira.media.output.ToolNotInstalled` if exiftool is missing.
    """
    global _shared, _shared_pid
    with _lock:
        if _shared is None or _shared_pid != os.getpid():
            _shared = ExifTool()
            _shared_pid = os.getpid()
        return _shared


def close_shared_exiftool() -> None:
    """Stop this process's shared exiftool, if any (the next use starts a new one)."""
    global _shared
    with _lock:
        instance, _shared = _shared, None
    if instance is not None:
        instance.close()


atexit.register(close_shared_exiftool)


def exiftool_version() -> str | None:
    """exiftool's version (``"12.57"``), or ``None`` if it is not installed."""
    return probe("exiftool", ["exiftool", "-ver"], r"^\s*(\S+)")


def ffprobe_version() -> str | None:
    """ffprobe's version (``"5.1.6-0+deb12u1"``), or ``None`` if it is not installed."""
    return probe("ffprobe", ["ffprobe", "-version"], r"ffprobe version (\S+)")


def tool_versions() -> dict[str, str | None]:
    """What is installed, for reports: ``{"exiftool": "12.57", "ffprobe": None, ...}``."""
    return {
        "exiftool": exiftool_version(),
        "ffprobe": ffprobe_version(),
        "pillow": PIL.__version__,
        "pypdf": pypdf.__version__,
    }
