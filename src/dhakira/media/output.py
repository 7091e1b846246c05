"""What every tool wrapper returns, and the errors the wrappers raise.

A wrapper runs one external tool (or library) on one file and hands back a
:class:`ToolOutput`: the tool's name and version, its raw output as plain JSON-serialisable
data, and a one-line error when the tool failed on that file. The raw output is what the
catalog stores; :func:`dhakira.media.normalise` turns it into fields later, without I/O.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from dhakira.errors import DhakiraError

_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class ToolOutput:
    """One tool's findings about one file."""

    tool: str
    """``"exiftool"``, ``"ffprobe"``, ``"pillow"`` or ``"pypdf"``."""
    version: str
    """The tool's own version string (empty when the tool is not installed)."""
    raw: Any
    """JSON-serialisable raw output; may be ``None`` when the tool failed or is missing."""
    error: str | None = None
    """One-line error when the tool failed on this file (or is missing)."""

    def as_dict(self) -> dict[str, Any]:
        """Plain data, ready for ``json.dumps``."""
        return {"tool": self.tool, "version": self.version, "raw": self.raw, "error": self.error}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ToolOutput:
        """Inverse of :meth:`as_dict` (e.g. to re-normalise stored raw output)."""
        return cls(
            tool=str(data["tool"]),
            version=str(data.get("version") or ""),
            raw=data.get("raw"),
            error=data.get("error"),
        )


class MediaToolError(DhakiraError):
    """An external media tool failed on a file, or could not be run at all."""


class ToolNotInstalled(MediaToolError):
    """The tool's executable is not on PATH; the message says how to install it."""


def one_line(text: str, limit: int = 300) -> str:
    """Collapse whitespace (newlines included) and cut to ``limit`` characters."""
    flat = _SPACE.sub(" ", text).strip()
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def describe(exc: BaseException) -> str:
    """A one-line description of an exception: ``"OSError: image file is truncated"``."""
    message = str(exc)
    name = type(exc).__name__
    return one_line(f"{name}: {message}" if message else name)


def display_name(path: bytes) -> str:
    """A file name as text that is always valid UTF-8 (undecodable bytes become ``\\xNN``)."""
    return path.decode("utf-8", "backslashreplace")
