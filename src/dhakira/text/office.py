"""Text from DOCX and ODT files: zipfile + a streaming XML parser, nothing else.

DOCX: the paragraphs of ``word/document.xml`` (``w:t`` runs; ``w:tab`` and ``w:br`` as
space and line break; deleted text, field codes and ``mc:Fallback`` duplicates skipped), then
headers, footers, footnotes, endnotes and comments; the title from ``docProps/core.xml``
comes first. ODT: the ``text:p``/``text:h`` paragraphs of ``content.xml`` (``text:s``,
``text:tab``, ``text:line-break`` honoured), the title from ``meta.xml``.

Zip bombs: parts are read and parsed in chunks, at most :data:`MAX_PART_BYTES` each and
:data:`MAX_TOTAL_BYTES` in all, whatever sizes the archive declares; past that the text is
cut and a note says so. XML with a DTD is refused, entity tricks included.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from xml.etree import ElementTree as ET

from dhakira.text.model import EXTRACTOR_VERSION, Deadline, Extracted, ExtractionError
from dhakira.text.normalise import detect_languages, tidy

MAX_PART_BYTES = 64 * 1024 * 1024
MAX_TOTAL_BYTES = 128 * 1024 * 1024
MAX_PARTS = 64
CHUNK = 256 * 1024

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
MC = "{http://schemas.openxmlformats.org/markup-compatibility/2006}"
TEXT = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
DC_TITLE = "{http://purl.org/dc/elements/1.1/}title"

_DOCX_EXTRA = re.compile(r"word/(header\d*|footer\d*|footnotes|endnotes|comments)\.xml")


class _Budget:
    def __init__(self) -> None:
        self.left = MAX_TOTAL_BYTES
        self.cut: list[str] = []


def _chunks(archive: zipfile.ZipFile, name: str, budget: _Budget) -> Iterator[bytes]:
    """The part's bytes, in chunks, stopping at the size caps (and noting it)."""
    limit = min(MAX_PART_BYTES, budget.left)
    read = 0
    with archive.open(name) as part:
        while True:
            chunk = part.read(min(CHUNK, limit - read + 1))
            if not chunk:
                return
            if read + len(chunk) > limit:
                budget.cut.append(name)
                chunk = chunk[: limit - read]
                read = limit
                budget.left -= len(chunk)
                yield chunk
                return
            read += len(chunk)
            budget.left -= len(chunk)
            yield chunk


Paragraph = Callable[[ET.Element], str]


def _paragraphs(
    archive: zipfile.ZipFile,
    name: str,
    budget: _Budget,
    deadline: Deadline,
    is_paragraph: Callable[[str], bool],
    render: Paragraph,
    skip: str | None = None,
) -> list[str]:
    """The text of the top-level paragraphs of one XML part, parsed as it streams in."""
    parser: ET.XMLPullParser[ET.Element] = ET.XMLPullParser(events=("start", "end"))
    stack: list[ET.Element] = []
    out: list[str] = []
    depth = 0  # paragraphs open (nested ones are rendered with their outer one)
    skipping = 0
    first = True
    try:
        for chunk in _chunks(archive, name, budget):
            if first and (b"<!DOCTYPE" in chunk[:65536] or b"<!ENTITY" in chunk[:65536]):
                raise ExtractionError(f"{name} declares a DTD; refused")
            first = False
            deadline.remaining(f"reading {name}")
            parser.feed(chunk)
            for item in parser.read_events():
                event, element = item[0], item[-1]
                if not isinstance(element, ET.Element):
                    continue
                if event == "start":
                    stack.append(element)
                    if element.tag == skip:
                        skipping += 1
                    elif is_paragraph(element.tag):
                        depth += 1
                    continue
                stack.pop()
                if element.tag == skip:
                    skipping -= 1
                elif is_paragraph(element.tag):
                    depth -= 1
                    if depth == 0:
                        if not skipping:
                            out.append(render(element))
                        if stack and len(stack[-1]) and stack[-1][-1] is element:
                            del stack[-1][-1]  # done with it: keep memory flat
        if name not in budget.cut:
            parser.close()
    except ET.ParseError as exc:
        if name not in budget.cut:
            raise ExtractionError(f"{name} is not well-formed XML: {exc}") from None
    return out


