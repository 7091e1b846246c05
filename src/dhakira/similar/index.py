"""Every stored hash in one faiss ``IndexBinaryFlat``, for Hamming range search.

Rebuilt from the catalog when a command starts (``load``) and extended as signatures are
computed (``add``). Beside the index, compact arrays say whose each hash is: item id, frame
time (NaN for images), variant code, quality and pHash.
"""

from __future__ import annotations

import sqlite3
from array import array
from collections import Counter
from dataclasses import dataclass

import faiss
import numpy as np

from dhakira.similar import ALGORITHM, VERSION
from dhakira.similar.signature import HASH_BYTES, Hash

VARIANTS = (
    "full",
    "trim",
    "centre",
    "frame",
    "tl",
    "tr",
    "bl",
    "br",
    "bars",
    "fcentre",
    "t",
    "b",
    "l",
    "r",
    "mid",
)
NO_PHASH = -1


@dataclass(frozen=True)
class Hit:
    query: int  # index of the query hash
    item_id: int
    variant: str
    t: float | None
    quality: int
    phash: int | None
    distance: int


class HashIndex:
    def __init__(self) -> None:
        self.index = faiss.IndexBinaryFlat(HASH_BYTES * 8)
        self.items = array("q")
        self.times = array("d")
        self.variants = array("b")
        self.qualities = array("h")
        self.phashes = array("q")
        self.frames: Counter[int] = Counter()  # stored video frames per item

    def __len__(self) -> int:
        return len(self.items)

    def add(self, item_id: int, hashes: list[Hash]) -> None:
        stored = [h for h in hashes if h.variant in VARIANTS]
        if not stored:
            return
        self.add_raw(
            np.frombuffer(b"".join(h.bits for h in stored), np.uint8).reshape(-1, HASH_BYTES),
            [item_id] * len(stored),
            [np.nan if h.t is None else h.t for h in stored],
            [VARIANTS.index(h.variant) for h in stored],
            [h.quality for h in stored],
            [NO_PHASH if h.phash is None else _signed(h.phash) or 0 for h in stored],
        )

    def add_raw(
        self,
        bits: np.ndarray,
        items: list[int],
        times: list[float],
        variants: list[int],
        qualities: list[int],
        phashes: list[int],
    ) -> None:
        self.index.add(np.ascontiguousarray(bits, dtype=np.uint8))
        self.items.extend(items)
        self.times.extend(times)
        self.variants.extend(variants)
        self.qualities.extend(qualities)
        self.phashes.extend(phashes)
        frame = VARIANTS.index("frame")
        self.frames.update(i for i, v in zip(items, variants, strict=True) if v == frame)

    def search(self, hashes: list[Hash], radius: int, *, exclude: int | None = None) -> list[Hit]:
        """Every stored hash within ``radius`` bits of each query hash."""
        if not hashes or not len(self):
            return []
        queries = np.frombuffer(b"".join(h.bits for h in hashes), np.uint8).reshape(-1, HASH_BYTES)
        lims, dist, ids = self.index.range_search(queries, radius + 1)
        hits = []
        for q in range(len(hashes)):
            for k in range(int(lims[q]), int(lims[q + 1])):
                pos = int(ids[k])
                item = self.items[pos]
                if item == exclude:
                    continue
                t = self.times[pos]
                ph = self.phashes[pos]
                hits.append(
                    Hit(
                        q,
                        item,
                        VARIANTS[self.variants[pos]],
                        None if t != t else t,
                        self.qualities[pos],
                        None if ph == NO_PHASH else ph & 0xFFFFFFFFFFFFFFFF,
                        int(dist[k]),
                    )
                )
        return hits


def _signed(phash: int | None) -> int | None:
    """A 64-bit pHash as SQLite's signed INTEGER."""
    if phash is None:
        return None
    return phash - (1 << 64) if phash >= 1 << 63 else phash


def load(conn: sqlite3.Connection) -> HashIndex:
    """The index of every current-version hash in the catalog."""
    index = HashIndex()
    cur = conn.execute(
        "SELECT h.item_id, h.t, h.variant, h.quality, h.phash, h.hash FROM sim_hashes h"
        " JOIN sim_signatures s ON s.item_id = h.item_id AND s.algorithm = h.algorithm"
        " AND s.version = h.version WHERE h.algorithm = ? AND h.version = ? ORDER BY h.rowid",
        (ALGORITHM, VERSION),
    )
    while rows := cur.fetchmany(100_000):
        index.add_raw(
            np.frombuffer(b"".join(r[5] for r in rows), np.uint8).reshape(-1, HASH_BYTES),
            [r[0] for r in rows],
            [np.nan if r[1] is None else r[1] for r in rows],
            [VARIANTS.index(r[2]) for r in rows],
            [r[3] for r in rows],
            [NO_PHASH if r[4] is None else r[4] for r in rows],
        )
    return index
