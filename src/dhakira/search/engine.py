"""Running a query: the FTS5 match, filters, ranking, facets and highlighted snippets.

The query (``query.parse``) is turned into one FTS5 MATCH expression over the three indexed
forms of each document: a word matches its normalised form, its light stem, or — for names —
its transliteration key, so "Douma", "دُوما" and "بدوما" find the same items. Filters
(contributor, collection, type, capture date, GPS, language) are plain SQL on the catalog.
Snippets are cut from the original text, with every word whose normalised form or stem
matches a query word highlighted, in whichever script it is written.
"""

from __future__ import annotations

import dataclasses
import re
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from dhakira.search.arabic import normalise, stem
from dhakira.search.query import Query, parse, to_fts5
from dhakira.search.translit import name_keys, query_keys

TYPES = {
    "image": ["image/%"],
    "video": ["video/%"],
    "audio": ["audio/%"],
    "text": ["text/%"],
    "pdf": ["application/pdf"],
    "archive": [
        "application/zip",
        "application/x-tar",
        "application/gzip",
        "application/x-7z-compressed",
    ],
    "office": [
        "application/vnd.openxmlformats-officedocument.%",
        "application/msword",
        "application/vnd.oasis.opendocument.%",
        "application/vnd.ms-%",
    ],
    "document": [
        "application/pdf",
        "text/%",
        "application/vnd.openxmlformats-officedocument.%",
        "application/msword",
        "application/vnd.oasis.opendocument.%",
    ],
}
WORD = re.compile(r"[\w\u0600-\u06FF]+", re.UNICODE)
SNIPPET_WORDS = 28
RANK_WINDOW = 5000


@dataclass(frozen=True)
class Hit:
    item_id: int
    sha256: str
    mime: str
    name: str
    captured_at: str | None
    score: float
    snippet: str  # highlighted with the marks given to search()

    def as_json(self) -> dict[str, Any]:
        return {
            "sha256": self.sha256,
            "mime": self.mime,
            "name": self.name,
            "captured_at": self.captured_at,
            "score": self.score,
            "snippet": self.snippet,
        }


@dataclass
class Results:
    query: str
    total: int
    hits: list[Hit]
    facets: dict[str, dict[str, int]] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "total": self.total,
            "facets": self.facets,
            "hits": [h.as_json() for h in self.hits],
        }


def match_expression(q: Query) -> str | None:
    """The FTS5 MATCH for the query's words; exclusions alone are applied separately."""
    return to_fts5(q, keys_column="names")


def _filters(q: Query) -> tuple[list[str], list[Any]]:
    where: list[str] = []
    args: list[Any] = []
    f = q.filters
    for name in f.contributor:
        where.append(
            "i.id IN (SELECT c.item_id FROM contributions c JOIN contributors p"
            " ON p.id = c.contributor_id WHERE p.name = ? COLLATE NOCASE)"
        )
        args.append(name)
    for name in f.collection:
        where.append(
            "i.id IN (SELECT c.item_id FROM contributions c JOIN collections k"
            " ON k.id = c.collection_id WHERE k.name = ? COLLATE NOCASE)"
        )
        args.append(name)
    if f.type:
        patterns = [p for t in f.type for p in TYPES.get(t, [t if "/" in t else t + "/%"])]
        where.append("(" + " OR ".join("i.mime LIKE ?" for _ in patterns) + ")")
        args += patterns
    start, before = f.captured_iso()
    if start:
        where.append("pr.captured_at >= ?")
        args.append(start)
    if before:
        where.append("pr.captured_at < ?")
        args.append(before)
    has = {
        "gps": "pr.gps_lat IS NOT NULL",
        "date": "pr.captured_at IS NOT NULL",
        "text": "i.id IN (SELECT item_id FROM texts WHERE text != '')",
        "note": "i.id IN (SELECT item_id FROM contributions WHERE note IS NOT NULL)",
    }
    where += [has[h] for h in f.has if h in has]
    for lang in f.lang:
        where.append("(',' || d.languages || ',') LIKE ?")
        args.append(f"%,{lang},%")
    return where, args


