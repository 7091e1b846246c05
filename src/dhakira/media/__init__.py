"""Metadata extraction at ingest: one small wrapper per external tool, plain data out.

>>> outputs = extract(path, "image/jpeg")      # [ToolOutput(tool="exiftool", ...), ...]
>>> props = normalise("image/jpeg", outputs)   # Properties(width=..., captured_at=...)

Store the outputs' raw data (``ToolOutput.as_dict``) with :data:`NORMALISER_VERSION`;
:func:`normalise` is pure, so fields can be rebuilt later from what was stored.

Public API
----------
``extract(path, mime, exiftool=None) -> list[ToolOutput]``
    Runs the tools that suit ``mime``; never raises because of the file.
``normalise(mime, outputs) -> Properties``
    Pure: raw tool output in, normalised fields out.
``ExifTool``
    A persistent ``exiftool -stay_open`` process (``read(path) -> dict``).
    ``shared_exiftool()`` is this process's instance, the one ``extract`` uses by default;
    ``close_shared_exiftool()`` stops it (it is also stopped at exit).
``probe(path)``, ``inspect_image(path)``, ``inspect_pdf(path)``, ``read_exif(path)``
    The single-tool wrappers ``extract`` is made of, each returning a ``ToolOutput``.
``tool_versions() -> dict[str, str | None]``
    What is installed (cached per process), for reports.
``media_kind(mime)``
    ``"image"``, ``"av"``, ``"pdf"``, ``"office"`` or None: which tools a type gets.

Modules: ``output`` (ToolOutput, errors), ``exiftool``, ``ffprobe``, ``images`` (Pillow),
``pdf`` (pypdf), ``tools`` (shared process, versions), ``kinds`` (MIME families),
``values`` / ``sources`` / ``capture`` / ``normalise`` (the pure normaliser).
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
