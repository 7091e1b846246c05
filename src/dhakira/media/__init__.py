"""Metadata extraction at ingest: one small wrapper per external tool, plain data out.

>>> outputs = extract(path, "image/jpeg")      # [ToolOutput(tool="exiftool", ...), ...]
>>> props = normalise("image/jpeg", outputs)   # Properties(width=..., captured_at=...)

Store the outputs' raw data (``ToolOutput.as_dict``) with :data:`NORMALISER_VERSION`;
:func:`normalise` is pure, so fields can be rebuilt later from what was stored.
"""

from __future__ import annotations

from dhakira.media.exiftool import ExifTool, ExifToolError
from dhakira.media.extract import extract, read_exif
from dhakira.media.ffprobe import probe
from dhakira.media.images import inspect_image
from dhakira.media.kinds import media_kind
from dhakira.media.normalise import NORMALISER_VERSION, Properties, normalise
from dhakira.media.output import MediaToolError, ToolNotInstalled, ToolOutput
from dhakira.media.pdf import inspect_pdf
from dhakira.media.tools import close_shared_exiftool, shared_exiftool, tool_versions

__all__ = [
    "NORMALISER_VERSION",
    "ExifTool",
    "ExifToolError",
    "MediaToolError",
    "Properties",
    "ToolNotInstalled",
    "ToolOutput",
    "close_shared_exiftool",
    "extract",
    "inspect_image",
    "inspect_pdf",
    "media_kind",
    "normalise",
    "probe",
    "read_exif",
    "shared_exiftool",
    "tool_versions",
]