def search(
    conn: sqlite3.Connection,
    text: str,
    *,
    limit: int = 20,
    offset: int = 0,
    sort: str = "relevance",
    facets: bool = True,
    marks: tuple[str, str] = ("[", "]"),
    hidden: tuple[str, Sequence[Any]] | None = None,
) -> Results:
    """``hidden``: a SELECT of item ids (and its arguments) left out of the results, the total
    and the facets — the items the viewer may not see (dhakira.access)."""
    q = parse(text)
    if q.sort:  # sort: in the query wins over the option
        sort = {"oldest": "date"}.get(q.sort, q.sort)
    match = match_expression(dataclasses.replace(q, excluded=()))
    excluded = (
        match_expression(dataclasses.replace(q, terms=tuple((t,) for t in q.excluded), excluded=()))
        if q.excluded
        else None
    )
    where, args = _filters(q)
    if hidden is not None:
        where.append(f"i.id NOT IN ({hidden[0]})")
        args += hidden[1]
    if excluded:  # the same forms as a positive match: -Douma also drops دوما
        where.append("i.id NOT IN (SELECT rowid FROM search_fts WHERE search_fts MATCH ?)")
        args.append(excluded)
    cond = (" WHERE " + " AND ".join(where)) if where else ""
    joins = (
        " LEFT JOIN properties pr ON pr.item_id = i.id LEFT JOIN search_docs d ON d.item_id = i.id"
    )
    by_date = (
        "pr.captured_at IS NULL, pr.captured_at DESC, i.id DESC"
        if sort == "newest"
        else "pr.captured_at IS NULL, pr.captured_at, i.id"
    )
    if match is not None:
        every = (
            "FROM (SELECT rowid AS id FROM search_fts WHERE search_fts MATCH ?) m"
            f" JOIN items i ON i.id = m.id{joins}"
        )
        count_args = [match, *args]
        total_sql = (
            f"SELECT count(*) {every}{cond}"
            if where
            else "SELECT count(*) FROM search_fts WHERE search_fts MATCH ?"
        )
        if sort == "relevance":
            # bm25 costs microseconds per match: rank among the RANK_WINDOW most recently
            # added matches that pass the filters (the total and the facets count them all)
            inner = (
                "SELECT search_fts.rowid AS id, bm25(search_fts, 4.0, 2.0, 1.5) AS score"
                " FROM search_fts"
                + (f" JOIN items i ON i.id = search_fts.rowid{joins}" if where else "")
                + " WHERE search_fts MATCH ?"
                + ("".join(f" AND {w}" for w in where))
                + " ORDER BY search_fts.rowid DESC LIMIT ?"
            )
            page_sql = f"SELECT id, score FROM ({inner}) ORDER BY score, id LIMIT ? OFFSET ?"
            page_args = [match, *args, RANK_WINDOW, limit, offset]
        else:
            page_sql = f"SELECT i.id, 0.0 {every}{cond} ORDER BY {by_date} LIMIT ? OFFSET ?"
            page_args = [match, *args, limit, offset]
    else:
        every = f"FROM items i{joins}"
        count_args = list(args)
        total_sql = f"SELECT count(*) {every}{cond}"
        order = by_date if sort != "relevance" else "i.id DESC"
        page_sql = f"SELECT i.id, 0.0 {every}{cond} ORDER BY {order} LIMIT ? OFFSET ?"
        page_args = [*args, limit, offset]
    page = conn.execute(page_sql, page_args).fetchall()
    details = {
        r[0]: r
        for r in conn.execute(
            "SELECT i.id, i.sha256, i.mime, pr.captured_at, d.text FROM items i"
            " LEFT JOIN properties pr ON pr.item_id = i.id"
            " LEFT JOIN search_docs d ON d.item_id = i.id"
            f" WHERE i.id IN ({','.join('?' * len(page))})",
            [r[0] for r in page],
        )
    }
    rows = [(*details[i][:4], s, details[i][4]) for i, s in page]
    total = conn.execute(total_sql, count_args).fetchone()[0]
    words = _highlight_forms(q)
    hits = [
        Hit(
            r[0],
            r[1],
            r[2],
            _first_line(r[5]),
            r[3],
            round(-r[4], 4),
            snippet(r[5] or "", words, marks),
        )
        for r in rows
    ]
    result = Results(text, total, hits)
    if facets:
        result.facets = _facets(conn, every, cond, count_args)
    return result


