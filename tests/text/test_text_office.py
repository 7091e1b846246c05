"""DOCX and ODT built by hand with zipfile: paragraphs, runs, tabs, breaks, titles, zip bombs."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from dhakira.text import Extracted, extract_text, office

DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
ODT_MIME = "application/vnd.oasis.opendocument.text"
W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
MC_NS = "http://schemas.openxmlformats.org/markup-compatibility/2006"

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>'
)
CORE = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/'
    'core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/">'
    "<dc:title>تقرير دوما</dc:title><dc:creator>SNHR</dc:creator></cp:coreProperties>"
)


def run(text: str) -> str:
    return f'<w:r><w:rPr><w:b/></w:rPr><w:t xml:space="preserve">{text}</w:t></w:r>'


def document(body: str) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        f'<w:document xmlns:w="{W_NS}" xmlns:mc="{MC_NS}"><w:body>{body}</w:body></w:document>'
    )


BODY = (
    '<w:p><w:pPr><w:bidi/><w:tabs><w:tab w:val="left" w:pos="720"/></w:tabs></w:pPr>'
    + run("مستشفى ")
    + run("دوما")
    + "</w:p>"
    + "<w:p>"
    + run("Douma")
    + "<w:r><w:tab/></w:r>"
    + run("field hospital")
    + "<w:r><w:br/></w:r>"
    + run("second line")
    + "</w:p>"
    + '<w:p><w:del w:id="1"><w:r><w:delText>deleted words</w:delText></w:r></w:del>'
    + '<w:r><w:instrText> HYPERLINK "http://x" </w:instrText></w:r>'
    + run("kept")
    + "</w:p>"
    + "<w:tbl><w:tr><w:tc><w:p>"
    + run("cell A")
    + "</w:p></w:tc><w:tc><w:p>"
    + run("cell B")
    + "</w:p></w:tc></w:tr></w:tbl>"
    + "<w:p>"
    + run("before box ")
    + "<w:r><mc:AlternateContent><mc:Choice><w:drawing><w:txbxContent><w:p>"
    + run("text box")
    + "</w:p></w:txbxContent></w:drawing></mc:Choice><mc:Fallback><w:pict><w:txbxContent><w:p>"
    + run("text box")
    + "</w:p></w:txbxContent></w:pict></mc:Fallback></mc:AlternateContent></w:r>"
    + "</w:p>"
)
HEADER = f'<w:hdr xmlns:w="{W_NS}"><w:p>{run("Header: SNHR")}</w:p></w:hdr>'


def make_zip(path: Path, parts: dict[str, str | bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return path


def extract(path: Path, mime: str = DOCX_MIME) -> Extracted:
    found = extract_text(path, mime)
    assert found is not None
    return found


def test_docx_paragraphs_runs_tabs_breaks_title(tmp_path: Path) -> None:
    path = make_zip(
        tmp_path / "doc",
        {
            "[Content_Types].xml": CONTENT_TYPES,
            "word/document.xml": document(BODY),
            "word/header1.xml": HEADER,
            "docProps/core.xml": CORE,
        },
    )
    found = extract(path)
    assert found.error is None
    assert found.tool == "docx"
    assert found.text.split("\n") == [
        "تقرير دوما",
        "",
        "مستشفى دوما",
        "Douma field hospital",
        "second line",
        "kept",
        "cell A",
        "cell B",
        "before box",
        "text box",
        "",
        "Header: SNHR",
    ]
    assert found.languages == ("en", "ar")
    assert found.ocr is False and found.pages is None


def test_docx_zip_bomb_is_cut(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(office, "MAX_PART_BYTES", 100_000)
    body = ("<w:p>" + run("دوما Douma " * 20) + "</w:p>") * 5000  # ~2.6 MB, compresses 300:1
    path = make_zip(tmp_path / "bomb", {"word/document.xml": document(body)})
    assert zipfile.ZipFile(path).getinfo("word/document.xml").compress_size < 100_000
    found = extract(path)
    assert found.error is None
    assert found.notes == ("word/document.xml cut at the size limit",)
    assert 0 < len(found.text.encode()) < 100_000
    assert found.text.startswith("دوما Douma")


def test_docx_with_dtd_is_refused(tmp_path: Path) -> None:
    laughs = (
        '<?xml version="1.0"?><!DOCTYPE w:document [<!ENTITY lol "lol">'
        '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
        f'<w:document xmlns:w="{W_NS}"><w:body><w:p><w:r><w:t>&lol2;</w:t></w:r></w:p>'
        "</w:body></w:document>"
    )
    found = extract(make_zip(tmp_path / "dtd", {"word/document.xml": laughs}))
    assert found.error == "word/document.xml declares a DTD; refused"
    assert found.text == ""


def test_bad_docx_files_give_errors(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage"
    garbage.write_bytes(b"PK\x03\x04 this is not really a zip")
    found = extract(garbage)
    assert found.error is not None and found.error.startswith("not a readable zip container")

    empty = make_zip(tmp_path / "empty", {"hello.txt": "hi"})
    assert extract(empty).error == "not a DOCX: word/document.xml is missing"

    broken = make_zip(tmp_path / "broken", {"word/document.xml": document("<w:p>") + "<<"})
    found = extract(broken)
    assert found.error is not None and "not well-formed" in found.error
    assert "\n" not in found.error


def test_odt(tmp_path: Path) -> None:
    text_ns = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
    office_ns = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
    content = (
        f'<office:document-content xmlns:office="{office_ns}" xmlns:text="{text_ns}">'
        "<office:body><office:text>"
        "<text:tracked-changes><text:changed-region><text:deletion>"
        "<text:p>deleted words</text:p>"
        "</text:deletion></text:changed-region></text:tracked-changes>"
        "<text:h>مستشفى دوما</text:h>"
        '<text:p>Douma<text:s text:c="3"/><text:span text:style-name="b">field</text:span>'
        "<text:tab/>hospital<text:line-break/>second line</text:p>"
        "<text:list><text:list-item><text:p>item</text:p></text:list-item></text:list>"
        "</office:text></office:body></office:document-content>"
    )
    meta = (
        f'<office:document-meta xmlns:office="{office_ns}" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/"><office:meta>'
        "<dc:title>تقرير</dc:title></office:meta></office:document-meta>"
    )
    path = make_zip(
        tmp_path / "odt",
        {"mimetype": ODT_MIME, "content.xml": content, "meta.xml": meta},
    )
    found = extract(path, ODT_MIME)
    assert found.error is None
    assert found.tool == "odt"
    assert found.text == "تقرير\n\nمستشفى دوما\nDouma field hospital\nsecond line\nitem"
