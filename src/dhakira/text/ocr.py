"""OCR with tesseract, and text from images.

Choices, measured here (tesseract 5.3.0, ``ara+eng``, one thread):

* ``--psm 3`` (automatic layout) over ``--psm 6`` (one uniform block): on synthetic A4 pages
  at 200 dpi (a heading, two Arabic columns, English lines; Noto Naskh Arabic, Amiri,
  KacstOne; blurred, rotated, speckled) psm 3 recalled 76 % of the words against 73 %, and
  psm 6 dropped headings set larger; on clean pages both read ~100 %.
* ``-c textord_noise_rejrows=0``: tesseract rejects text rows holding many small blobs as
  noise, and Arabic dots make whole lines look like that: "مستشفى دوما الميداني تعرض
  للقصف" at 40 px vanished from the output. On 60 random small images (1-4 Arabic/English
  lines, 22-56 px, four fonts, half blurred) recall rose from 87 % to 96 % (no image below
  50 %, against 5); the noisy pages above read the same, and synthetic photos without text
  still give no text.

Images are decoded with Pillow first, never by tesseract: the size is checked before any
pixels are decoded (JPEGs are decoded at a reduced scale when large), EXIF orientation is
applied, transparency is flattened onto white, the result is made grayscale and at most
:data:`MAX_SIDE` pixels on its long side, and written as PNG for tesseract. Images smaller
than :data:`MIN_SIDE` pixels are not OCR'd.
"""

from __future__ import annotations

import tempfile
import warnings
from pathlib import Path

from PIL import Image, ImageOps

from dhakira.text.model import Deadline, Extracted, ExtractionError
from dhakira.text.normalise import detect_languages, tidy
from dhakira.text.tools import (
    INSTALL,
    have,
    missing,
    run,
    tesseract_env,
    tesseract_languages,
    tesseract_version,
)

PSM = 3
CONFIG = ("-c", "textord_noise_rejrows=0", "-c", "page_separator=")
MIN_SIDE = 32
MAX_SIDE = 4000
MAX_DECODE_PIXELS = 80_000_000
"""Largest image decoded in full (~320 MB as RGBA); JPEGs are decoded scaled down first."""
MAX_FRAMES = 50
"""Pages of a multi-page TIFF that are OCR'd."""


class Tesseract:
    """Checks that tesseract and its models are there, then OCRs image files."""

    def __init__(self) -> None:
        if not have("tesseract"):
            raise ExtractionError(missing("tesseract"))
        version = tesseract_version()
        languages = tesseract_languages()
        if version is None:
            raise ExtractionError("tesseract does not report its version")
        if not languages:
            raise ExtractionError(f"tesseract has no ara/eng models ({INSTALL['tesseract']})")
        self.version = version
        self.languages = languages

    def notes(self) -> tuple[str, ...]:
        if len(self.languages) == 2:
            return ()
        return (f"OCR with {'+'.join(self.languages)} only",)

    def read(self, image: Path, deadline: Deadline, step: str, dpi: int | None = None) -> str:
        """The text tesseract reads in the image file ``image``."""
        command = ["tesseract", str(image), "stdout", "-l", "+".join(self.languages)]
        command += ["--psm", str(PSM), *CONFIG]
        if dpi is not None:
            command += ["--dpi", str(dpi)]
        return run(command, deadline, step, env=tesseract_env()).decode("utf-8", "replace")


def _open(path: Path) -> Image.Image:
    try:
        with warnings.catch_warnings():
            # Our own limits (in _prepare) decide; Pillow's warning would only be noise here.
            # (catch_warnings is process-wide: harmless, as only this warning is touched.)
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            return Image.open(path)
    except Image.DecompressionBombError as exc:
        raise ExtractionError(f"image too large to decode safely: {exc}") from None
    except (OSError, ValueError, SyntaxError) as exc:
        raise ExtractionError(f"unreadable image: {exc}") from None


def _prepare(image: Image.Image) -> Image.Image:
    """A grayscale image at most MAX_SIDE pixels long, decoded within the pixel budget."""
    width, height = image.size
    if image.format == "JPEG" and max(width, height) > MAX_SIDE:
        image.draft(
            "L", (width * MAX_SIDE // max(width, height), height * MAX_SIDE // max(width, height))
        )
    width, height = image.size
    if width * height > MAX_DECODE_PIXELS:
        raise ExtractionError(
            f"image too large to decode safely: {width}x{height} pixels "
            f"(limit {MAX_DECODE_PIXELS:,})"
        )
    try:
        image = ImageOps.exif_transpose(image)
    except Exception:  # a broken EXIF block: OCR the image as stored
        image.load()
    if image.mode in ("I", "I;16", "I;16B", "I;16L", "I;16N"):
        image = image.convert("I").point(lambda value: value * (1 / 256))  # 16 to 8 bits
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(white, rgba)
    image = image.convert("L")
    if max(image.size) > MAX_SIDE:
        image.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    return image


def _frame(image: Image.Image, frame: int) -> Image.Image:
    """Frame ``frame`` of ``image``, decoded and prepared for tesseract."""
    try:
        if frame:
            image.seek(frame)
        return _prepare(image)
    except (OSError, ValueError, SyntaxError, EOFError) as exc:
        raise ExtractionError(f"unreadable image: {exc}") from None


def extract_image(path: Path, deadline: Deadline) -> Extracted:
    """OCR an image file (every page of a multi-page TIFF, up to :data:`MAX_FRAMES`).

    The image is checked and decoded before tesseract is looked for, so a bad file gets the
    same error with or without it.
    """
    notes: list[str] = []
    with _open(path) as image:
        width, height = image.size
        if min(width, height) < MIN_SIDE:
            notes.append(f"image too small to OCR ({width}x{height} px)")
            version = tesseract_version() or "unknown"
            return _result("", version, ocr=False, pages=1, notes=notes)
        frames = getattr(image, "n_frames", 1) if image.format == "TIFF" else 1
        if frames > MAX_FRAMES:
            notes.append(f"OCR limited to the first {MAX_FRAMES} of {frames} pages")
        first = _frame(image, 0)
        tesseract = Tesseract()
        notes[:0] = tesseract.notes()
        texts: list[str] = []
        with tempfile.TemporaryDirectory(prefix="dhakira-ocr-") as tmp:
            scratch = Path(tmp) / "page.png"
            for frame in range(min(frames, MAX_FRAMES)):
                step = f"OCR of page {frame + 1}" if frames > 1 else "OCR"
                deadline.remaining(step)
                (_frame(image, frame) if frame else first).save(scratch)
                texts.append(tidy(tesseract.read(scratch, deadline, step)))
    return _result("\f".join(texts), tesseract.version, ocr=True, pages=frames, notes=notes)


def _result(text: str, version: str, *, ocr: bool, pages: int, notes: list[str]) -> Extracted:
    text = tidy(text)
    return Extracted(
        text=text,
        tool="tesseract",
        version=version,
        languages=detect_languages(text),
        ocr=ocr,
        pages=pages,
        error=None,
        notes=tuple(notes),
    )
