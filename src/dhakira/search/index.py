"""The full-text index: what is indexed for an item, and keeping it current.

For each item one document is indexed: every name it was contributed under (and the folder it
sat in), its contributors, collections and notes, its metadata (device, capture date, title,
author) and the text extracted from it. The document is kept in its original form in
``search_docs`` (for snippets) and indexed in ``search_fts`` (FTS5, rowid = item id) in three
forms — normalised text, light stems, and transliteration keys of names — computed by the same
functions that process queries.

Anything that changes what an item's document would be marks the item in ``search_dirty``;
``index_pending`` brings those items up to date (at the end of every ``add``), ``reindex``
rebuilds everything. Later fields (incidents, verification findings) join ``_fields``.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Iterable, Sequence

from dhakira.names import display
from dhakira.progress import Progress
from dhakira.search import facets
from dhakira.search.arabic import forms
from dhakira.search.translit import name_keys
from dhakira.timeutil import utcnow

BATCH = 2000


def mark_dirty(conn: sqlite3.Connection, item_ids: Iterable[int]) -> None:
    conn.executemany(
        "INSERT OR IGNORE INTO search_dirty(item_id) VALUES (?)", [(i,) for i in item_ids]
    )


def _chunks(ids: Sequence[int], n: int = 500) -> Iterable[Sequence[int]]:
    for i in range(0, len(ids), n):
        yield ids[i : i + n]


def _fields(conn: sqlite3.Connection, ids: Sequence[int]) -> dict[int, tuple[list[str], str]]:
    """Each item's searchable fields (original text) and its languages."""
    out: dict[int, list[str]] = defaultdict(list)
    langs: dict[int, str] = {}
    for chunk in _chunks(ids):
        marks = ",".join("?" * len(chunk))
        for r in conn.execute(
            "SELECT c.item_id, c.original_name, c.display_path, c.note, p.name, k.name"
            " FROM contributions c JOIN contributors p ON p.id = c.contributor_id"
            f" LEFT JOIN collections k ON k.id = c.collection_id WHERE c.item_id IN ({marks})",
            chunk,
        ):
            item_id, name, path, note, contributor, collection = r
            folder = path.rsplit("/", 2)[-2] if path.count("/") >= 2 else ""
            out[item_id] += [
                display(bytes(name)),
                folder,
                contributor,
                collection or "",
                note or "",
            ]
        for r in conn.execute(
            "SELECT item_id, make, model, title, author, software, captured_at FROM properties"
            f" WHERE item_id IN ({marks})",
            chunk,
        ):
            out[r[0]] += [v for v in r[1:] if v]
        for r in conn.execute(
            f"SELECT item_id, text, languages FROM texts WHERE item_id IN ({marks})", chunk
        ):
            out[r[0]].append(r[1])
            langs[r[0]] = r[2]
    return {i: (_unique(out.get(i, [])), langs.get(i, "")) for i in ids}


def _unique(values: list[str]) -> list[str]:
    seen: set[str] = set()
    kept = []
    for v in values:
        if v and v not in seen:
            seen.add(v)
            kept.append(v)
    return kept


def index_items(conn: sqlite3.Connection, ids: Sequence[int]) -> None:
    """(Re)index these items; call inside a transaction."""
    now = utcnow()
    generation = conn.execute(
        "UPDATE search_state SET generation = generation + 1 WHERE id = 1 RETURNING generation"
    ).fetchone()[0]
    docs = _fields(conn, ids)
    conn.executemany("DELETE FROM search_fts WHERE rowid = ?", [(i,) for i in ids])
    rows, kept = [], []
    for item_id, (fields, langs) in docs.items():
        text = "\n".join(fields)
        norm, stem = forms(text)
        rows.append((item_id, norm, stem, " ".join(name_keys(text))))
        kept.append((item_id, text, langs, now, generation))
    conn.executemany("INSERT INTO search_fts(rowid, norm, stem, names) VALUES (?, ?, ?, ?)", rows)
    conn.executemany(
        "INSERT OR REPLACE INTO search_docs(item_id, text, languages, indexed_at, generation)"
        " VALUES (?, ?, ?, ?, ?)",
        kept,
    )
    conn.executemany("DELETE FROM search_dirty WHERE item_id = ?", [(i,) for i in ids])


def index_pending(conn: sqlite3.Connection, progress: Progress) -> int:
    """Index every item marked dirty; returns how many. Each batch is one transaction."""
    total = conn.execute("SELECT count(*) FROM search_dirty").fetchone()[0]
    if not total:
        return 0
    progress.begin("indexing", total)
    done = 0
    try:
        while True:
            conn.execute("BEGIN IMMEDIATE")
            try:
                ids = [
                    r[0]
                    for r in conn.execute(
                        "SELECT item_id FROM search_dirty ORDER BY item_id LIMIT ?", (BATCH,)
                    )
                ]
                if ids:
                    index_items(conn, ids)
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            if not ids:
                break
            done += len(ids)
            progress.advance(len(ids))
    finally:
        progress.end()
    facets.save_snapshot(conn)
    return done


def reindex(conn: sqlite3.Connection, progress: Progress) -> int:
    """Rebuild the whole index from the catalog."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.execute("DELETE FROM search_fts")
        conn.execute("DELETE FROM search_docs")
        conn.execute("INSERT OR IGNORE INTO search_dirty(item_id) SELECT id FROM items")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return index_pending(conn, progress)
