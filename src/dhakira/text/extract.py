"""Dispatch by MIME type, and the never-raise wrapper around the extractors."""

from __future__ import annotations

from pathlib import Path

from dhakira.text.markup import extract_markup
from dhakira.text.model import EXTRACTOR_VERSION, Deadline, Extracted, ExtractionError
from dhakira.text.normalise import one_line
from dhakira.text.ocr import extract_image
from dhakira.text.office import extract_docx, extract_odt
from dhakira.text.pdf import extract_pdf
from dhakira.text.plain import extract_plain
from dhakira.text.tools import pdftotext_version, tesseract_version

DOCX = frozenset(
    {
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.template",
        "application/vnd.ms-word.document.macroenabled.12",
        "application/vnd.ms-word.template.macroenabled.12",
    }
)
ODT = frozenset(
    {"application/vnd.oasis.opendocument.text", "application/vnd.oasis.opendocument.text-template"}
)
HTML = frozenset({"text/html", "application/xhtml+xml"})
XML = frozenset({"text/xml", "application/xml", "image/svg+xml"})
JSON = frozenset({"application/json", "application/x-ndjson", "application/jsonl"})
PLAIN = frozenset(
    {
        "application/javascript",
        "application/x-subrip",
        "application/x-yaml",
        "application/yaml",
        "application/toml",
        "application/sql",
        "application/x-sh",
        "application/csv",
    }
)


def text_kind(mime: str) -> str | None:
    """Which extractor suits ``mime``, or None when the type carries no text.

    ``"pdf"``, ``"image"``, ``"html"``, ``"xml"``, ``"docx"``, ``"odt"``, ``"json"`` or
    ``"plain"``; parameters (``; charset=...``) and case are ignored.
    """
    return _kind(_parse_mime(mime)[0])


def _kind(mime: str) -> str | None:
    if mime == "application/pdf":
        return "pdf"
    if mime in HTML:
        return "html"
    if mime in XML or mime.endswith("+xml"):
        return "xml"
    if mime.startswith("image/"):
        return "image"
    if mime in DOCX:
        return "docx"
    if mime in ODT:
        return "odt"
    if mime in JSON or mime.endswith("+json"):
        return "json"
    if mime.startswith("text/") or mime in PLAIN:
        return "plain"
    return None


def _tool(kind: str) -> tuple[str, str]:
    if kind == "pdf":
        return "pdftotext", pdftotext_version() or "unknown"
    if kind == "image":
        return "tesseract", tesseract_version() or "unknown"
    name = {"json": "plain"}.get(kind, kind)
    return name, str(EXTRACTOR_VERSION)


def _parse_mime(mime: str) -> tuple[str, str | None]:
    """``"text/html; charset=windows-1256"`` -> ``("text/html", "windows-1256")``."""
    base, *params = mime.split(";")
    charset = None
    for param in params:
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset":
            charset = value.strip().strip("\"'") or None
    return base.strip().lower(), charset


def extract_text(
    path: Path, mime: str, *, ocr: bool = True, timeout: float = 120
) -> Extracted | None:
    """The text of the file at ``path`` (whose content-detected type is ``mime``).

    ``None`` when the type carries no text (video, audio, archives ...), and for images when
    ``ocr`` is false. Never raises because of the file: a file that cannot be read gives an
    :class:`Extracted` with ``error`` set. ``timeout`` bounds the whole extraction, external
    tools included; OCR that runs out of time keeps the pages read so far, with an error.
    """
    base, charset = _parse_mime(mime)
    kind = _kind(base)
    if kind is None or (kind == "image" and not ocr):
        return None
    deadline = Deadline(timeout)
    path = Path(path)
    try:
        if kind == "pdf":
            return extract_pdf(path, deadline, ocr=ocr)
        if kind == "image":
            return extract_image(path, deadline)
        if kind == "docx":
            return extract_docx(path, deadline)
        if kind == "odt":
            return extract_odt(path, deadline)
        if kind in ("html", "xml"):
            return extract_markup(path, xml=kind == "xml", declared=charset)
        return extract_plain(path, declared=charset, json_like=kind == "json")
    except ExtractionError as exc:
        message = str(exc)
    except Exception as exc:  # any other failure on a hostile file is that file's error
        message = f"{type(exc).__name__}: {exc}"
    tool, version = _tool(kind)
    return Extracted(
        text="",
        tool=tool,
        version=version,
        languages=("und",),
        ocr=False,
        pages=None,
        error=one_line(message),
        notes=(),
    )
