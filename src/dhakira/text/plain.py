"""Plain text (text/*, JSON, subtitles ...): decoding bytes of unknown encoding.

Detection, in order: a byte-order mark (UTF-8, UTF-16, UTF-32); a declared charset (from the
MIME type's parameter, or an HTML/XML declaration, when the caller has one); NUL bytes, which
only UTF-16 text has, on odd positions (little-endian) or even ones (big-endian); strict UTF-8;
then, for 8-bit text, Windows Arabic (cp1256) when most bytes above 0x7F come in runs (Arabic
words are written entirely in them), else Windows Latin (cp1252), else Latin-1, which decodes
anything. Only the first :data:`MAX_BYTES` are read.
"""

from __future__ import annotations

import codecs
import json
import re
from pathlib import Path

from dhakira.text.model import EXTRACTOR_VERSION, Extracted
from dhakira.text.normalise import detect_languages, tidy

MAX_BYTES = 10 * 1024 * 1024
SAMPLE = 1024 * 1024

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_HIGH_RUN = re.compile(rb"[\x80-\xff]+")
_JSON_ESCAPE = re.compile(
    r"\\u([dD][89abAB][0-9a-fA-F]{2})\\u([dD][c-fC-F][0-9a-fA-F]{2})|\\u([0-9a-fA-F]{4})"
)


def read_capped(path: Path, limit: int | None = None) -> tuple[bytes, bool]:
    """The first ``limit`` (:data:`MAX_BYTES`) bytes of ``path``, and whether there were more."""
    limit = MAX_BYTES if limit is None else limit
    with path.open("rb") as handle:
        data = handle.read(limit + 1)
    return data[:limit], len(data) > limit


def _codec(name: str | None) -> str | None:
    """A Python codec for a declared charset name, or None if unknown."""
    if not name:
        return None
    try:
        found = codecs.lookup(name.strip().strip("\"'").lower()).name
    except LookupError:
        return None
    # As browsers do: "Latin-1" and ASCII pages are really Windows Latin.
    return "cp1252" if found in ("latin-1", "iso8859-1", "ascii") else found


def _utf16(sample: bytes) -> str | None:
    even = sample[0::2].count(0)
    odd = sample[1::2].count(0)
    half = max(len(sample) // 2, 1)
    if odd > 0.05 * half and even < 0.01 * half:
        return "utf-16-le"
    if even > 0.05 * half and odd < 0.01 * half:
        return "utf-16-be"
    return None


def _eight_bit(sample: bytes) -> str:
    runs = _HIGH_RUN.findall(sample)
    high = sum(len(run) for run in runs)
    in_words = sum(len(run) for run in runs if len(run) >= 2)
    if high and in_words >= 0.5 * high:
        return "cp1256"
    try:
        sample.decode("cp1252")
    except UnicodeDecodeError:
        return "latin-1"
    return "cp1252"


def decode(data: bytes, declared: str | None = None, *, cut: bool = False) -> tuple[str, str]:
    """``data`` as text, and the encoding used (``"utf-8"``, ``"cp1256"`` ...).

    ``cut``: ``data`` was truncated, so an incomplete last character is dropped, not an error.
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return _decode(data[len(bom) :], encoding, cut), encoding
    sample = data[:SAMPLE]
    declared_codec = _codec(declared)
    if declared_codec and declared_codec.startswith("utf-16") and b"\x00" not in sample:
        declared_codec = None  # a page saved as UTF-8 that still says UTF-16
    if declared_codec:
        try:
            strict = codecs.getincrementaldecoder(declared_codec)()
            return strict.decode(data, final=not cut), declared_codec
        except UnicodeDecodeError:
            pass  # declared wrongly: detect instead
    if b"\x00" in sample:
        wide = _utf16(sample)
        if wide:
            return _decode(data, wide, cut), wide
    try:
        return codecs.getincrementaldecoder("utf-8")().decode(data, final=not cut), "utf-8"
    except UnicodeDecodeError:
        pass
    encoding = _eight_bit(sample)
    return _decode(data, encoding, cut), encoding


def _decode(data: bytes, encoding: str, cut: bool) -> str:
    decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
    return decoder.decode(data, final=not cut)


def unescape_json(text: str) -> str:
    """``\\uXXXX`` escapes (as ``json.dumps`` writes Arabic by default) made characters."""

    def replace(match: re.Match[str]) -> str:
        if match.group(3):
            return chr(int(match.group(3), 16))
        high, low = int(match.group(1), 16), int(match.group(2), 16)
        return chr(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))

    return _JSON_ESCAPE.sub(replace, text)


def json_strings(text: str) -> str | None:
    """The string values of a JSON document, one per line; None if it is not JSON."""
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        return None
    lines: list[str] = []
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            lines.append(item)
        elif isinstance(item, dict):
            stack.extend(reversed(list(item.values())))
        elif isinstance(item, list):
            stack.extend(reversed(item))
    return "\n".join(lines)


def extract_plain(path: Path, *, declared: str | None = None, json_like: bool = False) -> Extracted:
    data, cut = read_capped(path)
    text, encoding = decode(data, declared, cut=cut)
    notes = [f"encoding {encoding}"]
    if cut:
        notes.append(f"only the first {MAX_BYTES:,} bytes read")
    if json_like:
        strings = None if cut else json_strings(text)
        if strings is None:
            text = unescape_json(text)
        else:
            text = strings
            notes.append("JSON string values")
    text = tidy(text)
    return Extracted(
        text=text,
        tool="plain",
        version=str(EXTRACTOR_VERSION),
        languages=detect_languages(text),
        ocr=False,
        pages=None,
        error=None,
        notes=tuple(notes),
    )
