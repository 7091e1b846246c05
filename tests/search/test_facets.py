"""In-memory facet counts agree with counting in SQL, and follow the index incrementally."""

from __future__ import annotations

import dataclasses
import io
import random
import sqlite3
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from dhakira.archive import Archive
from dhakira.progress import Quiet
from dhakira.search import engine, facets
from dhakira.search.engine import search
from dhakira.search.index import index_pending

MIMES = ["text/plain", "image/jpeg", "video/mp4", "application/pdf", "audio/ogg"]


def sql_facets(conn: sqlite3.Connection, ids: list[int]) -> dict[str, dict[str, int]]:
    """The reference: the same counts, the slow and obvious way."""
    marks = ",".join(map(str, ids)) or "NULL"

    def count(sql: str) -> dict[str, int]:
        return {str(k): n for k, n in conn.execute(sql) if k is not None and n}

    return {
        "type": count(
            "SELECT substr(mime, 1, instr(mime, '/') - 1), count(*) FROM items"
            f" WHERE id IN ({marks}) GROUP BY 1"
        ),
        "contributor": count(
            "SELECT p.name, count(DISTINCT c.item_id) FROM contributions c JOIN contributors p"
            f" ON p.id = c.contributor_id WHERE c.item_id IN ({marks}) GROUP BY p.name"
        ),
        "collection": count(
            "SELECT k.name, count(DISTINCT c.item_id) FROM contributions c JOIN collections k"
            f" ON k.id = c.collection_id WHERE c.item_id IN ({marks}) GROUP BY k.name"
        ),
        "year": count(
            "SELECT substr(captured_at, 1, 4), count(*) FROM properties"
            f" WHERE item_id IN ({marks}) AND captured_at IS NOT NULL GROUP BY 1"
        ),
    }


class Corpus:
    def __init__(self, root: Path, seed: int, words: Sequence[str] = ("alpha", "beta", "gamma")):
        self.words = words
        self.archive = Archive.create(root)
        self.conn = self.archive.catalog.conn
        self.rng = random.Random(seed)
        self.batch = self.archive.catalog.start_batch("test", "T", b"/t")
        with self.archive.catalog.transaction():
            self.contributors = [self.archive.catalog.contributor_id(f"C{i}") for i in range(7)]
            self.collections = [self.archive.catalog.collection_id(f"K{i}") for i in range(4)]
        self.n = 0

    def add_items(self, count: int) -> None:
        self.conn.execute("BEGIN")
        for _ in range(count):
            self.n += 1
            i = self.n
            self.conn.execute(
                "INSERT INTO items(id, sha256, size, mime, mime_tool, added_at, first_batch_id)"
                " VALUES (?, ?, 1, ?, 't', '2026-01-01', ?)",
                (i, f"{i:064x}", self.rng.choice(MIMES), self.batch),
            )
            if self.rng.random() < 0.8:
                year = self.rng.randrange(2011, 2025)
                month, day = self.rng.randrange(1, 13), self.rng.randrange(1, 29)
                self.conn.execute(
                    "INSERT INTO properties(item_id, normaliser_version, captured_at, gps_lat)"
                    " VALUES (?, 1, ?, ?)",
                    (
                        i,
                        f"{year}-{month:02}-{day:02}T10:00:00",
                        self.rng.choice([None, 33.5]),
                    ),
                )
            for _ in range(self.rng.choice([1, 1, 1, 2, 3])):
                self.contribute(i)
            self.conn.execute(
                "INSERT INTO texts(item_id, tool, tool_version, text, languages, ocr, created_at)"
                " VALUES (?, 'plain', '1', ?, 'en', 0, 'x')",
                (i, "word " + self.rng.choice(self.words)),
            )
            self.conn.execute("INSERT OR IGNORE INTO search_dirty(item_id) VALUES (?)", (i,))
        self.conn.execute("COMMIT")
        index_pending(self.conn, Quiet())

    def contribute(self, item: int) -> None:
        collection = self.rng.choice([None, *self.collections])
        self.conn.execute(
            "INSERT OR IGNORE INTO contributions(item_id, contributor_id, collection_id, batch_id,"
            " source_path, original_name, display_path, size, received_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, 1, 'x')",
            (
                item,
                self.rng.choice(self.contributors),
                collection,
                self.batch,
                f"/s/{item}/{self.rng.random()}".encode(),
                b"f",
                "/s/f",
            ),
        )
        self.conn.execute("INSERT OR IGNORE INTO search_dirty(item_id) VALUES (?)", (item,))

    def check(self, samples: int = 20) -> None:
        index = facets.for_conn(self.conn)
        for _ in range(samples):
            ids = sorted(self.rng.sample(range(1, self.n + 1), self.rng.randrange(0, self.n)))
            got = index.count(np.array(ids, dtype=np.int64))
            assert got == sql_facets(self.conn, ids)


def test_facets_match_sql_and_follow_changes(tmp_path: Path) -> None:
    corpus = Corpus(tmp_path / "a", seed=1)
    corpus.add_items(300)
    corpus.check()
    corpus.add_items(150)  # new items: loaded incrementally
    corpus.check()
    corpus.conn.execute("BEGIN")
    for item in corpus.rng.sample(range(1, corpus.n + 1), 60):  # more contributors for old items
        corpus.contribute(item)
    corpus.conn.execute("COMMIT")
    index_pending(corpus.conn, Quiet())
    corpus.check()


def test_a_new_catalog_at_the_same_path_starts_afresh(tmp_path: Path) -> None:
    first = Corpus(tmp_path / "a", seed=2)
    first.add_items(40)
    first.check(3)
    first.archive.close()
    for p in sorted((tmp_path / "a").rglob("*"), reverse=True):
        p.chmod(0o755) if p.is_dir() else p.unlink()
    for p in sorted((tmp_path / "a").rglob("*"), reverse=True):
        p.rmdir()
    (tmp_path / "a").rmdir()
    second = Corpus(tmp_path / "a", seed=3)
    second.add_items(25)
    second.check(3)


