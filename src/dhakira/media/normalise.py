"""Normalised properties from raw tool output: a pure function, so it can be re-run.

The catalog stores each :class:`~dhakira.media.output.ToolOutput`; when this module's rules
change, :data:`NORMALISER_VERSION` goes up and the catalog can rebuild every item's fields
from the stored raw output, without touching the originals or re-running any tool.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from dhakira.media.capture import captured_at, place
from dhakira.media.kinds import PILLOW_MIMES, bare_mime, media_kind
from dhakira.media.output import ToolOutput
from dhakira.media.sources import Sources, first_text, sources
from dhakira.media.values import integer, iso, real, text

NORMALISER_VERSION = 1

# exiftool's four-character codes -> ffprobe's codec names, for when ffprobe is missing.
_FOURCC = {
    "avc1": "h264",
    "avc3": "h264",
    "hvc1": "hevc",
    "hev1": "hevc",
    "mp4v": "mpeg4",
    "av01": "av1",
    "vp09": "vp9",
    "mp4a": "aac",
    "ac-3": "ac3",
    "ec-3": "eac3",
    "opus": "opus",
    "alac": "alac",
}
_TRUNCATED_MOVIE = re.compile(r"Truncated '(mdat|moov)'")
# Reasons a tool could not open a file that say nothing about the file being corrupt.
_NOT_CORRUPT = frozenset(
    {"FileNotFoundError", "PermissionError", "IsADirectoryError", "DecompressionBombError"}
)
_FFPROBE_IO_ERRORS = frozenset({-2, -13, -21})  # ENOENT, EACCES, EISDIR


@dataclass(frozen=True)
class Properties:
    """What the archive knows about a file's content; every field is optional."""

    width: int | None = None
    height: int | None = None
    duration_s: float | None = None
    video_codec: str | None = None
    audio_codec: str | None = None
    bitrate: int | None = None
    frame_rate: float | None = None
    captured_at: str | None = None
    """ISO 8601; with the offset when the source recorded one, else local time as recorded."""
    gps_lat: float | None = None
    gps_lon: float | None = None
    gps_alt: float | None = None
    make: str | None = None
    model: str | None = None
    serial: str | None = None
    software: str | None = None
    title: str | None = None
    author: str | None = None
    page_count: int | None = None
    decodes: bool | None = None
    """False if a tool found the file corrupt or truncated; None if nothing checked."""

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def normalise(mime: str, outputs: Sequence[ToolOutput]) -> Properties:
    """Fold the tools' raw output into :class:`Properties` (no I/O; same input, same output)."""
    s = sources(outputs)
    width, height = _size(s)
    where = place(s)
    return Properties(
        width=width,
        height=height,
        duration_s=_first_real(
            (s.ff_format.get("duration"), s.video.get("duration"), s.audio.get("duration")),
            s.ex("Composite:Duration", "QuickTime:Duration"),
        ),
        video_codec=_codec(s.video, s.ex("QuickTime:CompressorID", "RIFF:VideoCodec")),
        audio_codec=_codec(s.audio, s.ex("QuickTime:AudioFormat")),
        bitrate=integer(
            _first_real(
                (s.ff_format.get("bit_rate"),),
                s.ex("Composite:AvgBitrate", "MPEG:AudioBitrate"),
            )
        ),
        frame_rate=_frame_rate(s),
        captured_at=iso(captured_at(s)),
        gps_lat=None if where is None else where[0],
        gps_lon=None if where is None else where[1],
        gps_alt=None if where is None else where[2],
        make=first_text(
            s.ex("EXIF:Make", "QuickTime:Make", "XMP:Make", "QuickTime:AndroidManufacturer"),
            s.tags("com.apple.quicktime.make", "make", "com.android.manufacturer"),
        ),
        model=first_text(
            s.ex("EXIF:Model", "QuickTime:Model", "XMP:Model", "QuickTime:AndroidModel"),
            s.tags("com.apple.quicktime.model", "model", "com.android.model"),
        ),
        serial=first_text(
            s.ex("EXIF:SerialNumber", "MakerNotes:SerialNumber", "XMP:SerialNumber"),
            s.ex("MakerNotes:InternalSerialNumber", "EXIF:CameraSerialNumber"),
        ),
        software=first_text(
            s.ex("EXIF:Software", "QuickTime:Software", "XMP:CreatorTool"),
            s.tags("com.apple.quicktime.software"),
            _android(s),
            s.info("/Creator", "/Producer"),
            s.ex("PDF:Creator", "PDF:Producer", "XML:Application", "FlashPix:Software"),
            s.tags("encoder"),
            s.ex("QuickTime:Encoder"),
        ),
        title=first_text(
            s.info("/Title"),
            s.ex("PDF:Title", "XMP:Title", "XML:Title", "FlashPix:Title", "QuickTime:Title"),
            s.tags("title"),
            s.ex_tag("Title"),
        ),
        author=first_text(
            s.info("/Author"),
            s.ex("PDF:Author", "XMP:Creator", "XML:Creator", "FlashPix:Author"),
            s.ex("EXIF:Artist", "QuickTime:Artist", "QuickTime:Author"),
            s.tags("artist", "author", "album_artist"),
            s.ex_tag("Artist", "Author"),
        ),
        page_count=_page_count(s),
        decodes=_decodes(mime, s),
    )


