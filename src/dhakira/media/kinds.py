"""Which family a MIME type belongs to; this decides which tools run on a file."""

from __future__ import annotations

from typing import Literal

Kind = Literal["image", "av", "pdf", "office"]

# MIME types Pillow reads out of the box: if it cannot open one of these, the file is broken.
PILLOW_MIMES = frozenset(
    {
        "image/bmp",
        "image/x-ms-bmp",
        "image/gif",
        "image/jpeg",
        "image/png",
        "image/tiff",
        "image/webp",
        "image/x-icon",
        "image/vnd.microsoft.icon",
        "image/x-portable-pixmap",
        "image/x-portable-graymap",
        "image/x-portable-bitmap",
        "image/x-portable-anymap",
        "image/x-tga",
    }
)
_AV = frozenset(
    {
        "application/ogg",
        "application/mxf",
        "application/vnd.rn-realmedia",
        "application/x-matroska",
    }
)
_OFFICE = frozenset(
    {
        "application/msword",
        "application/vnd.ms-excel",
        "application/vnd.ms-powerpoint",
        "application/vnd.ms-office",
        "application/vnd.ms-outlook",
        "application/cdfv2",
        "application/x-ole-storage",
        "application/rtf",
        "text/rtf",
        "application/epub+zip",
    }
)
_OFFICE_PREFIXES = (
    "application/vnd.openxmlformats-officedocument.",
    "application/vnd.oasis.opendocument.",
    "application/vnd.ms-word.",
    "application/vnd.ms-excel.",
    "application/vnd.ms-powerpoint.",
)


def bare_mime(mime: str) -> str:
    """``"Text/Plain; charset=utf-8"`` -> ``"text/plain"``."""
    return mime.split(";", 1)[0].strip().lower()


def media_kind(mime: str) -> Kind | None:
    """``"image"``, ``"av"`` (audio or video), ``"pdf"``, ``"office"``, or None."""
    bare = bare_mime(mime)
    if bare.startswith("image/"):
        return "image"
    if bare.startswith(("video/", "audio/")) or bare in _AV:
        return "av"
    if bare == "application/pdf":
        return "pdf"
    if bare in _OFFICE or bare.startswith(_OFFICE_PREFIXES):
        return "office"
    return None
