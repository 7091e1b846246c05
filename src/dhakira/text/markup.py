"""Visible text from HTML and XML, with the standard library's tolerant ``html.parser``.

HTML: the ``<title>`` first, then the text a reader sees: ``script``, ``style``,
``template`` and ``noscript`` are skipped, whitespace collapses as a browser collapses it
(except in ``pre`` and ``textarea``), block elements and ``<br>`` break lines, image ``alt``
text is kept, character references are decoded. XML (KML, SVG, RSS ...): every element's
text on its own line, CDATA sections included (and stripped of tags, as KML descriptions
hold HTML). The encoding comes from a byte-order mark, the MIME type's charset, a
``<meta charset>`` or ``<?xml encoding?>`` declaration, or detection (see ``plain``).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

from dhakira.text import plain
from dhakira.text.model import EXTRACTOR_VERSION, Extracted
from dhakira.text.normalise import detect_languages, tidy
from dhakira.text.plain import decode, read_capped

SKIP = frozenset({"script", "style", "template", "noscript"})
PRESERVE = frozenset({"pre", "textarea", "listing", "plaintext"})
# fmt: off
BLOCK = frozenset({
    "address", "article", "aside", "blockquote", "body", "br", "caption", "dd", "details",
    "dialog", "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1",
    "h2", "h3", "h4", "h5", "h6", "header", "hgroup", "hr", "html", "legend", "li", "main",
    "nav", "ol", "option", "p", "pre", "section", "summary", "table", "tbody", "td", "tfoot",
    "th", "thead", "title", "tr", "ul",
})
# fmt: on
MAX_CDATA_DEPTH = 4
_SPACES = re.compile(r"[ \t\n\r\f]+")
_DECLARED = re.compile(
    rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)"""
    rb"""|<\?xml[^>]{0,100}?encoding\s*=\s*["']([A-Za-z0-9_.:-]+)""",
    re.IGNORECASE,
)


class _Text(HTMLParser):
    def __init__(self, xml: bool, depth: int = 0) -> None:
        super().__init__(convert_charrefs=True)
        self.xml = xml
        self.depth = depth
        self.parts: list[str] = []
        self.title: list[str] = []
        self.skip = 0
        self.preserve = 0
        self.in_title = 0

    def _break(self) -> None:
        """End the current line (once: nested blocks do not make blank lines)."""
        while self.parts and self.parts[-1] != "\n" and not self.parts[-1].strip(" "):
            self.parts.pop()
        if self.parts and self.parts[-1] != "\n":
            self.parts.append("\n")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.xml:
            self._break()
            return
        if tag in SKIP:
            self.skip += 1
        elif tag in PRESERVE:
            self.preserve += 1
        elif tag == "title":
            self.in_title += 1
        elif tag == "img" and not self.skip:
            alt = dict(attrs).get("alt")
            if alt and alt.strip():
                self.parts.append(f" {alt.strip()} ")
        if tag in BLOCK:
            self._break()

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.xml:
            self._break()
        elif tag not in SKIP and tag not in PRESERVE and tag != "title":
            self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if self.xml:
            self._break()
            return
        if tag in SKIP:
            self.skip = max(self.skip - 1, 0)
        elif tag in PRESERVE:
            self.preserve = max(self.preserve - 1, 0)
        elif tag == "title":
            self.in_title = max(self.in_title - 1, 0)
        if tag in BLOCK:
            self._break()

    def handle_data(self, data: str) -> None:
        if self.skip and not self.xml:
            return
        if self.in_title:
            self.title.append(data)
            return
        self.parts.append(data if self.preserve else _SPACES.sub(" ", data))

    def unknown_decl(self, data: str) -> None:
        if data.startswith("CDATA[") and not (self.skip and not self.xml):
            inner = data[len("CDATA[") :]
            if self.depth < MAX_CDATA_DEPTH and "<" in inner:
                inner = markup_text(inner, xml=False, depth=self.depth + 1)
            self._break()
            self.parts.append(inner)
            self._break()

    def text(self) -> str:
        body = tidy("".join(self.parts))
        title = tidy(_SPACES.sub(" ", "".join(self.title)))
        if title and not body.startswith(title):
            return f"{title}\n\n{body}" if body else title
        return body


def markup_text(source: str, *, xml: bool, depth: int = 0) -> str:
    """The visible text of an HTML (``xml=False``) or XML document."""
    parser = _Text(xml, depth)
    parser.feed(source)
    parser.close()
    return parser.text()


def declared_charset(data: bytes) -> str | None:
    """The charset an HTML ``<meta>`` or XML declaration names in the first 4 KB, if any."""
    match = _DECLARED.search(data[:4096])
    if match is None:
        return None
    return (match.group(1) or match.group(2)).decode("ascii")


def extract_markup(path: Path, *, xml: bool, declared: str | None = None) -> Extracted:
    data, cut = read_capped(path)
    source, encoding = decode(data, declared or declared_charset(data), cut=cut)
    notes = [f"encoding {encoding}"]
    if cut:
        notes.append(f"only the first {plain.MAX_BYTES:,} bytes read")
    text = markup_text(source, xml=xml)
    return Extracted(
        text=text,
        tool="xml" if xml else "html",
        version=str(EXTRACTOR_VERSION),
        languages=detect_languages(text),
        ocr=False,
        pages=None,
        error=None,
        notes=tuple(notes),
    )
