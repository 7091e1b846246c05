"""The result of text extraction, and the errors the extractors raise internally."""

from __future__ import annotations

import time
from dataclasses import dataclass

EXTRACTOR_VERSION = 1
"""Bumped whenever our own processing changes the text (parsers, tidying, OCR choices).

Extracted text is derived data: key what is stored by ``(tool, version, EXTRACTOR_VERSION)``
and rebuild when any of the three changes.
"""


@dataclass(frozen=True)
class Extracted:
    """Text extracted from one file, for full-text search.

    ``text`` has bidi control marks removed and whitespace tidied, line breaks kept; the pages
    of a PDF (or frames of a multi-page TIFF) are separated by a form feed (``"\\f"``).
    ``tool`` is ``"pdftotext"``, ``"tesseract"``, ``"pdftotext+tesseract"``, ``"html"``,
    ``"xml"``, ``"docx"``, ``"odt"`` or ``"plain"``; ``version`` is that tool's version
    (``"22.12.0+5.3.0"`` for both), or :data:`EXTRACTOR_VERSION` for the pure-Python ones.
    ``error`` is a one-line reason when extraction failed or is incomplete (the text then
    holds what was read, possibly ``""``); ``notes`` records deliberate limits and choices
    (``"encoding cp1256"``, ``"OCR limited to the first 50 of 80 scanned pages"``).
    """

    text: str
    tool: str
    version: str
    languages: tuple[str, ...]
    ocr: bool
    pages: int | None
    error: str | None
    notes: tuple[str, ...] = ()


class ExtractionError(Exception):
    """A file that cannot be read; the message becomes :attr:`Extracted.error`."""


class Deadline:
    """A time budget shared by the steps of one extraction."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._end = time.monotonic() + max(seconds, 0.0)

    def remaining(self, step: str) -> float:
        """Seconds left; raises :class:`ExtractionError` naming ``step`` when none are."""
        left = self._end - time.monotonic()
        if left <= 0:
            raise ExtractionError(f"timed out after {self.seconds:g} s ({step})")
        return left

    def expired(self) -> bool:
        return time.monotonic() >= self._end