def _first_line(text: str | None) -> str:
    return (text or "").split("\n", 1)[0]


def _facets(
    conn: sqlite3.Connection, base: str, cond: str, args: list[Any]
) -> dict[str, dict[str, int]]:
    ids = f"SELECT i.id {base}{cond}"

    def count(sql: str) -> dict[str, int]:
        return {str(k): n for k, n in conn.execute(sql, args) if k is not None}

    return {
        "type": count(
            f"SELECT substr(i.mime, 1, instr(i.mime, '/') - 1) AS k, count(*) {base}{cond}"
            " GROUP BY k ORDER BY count(*) DESC"
        ),
        "contributor": count(
            f"SELECT p.name, count(DISTINCT c.item_id) FROM contributions c JOIN contributors p"
            f" ON p.id = c.contributor_id WHERE c.item_id IN ({ids}) GROUP BY p.name"
            " ORDER BY count(DISTINCT c.item_id) DESC LIMIT 20"
        ),
        "collection": count(
            f"SELECT k.name, count(DISTINCT c.item_id) FROM contributions c JOIN collections k"
            f" ON k.id = c.collection_id WHERE c.item_id IN ({ids}) GROUP BY k.name"
            " ORDER BY count(DISTINCT c.item_id) DESC LIMIT 20"
        ),
        "year": count(
            f"SELECT substr(pr.captured_at, 1, 4) AS y, count(*) {base}{cond} GROUP BY y ORDER BY y"
        ),
    }


def _highlight_forms(q: Query) -> tuple[set[str], set[str], tuple[str, ...], set[str]]:
    exact: set[str] = set()
    stems: set[str] = set()
    keys: set[str] = set()
    prefixes: list[str] = []
    for group in q.terms:
        for t in group:
            for w in normalise(t.text).split():
                if t.prefix:
                    prefixes.append(w)
                exact.add(w)
                stems.add(stem(w))
            keys.update(k for alternatives in query_keys(t.text) for k in alternatives)
    return exact, stems, tuple(prefixes), keys


def snippet(
    text: str,
    forms: tuple[set[str], set[str], tuple[str, ...], set[str]],
    marks: tuple[str, str],
) -> str:
    """A window of the original text around the most matches, matches marked (a word matches
    by its normalised form, its stem, a prefix, or the transliteration key of a name)."""
    exact, stems, prefixes, keys = forms
    tokens = text.split()[:5000]
    if not tokens:
        return ""
    hit = []
    for tok in tokens:
        words = [normalise(w) for w in WORD.findall(tok)]
        hit.append(
            any(
                w in exact or stem(w) in stems or (prefixes and w.startswith(prefixes))
                for w in words
                if w
            )
            or bool(keys and keys.intersection(name_keys(tok)))
        )
    best, best_count = 0, -1
    counts = [0] * (len(tokens) + 1)
    for i, h in enumerate(hit):
        counts[i + 1] = counts[i] + h
    for start in range(max(1, len(tokens) - SNIPPET_WORDS + 1)):
        n = counts[min(len(tokens), start + SNIPPET_WORDS)] - counts[start]
        if n > best_count:
            best, best_count = start, n
    window = range(best, min(len(tokens), best + SNIPPET_WORDS))
    out = [f"{marks[0]}{tokens[i]}{marks[1]}" if hit[i] else tokens[i] for i in window]
    return ("… " if best else "") + " ".join(out) + (" …" if window.stop < len(tokens) else "")
