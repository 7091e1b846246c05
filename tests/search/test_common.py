"""Common queries (at least engine.COMMON matches): ranked by exact form, then recency; without
facets only the newest matches are read and the total is an estimate, said to be one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.conftest import run
from tests.search.test_facets import Corpus

from dhakira.search import engine
from dhakira.search.engine import search

# Douma in Latin letters (the exact form of the query) and in Arabic (found by its name key)
WORDS = ("Douma report", "دوما تقرير", "Aleppo market", "Douma market")


@pytest.fixture
def corpus(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Corpus:
    monkeypatch.setattr(engine, "COMMON", 40)
    monkeypatch.setattr(engine, "RANK_WINDOW", 60)
    c = Corpus(tmp_path / "a", seed=11, words=WORDS)
    c.add_items(600)
    return c


def texts(corpus: Corpus) -> dict[int, str]:
    return dict(corpus.conn.execute("SELECT item_id, text FROM texts"))


def test_exact_forms_come_first_then_the_rest_each_newest_first(corpus: Corpus) -> None:
    text = texts(corpus)
    every = search(corpus.conn, "Douma", limit=60)  # facets: every match read, exact total
    assert not every.approximate
    matching = sorted((i for i, t in text.items() if "Douma" in t or "دوما" in t), reverse=True)
    assert every.total == len(matching)
    window = matching[: engine.RANK_WINDOW]  # the first page: the newest block, ranked
    exact = [i for i in window if "Douma" in text[i]]
    assert 0 < len(exact) < len(window)
    expected = exact + [i for i in window if i not in exact]
    assert [h.item_id for h in every.hits] == expected
    assert {h.score for h in every.hits[: len(exact)]} == {-engine.EXACT_FORM}
    assert {h.score for h in every.hits[len(exact) :]} == {-engine.OTHER_FORM}
    # the Arabic spelling finds the same items, its own exact form first
    arabic = search(corpus.conn, "دوما", limit=5).hits
    assert all("دوما" in text[h.item_id] for h in arabic)


def test_without_facets_the_total_of_a_common_query_is_an_estimate(corpus: Corpus) -> None:
    exact = search(corpus.conn, "Douma", limit=10)
    rough = search(corpus.conn, "Douma", limit=10, facets=False)
    assert rough.approximate and not exact.approximate
    assert rough.as_json()["approximate"] is True
    assert abs(rough.total - exact.total) <= 0.25 * exact.total  # matches are spread evenly
    assert [h.item_id for h in rough.hits] == [h.item_id for h in exact.hits]
    # a rare query is read whole: its total is exact
    rare = search(corpus.conn, "nothing-like-this OR Aleppo", limit=10, facets=False)
    assert rare.total == search(corpus.conn, "Aleppo", limit=10).total
    # the page of a filtered common query is the same either way
    for query in ("Douma type:video", "Douma -market", "market contributor:C2"):
        a = search(corpus.conn, query, limit=15, facets=False)
        b = search(corpus.conn, query, limit=15)
        assert [h.item_id for h in a.hits] == [h.item_id for h in b.hits], query


def test_hidden_items_stay_out_of_the_estimate_and_the_page(corpus: Corpus) -> None:
    hidden = ("SELECT id FROM items WHERE id % 2 = ?", [0])
    rough = search(corpus.conn, "Douma", limit=50, facets=False, hidden=hidden)
    assert rough.approximate
    assert rough.hits and all(h.item_id % 2 for h in rough.hits)
    visible = search(corpus.conn, "Douma", limit=50, hidden=hidden)
    assert abs(rough.total - visible.total) <= 0.3 * visible.total
    assert [h.item_id for h in rough.hits] == [h.item_id for h in visible.hits]


def test_pages_beyond_the_window_are_ranked_too(corpus: Corpus) -> None:
    whole = search(corpus.conn, "Douma", limit=200)
    parts = [search(corpus.conn, "Douma", limit=50, offset=o, facets=False) for o in (0, 50, 100)]
    assert [h.item_id for p in parts for h in p.hits] == [h.item_id for h in whole.hits][:150]


def test_estimate_rounds_and_never_undercounts() -> None:
    assert engine._estimate(newer=1000, indexed=1_000_000, found=307) == 310_000
    assert engine._estimate(newer=10, indexed=10, found=7) == 7
    assert engine._estimate(newer=3, indexed=1000, found=1234) == 410_000


def test_the_cli_says_about(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    drive = tmp_path / "drive"
    drive.mkdir()
    for n in range(4):
        (drive / f"{n}.txt").write_text(f"Douma report {n}", encoding="utf-8")
    root = tmp_path / "a"
    assert run("init", root).exit_code == 0
    assert run("add", drive, "-c", "Ahmad", archive=root).exit_code == 0
    monkeypatch.setattr(engine, "COMMON", 1)
    monkeypatch.setattr(engine, "RANK_WINDOW", 1)
    r = run("search", "Douma", "--limit", "1", "--no-facets", archive=root)
    assert r.exit_code == 0, r.output
    assert r.stdout.startswith("about 4 items match")
    out = json.loads(run("search", "Douma", "--no-facets", "--json", archive=root).stdout)
    assert out["approximate"] is False and out["total"] == 4  # a page of 20 reads them all


def test_paging_reaches_every_match_past_the_ranked_window(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A query with more matches than the BM25 window pages on through the older ones, newest
    first, in every path; the pages together hold each match exactly once (found by review)."""
    monkeypatch.setattr(engine, "RANK_WINDOW", 5)
    corpus = Corpus(tmp_path / "b", seed=3, words=("douma report",))
    corpus.add_items(12)
    conn = corpus.conn
    for path in ("memory", "sql", "bounded"):
        seen: list[int] = []
        for page in range(4):
            if path == "memory":
                found = engine.search(conn, "douma", limit=4, offset=4 * page)
            elif path == "sql":
                found = engine.search(conn, "douma has:text", limit=4, offset=4 * page)
            else:
                found = engine.search(conn, "douma", limit=4, offset=4 * page, facets=False)
            seen += [h.item_id for h in found.hits]
        assert found.total == 12, path
        assert len(seen) == len(set(seen)) == 12, (path, seen)
        assert seen[5:] == sorted(seen[5:], reverse=True), path  # older ones: newest first
