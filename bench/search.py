"""Search at scale: indexing rate and query latency over synthetic Arabic/English items.

    python bench/search.py [--items 1000000]

Items are written straight into the catalog (items, contributions, extracted texts) — the
ingest path is measured elsewhere — then indexed by the real indexer (`index_pending`) and
queried through the real engine. Reports indexing items/s and p50/p95 latency for typical
queries, with and without facets.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from pathlib import Path

from _common import cleanup, workdir
from dhakira.archive import Archive
from dhakira.progress import Quiet
from dhakira.search.engine import search
from dhakira.search.index import index_pending

PLACES_AR = [
    "دوما",
    "الغوطة الشرقية",
    "الرقة",
    "حلب",
    "إدلب",
    "حمص",
    "درعا",
    "دير الزور",
    "خان شيخون",
    "سراقب",
    "حماة",
    "اللاذقية",
    "كفرنبل",
    "داريا",
    "منبج",
]
PLACES_EN = [
    "Douma",
    "Eastern Ghouta",
    "Raqqa",
    "Aleppo",
    "Idlib",
    "Homs",
    "Daraa",
    "Deir ez-Zor",
    "Khan Sheikhoun",
    "Saraqib",
    "Hama",
    "Latakia",
    "Kafr Nabl",
]
WORDS_AR = [
    "قصف",
    "مستشفى",
    "المستشفيات",
    "مدرسة",
    "سوق",
    "غارة",
    "جوية",
    "شهادة",
    "طبيب",
    "ضحايا",
    "أطفال",
    "نزوح",
    "حصار",
    "مظاهرة",
    "اعتقال",
    "الدفاع",
    "المدني",
    "كيميائي",
    "برميل",
    "متفجر",
    "مسجد",
    "حي",
    "ريف",
    "مدينة",
    "صور",
    "فيديو",
    "تقرير",
    "شاهد",
]
WORDS_EN = [
    "shelling",
    "hospital",
    "school",
    "market",
    "airstrike",
    "witness",
    "doctor",
    "victims",
    "children",
    "displacement",
    "siege",
    "protest",
    "arrest",
    "civil",
    "defence",
    "chemical",
    "barrel",
    "bomb",
    "mosque",
    "district",
    "countryside",
    "city",
    "photos",
    "video",
    "report",
    "testimony",
    "field",
    "clinic",
]
QUERIES = [
    "دوما",
    "Douma",
    "مستشفى",
    "hospital",
    "الغوطة الشرقية",
    "Raqqa",
    "قصف سوق",
    '"chemical attack"',
    "Aleppo OR Homs",
    "شهادة طبيب",
    "siege -Aleppo",
    "hospit*",
    "contributor:VDC قصف",
    "type:video Douma",
    "Khan Sheikhoun",
    "إدلب",
]


def fill(archive: Archive, n: int) -> None:
    rng = random.Random(5)
    conn = archive.catalog.conn
    batch = archive.catalog.start_batch("bench", "Bench", b"/bench")
    contributors = [archive_contributor(archive, f"C{i}") for i in range(40)] + [
        archive_contributor(archive, "VDC")
    ]
    conn.execute("BEGIN")
    for i in range(1, n + 1):
        arabic = i % 2 == 0
        place = rng.choice(PLACES_AR if arabic else PLACES_EN)
        words = rng.sample(WORDS_AR if arabic else WORDS_EN, 12)
        text = " ".join([place, *words[:6], place, *words[6:]])
        mime = rng.choice(["text/plain", "image/jpeg", "video/mp4", "application/pdf"])
        sha = f"{i:064x}"
        conn.execute(
            "INSERT INTO items(id, sha256, size, mime, mime_tool, added_at, first_batch_id)"
            " VALUES (?, ?, 1000, ?, 'bench', '2026-01-01', ?)",
            (i, sha, mime, batch),
        )
        conn.execute(
            "INSERT INTO contributions(item_id, contributor_id, batch_id, source_path,"
            " original_name, display_path, size, received_at) VALUES (?,?,?,?,?,?,1000,'x')",
            (
                i,
                rng.choice(contributors),
                batch,
                f"/d/{i}.txt".encode(),
                f"{place}-{i}.txt".encode(),
                f"/d/{place}-{i}.txt",
            ),
        )
        conn.execute(
            "INSERT INTO properties(item_id, normaliser_version, captured_at) VALUES (?, 1, ?)",
            (i, f"{2011 + i % 13}-0{1 + i % 9}-1{i % 10}T12:00:00"),
        )
        conn.execute(
            "INSERT INTO texts(item_id, tool, tool_version, text, languages, ocr, created_at)"
            " VALUES (?, 'plain', '1', ?, ?, 0, 'x')",
            (i, text, "ar" if arabic else "en"),
        )
        conn.execute("INSERT INTO search_dirty(item_id) VALUES (?)", (i,))
        if i % 50_000 == 0:
            conn.execute("COMMIT")
            conn.execute("BEGIN")
    conn.execute("COMMIT")


def archive_contributor(archive: Archive, name: str) -> int:
    with archive.catalog.transaction():
        return archive.catalog.contributor_id(name)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--items", type=int, default=1_000_000)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    root = workdir("search")
    try:
        archive = Archive.create(Path(root) / "a")
        fill(archive, args.items)
        t = time.perf_counter()
        n = index_pending(archive.catalog.conn, Quiet())
        took = time.perf_counter() - t
        print(f"indexing: {n:,} items in {took:.1f} s = {n / took:,.0f} items/s (target >= 2,000)")
        conn = archive.catalog.conn
        for facets in (False, True):
            times = []
            for _ in range(args.rounds):
                for q in QUERIES:
                    t = time.perf_counter()
                    search(conn, q, limit=20, facets=facets)
                    times.append(time.perf_counter() - t)
            times.sort()
            p95 = times[int(len(times) * 0.95)]
            print(
                f"queries {'with' if facets else 'without'} facets: p50"
                f" {statistics.median(times) * 1e3:.1f} ms, p95 {p95 * 1e3:.1f} ms,"
                f" max {times[-1] * 1e3:.1f} ms over {len(times)} (target p95 <"
                f" {200 if facets else 50} ms)"
            )
        archive.close()
    finally:
        cleanup(root)


if __name__ == "__main__":
    main()
