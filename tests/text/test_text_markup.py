"""HTML and XML: visible text only, title first, entities, encodings, CDATA."""

from __future__ import annotations

from pathlib import Path

from dhakira.text import Extracted, extract_text

PAGE = """<!DOCTYPE html>
<html lang="ar" dir="rtl"><head>
<meta charset="utf-8">
<title>مستشفى دوما &amp; الغوطة</title>
<style>body { color: red } .hidden-word { display: none }</style>
<script>var secret = "not visible"; if (a < b) { document.write("<p>nope</p>"); }</script>
</head>
<body>
<h1>قصف   مستشفى
دوما</h1>
<p>Douma&nbsp;field &lt;hospital&gt; &#1583;&#1608;&#1605;&#1575; &eacute;t&eacute;<br>
second line</p>
<ul><li>one</li><li>two</li></ul>
<table><tr><td>cell A</td><td>cell B</td></tr></table>
<pre>  keep   these   spaces  </pre>
<img src="x.jpg" alt="photo of the hospital">
<template><p>template text</p></template>
<noscript>enable javascript</noscript>
<!-- a comment -->
</body></html>
"""


def extract(tmp_path: Path, data: bytes, mime: str) -> Extracted:
    path = tmp_path / "blob"
    path.write_bytes(data)
    found = extract_text(path, mime)
    assert found is not None
    assert found.error is None
    return found


def test_visible_text_only(tmp_path: Path) -> None:
    found = extract(tmp_path, PAGE.encode("utf-8"), "text/html")
    assert found.tool == "html"
    assert found.text.split("\n") == [
        "مستشفى دوما & الغوطة",
        "",
        "قصف مستشفى دوما",
        "Douma field <hospital> دوما été",
        "second line",
        "one",
        "two",
        "cell A",
        "cell B",
        "keep these spaces",
        "photo of the hospital",
    ]
    for hidden in ("secret", "color", "nope", "template text", "javascript", "comment"):
        assert hidden not in found.text
    assert set(found.languages) == {"ar", "en"}


def test_charset_from_meta(tmp_path: Path) -> None:
    html = (
        '<html><head><meta http-equiv="Content-Type" content="text/html; charset=windows-1256">'
        "<title>دوما</title></head><body><p>مستشفى الغوطة</p></body></html>"
    )
    found = extract(tmp_path, html.encode("cp1256"), "text/html")
    assert found.text == "دوما\n\nمستشفى الغوطة"
    assert "encoding cp1256" in found.notes


def test_charset_from_mime_parameter(tmp_path: Path) -> None:
    found = extract(tmp_path, "<p>دوما</p>".encode("cp1256"), "text/html; charset=windows-1256")
    assert found.text == "دوما"


def test_xhtml(tmp_path: Path) -> None:
    xhtml = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<html xmlns="http://www.w3.org/1999/xhtml">'
        "<head><title>T</title><script><![CDATA[ var x = 1; ]]></script></head>"
        "<body><p>Douma</p><p>دوما</p></body></html>"
    )
    found = extract(tmp_path, xhtml.encode(), "application/xhtml+xml")
    assert found.text == "T\n\nDouma\nدوما"


def test_kml_with_cdata(tmp_path: Path) -> None:
    kml = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<kml xmlns="http://www.opengis.net/kml/2.2"><Document><Placemark>'
        "<name>مستشفى دوما</name>"
        "<description><![CDATA[<p>Field <b>hospital</b></p><script>x()</script>]]></description>"
        "<Point><coordinates>36.4045,33.5731,0</coordinates></Point>"
        "</Placemark></Document></kml>"
    )
    found = extract(tmp_path, kml.encode(), "application/vnd.google-earth.kml+xml")
    assert found.tool == "xml"
    assert found.text == "مستشفى دوما\nField hospital\n36.4045,33.5731,0"


def test_svg_text(tmp_path: Path) -> None:
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
        "<text x='0' y='5'>دوما</text><text>Douma</text></svg>"
    )
    found = extract(tmp_path, svg.encode(), "image/svg+xml")
    assert found.text == "دوما\nDouma"
    assert found.ocr is False


def test_broken_markup_does_not_raise(tmp_path: Path) -> None:
    broken = b"<html><body><p>Douma <b>hosp<i>ital</p></div></span>\x00<p"
    found = extract(tmp_path, broken, "text/html")
    assert found.text.split("\n")[0] == "Douma hospital"  # a cut-off tag at the end is text
