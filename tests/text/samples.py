"""Sample inputs made on the spot: Arabic + English page images, and text normalisation.

Arabic rendering: Pillow shapes Arabic correctly only with its raqm layout engine (bundled
in the Pillow wheels, but it needs the system's ``libfribidi0``). Without raqm, lines are
shaped here by hand into Arabic presentation forms (the contextual glyph per letter, plus
the lam-alef ligature) and written in visual order with Pillow's basic layout; tesseract
reads both the same. Fonts: Noto Naskh Arabic (``fonts-noto-core``) or Amiri / KacstOne for
Arabic, DejaVu Sans (``fonts-dejavu-core``) for English (the Arabic fonts lack Latin letters).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont, features

from dhakira.text import strip_bidi

ARABIC_FONTS = (
    "/usr/share/fonts/truetype/noto/NotoNaskhArabic-Regular.ttf",
    "/usr/share/fonts/opentype/fonts-hosny-amiri/Amiri-Regular.ttf",
    "/usr/share/fonts/truetype/fonts-hosny-amiri/Amiri-Regular.ttf",
    "/usr/share/fonts/truetype/kacst-one/KacstOne.ttf",
)
LATIN_FONTS = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf",
)
ARABIC_SIZE = 44
FONT_PACKAGES = "apt-get install fonts-noto-core fonts-dejavu-core"

ARABIC_LINES = ("مستشفى دوما الميداني تعرض للقصف", "في الغوطة الشرقية بريف دمشق")
ENGLISH_LINES = ("Douma field hospital was shelled", "in Eastern Ghouta near Damascus")
KEY_WORDS = ("مستشفى", "دوما", "الغوطة", "دمشق", "douma", "hospital", "ghouta", "damascus")

_DIACRITICS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")
# Letters that join only to the letter before them (never to the next one).
_RIGHT_JOINING = set("اأإآدذرزوؤةءٱ")
_ALEFS = {"ا": "", "أ": " WITH HAMZA ABOVE", "إ": " WITH HAMZA BELOW", "آ": " WITH MADDA ABOVE"}


def find_font(candidates: Sequence[str]) -> str | None:
    return next((path for path in candidates if Path(path).exists()), None)


def normalise(text: str) -> str:
    """For comparing OCR output: no bidi marks or diacritics, folded case, one-space words."""
    text = unicodedata.normalize("NFKC", strip_bidi(text))
    return " ".join(_DIACRITICS.sub("", text).casefold().split())


def _is_letter(ch: str) -> bool:
    return "\u0621" <= ch <= "\u064a"


def _form(ch: str, form: str) -> str:
    try:
        return unicodedata.lookup(f"{unicodedata.name(ch)} {form} FORM")
    except KeyError:
        return ch


def preshape(line: str) -> str:
    """An Arabic line as presentation forms in visual order, for a renderer without raqm."""
    out: list[str] = []
    i = 0
    while i < len(line):
        ch = line[i]
        prev = line[i - 1] if i else ""
        joins_prev = _is_letter(prev) and prev not in _RIGHT_JOINING and _is_letter(ch)
        nxt = line[i + 1] if i + 1 < len(line) else ""
        if ch == "ل" and nxt in _ALEFS:
            form = "FINAL" if joins_prev else "ISOLATED"
            out.append(
                unicodedata.lookup(f"ARABIC LIGATURE LAM WITH ALEF{_ALEFS[nxt]} {form} FORM")
            )
            i += 2
            continue
        joins_next = _is_letter(ch) and ch not in _RIGHT_JOINING and _is_letter(nxt)
        if not _is_letter(ch):
            out.append(ch)
        else:
            form = {
                (True, True): "MEDIAL",
                (True, False): "FINAL",
                (False, True): "INITIAL",
                (False, False): "ISOLATED",
            }[(joins_prev, joins_next)]
            out.append(_form(ch, form))
        i += 1
    return "".join(reversed(out))


def render_page(
    path: Path,
    arabic_font: str,
    latin_font: str,
    *,
    size: tuple[int, int] = (1400, 420),
    raqm: bool | None = None,
) -> Path:
    """An image with ARABIC_LINES (right-aligned) and ENGLISH_LINES, black on white."""
    use_raqm = features.check("raqm") if raqm is None else raqm
    engine = ImageFont.Layout.RAQM if use_raqm else ImageFont.Layout.BASIC
    arabic = ImageFont.truetype(arabic_font, ARABIC_SIZE, layout_engine=engine)
    latin = ImageFont.truetype(latin_font, 34)
    image = Image.new("L", size, 255)
    draw = ImageDraw.Draw(image)
    y = 30
    for line in ARABIC_LINES:
        if use_raqm:
            draw.text((size[0] - 40, y), line, font=arabic, fill=0, anchor="ra", direction="rtl")
        else:
            draw.text((size[0] - 40, y), preshape(line), font=arabic, fill=0, anchor="ra")
        y += 90
    for line in ENGLISH_LINES:
        draw.text((40, y), line, font=latin, fill=0)
        y += 80
    image.save(path)
    return path