@pytest.mark.parametrize("query", ["word", "alpha OR beta", "word -gamma", "type:video"])
def test_search_facets_count_every_match(tmp_path: Path, query: str) -> None:
    corpus = Corpus(tmp_path / "a", seed=4)
    corpus.add_items(200)
    results = search(corpus.conn, query, limit=5)
    plain = search(corpus.conn, query, limit=5, facets=False)
    assert results.total == plain.total > 0
    assert sum(results.facets["type"].values()) == results.total
    every = [h.item_id for h in search(corpus.conn, query, limit=1000, facets=False).hits]
    assert len(every) == results.total
    assert results.facets == {k: v for k, v in sql_facets(corpus.conn, every).items()}


def test_parse_ids_reads_every_number() -> None:
    rng = random.Random(9)
    for size in [1, 2, 10, 1000]:
        ids = [rng.choice([1, 9, 10, 99, 100, rng.randrange(1, 2**53)]) for _ in range(size)]
        parsed = facets.parse_ids(",".join(map(str, ids)))
        assert parsed.tolist() == ids
    assert facets.parse_ids(None).tolist() == []
    assert facets.parse_ids("").tolist() == []


def test_a_new_process_starts_from_the_saved_snapshot(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus = Corpus(tmp_path / "a", seed=5)
    corpus.add_items(120)  # index_pending saves a snapshot
    saved = corpus.conn.execute("SELECT generation FROM search_facets_snapshot").fetchone()[0]
    assert saved == facets.generation(corpus.conn)[1]
    facets._indexes.clear()  # as in a fresh process
    loads: list[int] = []
    real_load = facets.FacetIndex._load

    def counting_load(self: facets.FacetIndex, conn: sqlite3.Connection, since: int) -> None:
        loads.append(since)
        real_load(self, conn, since)

    monkeypatch.setattr(facets.FacetIndex, "_load", counting_load)
    corpus.check(5)
    assert loads == []  # nothing read item by item: the snapshot was current
    corpus.add_items(30)  # the running index loads the new items and saves a new snapshot
    assert loads == [saved]
    # a snapshot older than the index (as if saving had been interrupted): only the rest loads
    corpus.conn.execute("UPDATE search_facets_snapshot SET generation = ?", (saved,))
    facets._indexes.clear()
    loads.clear()
    corpus.check(5)
    assert loads == [saved]  # only what was indexed after the snapshot


FILTERED = [
    "word contributor:C1",
    "word contributor:c1",
    "alpha type:video",
    "type:image",
    "type:text beta",
    "type:document",
    "word captured:2015-01-01..2018-06-30",
    "captured:2016-03-05..2016-03-05",
    "word captured:..2014-12-31",
    "has:gps word",
    "has:date -gamma",
    "-alpha type:pdf",
    "collection:K2 beta",
    "collection:K2 contributor:C3",
    "-beta",
    "nothing-matches-this",
]


@pytest.mark.parametrize("common", [engine.COMMON, 60])  # 60: most queries here are common
@pytest.mark.parametrize("hidden", [None, ("SELECT id FROM items WHERE id % 7 = ?", [0])])
@pytest.mark.parametrize("query", FILTERED)
def test_in_memory_filters_agree_with_sql(
    tmp_path: Path,
    query: str,
    hidden: tuple[str, list[int]] | None,
    common: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(engine, "COMMON", common)
    corpus = Corpus(tmp_path / "a", seed=6)
    corpus.add_items(400)
    q = engine.parse(query)
    match = engine.match_expression(dataclasses.replace(q, excluded=()))
    excluded = (
        engine.match_expression(
            dataclasses.replace(q, terms=tuple((t,) for t in q.excluded), excluded=())
        )
        if q.excluded
        else None
    )
    if excluded and match is not None:
        match, excluded = f"({match}) NOT ({excluded})", None
    args = (corpus.conn, q, match, excluded, 1000, 0)
    memory = engine._in_memory(*args, True, engine._hidden_ids(corpus.conn, hidden))
    sql = engine._in_sql(*args, "relevance", True, hidden)
    if hidden:  # a viewer never sees the hidden items, in the page or in the counts
        assert all(i % 7 for i, _ in memory[0])
    assert memory is not None
    assert memory[1] == sql[1]  # total
    assert memory[2] == sql[2]  # facets
    if match is not None:  # ranked the same way
        assert memory[0] == sql[0]
        # without facets, only the newest matches are read: here all (the window is larger)
        unseen = engine._hidden_ids(corpus.conn, hidden)
        bounded = engine._bounded(corpus.conn, q, match, 1000, 0, unseen)
        assert bounded is not None
        assert bounded == ((sql[0], sql[1], {}), False)
    else:  # newest first
        assert [i for i, _ in memory[0]] == sorted((i for i, _ in sql[0]), reverse=True)


def test_a_snapshot_of_another_format_is_ignored(tmp_path: Path) -> None:
    corpus = Corpus(tmp_path / "a", seed=7)
    corpus.add_items(50)
    corpus.conn.execute("UPDATE search_facets_snapshot SET data = ?", (b"PK\x03\x04 not npz",))
    facets._indexes.clear()
    corpus.check(3)  # damaged: loaded from the catalog instead
    out = io.BytesIO()
    np.savez(out, format=np.array(0))
    corpus.conn.execute("UPDATE search_facets_snapshot SET data = ?", (out.getvalue(),))
    facets._indexes.clear()
    corpus.check(3)  # an old format: loaded from the catalog instead
