"""Pure parsers for the value formats media tools print: dates, coordinates, numbers.

Every function takes whatever a tool printed (``Any``) and returns a clean value or ``None``;
none of them raises.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

# "2024:03:01 12:34:56", "2024-03-01T12:34:56.5Z", "2024:03:01 12:34:56.123+03:00", ...
_DATE = re.compile(
    r"(\d{4})[:-](\d\d)[:-](\d\d)[ T](\d\d):(\d\d)(?::(\d\d)(?:[.,](\d+))?)?"
    r"\s*(Z|[+-]\d\d(?::?\d\d)?)?"
)
# PDF: "D:20240301123456+03'00'", "D:20240301123456Z", "D:2024".
_PDF_DATE = re.compile(
    r"(?:D:)?(\d{4})(\d\d)?(\d\d)?(\d\d)?(\d\d)?(\d\d)?\s*(Z|[+-]\d\d(?:'?(\d\d)'?)?)?"
)
# An offset on its own: "+03:00", "-0530", "Z".
_OFFSET = re.compile(r"\s*(Z|[+-]\d\d(?::?\d\d)?)\s*")
# ISO 6709: "+33.5731+036.4045/", "+3334.386+03624.27+512.3CRSWGS_84/", "+333423+0362427/".
_ISO6709 = re.compile(
    r"([+-])(\d{2,6})(\.\d+)?([+-])(\d{3,7})(\.\d+)?(?:([+-]\d+(?:\.\d+)?))?(?:CRS[^/]*)?/?"
)
# Line breaks and tabs become spaces; other control characters (terminal escapes...) go.
_BREAKS = re.compile(r"[\t\n\r\v\f]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# Dates tools print when no date was recorded.
_NO_DATE = (datetime(1904, 1, 1), datetime(1970, 1, 1))


def text(value: Any) -> str | None:
    """A non-empty, stripped, one-line string without control characters, or None.

    A list becomes ``"a; b"``.
    """
    if isinstance(value, list):
        parts = [t for t in (text(v) for v in value) if t]
        return "; ".join(parts) or None
    if value is None or isinstance(value, bool | dict):
        return None
    result = _CONTROL.sub("", _BREAKS.sub(" ", str(value))).strip()
    return result or None


def integer(value: Any) -> int | None:
    """An int from an int, float or numeric string, or None."""
    number = real(value)
    return None if number is None else round(number)


def real(value: Any) -> float | None:
    """A finite float from a number or numeric string (``"30000/1001"`` too), or None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        head, _, tail = value.strip().partition("/")
        try:
            number = float(head) / float(tail) if tail else float(head)
        except (ValueError, ZeroDivisionError):
            return None
    else:
        return None
    return number if math.isfinite(number) else None


def offset(value: Any) -> timezone | None:
    """A UTC offset from ``"+03:00"``, ``"-0530"``, ``"Z"``, or None."""
    if not isinstance(value, str) or not (match := _OFFSET.fullmatch(value)):
        return None
    return _zone(match.group(1))


def _zone(spec: str) -> timezone | None:
    if spec == "Z":
        return UTC
    digits = spec[1:].replace(":", "").replace("'", "")
    hours, minutes = int(digits[:2]), int(digits[2:4] or 0)
    if hours > 23 or minutes > 59:
        return None
    delta = timedelta(hours=hours, minutes=minutes)
    return timezone(-delta if spec[0] == "-" else delta)


def _build(parts: list[int], micro: int, zone: timezone | None) -> datetime | None:
    year, month, day, hour, minute, second = parts
    try:
        moment = datetime(year, month, day, hour, minute, second, micro)
    except ValueError:
        return None
    if moment.year < 1900 or moment in _NO_DATE:
        return None
    return moment.replace(tzinfo=zone)


def date(value: Any, zone: Any = None) -> datetime | None:
    """Parse an EXIF/QuickTime/ISO date; ``zone`` (e.g. OffsetTimeOriginal) fills a gap.

    The result is aware when the value or ``zone`` gives an offset, naive otherwise.
    Placeholder dates ("0000:00:00 00:00:00", 1904-01-01, 1970-01-01) give None.
    """
    if not isinstance(value, str) or not (match := _DATE.match(value.strip())):
        return None
    year, month, day, hour, minute, second, fraction, spec = match.groups()
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    parts = [int(year), int(month), int(day), int(hour), int(minute), int(second or 0)]
    found = _zone(spec) if spec else offset(zone)
    return _build(parts, micro, found)


def pdf_date(value: Any) -> datetime | None:
    """Parse a PDF date (``D:YYYYMMDDHHmmSSOHH'mm'``); ISO-style strings work too."""
    if not isinstance(value, str):
        return None
    if (parsed := date(value)) is not None:
        return parsed
    match = _PDF_DATE.fullmatch(value.strip())
    if not match:
        return None
    year, month, day, hour, minute, second, spec, _ = match.groups()
    parts = [int(year), int(month or 1), int(day or 1), int(hour or 0), int(minute or 0)]
    return _build([*parts, int(second or 0)], 0, _zone(spec) if spec else None)


def iso(moment: datetime | None) -> str | None:
    """ISO 8601 text: ``2024-03-01T12:34:56+03:00`` (UTC as ``+00:00``; naive stays naive)."""
    return None if moment is None else moment.isoformat()


def _angle(sign: str, whole: str, fraction: str | None, width: int) -> float | None:
    """ISO 6709 angle: [D]DD[.d], [D]DDMM[.m] or [D]DDMMSS[.s] (``width`` degree digits)."""
    frac = fraction or ""
    extra = len(whole) - width
    if extra == 0:
        degrees = float(whole + frac)
    elif extra == 2:
        degrees = int(whole[:width]) + float(whole[width:] + frac) / 60
    elif extra == 4:
        minutes, seconds = int(whole[width : width + 2]), float(whole[width + 2 :] + frac)
        degrees = int(whole[:width]) + minutes / 60 + seconds / 3600
    else:
        return None
    return -degrees if sign == "-" else degrees


def iso6709(value: Any) -> tuple[float, float, float | None] | None:
    """(lat, lon, alt) from an ISO 6709 string like ``"+33.5731+036.4045/"``, or None."""
    if not isinstance(value, str) or not (match := _ISO6709.fullmatch(value.strip())):
        return None
    lat_sign, lat_whole, lat_frac, lon_sign, lon_whole, lon_frac, alt = match.groups()
    lat = _angle(lat_sign, lat_whole, lat_frac, 2)
    lon = _angle(lon_sign, lon_whole, lon_frac, 3)
    if lat is None or lon is None:
        return None
    return lat, lon, real(alt)


def coordinates(lat: Any, lon: Any) -> tuple[float, float] | None:
    """A valid (lat, lon) pair; out-of-range values and the 0,0 "no fix" give None."""
    y, x = real(lat), real(lon)
    if y is None or x is None or abs(y) > 90 or abs(x) > 180 or (y == 0 and x == 0):
        return None
    return y, x
