"""Metadata extraction at ingest: run the right tools for a file's MIME type.

=================  ==============================
MIME               tools, in output order
=================  ==============================
image/*            exiftool, pillow
video/*, audio/*   ffprobe, exiftool
application/pdf    pypdf, exiftool
office documents   exiftool
anything else      (none)
=================  ==============================

:func:`extract` never raises because of the file: a tool that fails (corrupt or truncated
file, timeout, tool not installed) gives a :class:`ToolOutput` with ``error`` set.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from dhakira.media.exiftool import ExifTool, ExifToolError
from dhakira.media.ffprobe import probe
from dhakira.media.images import inspect_image
from dhakira.media.kinds import media_kind
from dhakira.media.output import MediaToolError, ToolOutput, describe
from dhakira.media.pdf import inspect_pdf
from dhakira.media.tools import exiftool_version, shared_exiftool


def extract(path: Path, mime: str, exiftool: ExifTool | None = None) -> list[ToolOutput]:
    """Raw metadata from every tool that suits ``mime`` (detected by content elsewhere).

    ``exiftool`` is the process to use; by default this process's shared one.
    """
    kind = media_kind(mime)
    if kind is None:
        return []

    def exif() -> ToolOutput:
        return read_exif(path, exiftool)

    plan: dict[str, list[tuple[str, Callable[[], ToolOutput]]]] = {
        "image": [("exiftool", exif), ("pillow", lambda: inspect_image(path))],
        "av": [("ffprobe", lambda: probe(path)), ("exiftool", exif)],
        "pdf": [("pypdf", lambda: inspect_pdf(path)), ("exiftool", exif)],
        "office": [("exiftool", exif)],
    }
    return [_guarded(tool, run) for tool, run in plan[kind]]


def read_exif(path: Path, exiftool: ExifTool | None = None) -> ToolOutput:
    """exiftool's tags for ``path`` as a ToolOutput; never raises for a bad file."""
    try:
        et = exiftool if exiftool is not None else shared_exiftool()
    except MediaToolError as exc:  # not installed, or it would not start
        return ToolOutput("exiftool", exiftool_version() or "", None, str(exc))
    try:
        tags = et.read(path)
    except ExifToolError as exc:
        return ToolOutput("exiftool", et.version, None, str(exc))
    error = tags.get("ExifTool:Error")
    return ToolOutput("exiftool", et.version, tags, None if error is None else str(error))


def _guarded(tool: str, run: Callable[[], ToolOutput]) -> ToolOutput:
    """Last line of defence: a bug or surprise in one wrapper must not stop an ingest."""
    try:
        return run()
    except Exception as exc:
        return ToolOutput(tool, "", None, f"{tool} wrapper failed: {describe(exc)}")