def _walk(root: ET.Element, visit: Callable[[ET.Element, list[str]], bool]) -> str:
    """Depth-first over ``root``'s descendants, without recursion; ``visit`` returns
    whether to descend. Element tails are appended after their element."""
    out: list[str] = []
    todo: list[ET.Element | str] = list(reversed(root))
    while todo:
        item = todo.pop()
        if isinstance(item, str):
            out.append(item)
            continue
        if item.tail:
            todo.append(item.tail)
        if visit(item, out):
            todo.extend(reversed(item))
    return "".join(out)


def _docx_paragraph(paragraph: ET.Element) -> str:
    def visit(element: ET.Element, out: list[str]) -> bool:
        tag = element.tag
        if tag == W + "t":
            out.append(element.text or "")
        elif tag == W + "tab":
            out.append("\t")
        elif tag in (W + "br", W + "cr"):
            out.append("\n")
        elif tag == W + "noBreakHyphen":
            out.append("-")
        elif tag == W + "p":
            out.append("\n")  # a paragraph in a text box, inside this one
            return True
        elif tag in (W + "pPr", W + "rPr", W + "delText", W + "instrText", MC + "Fallback"):
            return False
        return True

    # OOXML keeps text in w:t elements only; tails are formatting whitespace.
    return _walk(_without_tails(paragraph), visit)


def _without_tails(element: ET.Element) -> ET.Element:
    for child in element.iter():
        if child is not element:
            child.tail = None
    return element


def _odt_paragraph(paragraph: ET.Element) -> str:
    def visit(element: ET.Element, out: list[str]) -> bool:
        tag = element.tag
        if tag == TEXT + "s":
            count = element.get(TEXT + "c") or "1"
            out.append(" " * min(int(count) if count.isdigit() else 1, 100))
            return False
        if tag == TEXT + "tab":
            out.append("\t")
            return False
        if tag == TEXT + "line-break":
            out.append("\n")
            return False
        if tag in (TEXT + "p", TEXT + "h"):
            out.append("\n")
        if element.text:
            out.append(element.text)
        return True

    head = paragraph.text or ""
    return head + _walk(paragraph, visit)


def _title(archive: zipfile.ZipFile, name: str) -> str:
    if name not in archive.namelist():
        return ""
    with archive.open(name) as part:
        data = part.read(1024 * 1024)
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        return ""
    try:
        root = ET.fromstring(data)
    except ET.ParseError:
        return ""
    found = root.find(f".//{DC_TITLE}")
    return " ".join((found.text or "").split()) if found is not None else ""


def _finish(text: str, kind: str, budget: _Budget) -> Extracted:
    notes = tuple(f"{name} cut at the size limit" for name in budget.cut)
    text = tidy(text)
    return Extracted(
        text=text,
        tool=kind,
        version=str(EXTRACTOR_VERSION),
        languages=detect_languages(text),
        ocr=False,
        pages=None,
        error=None,
        notes=notes,
    )


def _open(path: Path) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(path)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError) as exc:
        raise ExtractionError(f"not a readable zip container: {exc}") from None


def _join(title: str, sections: list[list[str]]) -> str:
    body = "\n\n".join("\n".join(paragraphs) for paragraphs in sections if paragraphs)
    first = body.lstrip().split("\n", 1)[0].strip()
    if title and first != title:
        return f"{title}\n\n{body}"
    return body


def extract_docx(path: Path, deadline: Deadline) -> Extracted:
    budget = _Budget()
    with _open(path) as archive:
        names = archive.namelist()
        if "word/document.xml" not in names:
            raise ExtractionError("not a DOCX: word/document.xml is missing")
        extra = sorted(name for name in names if _DOCX_EXTRA.fullmatch(name))[: MAX_PARTS - 1]
        title = _title(archive, "docProps/core.xml")
        sections = [
            _paragraphs(
                archive,
                name,
                budget,
                deadline,
                lambda tag: tag == W + "p",
                _docx_paragraph,
                MC + "Fallback",
            )
            for name in ["word/document.xml", *extra]
        ]
    return _finish(_join(title, sections), "docx", budget)


def extract_odt(path: Path, deadline: Deadline) -> Extracted:
    budget = _Budget()
    with _open(path) as archive:
        if "content.xml" not in archive.namelist():
            raise ExtractionError("not an ODT: content.xml is missing")
        title = _title(archive, "meta.xml")
        paragraphs = _paragraphs(
            archive,
            "content.xml",
            budget,
            deadline,
            lambda tag: tag in (TEXT + "p", TEXT + "h"),
            _odt_paragraph,
            TEXT + "tracked-changes",
        )
    return _finish(_join(title, [paragraphs]), "odt", budget)
