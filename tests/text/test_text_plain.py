"""Plain text: encodings (BOM, UTF-16, cp1256, Latin), caps, JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dhakira.text import extract_text, plain

ARABIC = "مستشفى دوما الميداني تعرض للقصف\nفي الغوطة الشرقية بريف دمشق"


def write(tmp_path: Path, data: bytes, name: str = "blob") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def text_of(path: Path, mime: str = "text/plain") -> tuple[str, tuple[str, ...]]:
    found = extract_text(path, mime)
    assert found is not None
    assert found.error is None
    assert found.tool == "plain"
    assert found.ocr is False
    assert found.pages is None
    return found.text, found.notes


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (ARABIC.encode("utf-8"), "utf-8"),
        (b"\xef\xbb\xbf" + ARABIC.encode("utf-8"), "utf-8"),
        (ARABIC.encode("utf-16"), "utf-16-le"),  # with a BOM
        (b"\xfe\xff" + ARABIC.encode("utf-16-be"), "utf-16-be"),
        (ARABIC.encode("utf-16-le"), "utf-16-le"),  # no BOM: NULs give it away
        (ARABIC.encode("utf-16-be"), "utf-16-be"),
        (ARABIC.encode("utf-32"), "utf-32-le"),
        (ARABIC.encode("cp1256"), "cp1256"),
    ],
)
def test_arabic_in_every_encoding(tmp_path: Path, data: bytes, encoding: str) -> None:
    text, notes = text_of(write(tmp_path, data))
    assert text == ARABIC
    assert f"encoding {encoding}" in notes


def test_cp1256_csv(tmp_path: Path) -> None:
    rows = "المدينة,التاريخ,الضحايا\r\nدوما,2018-04-07,43\r\nحلب,2016-12-13,82\r\n"
    found = extract_text(write(tmp_path, rows.encode("cp1256")), "text/csv")
    assert found is not None
    assert found.text == rows.replace("\r\n", "\n").strip()
    assert found.languages == ("ar",)


def test_western_8bit_is_not_mistaken_for_arabic(tmp_path: Path) -> None:
    french = "Hôpital de Douma, Ghouta orientale : « bombardé » — témoins"
    text, notes = text_of(write(tmp_path, french.encode("cp1252")))
    assert text == french
    assert "encoding cp1252" in notes
    text, notes = text_of(write(tmp_path, b"caf\xe9 na\xefve \x81"))  # 0x81: not cp1252
    assert text == "café naïve"  # the C1 control is dropped
    assert "encoding latin-1" in notes


def test_declared_charset_is_used_and_checked(tmp_path: Path) -> None:
    path = write(tmp_path, "دوما".encode("cp1256"))
    assert text_of(path, "text/plain; charset=windows-1256")[0] == "دوما"
    # Declared wrongly: detection takes over.
    assert text_of(path, "text/plain; charset=utf-8")[0] == "دوما"


def test_size_cap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(plain, "MAX_BYTES", 1000)
    # The cap falls inside a two-byte UTF-8 character: it is dropped, not mis-decoded.
    path = write(tmp_path, ("د" * 999).encode("utf-8"))
    text, notes = text_of(path)
    assert text == "د" * 500
    assert "encoding utf-8" in notes
    assert "only the first 1,000 bytes read" in notes


def test_json_string_values(tmp_path: Path) -> None:
    post = {"id": 17, "text": "قصف مستشفى دوما", "user": {"name": "Douma Media"}, "tags": ["دوما"]}
    found = extract_text(write(tmp_path, json.dumps(post).encode("ascii")), "application/json")
    assert found is not None and found.error is None
    assert found.text == "قصف مستشفى دوما\nDouma Media\nدوما"
    assert found.languages == ("ar", "en")


def test_broken_json_still_unescapes(tmp_path: Path) -> None:
    data = (json.dumps({"text": "دوما 😀"}) + "\n" + json.dumps({"text": "حلب"}) + "\n{").encode()
    found = extract_text(write(tmp_path, data), "application/x-ndjson")
    assert found is not None and found.error is None
    assert "دوما 😀" in found.text and "حلب" in found.text


def test_empty_file(tmp_path: Path) -> None:
    assert text_of(write(tmp_path, b""))[0] == ""
