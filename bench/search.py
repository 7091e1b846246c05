"""Search at scale: indexing rate and query latency over synthetic Arabic/English items.

    python bench/search.py [--items 1000000]

Items are written straight into the catalog (items, contributions, extracted texts) — the
ingest path is measured elsewhere — then indexed by the real indexer (`index_pending`) and
queried through the real engine. Reports indexing items/s and p50/p95 latency for typical
queries, with and without facets.
"""

from __future__ import annotations

import argparse
import itertools
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


class Zipf:
    """Text whose words follow Zipf's law, as real text does: the domain words sit among
    20,000 generated words at ranks 20 to ~2,000, places are Zipf-distributed too, and a
    text has 15 to 45 words — so a typical query word matches a few per cent of the items,
    not the fifth of them that the uniform corpus gives."""

    LETTERS_AR = "ابتثجحخدذرزسشصضطظعغفقكلمنهوي"
    SYLLABLES = tuple(
        [
            "ka",
            "ro",
            "mi",
            "sel",
            "tan",
            "ur",
            "bel",
            "dim",
            "os",
            "far",
            "qi",
            "lun",
            "ha",
            "ze",
            "vo",
            "pra",
            "sti",
            "ne",
            "gu",
            "wal",
            "bri",
            "ton",
            "ek",
            "ay",
        ]
    )

    def __init__(self, rng: random.Random, places: list[str], words: list[str], arabic: bool):
        self.rng = rng
        vocab: list[str] = []
        seen = set(words)
        while len(vocab) < 20_000:
            w = (
                "".join(rng.choice(self.LETTERS_AR) for _ in range(rng.randrange(3, 7)))
                if arabic
                else "".join(rng.choice(self.SYLLABLES) for _ in range(rng.randrange(2, 5)))
            )
            if w not in seen:
                seen.add(w)
                vocab.append(w)
        for k, w in enumerate(words):  # domain words at ranks 20, 90, 160, ...
            vocab.insert(20 + 70 * k, w)
        self.vocab = vocab
        self.cum = list(itertools.accumulate(1 / (r + 1) ** 1.07 for r in range(len(vocab))))
        self.places = places
        self.place_cum = list(itertools.accumulate(1 / (r + 1) for r in range(len(places))))

    def text(self) -> tuple[str, str]:
        place = self.rng.choices(self.places, cum_weights=self.place_cum)[0]
        words = self.rng.choices(self.vocab, cum_weights=self.cum, k=self.rng.randrange(15, 46))
        cut = len(words) // 2
        return place, " ".join([place, *words[:cut], place, *words[cut:]])


def fill(archive: Archive, n: int, corpus: str = "zipf") -> None:
    rng = random.Random(5)
    conn = archive.catalog.conn
    batch = archive.catalog.start_batch("bench", "Bench", b"/bench")
    contributors = [archive_contributor(archive, f"C{i}") for i in range(40)] + [
        archive_contributor(archive, "VDC")
    ]
    zipf = {
        True: Zipf(rng, PLACES_AR, WORDS_AR, True),
        False: Zipf(rng, PLACES_EN, WORDS_EN, False),
    }
    conn.execute("BEGIN")
    for i in range(1, n + 1):
        arabic = i % 2 == 0
        if corpus == "zipf":
            place, text = zipf[arabic].text()
        else:
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
    ap.add_argument(
        "--corpus",
        choices=["zipf", "uniform"],
        default="zipf",
        help="zipf: realistic word frequencies; uniform: every query matches ~20%% (worst case)",
    )
    ap.add_argument(
        "--keep", type=Path, help="build the archive here once and reuse it on later runs"
    )
    args = ap.parse_args()
    root = workdir("search")
    try:
        where = args.keep or Path(root) / "a"
        if args.keep and (where / "archive.toml").exists():
            archive = Archive.open(where)
            print(f"reusing {where}")
        else:
            archive = Archive.create(where)
            fill(archive, args.items, args.corpus)
            t = time.perf_counter()
            n = index_pending(archive.catalog.conn, Quiet())
            took = time.perf_counter() - t
            print(
                f"indexing: {n:,} items in {took:.1f} s = {n / took:,.0f} items/s (target >= 2,000)"
            )
        conn = archive.catalog.conn
        for facets in (False, True):
            times = []
            per_query: dict[str, list[float]] = {q: [] for q in QUERIES}
            for _ in range(args.rounds):
                for q in QUERIES:
                    t = time.perf_counter()
                    search(conn, q, limit=20, facets=facets)
                    times.append(time.perf_counter() - t)
                    per_query[q].append(times[-1])
            times.sort()
            slowest = sorted(per_query.items(), key=lambda kv: -statistics.median(kv[1]))[:4]
            print(
                "  slowest (median): "
                + ", ".join(f"{q} {statistics.median(ts) * 1e3:.0f} ms" for q, ts in slowest)
            )
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
