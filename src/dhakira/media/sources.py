"""Read-only views over stored raw tool output, for the normaliser (pure, no I/O)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from dhakira.media.output import ToolOutput
from dhakira.media.values import text

_EMPTY: Mapping[str, Any] = MappingProxyType({})


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else _EMPTY


@dataclass(frozen=True)
class Sources:
    """The raw output of each tool, as mappings (empty when a tool did not run)."""

    exif: Mapping[str, Any]
    """exiftool: ``{"Group:Tag": value}``."""
    ffprobe: Mapping[str, Any]
    pillow: Mapping[str, Any]
    pdf: Mapping[str, Any]
    ff_tags: Mapping[str, Any]
    """ffprobe tags, keys lower-cased: the container's first, then each stream's."""
    video: Mapping[str, Any]
    """ffprobe's first real video stream (cover art excluded)."""
    audio: Mapping[str, Any]
    """ffprobe's first audio stream."""

    @property
    def ff_format(self) -> Mapping[str, Any]:
        return _mapping(self.ffprobe.get("format"))

    @property
    def pdf_info(self) -> Mapping[str, Any]:
        return _mapping(self.pdf.get("info"))

    def ex(self, *keys: str) -> Iterator[Any]:
        """exiftool values for ``keys`` ("Group:Tag"), in order, skipping absent ones."""
        return (self.exif[k] for k in keys if self.exif.get(k) is not None)

    def ex_tag(self, *names: str) -> Iterator[Any]:
        """exiftool values of tags called ``names`` in any group, e.g. ``Title``."""
        for name in names:
            suffix = ":" + name
            yield from (v for k, v in self.exif.items() if k.endswith(suffix) and v is not None)

    def tags(self, *keys: str) -> Iterator[Any]:
        """ffprobe tag values for ``keys`` (lower-case), in order."""
        return (self.ff_tags[k] for k in keys if self.ff_tags.get(k) is not None)

    def info(self, *keys: str) -> Iterator[Any]:
        """pypdf document-information values (``"/Title"``, ...)."""
        return (self.pdf_info[k] for k in keys if self.pdf_info.get(k) is not None)


def sources(outputs: Sequence[ToolOutput]) -> Sources:
    """Index ``outputs`` by tool (the first output of each tool wins)."""
    raw: dict[str, Mapping[str, Any]] = {}
    for out in outputs:
        if out.tool not in raw:
            raw[out.tool] = _mapping(out.raw)
    ffprobe = raw.get("ffprobe", _EMPTY)
    listed = ffprobe.get("streams")
    streams = [s for s in listed if isinstance(s, Mapping)] if isinstance(listed, list) else []
    tags: dict[str, Any] = {}
    for holder in (_mapping(ffprobe.get("format")), *streams):
        for key, value in _mapping(holder.get("tags")).items():
            tags.setdefault(str(key).lower(), value)
    video = next(
        (
            s
            for s in streams
            if s.get("codec_type") == "video"
            and not _mapping(s.get("disposition")).get("attached_pic")
        ),
        _EMPTY,
    )
    audio = next((s for s in streams if s.get("codec_type") == "audio"), _EMPTY)
    return Sources(
        exif=raw.get("exiftool", _EMPTY),
        ffprobe=ffprobe,
        pillow=raw.get("pillow", _EMPTY),
        pdf=raw.get("pypdf", _EMPTY),
        ff_tags=tags,
        video=video,
        audio=audio,
    )


def first_text(*groups: Iterator[Any]) -> str | None:
    """The first value, across ``groups`` in order, that is non-empty text."""
    for group in groups:
        for value in group:
            if (found := text(value)) is not None:
                return found
    return None
