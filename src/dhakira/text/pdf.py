"""Text from PDFs: poppler's text layer, and OCR for the pages that have none.

``pdftotext`` runs in its default reading-order mode: like ``-layout`` it gives Arabic in
logical order (poppler reorders right-to-left lines and marks them with embedding controls,
which are stripped), but it keeps columns apart instead of padding them side by side on one
line; ``-raw`` (content-stream order) reverses the words of Arabic lines, so it is not used.

A page whose text layer has fewer than :data:`MIN_LAYER_CHARS` letters and digits (a scan,
perhaps with a "Scanned with ..." stamp), or is mostly unmapped glyphs, is rendered with
``pdftoppm -gray`` (to PGM) at :data:`DPI` (less for huge pages, so the long side stays within
:data:`~dhakira.text.ocr.MAX_SIDE` pixels) and OCR'd; at most :data:`MAX_OCR_PAGES` pages are.
The page's text is then the text layer (if any) followed by what OCR read, unless OCR read
nothing the layer lacks.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from dhakira.text.model import Deadline, Extracted, ExtractionError
from dhakira.text.normalise import detect_languages, tidy
from dhakira.text.ocr import MAX_SIDE, Tesseract
from dhakira.text.tools import have, missing, pdftotext_version, run

DPI = 200
MIN_DPI = 50
MAX_OCR_PAGES = 50
MIN_LAYER_CHARS = 32
MAX_TEXT_BYTES = 32 * 1024 * 1024
"""pdftotext output kept; beyond it the text is cut (and noted)."""

_WORD = re.compile(r"\w")
_WORDS = re.compile(r"\w+")
_JUNK = re.compile("[\ue000-\uf8ff\ufffd\x00-\x08\x0e-\x1f]")
_PAGE_SIZE = re.compile(r"(?m)^Page\s+(\d+)\s+size:\s+([\d.]+)\s+x\s+([\d.]+)")


def _junk(layer: str) -> bool:
    """Mostly unmapped glyphs (private-use characters, U+FFFD, controls)?"""
    visible = len(layer) - layer.count(" ") - layer.count("\n")
    return len(_JUNK.findall(layer)) > 0.3 * max(visible, 1)


def _needs_ocr(layer: str) -> bool:
    return len(_WORD.findall(layer)) < MIN_LAYER_CHARS or _junk(layer)


def _merge(layer: str, read: str) -> str:
    """A page's text layer and its OCR text: both, unless one adds nothing."""
    if _junk(layer) or not layer:
        return read
    words = _WORDS.findall(read.casefold())
    known = set(_WORDS.findall(layer.casefold()))
    if not read or sum(word in known for word in words) >= 0.8 * len(words):
        return layer  # OCR read what the layer has (a short page of real text)
    return f"{layer}\n\n{read}"


def _text_layer(path: str, deadline: Deadline, tmp: Path) -> tuple[list[str], bool]:
    """The pages' text from pdftotext, and whether it was cut at MAX_TEXT_BYTES."""
    out = tmp / "text.txt"
    run(["pdftotext", "-enc", "UTF-8", "-eol", "unix", path, str(out)], deadline, "pdftotext")
    with out.open("rb") as handle:
        data = handle.read(MAX_TEXT_BYTES + 1)
    cut = len(data) > MAX_TEXT_BYTES
    text = data[:MAX_TEXT_BYTES].decode("utf-8", "replace")
    pages = text.split("\f")
    if pages and pages[-1].strip() == "" and not cut:
        pages.pop()  # pdftotext ends every page with a form feed
    return pages, cut


def _page_sizes(path: str, first: int, last: int, deadline: Deadline) -> dict[int, float]:
    """The long side, in points, of pages first..last (1-based)."""
    info = run(["pdfinfo", "-f", str(first), "-l", str(last), path], deadline, "pdfinfo").decode(
        "utf-8", "replace"
    )
    return {
        int(number): max(float(width), float(height))
        for number, width, height in _PAGE_SIZE.findall(info)
    }


def _ocr_page(
    path: str,
    number: int,
    long_side: float | None,
    tesseract: Tesseract,
    deadline: Deadline,
    tmp: Path,
) -> str:
    dpi = DPI
    if long_side:
        dpi = max(MIN_DPI, min(DPI, int(MAX_SIDE * 72 / long_side)))
    prefix = tmp / "page"
    step = f"OCR of page {number}"
    pages = ["-f", str(number), "-l", str(number), "-r", str(dpi)]
    # PGM, not PNG: poppler 22.12 spends ~2.5 s compressing an A4 page (into RGB despite
    # -gray); raw PGM takes 0.1 s and tesseract reads it directly.
    run(["pdftoppm", *pages, "-gray", "-singlefile", path, str(prefix)], deadline, step)
    image = prefix.with_suffix(".pgm")
    if not image.exists():
        raise ExtractionError(f"pdftoppm rendered nothing for page {number}")
    try:
        return tidy(tesseract.read(image, deadline, step, dpi=dpi))
    finally:
        image.unlink(missing_ok=True)


def _pages(count: int) -> str:
    return f"{count} page" if count == 1 else f"{count} pages"


def extract_pdf(path: Path, deadline: Deadline, *, ocr: bool) -> Extracted:
    if not have("pdftotext"):
        raise ExtractionError(missing("pdftotext"))
    version = pdftotext_version() or "unknown"
    name = str(path.absolute())  # never starts with "-"
    notes: list[str] = []
    error: str | None = None
    tool, used_ocr = "pdftotext", False
    with tempfile.TemporaryDirectory(prefix="dhakira-pdf-") as tmp_name:
        tmp = Path(tmp_name)
        pages, cut = _text_layer(name, deadline, tmp)
        if cut:
            notes.append(f"text cut at {MAX_TEXT_BYTES // (1024 * 1024)} MB")
        texts = [tidy(page) for page in pages]
        scanned = [i for i, page in enumerate(texts) if _needs_ocr(page)]
        if scanned and not ocr:
            verb = "was" if len(scanned) == 1 else "were"
            notes.append(f"{_pages(len(scanned))} with little or no text layer {verb} not OCR'd")
        elif scanned:
            try:
                tesseract = Tesseract()
                for needed in ("pdftoppm", "pdfinfo"):
                    if not have(needed):
                        raise ExtractionError(missing(needed))
            except ExtractionError as exc:
                error = f"{_pages(len(scanned))} with little or no text layer not OCR'd: {exc}"
            else:
                if len(scanned) > MAX_OCR_PAGES:
                    notes.append(
                        f"OCR limited to the first {MAX_OCR_PAGES} of {len(scanned)} scanned pages"
                    )
                    scanned = scanned[:MAX_OCR_PAGES]
                notes.extend(tesseract.notes())
                version = f"{version}+{tesseract.version}"
                tool = "pdftotext+tesseract"
                try:
                    sizes = _page_sizes(name, scanned[0] + 1, scanned[-1] + 1, deadline)
                    for index in scanned:
                        read = _ocr_page(
                            name, index + 1, sizes.get(index + 1), tesseract, deadline, tmp
                        )
                        merged = _merge(texts[index], read)
                        used_ocr = used_ocr or merged != texts[index]
                        texts[index] = merged
                except ExtractionError as exc:
                    error = str(exc)
    text = tidy("\f".join(texts))
    return Extracted(
        text=text,
        tool=tool,
        version=version,
        languages=detect_languages(text),
        ocr=used_ocr,
        pages=None if cut else len(pages),
        error=error,
        notes=tuple(notes),
    )
