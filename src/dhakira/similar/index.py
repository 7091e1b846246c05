"""Every stored hash, for exact Hamming range search.

Two multi-index tables (``similar/mih.py``) answer the searches: PDQ within ``image_distance``
(31 of 256 bits) or ``frame_distance`` (48), and pHash within ``phash_distance`` (10 of 64
bits), whose rows are then checked on PDQ for the loose band. Their chunks widen with the rows
(16 bits for small archives, 21 from ~6 M rows: at 10 M, 12 PDQ chunks with sub-radii 2 or 1
at 31 bits, 4 or 3 at 48). Where the tables would cost more than a scan (below ~80 000
rows; at 48 bits, below ~300 000), a faiss ``IndexBinaryFlat`` scans instead, built on first
use. Either way the answer is exactly a flat scan's.

Beside the codes, numpy arrays say whose each hash is: item id, frame time (NaN for images),
variant code, quality and pHash. The index is persisted (``similar/persist.py``) and rebuilt
from the catalog (``load``) only when that file is missing, stale or damaged.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from dataclasses import dataclass
from typing import Any

import faiss
import numpy as np

from dhakira.similar import ALGORITHM, VERSION
from dhakira.similar.mih import MultiIndex, distances, stale
from dhakira.similar.mih import search as mih_search
from dhakira.similar.settings import Settings
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
FRAME = VARIANTS.index("frame")
NO_PHASH = -1
PDQ_WORDS = HASH_BYTES // 8  # 64-bit words of a 256-bit PDQ hash
COLUMNS = ("items", "times", "variants", "qualities", "phashes")
DTYPES = {"items": np.int64, "times": np.float64, "variants": np.int8, "qualities": np.int16}


@dataclass(frozen=True)
class Hit:
    query: int  # index of the query hash
    item_id: int
    variant: str
    t: float | None
    quality: int
    phash: int | None
    distance: int


def _grow(a: np.ndarray, n: int) -> np.ndarray:
    if n <= len(a):
        return a
    out = np.zeros(max(n, 2 * len(a), 1024), a.dtype)
    out[: len(a)] = a
    return out


class HashIndex:
    def __init__(self) -> None:
        self.pdq = MultiIndex(PDQ_WORDS)
        self.ph = MultiIndex(1)  # only the rows that have a pHash
        self.ph_rows = np.zeros(0, np.int64)  # row of each pHash entry (first len(self.ph))
        self.cols: dict[str, np.ndarray] = {
            c: np.zeros(0, DTYPES.get(c, np.int64)) for c in COLUMNS
        }
        self.frames: Counter[int] = Counter()  # stored video frames per item
        self.max_rowid = 0  # the catalog's last sim_hashes row included (see persist.py)
        self.saved_rows = -1  # rows in the saved file (persist.py); -1: no valid file
        self.loading = False  # adding in bulk: the tables are rebuilt once at the end
        self._flat: Any = None  # faiss.IndexBinaryFlat, built when a wide search first needs it
        # rows sorted by item (the first _by_item_n), as numpy's own index type: a sorter of
        # another type is converted on every search (10 M rows: 17 ms a look-up)
        self._by_item = np.zeros(0, np.intp)
        self._by_item_n = 0

    def __len__(self) -> int:
        return len(self.pdq)

    def col(self, name: str) -> np.ndarray:
        return self.cols[name][: len(self)]

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
        items: Any,
        times: Any,
        variants: Any,
        qualities: Any,
        phashes: Any,
    ) -> None:
        bits = np.ascontiguousarray(bits, dtype=np.uint8).reshape(-1, HASH_BYTES)
        start, end = len(self), len(self) + len(bits)
        for name, values in zip(COLUMNS, (items, times, variants, qualities, phashes), strict=True):
            self.cols[name] = _grow(self.cols[name], end)
            self.cols[name][start:end] = values
        self.pdq.add(bits)
        if self._flat is not None:
            self._flat.add(bits)
        ph = self.cols["phashes"][start:end]
        has = np.flatnonzero(ph != NO_PHASH)
        if len(has):
            k = len(self.ph)
            self.ph_rows = _grow(self.ph_rows, k + len(has))
            self.ph_rows[k : k + len(has)] = has + start
            self.ph.add(ph[has].astype(np.int64))
        v = self.cols["variants"][start:end]
        frame_items, counts = np.unique(
            self.cols["items"][start:end][v == FRAME], return_counts=True
        )
        self.frames.update(dict(zip(frame_items.tolist(), counts.tolist(), strict=True)))

        if not self.loading:
            self.pdq.maybe_rebuild()
            self.ph.maybe_rebuild()

    def rebuild_tables(self) -> None:
        self.pdq.rebuild()
        self.ph.rebuild()

    def item_frames(self, item_id: int, variant: str = "frame") -> tuple[np.ndarray, np.ndarray]:
        """An item's stored hashes of one variant with a time (video frames), in time order:
        their times and their codes (rows of 32 bytes)."""
        rows = self._rows_of(item_id)
        rows = rows[self.col("variants")[rows] == VARIANTS.index(variant)]
        times = self.col("times")[rows]
        order = np.argsort(times, kind="stable")
        rows = rows[order]
        return times[order], self.pdq.codes[rows].view(np.uint8)

    def _rows_of(self, item_id: int) -> np.ndarray:
        """Rows of one item: by a sorted order of the rows (rebuilt when the multi-index
        tables would be), plus a scan of the rows it does not cover."""
        items = self.col("items")
        if stale(len(items), self._by_item_n):
            self._by_item = np.argsort(items, kind="stable")
            self._by_item_n = len(items)
        head = items[: self._by_item_n]
        lo, hi = np.searchsorted(head, [item_id, item_id + 1], sorter=self._by_item)
        tail = np.flatnonzero(items[self._by_item_n :] == item_id) + self._by_item_n
        return np.concatenate([self._by_item[lo:hi], tail])

    # -- search -------------------------------------------------------------------------------
    def _pdq_rows(self, queries: np.ndarray, radius: int) -> list[tuple[np.ndarray, np.ndarray]]:
        """Per query (uint8 rows of 32): the row ids within ``radius`` and their distances."""
        if self.pdq.cost(radius) < 1.0:
            return [mih_search(self.pdq, q, radius) for q in queries]
        if self._flat is None:
            self._flat = faiss.IndexBinaryFlat(HASH_BYTES * 8)
            self._flat.add(np.ascontiguousarray(self.pdq.codes[: len(self)]).view(np.uint8))
        lims, dist, ids = self._flat.range_search(np.ascontiguousarray(queries), radius + 1)
        return [
            (ids[lims[i] : lims[i + 1]].astype(np.int64), dist[lims[i] : lims[i + 1]])
            for i in range(len(queries))
        ]

    def _phash_rows(self, q: Hash, phash_radius: int, radius: int) -> tuple[np.ndarray, np.ndarray]:
        """Rows whose pHash is within ``phash_radius`` of q's and PDQ within ``radius``."""
        assert q.phash is not None
        key = np.array([_signed(q.phash)], np.int64)
        found, _ = mih_search(self.ph, key, phash_radius)
        rows = self.ph_rows[found]
        d = distances(self.pdq.codes, rows, np.frombuffer(q.bits, np.uint64))
        keep = d <= radius
        return rows[keep], d[keep]

    def search(self, hashes: list[Hash], radius: int, *, exclude: int | None = None) -> list[Hit]:
        """Every stored hash within ``radius`` bits of each query hash."""
        if not hashes or not len(self):
            return []
        queries = np.frombuffer(b"".join(h.bits for h in hashes), np.uint8).reshape(-1, HASH_BYTES)
        return self._hits(list(enumerate(self._pdq_rows(queries, radius))), exclude)

    def search_for(
        self, hashes: list[Hash], s: Settings, *, exclude: int | None = None
    ) -> list[Hit]:
        """The hits ``match.decide`` can accept, and only those radii: an image hash within
        ``image_distance`` or (pHash within ``phash_distance`` and PDQ within
        ``image_distance_loose``); a frame within ``frame_distance`` (or ``image_distance``)."""
        if not hashes or not len(self):
            return []
        found: list[tuple[int, tuple[np.ndarray, np.ndarray]]] = []
        for frames, r in (
            (True, max(s.frame_distance, s.image_distance)),
            (False, s.image_distance),
        ):
            picked = [i for i, h in enumerate(hashes) if (h.t is not None) == frames]
            if picked:
                bits = b"".join(hashes[i].bits for i in picked)
                queries = np.frombuffer(bits, np.uint8).reshape(-1, HASH_BYTES)
                found += zip(picked, self._pdq_rows(queries, r), strict=True)
        for i, h in enumerate(hashes):
            if h.t is None and h.phash is not None and len(self.ph):
                found.append((i, self._phash_rows(h, s.phash_distance, s.image_distance_loose)))
        seen: set[tuple[int, int]] = set()
        unique = []
        for i, (rows, d) in found:
            keep = [k for k, r in enumerate(rows.tolist()) if (i, r) not in seen]
            seen.update((i, r) for r in rows[keep].tolist())
            unique.append((i, (rows[keep], d[keep])))
        return self._hits(unique, exclude)

    def _hits(
        self, found: list[tuple[int, tuple[np.ndarray, np.ndarray]]], exclude: int | None
    ) -> list[Hit]:
        items, times = self.col("items"), self.col("times")
        variants, qualities, phashes = (
            self.col("variants"),
            self.col("qualities"),
            self.col("phashes"),
        )
        hits = []
        for q, (rows, dist) in found:
            for pos, d in zip(rows.tolist(), dist.tolist(), strict=True):
                item = int(items[pos])
                if item == exclude:
                    continue
                t = float(times[pos])
                ph = int(phashes[pos])
                hits.append(
                    Hit(
                        q,
                        item,
                        VARIANTS[variants[pos]],
                        None if t != t else t,
                        int(qualities[pos]),
                        None if ph == NO_PHASH else ph & 0xFFFFFFFFFFFFFFFF,
                        int(d),
                    )
                )
        return hits


