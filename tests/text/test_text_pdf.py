"""PDFs: a real text layer (Arabic in logical order), scans through OCR, mixtures, failures."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfReader, PdfWriter
from tests.text.pdfgen import build_pdf
from tests.text.samples import KEY_WORDS, normalise, render_page

from dhakira.text import Extracted, extract_text, pdf

ARABIC_PAGE = [
    "Douma field hospital, Eastern Ghouta, 7 April 2018",
    "مستشفى دوما الميداني تعرض للقصف",
    "في الغوطة الشرقية بريف دمشق",
]
ENGLISH_PAGE = ["Second page: witness statements collected in Damascus countryside."]


def extract(path: Path, *, ocr: bool = True, timeout: float = 120) -> Extracted:
    found = extract_text(path, "application/pdf", ocr=ocr, timeout=timeout)
    assert found is not None
    return found


def scanned_pdf(path: Path, arabic_font: str, latin_font: str, pages: int = 1) -> Path:
    with Image.open(render_page(path.with_suffix(".png"), arabic_font, latin_font)) as image:
        image.save(path, resolution=200, save_all=True, append_images=[image] * (pages - 1))
    return path


def merge(path: Path, *parts: Path) -> Path:
    writer = PdfWriter()
    for part in parts:
        for page in PdfReader(part).pages:
            writer.add_page(page)
    with path.open("wb") as handle:
        writer.write(handle)
    return path


@pytest.mark.usefixtures("poppler")
def test_text_layer_keeps_arabic_in_logical_order(tmp_path: Path) -> None:
    path = tmp_path / "layer.pdf"
    path.write_bytes(build_pdf([ARABIC_PAGE, ENGLISH_PAGE]))
    found = extract(path)
    assert found.error is None
    assert (found.tool, found.ocr, found.pages) == ("pdftotext", False, 2)
    assert found.version[0].isdigit()
    first, second = found.text.split("\f")
    # The glyphs are stored right to left; the text must read right: not "ىفشتسم".
    assert first.split("\n") == ARABIC_PAGE
    assert second == ENGLISH_PAGE[0]
    assert set(found.languages) == {"ar", "en"}
    for mark in ("\u202a", "\u202b", "\u202c"):  # poppler's embedding marks are gone
        assert mark not in found.text


@pytest.mark.usefixtures("poppler", "tesseract")
def test_scanned_pdf_goes_through_ocr(tmp_path: Path, arabic_font: str, latin_font: str) -> None:
    path = scanned_pdf(tmp_path / "scan.pdf", arabic_font, latin_font)
    started = time.monotonic()
    found = extract(path)
    elapsed = time.monotonic() - started
    assert found.error is None
    assert (found.tool, found.ocr, found.pages) == ("pdftotext+tesseract", True, 1)
    assert "+" in found.version
    text = normalise(found.text)
    assert [word for word in KEY_WORDS if word not in text] == []
    assert set(found.languages) == {"ar", "en"}
    assert elapsed < 20


@pytest.mark.usefixtures("poppler", "tesseract")
def test_mixed_pdf_ocrs_only_the_scanned_page(
    tmp_path: Path, arabic_font: str, latin_font: str
) -> None:
    layer = tmp_path / "layer.pdf"
    layer.write_bytes(build_pdf([ARABIC_PAGE, [], ENGLISH_PAGE]))
    scan = scanned_pdf(tmp_path / "scan.pdf", arabic_font, latin_font)
    found = extract(merge(tmp_path / "mixed.pdf", layer, scan))
    assert found.error is None
    assert (found.tool, found.ocr, found.pages) == ("pdftotext+tesseract", True, 4)
    pages = found.text.split("\f")
    assert pages[0].split("\n") == ARABIC_PAGE
    assert pages[1] == ""  # blank page: OCR'd, nothing found
    assert pages[2] == ENGLISH_PAGE[0]
    assert "douma field hospital" in normalise(pages[3])


@pytest.mark.usefixtures("poppler", "tesseract")
def test_ocr_page_cap(
    tmp_path: Path, arabic_font: str, latin_font: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pdf, "MAX_OCR_PAGES", 1)
    found = extract(scanned_pdf(tmp_path / "scan.pdf", arabic_font, latin_font, pages=2))
    assert found.error is None
    assert found.pages == 2
    assert found.notes == ("OCR limited to the first 1 of 2 scanned pages",)
    first, second = found.text.split("\f")
    assert "douma" in normalise(first)
    assert second == ""


@pytest.mark.usefixtures("poppler")
def test_scanned_pdf_without_ocr(tmp_path: Path, arabic_font: str, latin_font: str) -> None:
    found = extract(scanned_pdf(tmp_path / "scan.pdf", arabic_font, latin_font), ocr=False)
    assert (found.text, found.tool, found.ocr, found.error) == ("", "pdftotext", False, None)
    assert found.notes == ("1 page with little or no text layer was not OCR'd",)
    assert found.languages == ("und",)


@pytest.mark.usefixtures("poppler")
def test_scanned_pdf_when_tesseract_is_missing(
    tmp_path: Path, arabic_font: str, latin_font: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("pdftotext", "pdftoppm", "pdfinfo"):
        found_tool = shutil.which(tool)
        assert found_tool is not None
        os.symlink(found_tool, bin_dir / tool)
    monkeypatch.setenv("PATH", str(bin_dir))
    path = scanned_pdf(tmp_path / "scan.pdf", arabic_font, latin_font)
    layer = tmp_path / "layer.pdf"
    layer.write_bytes(build_pdf([ARABIC_PAGE]))
    found = extract(merge(tmp_path / "mixed.pdf", layer, path))
    assert found.error is not None
    assert found.error.startswith("1 page with little or no text layer not OCR'd: tesseract")
    assert found.text.split("\f")[0].split("\n") == ARABIC_PAGE  # the layer is still there


def test_missing_poppler_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    path = tmp_path / "layer.pdf"
    path.write_bytes(build_pdf([ENGLISH_PAGE]))
    found = extract(path)
    assert found.error == "pdftotext is not installed (apt-get install poppler-utils)"
    assert found.text == ""


@pytest.mark.usefixtures("poppler")
@pytest.mark.parametrize(
    "data",
    [
        b"not a pdf at all",
        b"%PDF-1.4\n1 0 obj << /Type /Catalog",
        build_pdf([ENGLISH_PAGE])[:200],
        b"",
    ],
    ids=["garbage", "header-only", "truncated", "empty"],
)
def test_corrupt_pdf_is_an_error(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "bad.pdf"
    path.write_bytes(data)
    found = extract(path)
    assert found.error is not None
    assert found.error.startswith("pdftotext failed: ")
    assert "\n" not in found.error
    assert found.text == ""


@pytest.mark.usefixtures("poppler", "tesseract")
def test_timeout_is_an_error_not_an_exception(
    tmp_path: Path, arabic_font: str, latin_font: str
) -> None:
    path = scanned_pdf(tmp_path / "scan.pdf", arabic_font, latin_font)
    found = extract(path, timeout=0.05)
    assert found.error is not None
    assert found.error.startswith("timed out after 0.05 s")


@pytest.mark.usefixtures("poppler")
def test_odd_file_names(tmp_path: Path) -> None:
    data = build_pdf([ENGLISH_PAGE])
    for name in ("-f 1 -l 2.pdf", os.fsdecode(b"bad \xff\xfe bytes.pdf"), "دوما ✓.pdf"):
        path = tmp_path / name
        path.write_bytes(data)
        found = extract(path)
        assert found.error is None, name
        assert found.text == ENGLISH_PAGE[0]


def test_which_pages_need_ocr() -> None:
    assert pdf._needs_ocr("")
    assert pdf._needs_ocr("Scanned with CamScanner")  # a stamp on a scan
    assert not pdf._needs_ocr(ARABIC_PAGE[0])
    assert pdf._needs_ocr("\ue001\ue002\ue003 " * 20)  # glyphs without Unicode mapping


def test_merging_a_layer_with_ocr() -> None:
    stamp = "Scanned with CamScanner"
    assert pdf._merge(stamp, "مستشفى دوما\nScanned with CamScanner") == (
        "Scanned with CamScanner\n\nمستشفى دوما\nScanned with CamScanner"
    )
    assert pdf._merge("Annex 2", "Annex 2") == "Annex 2"  # OCR adds nothing
    assert pdf._merge("Annex 2", "") == "Annex 2"
    assert pdf._merge("", "دوما") == "دوما"
    assert pdf._merge("\ue001\ue002 \ue003", "دوما") == "دوما"  # junk layer replaced
