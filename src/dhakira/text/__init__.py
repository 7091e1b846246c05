"""Text extraction for full-text search: derived data, keyed by tool and version, rebuildable.

>>> found = extract_text(path, "application/pdf")   # Extracted(text=..., tool="pdftotext", ...)
>>> found.text, found.languages, found.ocr            # ("مستشفى دوما ...", ("ar", "en"), False)

Public API
----------
``extract_text(path, mime, *, ocr=True, timeout=120) -> Extracted | None``
    Dispatches on the (content-detected) MIME type: PDF (pdftotext, and tesseract for pages
    without a text layer), images (tesseract ``ara+eng``), HTML/XHTML and XML (``html.parser``),
    DOCX and ODT (``zipfile`` + streaming XML), plain text, CSV, JSON, subtitles (encoding
    detection incl. UTF-16 and cp1256). ``None`` for types without text (video, audio, zip).
    Never raises because of the file: ``Extracted.error`` says what went wrong.
``text_kind(mime) -> str | None``
    Which extractor a type gets (``"pdf"``, ``"image"``, ``"html"`` ...), None for no text.
``Extracted``
    ``text, tool, version, languages, ocr, pages, error, notes``.
``EXTRACTOR_VERSION``
    Our own processing's version; store it with ``tool`` and ``version``.
``tool_versions() -> dict[str, str | None]``
    pdftotext, pdftoppm, tesseract (and its languages), extractor.
``strip_bidi(text)``, ``detect_languages(text)``, ``tidy(text)``
    The pure helpers the extractors use.

Modules: ``model`` (Extracted, errors, deadline), ``normalise`` (pure text helpers),
``tools`` (subprocesses, versions), ``pdf``, ``ocr`` (tesseract, images), ``plain``
(decoding), ``markup`` (HTML/XML), ``office`` (DOCX/ODT), ``extract`` (dispatch).

External tools: ``poppler-utils`` (pdftotext, pdftoppm, pdfinfo) and ``tesseract-ocr``
with ``tesseract-ocr-ara`` and ``tesseract-ocr-eng``.
"""

from __future__ import annotations

from dhakira.text.extract import extract_text, text_kind
from dhakira.text.model import EXTRACTOR_VERSION, Extracted, ExtractionError
from dhakira.text.normalise import detect_languages, strip_bidi, tidy
from dhakira.text.tools import tool_versions

__all__ = [
    "EXTRACTOR_VERSION",
    "Extracted",
    "ExtractionError",
    "detect_languages",
    "extract_text",
    "strip_bidi",
    "text_kind",
    "tidy",
    "tool_versions",
]