def _first_real(*groups: Iterator[Any] | tuple[Any, ...]) -> float | None:
    for group in groups:
        for value in group:
            if (number := real(value)) is not None and number >= 0:
                return number
    return None


def _size(s: Sources) -> tuple[int | None, int | None]:
    candidates: list[tuple[Any, Any]] = []
    if s.pillow.get("opened"):
        candidates.append((s.pillow.get("width"), s.pillow.get("height")))
    candidates.append((s.video.get("width"), s.video.get("height")))
    for key, width in s.exif.items():  # File:ImageWidth, PNG:ImageWidth, QuickTime:...
        if key.endswith(":ImageWidth"):
            candidates.append((width, s.exif.get(key[: -len("Width")] + "Height")))
    candidates.append((s.exif.get("EXIF:ExifImageWidth"), s.exif.get("EXIF:ExifImageHeight")))
    for size in s.ex("Composite:ImageSize"):  # -n: "640 480" (older exiftool: "640x480")
        parts = str(size).replace("x", " ").split()
        if len(parts) == 2:
            candidates.append((parts[0], parts[1]))
    for width, height in candidates:
        w, h = integer(width), integer(height)
        if w and h and w > 0 and h > 0:
            return w, h
    return None, None


def _codec(stream: Mapping[str, Any], fourccs: Iterator[Any]) -> str | None:
    if (name := text(stream.get("codec_name"))) is not None:
        return name
    code = text(next(fourccs, None))
    return None if code is None else _FOURCC.get(code.lower(), code.lower())


def _frame_rate(s: Sources) -> float | None:
    rate = _first_real(
        (s.video.get("avg_frame_rate"), s.video.get("r_frame_rate")),
        s.ex("QuickTime:VideoFrameRate", "RIFF:VideoFrameRate"),
    )
    return None if not rate else round(rate, 3)


def _android(s: Sources) -> Iterator[str]:
    version = text(next(s.tags("com.android.version"), None))
    version = version or text(next(s.ex("QuickTime:AndroidVersion"), None))
    if version:
        yield f"Android {version}"


def _page_count(s: Sources) -> int | None:
    for value in (s.pdf.get("page_count"), *s.ex("PDF:PageCount", "XML:Pages", "XML:Slides")):
        if (count := integer(value)) is not None and count >= 0:
            return count
    return None


def _decodes(mime: str, s: Sources) -> bool | None:
    """Whether the file's content decodes, judged by the tool that checks its kind."""
    kind = media_kind(mime)
    if kind == "image" and s.pillow:
        if s.pillow.get("opened"):
            return bool(s.pillow.get("decodes"))
        error_type = s.pillow.get("error_type")
        return False if bare_mime(mime) in PILLOW_MIMES and error_type not in _NOT_CORRUPT else None
    if kind == "av":
        if _TRUNCATED_MOVIE.search(text(s.exif.get("ExifTool:Warning")) or ""):
            return False  # e.g. a cut-off MP4 whose index (moov) came first
        if not s.ffprobe:
            return None
        error = s.ffprobe.get("error")
        if isinstance(error, Mapping):
            return None if error.get("code") in _FFPROBE_IO_ERRORS else False
        return bool(s.ffprobe.get("streams"))
    if kind == "pdf" and s.pdf:
        if s.pdf.get("failed"):
            return None if s.pdf.get("error_type") in _NOT_CORRUPT else False
        return True if s.pdf.get("page_count") is not None else None
    return None
