"""Pure text helpers: bidi marks, whitespace, script-based language labels.

Language detection is deliberately simple and script-based: letters are counted by script
and every script holding at least 10 % of them (and at least 3 letters) is reported, most
frequent first. Arabic script is reported as ``"ar"`` (so Persian, Kurdish Sorani or Urdu
are ``"ar"`` too), Latin script as ``"en"`` (French, Kurmanji, Turkish ... too), Cyrillic as
``"ru"``; text without letters of these scripts is ``("und",)``. Only the first 2 million
characters are looked at.
"""

from __future__ import annotations

import re
import unicodedata

BIDI_MARKS = (
    "\u200e\u200f"  # LRM, RLM
    "\u202a\u202b\u202c\u202d\u202e"  # LRE, RLE, PDF, LRO, RLO
    "\u2066\u2067\u2068\u2069"  # LRI, RLI, FSI, PDI
    "\u061c"  # Arabic letter mark
    "\ufeff"  # BOM / zero-width no-break space
)
_STRIP_BIDI = dict.fromkeys(map(ord, BIDI_MARKS))

# Control characters other than \t \n \f, and the soft hyphen: removed.
_CONTROLS = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f\u00ad]")
_NEWLINES = re.compile("\r\n?|[\u0085\u2028\u2029\x0b]")
_HSPACE = re.compile("[ \t\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]+")
_BLANK_LINES = re.compile("\n{3,}")
# Arabic presentation forms (as some PDFs emit them) and Latin ligatures: folded by NFKC.
_COMPAT = re.compile("[\ufb00-\ufb06\ufb50-\ufdff\ufe70-\ufefc]+")

_SCRIPTS = (
    (
        "ar",
        re.compile(
            "[\u0620-\u064a\u066e-\u06d3\u06d5\u06ee\u06ef\u06fa-\u06ff"
            "\u0750-\u077f\u08a0-\u08c9\ufb50-\ufdfb\ufe70-\ufefc]"
        ),
    ),
    ("en", re.compile("[A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\u1e00-\u1eff]")),
    ("ru", re.compile("[\u0400-\u0481\u048a-\u04ff]")),
)
LANGUAGE_SAMPLE = 2_000_000
MIN_SHARE = 0.10
MIN_LETTERS = 3


def strip_bidi(text: str) -> str:
    """``text`` without bidi control marks (LRM/RLM, embeddings, isolates, ALM, BOM)."""
    return text.translate(_STRIP_BIDI)


def _tidy_page(page: str) -> str:
    lines = (_HSPACE.sub(" ", line).strip() for line in page.split("\n"))
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip("\n")


def tidy(text: str) -> str:
    """Bidi marks and control characters removed, presentation forms folded, spaces squeezed.

    Line breaks are kept (at most one blank line in a row); form feeds (page breaks) are kept
    as they are. Text with nothing but whitespace becomes ``""``.
    """
    text = _NEWLINES.sub("\n", strip_bidi(text))
    text = _CONTROLS.sub("", text)
    text = _COMPAT.sub(lambda m: unicodedata.normalize("NFKC", m.group()), text)
    text = "\f".join(_tidy_page(page) for page in text.split("\f"))
    return text if text.strip() else ""


def one_line(message: str, limit: int = 300) -> str:
    """``message`` squeezed onto one line, at most ``limit`` characters."""
    line = " ".join(message.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def detect_languages(text: str) -> tuple[str, ...]:
    """Languages by script share, most frequent first: ``("ar", "en")``, or ``("und",)``."""
    sample = text[:LANGUAGE_SAMPLE]
    counts = [(len(sample) - len(pattern.sub("", sample)), code) for code, pattern in _SCRIPTS]
    total = sum(count for count, _ in counts)
    found = [
        code
        for count, code in sorted(counts, key=lambda pair: -pair[0])
        if count >= MIN_LETTERS and count >= MIN_SHARE * total
    ]
    return tuple(found) or ("und",)
