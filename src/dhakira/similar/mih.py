"""Exact Hamming range search by multi-index hashing (Norouzi et al.), in numpy.

A code (rows of 64-bit words) is cut into ``k`` chunks of ``b`` bits each (a bit stream: a chunk
may straddle two words; the last ``bits mod b`` bits belong to no chunk). Two codes within ``r``
bits are within ``r`` bits on the chunks (the uncovered bits only add distance), so by
pigeonhole some chunk lies within ``r // k`` bits, and more precisely: with ``r = s·k + a``,
one of the first ``a + 1`` chunks lies within ``s`` bits or one of the others within ``s - 1``
(otherwise the distance would be at least ``(a + 1)(s + 1) + (k - a - 1)s = r + 1``). The
candidates for a query are the rows whose chunk values lie in those balls: one table per chunk
sends a ``b``-bit value to its rows (counting sort: row ids grouped by value, with offsets).
Every candidate is then checked on the whole code, so the answer is exactly a flat scan's.

The chunk width follows the number of rows (Norouzi: about log2 N bits, so a bucket holds a row
or so): ``chunk_bits`` keeps 16 bits (tables of 64 K entries) below ~370 000 rows and grows to
21 bits from ~6 M rows (12 chunks of a 256-bit PDQ hash, 3 of a 64-bit pHash; tables of 2 M
entries: at most a third of the row lists' memory, a fifth at 10 M rows). ``cost`` estimates
a search so that a caller can scan instead. Rows added after the tables were built are scanned
flat until the next ``rebuild``.
"""

from __future__ import annotations

from itertools import combinations
from math import comb, log2

import numpy as np

MIN_CHUNK_BITS = 16
MAX_CHUNK_BITS = 21
_MASKS: dict[tuple[int, int], np.ndarray] = {}
# Costs of a search in the same unit (~20 ns here): a bucket looked up, a candidate checked
# (random reads of its id and its code), a row scanned flat by faiss (1.3-3.5 ns: it fits a
# cache below ~1 M rows), the numpy calls of one search (~0.1 ms). Measured on random codes
# from 20 000 to 10 M rows at radii 31, 48 and 64 (bench/similar_speed.py at 10 M): at 48
# bits the scan is taken below ~300 000 rows, where the two are within 0.1 ms of each other.
BUCKET_COST = 1.0
CANDIDATE_COST = 1.0
FLAT_COST = 0.07
QUERY_COST = 5000.0


