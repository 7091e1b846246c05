"""Dispatch by MIME type, versions, and files that cannot be read."""

from __future__ import annotations

from pathlib import Path

import pytest

from dhakira.text import EXTRACTOR_VERSION, extract_text, text_kind, tool_versions


@pytest.mark.parametrize(
    ("mime", "kind"),
    [
        ("application/pdf", "pdf"),
        ("image/jpeg", "image"),
        ("image/svg+xml", "xml"),
        ("Text/HTML; charset=UTF-8", "html"),
        ("application/xhtml+xml", "html"),
        ("application/vnd.google-earth.kml+xml", "xml"),
        ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx"),
        ("application/vnd.oasis.opendocument.text", "odt"),
        ("application/json", "json"),
        ("application/geo+json", "json"),
        ("text/csv", "plain"),
        ("application/x-subrip", "plain"),
        ("video/mp4", None),
        ("audio/ogg", None),
        ("application/zip", None),
        ("application/octet-stream", None),
        ("", None),
    ],
)
def test_text_kind(mime: str, kind: str | None) -> None:
    assert text_kind(mime) == kind


@pytest.mark.parametrize("mime", ["video/mp4", "audio/mpeg", "application/zip", "inode/x-empty"])
def test_types_without_text_give_none(tmp_path: Path, mime: str) -> None:
    path = tmp_path / "blob"
    path.write_bytes(b"\x00\x00\x00\x18ftypmp42")
    assert extract_text(path, mime) is None


def test_missing_file_is_an_error(tmp_path: Path) -> None:
    found = extract_text(tmp_path / "gone", "text/plain")
    assert found is not None
    assert found.error is not None and found.error.startswith("FileNotFoundError: ")
    assert (found.text, found.tool, found.version) == ("", "plain", str(EXTRACTOR_VERSION))
    assert found.languages == ("und",)


def test_directory_is_an_error(tmp_path: Path) -> None:
    found = extract_text(tmp_path, "application/vnd.oasis.opendocument.text")
    assert found is not None
    assert found.error is not None
    assert "\n" not in found.error
    assert found.tool == "odt"


def test_tool_versions() -> None:
    versions = tool_versions()
    assert set(versions) == {
        "pdftotext",
        "pdftoppm",
        "tesseract",
        "tesseract-languages",
        "extractor",
    }
    assert versions["extractor"] == str(EXTRACTOR_VERSION)
    for tool in ("pdftotext", "pdftoppm", "tesseract"):
        value = versions[tool]
        assert value is None or value[0].isdigit()
