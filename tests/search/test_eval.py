"""Search quality on the evaluation set: recall@10 and MRR must not drop below what we reach."""

from __future__ import annotations

import hashlib
import os

import pytest
from tests.search.evalset import DOCS, QUERIES

from dhakira.archive import Archive
from dhakira.ingest.add import AddOptions, Ingest
from dhakira.ingest.derive import derive_pending
from dhakira.progress import Quiet
from dhakira.search.engine import search
from dhakira.search.index import index_pending

MIN_RECALL_AT_10 = 1.0 - 1e-9  # the figures reached: 1.000 and 1.000 over 70 queries
MIN_MRR = 1.0 - 1e-9


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Archive, dict[str, str]]:
    root = tmp_path_factory.mktemp("eval")
    archive = Archive.create(root / "archive")
    by_sha: dict[str, str] = {}
    for contributor in {c for c, _, _ in DOCS.values()}:
        folder = root / contributor
        folder.mkdir()
        for key, (who, name, text) in DOCS.items():
            if who == contributor:
                data = text.encode("utf-8")
                (folder / name).write_bytes(data)
                by_sha[hashlib.sha256(data).hexdigest()] = key
        with archive.writing():
            Ingest(archive, AddOptions(contributor), Quiet()).run(os.fsencode(folder))
    with archive.writing():
        derive_pending(archive, Quiet())
        index_pending(archive.catalog.conn, Quiet())
    return archive, by_sha


def test_every_document_is_indexed(corpus: tuple[Archive, dict[str, str]]) -> None:
    archive, by_sha = corpus
    n = archive.catalog.conn.execute("SELECT count(*) FROM search_docs").fetchone()[0]
    assert n == len(DOCS) == len(by_sha)


def test_recall_and_mrr_on_the_evaluation_set(corpus: tuple[Archive, dict[str, str]]) -> None:
    archive, by_sha = corpus
    assert len(QUERIES) >= 60
    recalls, reciprocal, misses = [], [], []
    for query, expected in QUERIES:
        hits = search(archive.catalog.conn, query, limit=10, facets=False).hits
        found = [by_sha[h.sha256] for h in hits]
        recall = len(expected & set(found)) / len(expected)
        recalls.append(recall)
        rank = next((i + 1 for i, k in enumerate(found) if k in expected), None)
        reciprocal.append(1 / rank if rank else 0.0)
        if recall < 1:
            misses.append(f"{query!r}: missing {sorted(expected - set(found))}, got {found}")
    recall_at_10 = sum(recalls) / len(recalls)
    mrr = sum(reciprocal) / len(reciprocal)
    print(f"\nrecall@10 {recall_at_10:.3f}  MRR {mrr:.3f}  over {len(QUERIES)} queries")
    for line in misses:
        print("  " + line)
    assert recall_at_10 >= MIN_RECALL_AT_10, "\n".join(misses)
    assert mrr >= MIN_MRR


def test_snippets_highlight_both_scripts(corpus: tuple[Archive, dict[str, str]]) -> None:
    archive, _ = corpus
    hits = search(archive.catalog.conn, "مستشفى", limit=10, marks=("<b>", "</b>")).hits
    assert any("<b>مستشفى</b>" in h.snippet for h in hits)
    assert any(
        "<b>المستشفيات</b>" in h.snippet
        or "<b>والمستشفيات</b>" in h.snippet
        or "<b>المستشفى</b>" in h.snippet
        for h in hits
    )


def test_facets_count_the_whole_result(corpus: tuple[Archive, dict[str, str]]) -> None:
    archive, _ = corpus
    results = search(archive.catalog.conn, "حصار OR siege", limit=1)
    assert results.total == sum(results.facets["contributor"].values())
    assert results.facets["type"] == {"text": results.total}
