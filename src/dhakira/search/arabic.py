"""Arabic-aware text folding and light stemming for the full-text index.

Two forms of every text are indexed, computed identically for documents and for queries
(never store or display them: the original text is kept elsewhere)::

    norm, stem = forms(text)

``norm`` (:func:`normalise`) is the text folded so that spelling noise does not matter:

* invisible characters go: bidi controls and every other format character (ZWNJ/ZWJ, soft
  hyphen, BOM, ALM, Arabic number signs), control characters become spaces;
* Unicode compatibility forms are unfolded (NFKC/NFKD: presentation forms such as ﻻ, ﺃ,
  full-width Latin), Latin is case-folded and loses its diacritics (``"Dūmā"`` -> ``"duma"``,
  ``"Şêx"`` -> ``"sex"``; ø ł đ ð ı æ œ þ are mapped by hand as they do not decompose);
* every combining mark is dropped, in every script: Arabic harakat, shadda, sukun, superscript
  alef, the hamza and madda placed on a carrier (so أ إ آ -> ا, ؤ -> و, ئ -> ي) and Quranic
  annotation marks U+06D6-U+06ED. (SQLite's unicode61 tokenizer treats non-Latin combining
  marks as separators, so ``كَتَبَ`` would otherwise index as three one-letter tokens);
* Arabic letter variants are unified: ٱ ٲ ٳ -> ا, ى -> ي, ة -> ه, tatweel removed; letters
  that Persian/Urdu/Kurdish keyboards type for the *same* Arabic letter are mapped to it:
  ک ڪ -> ك, ی ې ۍ ێ ے -> ي, ە ہ ۃ ھ -> ه, ۆ -> و, ڵ -> ل, ڕ -> ر. Letters for sounds Arabic
  lacks (پ چ ژ گ ڤ) are kept: they are different letters, not spellings of ك or ف; the
  transliteration keys (:mod:`dhakira.search.translit`) absorb them instead;
* all decimal digits (Arabic-Indic ٠-٩, Eastern ۰-۹, ...) become ASCII 0-9; Arabic
  punctuation becomes ASCII (، -> ``,``  ؛ -> ``;``  ؟ -> ``?``  ٪ -> ``%``);
* apostrophes between two letters are removed (``Ma'arrat``, ``Ma’arrat``, ``Maʿarrat`` ->
  ``maarrat``) as they stand for ayn/hamza in transliterations; modifier-letter ayn/hamza
  (ʿ ʾ ʼ ʻ) are removed everywhere;
* a space is put between Arabic letters and Latin letters or digits written against them
  (``عام2018`` -> ``عام 2018``); runs of white space become one space.

:func:`normalise` is idempotent. The tokenizer (``unicode61 remove_diacritics 2``) then splits
on punctuation and case-folds again, which is harmless.

``stem`` (:func:`stem_text`) is ``norm`` with each word replaced by its light stem
(:func:`stem`), one token for one token, so phrase queries work in both columns and token
positions line up. Latin words of four letters or more only lose an English plural (Harman's
S-stemmer: hospitals -> hospital, cities -> city, but not gas, bus, Damascus); prefix queries
``word*`` cover the rest. The Arabic stemmer is Light10-like (Larkey, Ballesteros & Connell
2002), extended so that place names match after the prepositions the product needs
(بدوما = دوما):

* prefixes: the article groups ال وال فال بال كال لل ولل فلل وبال وكال فبال فكال go when at
  least 2 letters remain; the conjunction و when at least 3 remain; ب ك ل ف (alone or after
  و/ف) when the rest, less a pronoun and a plural/feminine ending, still has 4 letters (so
  بيتهم is بيت+هم, not ب+يتهم, and كتاب keeps its ك), or when the rest is one of a few short
  place names (حلب, حمص, حماه, ...). Prefix stripping repeats (بلبنان -> لبنان -> بنان, like
  لبنان -> بنان);
* suffixes (each only when at least 3 letters remain): first one pronoun suffix
  (هما كما هم هن كم كن نا ها), then repeatedly the plural ات ون ين, the feminine/nisba يه (ية)
  or ه (ة, or the pronoun), and ي. So المستشفيات, مستشفى, مستشفيات, والمستشفى -> مستشف;
  الغوطة, غوطه, بالغوطة -> غوط; الرقة, بالرقة, رقة -> رقه (too short to lose ه).
  The dual/ending ان is *not* stripped: it ends too many nouns and names (لبنان, عمران, سلمان);
* a few very frequent words have fixed stems (الله and its prefixed forms; سوريا -> سور like
  سورية, سوري, سوريون);
* inside the stem, يو becomes وو: the hamza before و is written on ئ or on ؤ depending on the
  spelling school (مسئول, مسؤول; شئون, شؤون), which normalise turns into ي or و.

Light stemming trades precision for recall (مدنيين "civilians" and مدن "cities" share مدن);
rank the ``norm`` column above the ``stem`` column (bm25 weights) so exact spellings come first.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import NamedTuple

from dhakira.text.normalise import strip_bidi

__all__ = [
    "ARABIC_LETTER",
    "Forms",
    "fold_keep_case",
    "forms",
    "is_arabic_word",
    "normalise",
    "stem",
    "stem_text",
    "strip_article",
    "strip_bidi",
    "strip_prefixes",
]

# --------------------------------------------------------------------------- bidi

# --------------------------------------------------------------------------- folding

# Character ranges that count as Arabic letters (after normalise), for regexes.
ARABIC_LETTER = (
    "\u0621-\u063a\u0641-\u064a\u066e\u066f\u0671-\u06d3\u06d5\u06ee\u06ef"
    "\u06fa-\u06fc\u06ff\u0750-\u077f\u08a0-\u08c9"
)

_FIXED: dict[int, str | None] = {}


def _fix(chars: str, to: str | None) -> None:
    for ch in chars:
        _FIXED[ord(ch)] = to


_fix("\u0640", None)  # tatweel
_fix("\u0674", None)  # high hamza (left over from NFKD of ٵ)
_fix("".join(map(chr, range(0x06D6, 0x06EE))), None)  # Quranic marks (some are not Mn)
_fix("\u02bb\u02bc\u02bd\u02be\u02bf", None)  # modifier-letter apostrophes / ayn / hamza
_fix("آأإٱٲٳٵ", "ا")
_fix("ىیېۍێےۓ", "ي")
_fix("ئ", "ي")
_fix("ؤۆ", "و")
_fix("ةەہۃھۀۂ", "ه")
_fix("کڪ", "ك")
_fix("ڵ", "ل")
_fix("ڕ", "ر")
_fix("،٬", ",")
_fix("؛", ";")
_fix("؟", "?")
_fix("٪", "%")
_fix("٫۔", ".")
_fix("٭", "*")
_fix("﴾", "(")
_fix("﴿", ")")
_fix("øØ", "o")
_fix("łŁ", "l")
_fix("đĐðÐ", "d")
_fix("ıİ", "i")
_fix("æÆ", "ae")
_fix("œŒ", "oe")
_fix("þÞ", "th")
_fix("ħĦ", "h")


class _FoldTable(dict[int, "int | str | None"]):
    """A ``str.translate`` table that classifies characters on first sight and remembers.

    Combining marks (Mn, Me), format characters (Cf) and lone surrogates are deleted, control
    characters become spaces, other decimal digits become ASCII digits.
    """

    def __missing__(self, key: int) -> int | str | None:
        value: int | str | None
        if key in _FIXED:
            value = _FIXED[key]
        else:
            cat = unicodedata.category(chr(key))
            if cat in ("Mn", "Me", "Cf", "Cs"):
                value = None
            elif cat == "Cc":
                value = " "
            elif cat == "Nd" and key > 0x7F:
                value = str(unicodedata.decimal(chr(key)))
            else:
                value = key
        self[key] = value
        return value


_TABLE = _FoldTable()

_APOSTROPHES = "'\u2018\u2019\u0060\u00b4\u2032"
_INNER_APOSTROPHE = re.compile(rf"(?<=[^\W\d_])[{_APOSTROPHES}]+(?=[^\W\d_])")
_NON_ARABIC_WORD = rf"[^\W_{ARABIC_LETTER}]"
_SCRIPT_BOUNDARY = re.compile(
    rf"(?<=[{ARABIC_LETTER}])(?={_NON_ARABIC_WORD})|(?<={_NON_ARABIC_WORD})(?=[{ARABIC_LETTER}])"
)


def _fold(text: str, *, casefold: bool = True) -> str:
    t = text.translate(_TABLE)  # drops surrogates and controls before NFKD sees them
    if casefold:
        t = t.casefold()
    t = unicodedata.normalize("NFKD", t)
    if casefold:
        t = unicodedata.normalize("NFKD", t.casefold())
    t = unicodedata.normalize("NFC", t.translate(_TABLE))
    t = _INNER_APOSTROPHE.sub("", t)
    t = _SCRIPT_BOUNDARY.sub(" ", t)
    return " ".join(t.split())


def fold_keep_case(text: str) -> str:
    """:func:`normalise` without the case folding (to tell names by their capital letter)."""
    return _fold(text, casefold=False)


def normalise(text: str) -> str:
    """The index/query form of ``text`` (see the module docstring). Idempotent."""
    if text.isascii():
        # Fast path: nothing but case, controls, apostrophes and spaces to fold.
        t = text.lower()
        if not t.isprintable():
            t = t.translate(_TABLE)
        t = _INNER_APOSTROPHE.sub("", t)
        return " ".join(t.split())
    return _fold(text)


# --------------------------------------------------------------------------- stemming

_ARABIC_WORD = re.compile(f"[{ARABIC_LETTER}]+")

# Longest first within each list.
_ARTICLES = (
    "وبال",
    "وكال",
    "فبال",
    "فكال",
    "وال",
    "فال",
    "بال",
    "كال",
    "ولل",
    "فلل",
    "لل",
    "ال",
)
_PREPOSITIONS = ("وب", "وك", "ول", "فب", "فك", "فل", "ب", "ك", "ل", "ف")
_PRONOUN_SUFFIXES = ("هما", "كما", "هم", "هن", "كم", "كن", "نا", "ها")
_PLURAL_SUFFIXES = ("ات", "ون", "ين")

# Three-letter words that may follow a one-letter preposition (بحلب, لحمص).
_SHORT_NAMES = frozenset({"حلب", "حمص", "حماه", "نوي", "ادلب", "درعا", "دوما", "منبج"})

# Whole words (as normalised, before or after prefix stripping) with a fixed stem.
_FIXED_STEMS = {
    "الله": "الله",
    "لله": "الله",
    "والله": "الله",
    "بالله": "الله",
    "تالله": "الله",
    "فالله": "الله",
    "سوريا": "سور",
    "عربين": "عربين",
}


def is_arabic_word(word: str) -> bool:
    """True when ``word`` is one run of Arabic letters (as left by :func:`normalise`)."""
    return _ARABIC_WORD.fullmatch(word) is not None


def strip_article(word: str) -> str:
    """Remove only the article, alone or behind a clitic (ال, وال, بال, لل, ...)."""
    if word in _FIXED_STEMS:
        return word
    for p in _ARTICLES:
        if word.startswith(p) and len(word) - len(p) >= 2:
            return word[len(p) :]
    return word


def _core_length(word: str) -> int:
    """Length of ``word`` without one pronoun and one plural/feminine suffix, if it has them.

    A one-letter preposition is only split off when the core left is 4 letters or more, so
    بيتهم is بيت+هم (not ب+يتهم) and كتابهم is كتاب+هم.
    """
    for s in _PRONOUN_SUFFIXES:
        if word.endswith(s):
            word = word[: -len(s)]
            break
    for s in (*_PLURAL_SUFFIXES, "يه", "ه", "ي"):
        if word.endswith(s):
            word = word[: -len(s)]
            break
    return len(word)


def strip_prefixes(word: str) -> str:
    """Remove the article, conjunctions and prepositions from a normalised Arabic word."""
    if word in _FIXED_STEMS:
        return word
    for _ in range(3):
        before = word
        for p in _ARTICLES:
            if word.startswith(p) and len(word) - len(p) >= 2:
                word = word[len(p) :]
                break
        else:
            for p in _PREPOSITIONS:
                if word.startswith(p):
                    rest = word[len(p) :]
                    if rest in _SHORT_NAMES or _core_length(rest) >= 4:
                        word = rest
                        break
            else:
                if word.startswith("و") and len(word) >= 4:
                    word = word[1:]
        if word == before or word in _FIXED_STEMS:
            break
    return word


def _strip_suffixes(word: str) -> str:
    for s in _PRONOUN_SUFFIXES:
        if word.endswith(s) and len(word) - len(s) >= 3:
            word = word[: -len(s)]
            break
    while True:
        before = word
        for s in _PLURAL_SUFFIXES:
            if word.endswith(s) and len(word) - len(s) >= 3:
                word = word[: -len(s)]
                break
        if word.endswith("يه") and len(word) >= 5:
            word = word[:-2]
        elif word.endswith("ه") and len(word) >= 4:
            word = word[:-1]
        if word.endswith("ي") and len(word) >= 4:
            word = word[:-1]
        if word == before:
            return word


@lru_cache(maxsize=1 << 16)
def _stem_word(word: str) -> str:
    fixed = _FIXED_STEMS.get(word)
    if fixed is not None:
        return fixed
    word = strip_prefixes(word)
    fixed = _FIXED_STEMS.get(word)
    if fixed is not None:
        return fixed
    word = _strip_suffixes(word)
    # A hamza before و sits on ئ or on ؤ depending on the spelling school (مسئول, مسؤول):
    # after normalise that is يو or وو inside the word; the stem takes وو.
    return word[:1] + word[1:].replace("يو", "وو")


_LATIN_WORD = re.compile(r"\b[a-z]{4,}\b")


def _s_stem(word: str) -> str:
    """Harman's S-stemmer: English plurals to singular (cities -> city, hospitals -> hospital)."""
    if word.endswith("ies") and not word.endswith(("eies", "aies")):
        return word[:-3] + "y"
    if word.endswith("es") and not word.endswith(("aes", "ees", "oes")):
        return word[:-1]
    if word.endswith("s") and not word.endswith(("us", "ss")):
        return word[:-1]
    return word


def stem_text(normalised: str) -> str:
    """Replace each word of already-normalised text by its stem (one token for one)."""
    text = _ARABIC_WORD.sub(lambda m: _stem_word(m.group()), normalised)
    return _LATIN_WORD.sub(lambda m: _s_stem(m.group()), text)


def stem(word: str) -> str:
    """The light stem of one word: normalised, and for Arabic words prefixes/suffixes removed.

    ``stem("المستشفيات") == stem("مستشفى") == "مستشف"``; English plurals lose their s
    (``stem("Hospitals") == "hospital"``).
    """
    return stem_text(normalise(word))


class Forms(NamedTuple):
    norm: str  # for exact words and phrases
    stem: str  # for recall across Arabic prefixes, suffixes and plurals


def forms(text: str) -> Forms:
    """Both indexed forms of ``text``: ``(normalise(text), stem_text(normalise(text)))``."""
    norm = normalise(text)
    return Forms(norm, stem_text(norm))