def _signed(phash: int | None) -> int | None:
    """A 64-bit pHash as SQLite's signed INTEGER."""
    if phash is None:
        return None
    return phash - (1 << 64) if phash >= 1 << 63 else phash


HASH_ROWS = (
    "SELECT h.rowid, h.item_id, h.t, h.variant, h.quality, h.phash, h.hash FROM sim_hashes h"
    " JOIN sim_signatures s ON s.item_id = h.item_id AND s.algorithm = h.algorithm"
    " AND s.version = h.version WHERE h.algorithm = ? AND h.version = ? AND h.rowid > ?"
    " ORDER BY h.rowid"
)


def extend(index: HashIndex, conn: sqlite3.Connection) -> int:
    """Add the catalog's current-version hashes after ``index.max_rowid``; how many."""
    cur = conn.execute(HASH_ROWS, (ALGORITHM, VERSION, index.max_rowid))
    n = 0
    index.loading = True
    while rows := cur.fetchmany(100_000):
        index.add_raw(
            np.frombuffer(b"".join(r[6] for r in rows), np.uint8).reshape(-1, HASH_BYTES),
            [r[1] for r in rows],
            [np.nan if r[2] is None else r[2] for r in rows],
            [VARIANTS.index(r[3]) for r in rows],
            [r[4] for r in rows],
            [NO_PHASH if r[5] is None else r[5] for r in rows],
        )
        index.max_rowid = rows[-1][0]
        n += len(rows)
    index.loading = False
    index.pdq.maybe_rebuild()
    index.ph.maybe_rebuild()
    return n


def load(conn: sqlite3.Connection) -> HashIndex:
    """The index of every current-version hash in the catalog, rebuilt from it."""
    index = HashIndex()
    extend(index, conn)
    return index
