"""When and where a file was captured, from whichever tool recorded it (pure, no I/O)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

from dhakira.media.sources import Sources
from dhakira.media.values import coordinates, date, iso6709, pdf_date, real, text

Place = tuple[float, float, float | None]


def _exif_date(s: Sources, tag: str, subsec: str, offset: str) -> datetime | None:
    """An EXIF date with its sub-seconds and its EXIF 2.31 offset tag, when present."""
    value = s.exif.get(f"EXIF:{tag}")
    fraction = text(s.exif.get(f"EXIF:{subsec}"))
    if isinstance(value, str) and len(value) == 19 and fraction and fraction.isdigit():
        value = f"{value}.{fraction}"
    return date(value, s.exif.get(f"EXIF:{offset}") or s.exif.get("EXIF:OffsetTime"))


def _camera_dates(s: Sources) -> Iterator[datetime | None]:
    """EXIF (and XMP) original / digitised time."""
    yield from (date(v) for v in s.ex("Composite:SubSecDateTimeOriginal"))
    yield _exif_date(s, "DateTimeOriginal", "SubSecTimeOriginal", "OffsetTimeOriginal")
    yield from (date(v) for v in s.ex("XMP:DateTimeOriginal", "Composite:SubSecCreateDate"))
    yield _exif_date(s, "CreateDate", "SubSecTimeDigitized", "OffsetTimeDigitized")


def _movie_dates(s: Sources) -> Iterator[datetime | None]:
    """QuickTime/MP4: the local time with offset phones write, then the UTC header time."""
    yield from (date(v) for v in s.ex("QuickTime:CreationDate"))
    yield from (date(v) for v in s.tags("com.apple.quicktime.creationdate", "creation_time"))
    # The movie header time is UTC by specification (ffprobe's creation_time is the same).
    for v in s.ex("QuickTime:CreateDate", "QuickTime:MediaCreateDate"):
        moment = date(v)
        yield moment if moment is None or moment.tzinfo else moment.replace(tzinfo=UTC)
    yield from (date(v) for v in s.ex("RIFF:DateTimeOriginal"))


def _document_dates(s: Sources) -> Iterator[datetime | None]:
    """PDF and office documents: when the document was created."""
    yield from (pdf_date(v) for v in s.info("/CreationDate"))
    yield from (date(v) for v in s.ex("PDF:CreateDate", "XMP:CreateDate", "XML:CreateDate"))
    yield from (date(v) for v in s.ex("FlashPix:CreateDate"))


def captured_at(s: Sources) -> datetime | None:
    """The first valid capture time: camera, then movie, then document dates."""
    for source in (_camera_dates(s), _movie_dates(s), _document_dates(s)):
        for moment in source:
            if moment is not None:
                return moment
    return None


def _signed(value: object, ref: object, negative: str) -> float | None:
    number = real(value)
    if number is None:
        return None
    ref_text = (text(ref) or "").upper()
    return -abs(number) if ref_text.startswith(negative) else number


def _altitude(value: object, ref: object) -> float | None:
    height = real(value)
    if height is None:
        return None
    return -abs(height) if real(ref) == 1 else height


def _places(s: Sources) -> Iterator[Place | None]:
    e = s.exif
    for group in ("EXIF", "XMP"):
        pair = coordinates(
            _signed(e.get(f"{group}:GPSLatitude"), e.get(f"{group}:GPSLatitudeRef"), "S"),
            _signed(e.get(f"{group}:GPSLongitude"), e.get(f"{group}:GPSLongitudeRef"), "W"),
        )
        alt = _altitude(e.get(f"{group}:GPSAltitude"), e.get(f"{group}:GPSAltitudeRef"))
        yield None if pair is None else (*pair, alt)
    for v in s.ex("QuickTime:GPSCoordinates"):  # -n: "33.5731 36.4045 512.3"
        parts = str(v).replace(",", " ").split()
        pair = coordinates(*parts[:2]) if len(parts) >= 2 else None
        yield None if pair is None else (*pair, real(parts[2]) if len(parts) > 2 else None)
    for v in s.tags("com.apple.quicktime.location.iso6709", "location"):
        found = iso6709(v)
        pair = None if found is None else coordinates(found[0], found[1])
        yield None if pair is None or found is None else (*pair, found[2])
    pair = coordinates(e.get("Composite:GPSLatitude"), e.get("Composite:GPSLongitude"))
    yield None if pair is None else (*pair, real(e.get("Composite:GPSAltitude")))


def place(s: Sources) -> Place | None:
    """(lat, lon, alt) from EXIF/XMP GPS, QuickTime keys, ffprobe's ISO 6709, composites."""
    found = next((p for p in _places(s) if p is not None), None)
    if found is None:
        return None
    lat, lon, alt = found  # 7 decimals of a degree is about a centimetre
    return round(lat, 7), round(lon, 7), None if alt is None else round(alt, 2)