def stale(n: int, built: int) -> bool:
    """Whether a structure built over the first ``built`` of ``n`` rows (the rest scanned)
    should be built again: past 20 000 unbuilt rows and 1/64 of the whole, so rebuilding
    costs a few % of adding."""
    return n - built > max(20_000, built // 64)


def chunk_bits(n: int) -> int:
    """Chunk width for ``n`` rows: log2(n) - 2 bits, within 16..21."""
    if n < 2:
        return MIN_CHUNK_BITS
    return max(MIN_CHUNK_BITS, min(MAX_CHUNK_BITS, round(log2(n)) - 2))


def masks(s: int, b: int = 16) -> np.ndarray:
    """Every ``b``-bit value with at most ``s`` bits set (XOR masks for a sub-radius)."""
    if (s, b) not in _MASKS:
        out = [0]
        for k in range(1, s + 1):
            out += [sum(1 << i for i in bits) for bits in combinations(range(b), k)]
        _MASKS[s, b] = np.array(out, np.uint32)
    return _MASKS[s, b]


def ball(s: int, b: int = 16) -> int:
    return sum(comb(b, k) for k in range(s + 1))


def radii(k: int, radius: int) -> list[int]:
    """Sub-radius of each of ``k`` chunks (-1: that chunk need not be read)."""
    s, a = divmod(radius, k)
    return [s] * (a + 1) + [s - 1] * (k - a - 1)


def chunk_values(codes: np.ndarray, b: int, k: int) -> np.ndarray:
    """The ``k`` chunks of ``b`` bits of each code: (k, rows) uint32."""
    codes = codes.reshape(-1, codes.shape[-1])
    return (
        np.stack([_chunk(codes, b, c) for c in range(k)])
        if k
        else np.zeros((0, len(codes)), np.uint32)
    )


def _chunk(codes: np.ndarray, b: int, c: int) -> np.ndarray:
    """Chunk ``c`` (bits ``c·b`` to ``c·b + b - 1`` of the stream) of each code, as uint32."""
    word, shift = divmod(c * b, 64)
    v = codes[:, word] >> np.uint64(shift)
    if shift + b > 64:
        v = v | (codes[:, word + 1] << np.uint64(64 - shift))
    return (v & np.uint64((1 << b) - 1)).astype(np.uint32)


class MultiIndex:
    """Exact range search over fixed-width codes (rows of ``uint64`` words)."""

    def __init__(self, words: int) -> None:
        self.words = words
        self.codes = np.zeros((0, words), np.uint64)
        self.n = 0  # rows in use (codes may have spare capacity)
        self.built = 0  # rows covered by the tables
        self.b = MIN_CHUNK_BITS
        self.order = np.zeros((0, 0), np.uint32)  # (k, built): row ids grouped by chunk value
        # (k, 2**b + 1): where each value's rows start in order
        self.offsets = np.zeros((0, (1 << self.b) + 1), np.uint32)

    @property
    def k(self) -> int:
        """Chunks in the tables (none before the first rebuild)."""
        return len(self.order)

    def __len__(self) -> int:
        return self.n

    def add(self, codes: np.ndarray) -> None:
        codes = np.ascontiguousarray(codes).view(np.uint64).reshape(-1, self.words)
        need = self.n + len(codes)
        if need > len(self.codes):
            grown = np.zeros((max(need, 2 * len(self.codes), 1024), self.words), np.uint64)
            grown[: self.n] = self.codes[: self.n]
            self.codes = grown
        self.codes[self.n : need] = codes
        self.n = need

    def maybe_rebuild(self) -> None:
        """Rebuild the tables when the rows they do not cover (scanned flat) grow costly."""
        if stale(self.n, self.built):
            self.rebuild()

    def rebuild(self) -> None:
        n = self.n
        self.b = b = chunk_bits(n)
        k = 64 * self.words // b
        self.order = np.empty((k, n), np.uint32)
        self.offsets = np.empty((k, (1 << b) + 1), np.uint32)
        rows = np.arange(n, dtype=np.uint64)
        for j in range(k):  # one chunk at a time: no (k, n) temporary
            keys = _chunk(self.codes[:n], b, j)
            # rows grouped by value, ascending within a value: one sort of (value, row) pairs
            pairs = np.sort((keys.astype(np.uint64) << np.uint64(32)) | rows)
            self.order[j] = pairs.astype(np.uint32)  # the low 32 bits: the row
            self.offsets[j, 0] = 0
            np.cumsum(np.bincount(keys, minlength=1 << b), out=self.offsets[j, 1:])
        self.built = n

    def buckets(self, radius: int) -> int:
        """Buckets a query at this radius reads."""
        if not self.k:
            return 0
        return sum(ball(s, self.b) for s in radii(self.k, radius) if s >= 0)

    def cost(self, radius: int) -> float:
        """Expected cost of a query at this radius (uniform codes), relative to a flat scan of
        every row (1.0)."""
        if not self.n:
            return 0.0
        buckets = self.buckets(radius)
        # + the tail, counted as candidates (pessimistic: it is scanned as one slice)
        rows = buckets * self.built / (1 << self.b) + (self.n - self.built)
        mih = QUERY_COST + BUCKET_COST * buckets + CANDIDATE_COST * rows
        return min(1.0, mih / (FLAT_COST * self.n))

    def candidates(self, query: np.ndarray, radius: int) -> np.ndarray:
        """Row ids among those the tables cover that may lie within ``radius`` (a superset,
        possibly with repeats); the rows after ``built`` are not among them."""
        none = np.zeros(0, np.int64)
        if not self.built:
            return none
        q = chunk_values(np.asarray(query, np.uint64).reshape(1, self.words), self.b, self.k)[:, 0]
        chunks, values = [], []
        for j, s in enumerate(radii(self.k, radius)):
            if s >= 0:
                m = masks(s, self.b)
                values.append(q[j] ^ m)
                chunks.append(np.full(len(m), j, np.int64))
        chunk = np.concatenate(chunks)
        at = chunk * self.offsets.shape[1] + np.concatenate(values)
        flat = self.offsets.ravel()  # np.take: several times faster than fancy indexing here
        starts = np.take(flat, at).astype(np.int64)
        lengths = np.take(flat, at + 1) - starts
        filled = lengths > 0
        lengths = lengths[filled]
        total = int(lengths.sum())
        if not total:
            return none
        # positions start..end of every bucket, in one gather over the flattened tables
        base = chunk[filled] * self.built + starts[filled]
        step = np.ones(total, np.int64)
        ends_at = np.cumsum(lengths)
        step[0] = base[0]
        step[ends_at[:-1]] = base[1:] - (base[:-1] + lengths[:-1] - 1)
        positions = np.cumsum(step)
        return np.take(self.order.ravel(), positions).astype(np.int64)


def distances(codes: np.ndarray, rows: np.ndarray | None, query: np.ndarray) -> np.ndarray:
    """Hamming distances between ``query`` and ``codes[rows]`` (codes as uint64 words; every
    row of ``codes`` when ``rows`` is None)."""
    q = np.asarray(query, np.uint64).reshape(-1)
    # one random read of each row (np.take: fancy indexing is 3× slower)
    x = codes if rows is None else np.take(codes, rows, axis=0)
    out = np.zeros(len(x), np.int16)
    for j in range(len(q)):  # word by word: numpy's loops over 4-wide rows are slow
        out += np.bitwise_count(x[:, j] ^ q[j])
    return out


def search(index: MultiIndex, query: np.ndarray, radius: int) -> tuple[np.ndarray, np.ndarray]:
    """Row ids within ``radius`` of ``query`` (sorted, each once) and their distances."""
    query = np.ascontiguousarray(query).view(np.uint64)
    rows = index.candidates(query, radius)
    d = distances(index.codes, rows, query)
    keep = d <= radius
    rows, first = np.unique(rows[keep], return_index=True)  # a row found by several chunks
    d = d[keep][first]
    if index.n > index.built:  # the rows added since the tables were built: scanned
        tail = distances(index.codes[index.built : index.n], None, query)
        near = np.flatnonzero(tail <= radius)
        rows = np.concatenate([rows, near + index.built])
        d = np.concatenate([d, tail[near]])
    return rows, d
