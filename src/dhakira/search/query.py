"""The search query language: parsed into plain data, then turned into an FTS5 MATCH string.

Syntax (Arabic and Latin alike)::

    douma hospital              both words (AND)
    "field hospital"            a phrase; also “…”, «…», „…“; an unclosed quote ends at the end
    chlorine OR sarin           either; OR (upper case) or | joins words, phrases, ( groups )
    (chlorine OR sarin) douma   parentheses group alternatives; they may nest
    -funeral  -"fake news"      exclude a word or phrase (also NOT funeral); -(a OR b) excludes both
    hosp*  "field hosp"*        prefix: the word, or the last word of a phrase, begins so
    contributor:Rami  contributor:"Rami Jarrah"
    collection:NAME             (quotes for values with spaces, like contributor:)
    type:video                  image video audio document pdf office archive text; type:a,b
    captured:2018  captured:2018-04  captured:2018-04-01..2018-04-10  captured:..2018-04-10
    has:gps                     has:gps has:date has:text has:note
    lang:ar                     a 2- or 3-letter code (or arabic, english, kurdish, ...)
    sort:date                   date/newest, oldest, relevance (the last one given wins)

Several values of one filter are alternatives (``type:video type:image``: either), except
``has:``, where all are required, and ``captured:``, where the ranges are intersected. AND and
a leading + are accepted and ignored. A word that looks like ``name:value`` with an unknown name
is an error (quote it to search for it); ``http://...`` is a word.

:func:`parse` never raises anything but :class:`QueryError`, whose message says what to change.
Terms keep the text as typed; :func:`to_fts5` normalises and stems them.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Literal

from dhakira.errors import DhakiraError
from dhakira.search.arabic import normalise, stem_text, strip_bidi
from dhakira.search.translit import gazetteer_slot, query_keys

__all__ = [
    "KNOWN_FIELDS",
    "KNOWN_HAS",
    "KNOWN_TYPES",
    "Filters",
    "Query",
    "QueryError",
    "Sort",
    "Term",
    "excluded_fts5",
    "parse",
    "to_fts5",
]

MAX_QUERY_LENGTH = 2000
MAX_CLAUSES = 64  # after expanding (a OR b) (c OR d) OR e and the like
MAX_DEPTH = 10  # nested parentheses

KNOWN_FIELDS = ("contributor", "collection", "type", "captured", "has", "lang", "sort")
_FIELD_ALIASES = {"date": "captured", "kind": "type", "language": "lang", "by": "contributor"}
KNOWN_TYPES = ("image", "video", "audio", "document", "pdf", "office", "archive", "text")
_TYPE_ALIASES = {
    "photo": "image",
    "photos": "image",
    "picture": "image",
    "img": "image",
    "images": "image",
    "videos": "video",
    "movie": "video",
    "film": "video",
    "sound": "audio",
    "doc": "document",
    "docs": "document",
    "documents": "document",
    "zip": "archive",
}
KNOWN_HAS = ("gps", "date", "text", "note")
_HAS_ALIASES = {"location": "gps", "geo": "gps", "place": "gps", "time": "date"}
_LANG_NAMES = {
    "arabic": "ar",
    "english": "en",
    "kurdish": "ku",
    "french": "fr",
    "turkish": "tr",
    "german": "de",
    "russian": "ru",
    "persian": "fa",
    "farsi": "fa",
    "syriac": "syr",
    "armenian": "hy",
}
Sort = Literal["relevance", "newest", "oldest"]
_SORTS: dict[str, Sort] = {
    "relevance": "relevance",
    "rank": "relevance",
    "date": "newest",
    "newest": "newest",
    "recent": "newest",
    "date-desc": "newest",
    "oldest": "oldest",
    "date-asc": "oldest",
}

_QUOTES = frozenset('"“”„«»')
_FIELD = re.compile(r"([A-Za-z]+):(.*)", re.DOTALL)


class QueryError(DhakiraError, ValueError):
    """The query cannot be understood; ``str(err)`` says what to change."""

    exit_code = 1
    http_status = 400


@dataclass(frozen=True)
class Term:
    text: str  # as typed (no quotes, no trailing *)
    phrase: bool = False  # it was quoted
    prefix: bool = False  # it ended with *


@dataclass(frozen=True)
class Filters:
    contributor: tuple[str, ...] = ()
    collection: tuple[str, ...] = ()
    type: tuple[str, ...] = ()
    captured_from: date | None = None  # inclusive
    captured_to: date | None = None  # inclusive
    has: tuple[str, ...] = ()
    lang: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return self != Filters()

    @property
    def captured_before(self) -> date | None:
        """The day after ``captured_to``: an exclusive upper bound (None when open)."""
        if self.captured_to is None or self.captured_to == date.max:
            return None
        return self.captured_to + timedelta(days=1)

    def captured_iso(self) -> tuple[str | None, str | None]:
        """``(from, before)`` as ISO dates, for ``captured_at >= from AND captured_at < before``.

        Works on ISO-8601 timestamp strings (``2018-04-10T23:59:59Z`` < ``2018-04-11``).
        """
        lo, hi = self.captured_from, self.captured_before
        return (None if lo is None else lo.isoformat(), None if hi is None else hi.isoformat())


@dataclass(frozen=True)
class Query:
    # All clauses must match; a clause matches when one of its terms does.
    terms: tuple[tuple[Term, ...], ...] = ()
    excluded: tuple[Term, ...] = ()  # none of these may match
    filters: Filters = field(default_factory=Filters)
    sort: Sort | None = None

    @property
    def has_text(self) -> bool:
        """True when there are words or phrases to match (not only exclusions/filters)."""
        return bool(self.terms)

    @property
    def is_empty(self) -> bool:
        return not self.terms and not self.excluded and not self.filters and self.sort is None


# --------------------------------------------------------------------------- lexing


@dataclass(frozen=True)
class _Tok:
    kind: Literal["term", "filter", "(", ")", "or", "not"]
    term: Term | None = None
    name: str = ""
    value: str = ""
    negated: bool = False


def _read_quoted(q: str, i: int) -> tuple[str, int]:
    """Text from q[i] (just after an opening quote) to the next quote or the end."""
    j = i
    while j < len(q) and q[j] not in _QUOTES:
        j += 1
    return q[i:j], j + 1  # past the closing quote (or past the end)


def _lex(q: str) -> Iterator[_Tok]:
    i, n = 0, len(q)
    while i < n:
        ch = q[i]
        if ch.isspace():
            i += 1
            continue
        negated = False
        if ch in "-+" and i + 1 < n and not q[i + 1].isspace():
            negated = ch == "-"
            i += 1
            ch = q[i]
        if ch == "(":
            yield _Tok("(", negated=negated)
            i += 1
        elif ch == ")":
            yield _Tok(")")
            i += 1
        elif ch in _QUOTES:
            text, i = _read_quoted(q, i + 1)
            prefix = False
            while i < n and q[i] == "*":
                prefix, i = True, i + 1
            yield _Tok("term", Term(text.strip(), phrase=True, prefix=prefix), negated=negated)
        else:
            j = i
            while j < n and not q[j].isspace() and q[j] not in _QUOTES and q[j] not in "()":
                j += 1
            word = q[i:j]
            m = _FIELD.fullmatch(word)
            if m and not m.group(2).startswith("//"):
                value = m.group(2)
                if not value and j < n and q[j] in _QUOTES:
                    value, j = _read_quoted(q, j + 1)
                yield _Tok("filter", name=m.group(1).lower(), value=value.strip(), negated=negated)
            elif word in ("OR", "|") and not negated:
                yield _Tok("or")
            elif word == "AND" and not negated:
                pass
            elif word == "NOT" and not negated:
                yield _Tok("not")
            else:
                stripped = word.rstrip("*")
                if stripped.strip("-+"):
                    term = Term(stripped, prefix=len(stripped) < len(word))
                    yield _Tok("term", term, negated=negated)
            i = j


# --------------------------------------------------------------------------- parsing

# A parsed unit: clauses (conjunctive normal form), exclusions, and filters.
_Clauses = list[tuple[Term, ...]]


@dataclass
class _Node:
    clauses: _Clauses = field(default_factory=list)
    excluded: list[Term] = field(default_factory=list)
    filters: list[tuple[str, str]] = field(default_factory=list)


class _Parser:
    def __init__(self, tokens: list[_Tok]) -> None:
        self.toks = tokens
        self.pos = 0

    def peek(self) -> _Tok | None:
        return self.toks[self.pos] if self.pos < len(self.toks) else None

    def seq(self, depth: int) -> _Node:
        """Units up to ``)`` or the end, joined by AND."""
        out = _Node()
        while (tok := self.peek()) is not None:
            if tok.kind == ")":
                if depth:
                    return out
                self.pos += 1  # a stray ) : ignored
                continue
            node = self.or_expr(depth)
            out.clauses += node.clauses
            out.excluded += node.excluded
            out.filters += node.filters
            if len(out.clauses) > MAX_CLAUSES:
                raise QueryError("the query is too complex: use fewer OR alternatives")
        return out

    def or_expr(self, depth: int) -> _Node:
        parts: list[_Node] = []
        while True:
            node = self.unit(depth)
            if node is not None:
                parts.append(node)
            tok = self.peek()
            if tok is None or tok.kind != "or":
                break
            while (tok := self.peek()) is not None and tok.kind == "or":
                self.pos += 1
            if tok is None or tok.kind == ")":
                break
        parts = [p for p in parts if p.clauses or p.excluded or p.filters]
        if len(parts) <= 1:
            return parts[0] if parts else _Node()
        if any(p.excluded for p in parts):
            raise QueryError("an excluded word (-word) cannot be joined with OR")
        if any(p.filters for p in parts):
            names = {name for p in parts for name, _ in p.filters}
            if any(p.clauses for p in parts) or len(names) > 1:
                raise QueryError(
                    "OR joins words, phrases or values of one filter (type:video OR type:image)"
                )
            return _Node(filters=[f for p in parts for f in p.filters])
        clauses = parts[0].clauses
        for p in parts[1:]:
            clauses = [_merge(a, b) for a in clauses for b in p.clauses]
            if len(clauses) > MAX_CLAUSES:
                raise QueryError("the query is too complex: use fewer OR alternatives")
        return _Node(clauses=clauses)

    def unit(self, depth: int) -> _Node | None:
        """One word, phrase, filter or group; None for a lone OR/NOT or a stray token."""
        tok = self.peek()
        if tok is None or tok.kind in ("or", ")"):
            return None
        self.pos += 1
        negated = tok.negated
        if tok.kind == "not":
            nxt = self.peek()
            if nxt is None or nxt.kind in ("or", ")", "not"):
                return None
            self.pos += 1
            tok, negated = nxt, True
        if tok.kind == "term":
            assert tok.term is not None
            if not tok.term.text:
                return None
            return _Node(excluded=[tok.term]) if negated else _Node(clauses=[(tok.term,)])
        if tok.kind == "filter":
            if depth:
                raise QueryError(f"filters like {tok.name}: cannot be inside parentheses")
            if negated:
                raise QueryError(f"a filter cannot be excluded (-{tok.name}:)")
            return _Node(filters=[(tok.name, tok.value)])
        # "("
        if depth >= MAX_DEPTH:
            raise QueryError("too many nested parentheses")
        inner = self.seq(depth + 1)
        if (close := self.peek()) is not None and close.kind == ")":
            self.pos += 1
        if inner.excluded:
            raise QueryError("put excluded words (-word) outside parentheses")
        if not negated:
            return _Node(clauses=inner.clauses)
        if len(inner.clauses) > 1:
            raise QueryError(
                "-( ) can only exclude alternatives (-(a OR b)); exclude words one by one"
            )
        return _Node(excluded=[t for c in inner.clauses for t in c])


def _merge(a: tuple[Term, ...], b: tuple[Term, ...]) -> tuple[Term, ...]:
    return a + tuple(t for t in b if t not in a)


def _one_of(kind: str, value: str, known: tuple[str, ...], aliases: dict[str, str]) -> str:
    v = value.lower()
    v = aliases.get(v, v)
    if v not in known:
        raise QueryError(f"unknown {kind}:{value!r}; use one of: {', '.join(known)}")
    return v


_DATE = re.compile(r"(\d{4})(?:[-/](\d{1,2})(?:[-/](\d{1,2}))?)?")


def _date_bounds(spec: str) -> tuple[date, date]:
    m = _DATE.fullmatch(spec)
    if m is None:
        raise QueryError(f"captured:{spec!r} is not a date: use 2018, 2018-04 or 2018-04-01")
    year = int(m.group(1))
    try:
        if m.group(3):
            d = date(year, int(m.group(2)), int(m.group(3)))
            return d, d
        if m.group(2):
            month = int(m.group(2))
            last = calendar.monthrange(year, month)[1] if 1 <= month <= 12 else 0
            return date(year, month, 1), date(year, month, last)
        return date(year, 1, 1), date(year, 12, 31)
    except ValueError:
        raise QueryError(f"captured:{spec!r} is not a real date") from None


def _captured(value: str) -> tuple[date | None, date | None]:
    v = normalise(value).replace(" ", "")
    start, sep, end = v.partition("..")
    if not sep:
        return _date_bounds(v)
    lo = _date_bounds(start)[0] if start else None
    hi = _date_bounds(end)[1] if end else None
    if lo is None and hi is None:
        raise QueryError("captured: needs a date or a range, like 2018-04-01..2018-04-10")
    if lo is not None and hi is not None and lo > hi:
        raise QueryError(f"captured:{value} ends before it starts")
    return lo, hi


def _filters(pairs: list[tuple[str, str]]) -> tuple[Filters, Sort | None]:
    values: dict[str, list[str]] = {
        k: [] for k in ("contributor", "collection", "type", "has", "lang")
    }
    lo: date | None = None
    hi: date | None = None
    sort: Sort | None = None
    for raw_name, raw_value in pairs:
        name = _FIELD_ALIASES.get(raw_name, raw_name)
        if name not in KNOWN_FIELDS:
            known = ", ".join(f + ":" for f in KNOWN_FIELDS)
            raise QueryError(
                f"unknown filter {raw_name}:; the filters are {known}"
                f' (to search for the text, put it in quotes: "{raw_name}:{raw_value}")'
            )
        value = " ".join(strip_bidi(raw_value).split())
        if not value:
            raise QueryError(f'{raw_name}: needs a value, like {raw_name}:"..."')
        if name in ("contributor", "collection"):
            values[name].append(value)
        elif name == "sort":
            s = _SORTS.get(value.lower())
            if s is None:
                raise QueryError(
                    f"unknown sort:{value}; use sort:date, sort:oldest or sort:relevance"
                )
            sort = s
        elif name == "captured":
            a, b = _captured(value)
            lo = a if lo is None or (a is not None and a > lo) else lo
            hi = b if hi is None or (b is not None and b < hi) else hi
            if lo is not None and hi is not None and lo > hi:
                raise QueryError("the captured: ranges do not overlap")
        else:
            for part in filter(None, value.split(",")):
                if name == "type":
                    v = _one_of("type", part, KNOWN_TYPES, _TYPE_ALIASES)
                elif name == "has":
                    v = _one_of("has", part, KNOWN_HAS, _HAS_ALIASES)
                else:
                    v = _LANG_NAMES.get(part.lower(), part.lower())
                    if not (v.isascii() and v.isalpha() and 2 <= len(v) <= 3):
                        raise QueryError(
                            f"lang:{part} is not a language code: use lang:ar, lang:en"
                        )
                values[name].append(v)
    unique = {k: tuple(dict.fromkeys(v)) for k, v in values.items()}
    filters = Filters(
        contributor=unique["contributor"],
        collection=unique["collection"],
        type=unique["type"],
        captured_from=lo,
        captured_to=hi,
        has=unique["has"],
        lang=unique["lang"],
    )
    return filters, sort


def parse(q: str) -> Query:
    """Parse a query string. Raises only :class:`QueryError`."""
    if not isinstance(q, str):
        raise QueryError("the query must be text")
    if len(q) > MAX_QUERY_LENGTH:
        raise QueryError(f"the query is too long (over {MAX_QUERY_LENGTH} characters)")
    q = strip_bidi(q)
    node = _Parser(list(_lex(q))).seq(0)
    filters, sort = _filters(node.filters)
    clauses = tuple(dict.fromkeys(node.clauses))
    excluded = tuple(dict.fromkeys(node.excluded))
    return Query(terms=clauses, excluded=excluded, filters=filters, sort=sort)


# --------------------------------------------------------------------------- FTS5

_COLUMN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_KEYWORDS = frozenset({"AND", "OR", "NOT", "NEAR"})


def _column(name: str) -> str:
    if not _COLUMN.fullmatch(name) or name.upper() in _KEYWORDS:
        raise ValueError(f"not a usable FTS5 column name: {name!r}")
    return name


def _quote(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


@dataclass(frozen=True)
class _Columns:
    norm: str
    stem: str
    keys: str | None


def _term_fts5(
    term: Term,
    cols: _Columns,
    normalise_fn: Callable[[str], str],
    stem_fn: Callable[[str], str],
    keys_fn: Callable[[str], list[tuple[str, ...]]] | None,
) -> str | None:
    norm = normalise_fn(term.text)
    if not any(ch.isalnum() for ch in norm):
        return None  # nothing the tokenizer would index
    both = f"{{{cols.norm} {cols.stem}}}"
    if term.prefix:
        return f"{both} : {_quote(norm)} *"
    stemmed = stem_fn(norm)
    if stemmed == norm:
        parts = [f"{both} : {_quote(norm)}"]
    else:
        parts = [f"{cols.norm} : {_quote(norm)}", f"{cols.stem} : {_quote(stemmed)}"]
    if cols.keys is not None and keys_fn is not None:
        slots = [s for s in keys_fn(term.text) if s]
        if slots:
            need = " AND ".join("(" + " OR ".join(map(_quote, s)) + ")" for s in slots)
            parts.append(f"{cols.keys} : ({need})")
    return parts[0] if len(parts) == 1 else "(" + " OR ".join(parts) + ")"


def _either(exprs: list[str]) -> str:
    return exprs[0] if len(exprs) == 1 else "(" + " OR ".join(exprs) + ")"


def to_fts5(
    query: Query,
    normalise_fn: Callable[[str], str] = normalise,
    stem_fn: Callable[[str], str] = stem_text,
    *,
    norm_column: str = "norm",
    stem_column: str = "stem",
    keys_column: str | None = None,
    keys_fn: Callable[[str], list[tuple[str, ...]]] = query_keys,
    gazetteer_fn: Callable[[str], tuple[str, ...] | None] = gazetteer_slot,
) -> str | None:
    """The FTS5 MATCH expression for ``query``'s words, or None when it has none.

    Each word or phrase is looked up, normalised, in ``norm_column`` and, stemmed, in
    ``stem_column`` (``stem_fn`` gets the normalised text); a prefix (``word*``) in both as
    typed, not stemmed. With ``keys_column``, a word or phrase also matches through its name
    keys (:func:`dhakira.search.translit.query_keys`), and consecutive words that together
    are a gazetteer name (Khan Sheikhoun, الغوطة الشرقية typed without quotes) match as a
    whole through its key too. Exclusions become ``NOT`` (in the norm and stem columns only).
    When there is nothing positive to match (only exclusions or filters) the result is None:
    select the rows yourself and drop those matching :func:`excluded_fts5`.
    Every string is double-quoted, so user text cannot inject FTS5 syntax.
    """
    keys = None if keys_column is None else _column(keys_column)
    cols = _Columns(_column(norm_column), _column(stem_column), keys)
    exprs: list[str | None] = []
    for clause in query.terms:
        alts = [e for t in clause if (e := _term_fts5(t, cols, normalise_fn, stem_fn, keys_fn))]
        exprs.append(_either(alts) if alts else None)
    clauses: list[str] = []
    i = 0
    while i < len(exprs):
        end, slot = (
            _name_run(query.terms, exprs, i, gazetteer_fn) if keys is not None else (i, None)
        )
        if slot is None:
            if (e := exprs[i]) is not None:
                clauses.append(e)
            i += 1
            continue
        whole = " OR ".join(map(_quote, slot))
        clauses.append(f"(({' AND '.join(e for e in exprs[i:end] if e)}) OR {keys} : ({whole}))")
        i = end
    if not clauses:
        return None
    positive = " AND ".join(clauses)
    excluded = _excluded(query, replace(cols, keys=None), normalise_fn, stem_fn)
    if excluded is None:
        return positive
    return f"({positive}) NOT {excluded}"


_MAX_NAME_WORDS = 4


def _name_run(
    terms: tuple[tuple[Term, ...], ...],
    exprs: list[str | None],
    start: int,
    gazetteer_fn: Callable[[str], tuple[str, ...] | None],
) -> tuple[int, tuple[str, ...] | None]:
    """(end, keys) when clauses start..end-1 are single words that form a gazetteer name."""
    run = start
    while (
        run < len(terms)
        and run - start < _MAX_NAME_WORDS
        and len(terms[run]) == 1
        and not terms[run][0].prefix
        and exprs[run] is not None
    ):
        run += 1
    for end in range(run, start + 1, -1):
        slot = gazetteer_fn(" ".join(c[0].text for c in terms[start:end]))
        if slot:
            return end, slot
    return start, None


def _excluded(
    query: Query,
    cols: _Columns,
    normalise_fn: Callable[[str], str],
    stem_fn: Callable[[str], str],
) -> str | None:
    exprs = [e for t in query.excluded if (e := _term_fts5(t, cols, normalise_fn, stem_fn, None))]
    return _either(exprs) if exprs else None


def excluded_fts5(
    query: Query,
    normalise_fn: Callable[[str], str] = normalise,
    stem_fn: Callable[[str], str] = stem_text,
    *,
    norm_column: str = "norm",
    stem_column: str = "stem",
) -> str | None:
    """A MATCH expression for the excluded words alone (any of them), or None."""
    cols = _Columns(_column(norm_column), _column(stem_column), None)
    return _excluded(query, cols, normalise_fn, stem_fn)
