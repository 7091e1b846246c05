"""The pure value parsers: dates, offsets, ISO 6709, numbers, text."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from dhakira.media.kinds import bare_mime, media_kind
from dhakira.media.values import coordinates, date, integer, iso, iso6709, pdf_date, real, text

PLUS3 = timezone(timedelta(hours=3))


@pytest.mark.parametrize(
    ("value", "zone", "expected"),
    [
        ("2024:03:01 12:34:56", None, "2024-03-01T12:34:56"),
        ("2024:03:01 12:34:56", "+03:00", "2024-03-01T12:34:56+03:00"),
        ("2024:03:01 12:34:56", "-0530", "2024-03-01T12:34:56-05:30"),
        ("2024:03:01 12:34:56+03:00", "-05:00", "2024-03-01T12:34:56+03:00"),
        ("2024:03:01 12:34:56.25+03:00", None, "2024-03-01T12:34:56.250000+03:00"),
        ("2024-03-01T10:20:30.000000Z", None, "2024-03-01T10:20:30+00:00"),
        ("2024-03-01T12:34:56+0300", None, "2024-03-01T12:34:56+03:00"),
        ("2024:03:01 12:34", None, "2024-03-01T12:34:00"),
        ("0000:00:00 00:00:00", None, None),
        ("    :  :     :  :  ", None, None),
        ("1904:01:01 00:00:00", None, None),
        ("1970-01-01T00:00:00.000000Z", None, None),
        ("2024:13:45 12:00:00", None, None),
        ("2024:03:01 12:34:56", "+99:00", "2024-03-01T12:34:56"),
        (20240301, None, None),
        (None, None, None),
    ],
)
def test_date(value: Any, zone: Any, expected: str | None) -> None:
    assert iso(date(value, zone)) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("D:20240301123456+03'00'", datetime(2024, 3, 1, 12, 34, 56, tzinfo=PLUS3)),
        ("D:20240301123456+03'00", datetime(2024, 3, 1, 12, 34, 56, tzinfo=PLUS3)),
        ("D:20240301123456Z", datetime(2024, 3, 1, 12, 34, 56, tzinfo=UTC)),
        ("D:20240301123456", datetime(2024, 3, 1, 12, 34, 56)),
        ("D:2024", datetime(2024, 1, 1)),
        ("2024:03:01 12:34:56Z", datetime(2024, 3, 1, 12, 34, 56, tzinfo=UTC)),
        ("D:garbage", None),
        ("", None),
    ],
)
def test_pdf_date(value: str, expected: datetime | None) -> None:
    assert pdf_date(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("+33.5731+036.4045/", (33.5731, 36.4045, None)),
        ("-12.5-045.25+512.3/", (-12.5, -45.25, 512.3)),
        ("+3334.386+03624.27/", (33 + 34.386 / 60, 36 + 24.27 / 60, None)),
        ("+333423+0362427CRSWGS_84/", (33 + 34 / 60 + 23 / 3600, 36 + 24 / 60 + 27 / 3600, None)),
        ("+33.5731+036.4045", (33.5731, 36.4045, None)),
        ("+3.5+36.4/", None),
        ("33.5731, 36.4045", None),
        (None, None),
    ],
)
def test_iso6709(value: Any, expected: tuple[float, float, float | None] | None) -> None:
    found = iso6709(value)
    if expected is None:
        assert found is None
    else:
        assert found == pytest.approx(expected)


def test_coordinates_reject_out_of_range_and_null_island() -> None:
    assert coordinates("33.5", 36) == (33.5, 36.0)
    assert coordinates(91, 0.5) is None
    assert coordinates(10, -181) is None
    assert coordinates(0, 0) is None
    assert coordinates("x", 1) is None


def test_numbers_and_text() -> None:
    assert real("30000/1001") == pytest.approx(29.97003)
    assert real("0/0") is None
    assert real("nan") is None
    assert real(True) is None
    assert real(" 2.5 ") == 2.5
    assert integer("128164") == 128164
    assert integer(None) is None
    assert text("  Canon \x00") == "Canon"
    assert text("Title\x1b[31m red\r\nline two\u200f") == "Title[31m red line two\u200f"
    assert text(["Omar", "", "Lina"]) == "Omar; Lina"
    assert text("   ") is None
    assert text(12.57) == "12.57"


@pytest.mark.parametrize(
    ("mime", "kind"),
    [
        ("image/jpeg", "image"),
        ("IMAGE/HEIC", "image"),
        ("video/mp4", "av"),
        ("audio/mpeg", "av"),
        ("application/ogg", "av"),
        ("application/pdf", "pdf"),
        ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "office"),
        ("application/vnd.oasis.opendocument.text", "office"),
        ("application/msword", "office"),
        ("text/plain; charset=utf-8", None),
        ("application/zip", None),
        ("", None),
    ],
)
def test_media_kind(mime: str, kind: str | None) -> None:
    assert media_kind(mime) == kind


def test_bare_mime() -> None:
    assert bare_mime(" Text/HTML ; charset=UTF-8") == "text/html"
