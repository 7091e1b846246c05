"""Transliteration-tolerant keys for names written in Arabic or Latin letters.

``Douma``, ``Duma`` and ``دوما`` are one place; ``ar-Raqqah``, ``Rakka`` and ``الرقة`` too. Each
word is reduced to a coarse *phonetic skeleton* in Latin letters, and names match when their
skeletons are equal. The rules, applied the same way to both scripts:

* consonant classes: b (ب پ, b p) · t (ت ط ث, t th) · j (ج چ, j dj) · h (ح ه خ, h kh) ·
  d (د ض ذ, d) · r · z (ز ظ ژ, z zh) · s (س ص ش, s sh ch sch) · g (غ گ, g gh) · f (ف ڤ, f ph v)
  · k (ق ك, k q c ck; x -> ks) · l · m · n;
* vowels are dropped: a e i o u, and ا ع ء (Latin writes ayn and hamza as an apostrophe, a
  vowel, or nothing). و/ي and w/y are the consonants w/y at the start of a word or before a
  vowel (وائل = Wael -> ``wl``, داريا = Darayya -> ``drya``, السويداء = Sweida); otherwise they
  are long vowels and dropped (دوما = Douma -> ``dma``). Latin ``i`` before a vowel is y
  (Ziad = زياد, Latakia = اللاذقية);
* letters doubled in writing count once (Raqqa = Rakka = الرقة, shadda being dropped);
* a word ending in a vowel gets the mark ``a`` (Douma -> ``dma`` but الدم "blood" -> ``dm``;
  Daraa -> ``dra`` but Deir -> ``dr``). A final ه/ة/ح, or a final lone Latin ``h``, counts
  as a vowel ending (Raqqah = الرقة -> ``rka``, Salah = صلاح -> ``sla``);
* the Arabic article goes, alone or with a clitic (الغوطة, بالغوطة -> ``gta``), as do the Latin
  article words (al, el, ar, ash, ez, ...) of hyphenated names (al-Ghouta -> ``gta``). Other
  leading و ب ل ك ف may be clitics (بدوما "in Douma") or letters of the name (وليد Walid,
  كفرنبل Kafranbel), so :func:`name_keys` and :func:`query_keys` give an Arabic word the keys
  of both readings;
* Arabizi digits inside Latin words are read as letters (7oms = Homs; 2 3 -> nothing,
  5 7 -> h, 6 -> t, 8 -> g, 9 -> s).

Exonyms and multi-word names cannot be caught by skeletons (Aleppo/حلب, Palmyra/تدمر,
Kobani/عين العرب), so a small :data:`GAZETTEER` gives every listed name one key ``gz<slug>``.
Latin words are compared with it by skeleton (unlisted spellings of a listed form match too:
Deir al-Zour = Deir ez-Zor), Arabic words by spelling after normalising and removing clitics
(so حليب "milk" is not حلب, though their skeletons are equal).

For the index, :func:`name_keys` gives a document's keys (one column of space-separated keys),
and :func:`query_keys` the keys a query word must have. To keep precision:

* a document only gets word keys for its Arabic words and its *capitalised* Latin words
  (names), not for stop words;
* a word key needs three consonants (``hms`` Homs, ``mhmd``); shorter skeletons (Douma ``dma``,
  Omar ``mr``, and English "news" ``ns`` = ناس "people") collide too much. Short place names get
  their cross-script match from the gazetteer instead; short person names need the spelling;
* keys from Arabic text carry the prefix ``ar`` (``arhms``), keys from Latin text none
  (``hms``). A Latin query word asks for both; an Arabic query word only for the Latin one
  (Arabic documents are found through the normalised and stemmed columns; the skeleton would
  only add noise among Arabic words).

Measured on 283 common English and Arabic words (tests/search/test_translit.py), 186 get a
key, and 9 of those (4.8%) share it wrongly with another word (bread, bird and برد "cold";
killed/cold; mother/مطر "rain"; truck/طريق "road"); sarin = سارين, camera = كاميرا rightly.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from functools import cache, lru_cache
from typing import NamedTuple

from dhakira.search.arabic import (
    fold_keep_case,
    is_arabic_word,
    normalise,
    strip_article,
    strip_prefixes,
)

__all__ = [
    "ARABIC_KEY_PREFIX",
    "GAZETTEER",
    "GAZETTEER_KEY_PREFIX",
    "gazetteer_slot",
    "name_keys",
    "query_keys",
    "skeleton",
    "word_skeleton",
]

ARABIC_KEY_PREFIX = "ar"
GAZETTEER_KEY_PREFIX = "gz"
MIN_CONSONANTS = 3

# slug -> spellings. Arabic and Latin, with or without the article; other spellings with the
# same skeletons match as well (``Deir al-Zour`` is ``Deir ez-Zor``).
GAZETTEER: dict[str, tuple[str, ...]] = {
    "aleppo": ("Aleppo", "Alep", "Halab", "Haleb", "حلب"),
    "damascus": ("Damascus", "Damas", "Dimashq", "Dimashk", "دمشق"),
    "homs": ("Homs", "Hims", "Emesa", "حمص"),
    "hama": ("Hama", "Hamah", "حماة"),
    "idlib": ("Idlib", "Idleb", "إدلب"),
    "daraa": ("Daraa", "Deraa", "Dar'a", "درعا"),
    "deirezzor": (
        "Deir ez-Zor",
        "Deir al-Zour",
        "Deir el-Zor",
        "Dayr az-Zawr",
        "Deir Ezzor",
        "Deirezzor",
        "دير الزور",
    ),
    "raqqa": ("Raqqa", "Rakka", "Raqqah", "الرقة"),
    "latakia": ("Latakia", "Lattakia", "Lattaquié", "Ladhiqiyah", "اللاذقية"),
    "tartus": ("Tartus", "Tartous", "Tortosa", "طرطوس"),
    "hasakah": ("Hasakah", "Hasaka", "Hassakeh", "الحسكة"),
    "qamishli": ("Qamishli", "Qamishlo", "Kamishli", "القامشلي"),
    "douma": ("Douma", "Duma", "دوما"),
    "ghouta": ("Ghouta", "Ghuta", "الغوطة"),
    "easternghouta": (
        "Eastern Ghouta",
        "East Ghouta",
        "Ghouta al-Sharqiya",
        "الغوطة الشرقية",
    ),
    "westernghouta": ("Western Ghouta", "West Ghouta", "Ghouta al-Gharbiya", "الغوطة الغربية"),
    "khanshaykhun": (
        "Khan Shaykhun",
        "Khan Sheikhoun",
        "Khan Sheikhun",
        "Khan Shaykhoun",
        "خان شيخون",
    ),
    "kafrnabl": ("Kafr Nabl", "Kafranbel", "Kafrnabel", "Kafr Nabel", "كفرنبل"),
    "saraqib": ("Saraqib", "Saraqeb", "سراقب"),
    "maaratalnuman": (
        "Maarat al-Numan",
        "Maarrat al-Nu'man",
        "Maaret al-Numan",
        "Ma'arat an-Nu'man",
        "معرة النعمان",
    ),
    "jisralshughur": ("Jisr al-Shughur", "Jisr ash-Shughur", "Jisr al-Shoghour", "جسر الشغور"),
    "palmyra": ("Palmyra", "Tadmur", "Tadmor", "تدمر"),
    "babaamr": ("Baba Amr", "Baba Amro", "Bab Amr", "بابا عمرو"),
    "kobani": ("Kobani", "Kobane", "Ayn al-Arab", "Ain al-Arab", "كوباني", "عين العرب"),
    "afrin": ("Afrin", "Efrin", "عفرين"),
    "manbij": ("Manbij", "Menbij", "منبج"),
    "azaz": ("Azaz", "A'zaz", "اعزاز"),
    "darayya": ("Darayya", "Daraya", "داريا"),
    "zabadani": ("Zabadani", "Zabadany", "الزبداني"),
    "madaya": ("Madaya", "مضايا"),
    "yarmouk": ("Yarmouk", "Yarmuk", "اليرموك"),
    "aintarma": ("Ain Tarma", "Ein Tarma", "عين ترما"),
    "abukamal": ("Abu Kamal", "Albukamal", "Al-Bukamal", "Boukamal", "البوكمال"),
    "rasalain": ("Ras al-Ain", "Ras al-Ayn", "Serekaniye", "Serêkaniyê", "رأس العين"),
    "telabyad": ("Tal Abyad", "Tell Abyad", "Gire Spi", "Girê Spî", "تل أبيض"),
    "suwayda": ("Suwayda", "Sweida", "As-Suwayda", "السويداء"),
    "quneitra": ("Quneitra", "Qunaytirah", "القنيطرة"),
    "qusayr": ("Qusayr", "Qusair", "al-Qusayr", "القصير"),
    "syria": ("Syria", "Suriya", "Souria", "سوريا", "سورية"),
}

_LATIN_ARTICLES = frozenset(
    re.findall(r"\w+", "al el il ul an ar as ash at ath ad adh az ed en er es et ez")
)

_ENGLISH_STOP = frozenset(
    re.findall(
        r"\w+",
        """
    the and for with from this that these those there their they them then than when where
    which while what who whom whose will would shall should could have has had was were been
    being are not but our your his her its into onto over under after before about above below
    between during near via per also all any some each other such only more most very can may
    might must how why said says say one two three four five six seven eight nine ten first
    last new old here just like she him you yes
    january february march april may june july august september october november december
    monday tuesday wednesday thursday friday saturday sunday
    """,
    )
)

_ARABIC_STOP = frozenset(
    normalise(w)
    for w in re.findall(
        r"\w+",
        """
    في من الى إلى على عن مع هذا هذه ذلك تلك هؤلاء التي الذي الذين اللذين اللتين هناك هنا كان
    كانت يكون تكون قد لقد ثم او أو ان أن إن لا ما لم لن هو هي هم هن نحن انا أنا انت أنت انتم
    كل بعض غير بين بعد قبل عند حتى منذ خلال حيث كما لكن اذا إذا اي أي ايضا أيضا عليه عليها فيه
    فيها منه منها اليوم امس أمس الان الآن يوم عام سنة تم وقد وكان كذلك جدا
    """,
    )
)

# --------------------------------------------------------------------------- skeletons

_AR_CLASS = {
    "ب": "b",
    "پ": "b",
    "ت": "t",
    "ط": "t",
    "ث": "t",
    "ج": "j",
    "چ": "j",
    "ح": "h",
    "خ": "h",
    "ه": "h",
    "د": "d",
    "ذ": "d",
    "ض": "d",
    "ر": "r",
    "ز": "z",
    "ظ": "z",
    "ژ": "z",
    "س": "s",
    "ش": "s",
    "ص": "s",
    "غ": "g",
    "گ": "g",
    "ف": "f",
    "ڤ": "f",
    "ق": "k",
    "ك": "k",
    "ل": "l",
    "م": "m",
    "ن": "n",
    "و": "w",
    "ي": "y",
}
_AR_VOWEL_LETTERS = frozenset("اعءوي")
_AR_VOWEL_END = frozenset("اعءويهح")

_LATIN_CLASS = {
    "b": "b",
    "p": "b",
    "t": "t",
    "j": "j",
    "h": "h",
    "d": "d",
    "r": "r",
    "z": "z",
    "s": "s",
    "g": "g",
    "f": "f",
    "v": "f",
    "k": "k",
    "q": "k",
    "c": "k",
    "l": "l",
    "m": "m",
    "n": "n",
    "w": "w",
    "y": "y",
    # digraphs, as upper-case placeholders (see _DIGRAPH)
    "S": "s",
    "H": "h",
    "G": "g",
    "T": "t",
    "F": "f",
    "Z": "z",
    "J": "j",
    "K": "k",
}
_DIGRAPH = re.compile(r"sch|sh|ch|kh|gh|th|ph|zh|dj|ck")
_DIGRAPH_TO = {
    "sch": "S",
    "sh": "S",
    "ch": "S",
    "kh": "H",
    "gh": "G",
    "th": "T",
    "ph": "F",
    "zh": "Z",
    "dj": "J",
    "ck": "K",
}
_ARABIZI = str.maketrans({"2": "", "3": "", "5": "h", "7": "h", "6": "t", "8": "g", "9": "s"})
_LATIN_VOWELS = frozenset("aeiou")
_LATIN_WORD = re.compile(r"[a-z0-9]+")
_DOUBLED = re.compile(r"(.)\1+")


def _finish(classes: list[str], vowel_end: bool) -> str:
    """Join consonant classes; "" stands for a vowel or a break between them.

    The same class twice in a row with nothing between is one letter written double.
    """
    out = "".join(c for i, c in enumerate(classes) if c and (i == 0 or classes[i - 1] != c))
    return out + ("a" if vowel_end and out else "")


def _arabic_skeleton(word: str) -> str:
    if not word:
        return ""
    vowel_end = word[-1] in _AR_VOWEL_END
    classes: list[str] = []
    last = len(word) - 1
    for i, ch in enumerate(word):
        if i == last and ch in "هح" and i > 0:
            break  # a final ه/ة/ح is (read as) a vowel ending
        if ch in "وي":
            nxt = word[i + 1] if i < last else ""
            consonant = i == 0 or nxt in _AR_VOWEL_LETTERS or (nxt == "ه" and i + 1 == last)
            classes.append(_AR_CLASS[ch] if consonant else "")
        else:
            # a vowel letter, or a letter with no class: a break between its neighbours
            classes.append(_AR_CLASS.get(ch, ""))
    return _finish(classes, vowel_end)


def _latin_skeleton(word: str) -> str:
    if not word.isalpha():
        word = word.translate(_ARABIZI)
    word = _DOUBLED.sub(r"\1", word)
    if not word:
        return ""
    vowel_end = word[-1] in _LATIN_VOWELS or word[-1] == "y"
    if len(word) > 1 and word[-1] == "h" and not _DIGRAPH.search(word[-2:]):
        word = word[:-1]
        vowel_end = True
    word = _DIGRAPH.sub(lambda m: _DIGRAPH_TO[m.group()], word)
    classes: list[str] = []
    n = len(word)
    for i, ch in enumerate(word):
        nxt = word[i + 1] if i + 1 < n else ""
        if ch in _LATIN_VOWELS:
            classes.append("y" if ch == "i" and i > 0 and nxt in _LATIN_VOWELS else "")
        elif ch in "wy" and not (i == 0 or nxt in _LATIN_VOWELS):
            classes.append("")
        elif ch == "x":
            classes += ["k", "s"]
        else:
            classes.append(_LATIN_CLASS.get(ch, ""))
    return _finish(classes, vowel_end)


@lru_cache(maxsize=1 << 16)
def word_skeleton(word: str) -> str:
    """The skeleton of one normalised word ("" for numbers, other scripts, empty results)."""
    if is_arabic_word(word):
        return _arabic_skeleton(strip_article(word))
    if _LATIN_WORD.fullmatch(word) and not word.isdigit():
        return _latin_skeleton(word)
    return ""


def _consonants(key: str) -> int:
    return len(key) - key.endswith("a")


def _arabic_keys(word: str) -> list[str]:
    """Skeletons of an Arabic word: clitics stripped, and (if different) only the article.

    Both, because a leading و ب ل ك ف may be a clitic (ودوما = and Douma) or the name's first
    letter (وليد = Walid).
    """
    out: list[str] = []
    for form in (strip_prefixes(word), strip_article(word)):
        skel = _arabic_skeleton(form)
        if skel and _consonants(skel) >= MIN_CONSONANTS and skel not in out:
            out.append(skel)
    return out


class _Word(NamedTuple):
    """What the keys need to know about one normalised word (cached: vocabularies repeat)."""

    arabic: bool
    form: str  # compared with the gazetteer: Arabic spelling without clitics, Latin skeleton
    alt: str  # Arabic: the form without a one-letter clitic the stemmer keeps (بدير -> دير)
    keys: tuple[str, ...]  # word keys (untagged), empty for stop words and short skeletons


@lru_cache(maxsize=1 << 16)
def _word(word: str) -> _Word:
    if is_arabic_word(word):
        bare = strip_prefixes(word)
        alt = strip_prefixes(word[1:]) if len(word) > 3 and word[0] in "وبلفك" else ""
        stop = _is_stop(word) or _is_stop(bare)
        return _Word(True, bare, alt, () if stop else tuple(_arabic_keys(word)))
    skel = word_skeleton(word)
    ok = skel and _consonants(skel) >= MIN_CONSONANTS and not _is_stop(word)
    return _Word(False, skel, "", (skel,) if ok else ())


@lru_cache(maxsize=1 << 16)
def _normalise_word(raw: str) -> str:
    return normalise(raw)


def _words(text: str) -> Iterator[tuple[str, bool]]:
    """(normalised word, written with a capital) for each word, Latin articles left out."""
    for raw in re.findall(r"[^\W_]+", fold_keep_case(text)):
        word = _normalise_word(raw)
        if word in _LATIN_ARTICLES:
            continue
        yield word, raw[0].isupper()


def skeleton(text: str) -> str:
    """The skeleton of a word or name (words' skeletons joined): ``skeleton("دوما") == "dma"``."""
    return "".join(word_skeleton(w) for w, _ in _words(text))


# --------------------------------------------------------------------------- gazetteer


@cache
def _gazetteer_index() -> tuple[dict[tuple[str, ...], str], int, frozenset[str]]:
    index: dict[tuple[str, ...], str] = {}
    longest = 1
    for slug, names in GAZETTEER.items():
        for name in names:
            forms = tuple(_word(w).form for w, _ in _words(name))
            if forms and all(forms):
                index.setdefault(forms, slug)
                longest = max(longest, len(forms))
    firsts = frozenset(forms[0] for forms in index)  # where a name can start: checked first
    return index, longest, firsts


def _gazetteer_matches(
    words: list[str], capitals: list[bool] | None = None, *, overlapping: bool = False
) -> Iterator[tuple[int, int, str]]:
    """(start, end, key) for gazetteer names in a sequence of normalised words.

    The longest name at each place, left to right, or with ``overlapping`` every name (Eastern
    Ghouta and Ghouta). With ``capitals`` (documents), a name in Latin letters must begin with
    a capital, so that "home" is not taken for Hama.
    """
    index, longest, firsts = _gazetteer_index()
    infos = [_word(w) for w in words]
    forms = [w.form for w in infos]
    i = 0
    while i < len(forms):
        arabic, alt = infos[i].arabic, infos[i].alt
        if forms[i] not in firsts and alt not in firsts:  # no name starts here: most words
            i += 1
            continue
        size = 0
        if arabic or capitals is None or capitals[i]:
            for size in range(min(longest, len(forms) - i), 0, -1):
                slug = index.get(tuple(forms[i : i + size]))
                if slug is None and alt:
                    slug = index.get((alt, *forms[i + 1 : i + size]))
                if slug is not None:
                    tag = ARABIC_KEY_PREFIX if arabic else ""
                    yield i, i + size, tag + GAZETTEER_KEY_PREFIX + slug
                    if not overlapping:
                        break
            else:
                size = 0
        i += 1 if overlapping or not size else size


def gazetteer_slot(text: str) -> tuple[str, ...] | None:
    """The keys a query needs when ``text`` is, as a whole, one gazetteer name (else None)."""
    words = [w for w, _ in _words(text)]
    for start, end, key in _gazetteer_matches(words):
        if start == 0 and end == len(words):
            return _query_alternatives(key)
    return None


def _query_alternatives(key: str) -> tuple[str, ...]:
    if key.startswith(ARABIC_KEY_PREFIX):
        return (key[len(ARABIC_KEY_PREFIX) :],)
    return (key, ARABIC_KEY_PREFIX + key)


def _is_stop(word: str) -> bool:
    return word in _ENGLISH_STOP or word in _ARABIC_STOP


# --------------------------------------------------------------------------- index and query


def name_keys(text: str) -> list[str]:
    """The keys of a document's text, in order, for the index's name-key column.

    Arabic words give ``ar``-prefixed skeletons, capitalised Latin words plain skeletons; a
    gazetteer name gives, after its words' keys, its ``gz`` key.
    """
    words = list(_words(text))
    gaz: dict[int, list[str]] = {}
    names = [w for w, _ in words]
    for _, end, key in _gazetteer_matches(names, [c for _, c in words], overlapping=True):
        gaz.setdefault(end, []).append(key)
    keys: list[str] = []
    for i, (word, capital) in enumerate(words):
        info = _word(word)
        if info.arabic:
            keys += [ARABIC_KEY_PREFIX + k for k in info.keys]
        elif capital:
            keys += info.keys
        if i + 1 in gaz:
            keys += gaz[i + 1]
    return keys


def query_keys(text: str) -> list[tuple[str, ...]]:
    """What a query term needs in the name-key column: one tuple of alternatives per slot.

    A gazetteer name in the term needs its ``gz`` key. Each other word that has a key needs
    it: a Latin word its skeleton with or without ``ar`` (Homs finds Hims and حمص), an Arabic
    word the plain skeleton (حمص finds Homs). An empty list means the term has no name keys.
    """
    words = [w for w, _ in _words(text)]
    spans = {start: (end, key) for start, end, key in _gazetteer_matches(words)}
    slots: list[tuple[str, ...]] = []
    i = 0
    while i < len(words):
        if i in spans:
            end, key = spans[i]
            slots.append(_query_alternatives(key))
            i = end
            continue
        info = _word(words[i])
        i += 1
        if info.arabic and info.keys:
            slots.append(info.keys)
        elif info.keys:
            slots.append((info.keys[0], ARABIC_KEY_PREFIX + info.keys[0]))
    return slots


def key_collisions(words: Iterable[str]) -> dict[str, list[str]]:
    """Skeletons shared by several of ``words`` (for measuring how coarse the keys are)."""
    by_key: dict[str, list[str]] = {}
    for w in words:
        s = skeleton(w)
        if s and _consonants(s) >= MIN_CONSONANTS:
            by_key.setdefault(s, []).append(w)
    return {k: v for k, v in by_key.items() if len(v) > 1}
