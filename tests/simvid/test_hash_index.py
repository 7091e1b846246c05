"""The multi-index search returns exactly what a flat scan returns, on random and clustered
codes, at every radius; the per-kind query radii make exactly the decisions a wide scan makes."""

from __future__ import annotations

import numpy as np
import pytest

from dhakira.similar import mih
from dhakira.similar.index import HashIndex
from dhakira.similar.match import decide, query_hashes, radius
from dhakira.similar.mih import MultiIndex, ball, chunk_bits, chunk_values, masks, radii, search
from dhakira.similar.settings import Settings
from dhakira.similar.signature import Hash, Signature


def _codes(rng: np.random.Generator, n: int, clustered: bool) -> np.ndarray:
    if not clustered:
        return rng.integers(0, 256, (n, 32), dtype=np.uint8)
    # near-copies of 40 centres: 0..60 bits flipped, as re-encodes of the same footage are
    centres = rng.integers(0, 256, (40, 32), dtype=np.uint8)
    bits = np.unpackbits(centres[rng.integers(0, 40, n)], axis=1)
    flips = rng.random((n, 256)) < rng.uniform(0, 60 / 256, (n, 1))
    return np.packbits(bits ^ flips, axis=1)


def _brute(codes: np.ndarray, q: np.ndarray, r: int) -> tuple[list[int], list[int]]:
    d = np.bitwise_count(codes ^ q).sum(axis=1, dtype=np.int64)
    rows = np.flatnonzero(d <= r)
    return rows.tolist(), d[rows].tolist()


def test_masks_are_the_hamming_ball() -> None:
    for b in (16, 21):
        for s in range(4):
            m = masks(s, b)
            assert len(m) == len(set(m.tolist())) == ball(s, b)
            assert max(int(v).bit_count() for v in m) == s and int(m.max()) < 1 << b


def test_sub_radii_cover_the_radius() -> None:
    for k in (3, 11, 12, 16):
        for r in range(0, 90):
            sub = radii(k, r)
            # a code with every chunk just outside its sub-radius is more than r bits away
            assert len(sub) == k and sum(s + 1 for s in sub) == r + 1


def test_chunk_width_follows_the_rows() -> None:
    assert chunk_bits(0) == chunk_bits(100_000) == 16  # small archives: tables of 64 K
    assert chunk_bits(400_000) == 17 and chunk_bits(1_000_000) == 18
    assert chunk_bits(10_000_000) == chunk_bits(10**9) == 21


def test_chunk_values_are_the_bit_stream() -> None:
    rng = np.random.default_rng(5)
    codes = rng.integers(0, 256, (50, 32), dtype=np.uint8)
    stream = np.unpackbits(codes, axis=1, bitorder="little")
    for b in (16, 17, 21):
        keys = chunk_values(codes.view(np.uint64), b, 256 // b)
        for c in range(256 // b):
            want = stream[:, c * b : (c + 1) * b] @ (1 << np.arange(b, dtype=np.int64))
            assert keys[c].tolist() == want.tolist()


def _check_exact(
    m: MultiIndex, codes: np.ndarray, queries: np.ndarray, radii_: tuple[int, ...]
) -> int:
    found = 0
    for q in queries:
        for r in radii_:
            rows, d = search(m, q.view(np.uint64), r)
            want_rows, want_d = _brute(codes, q, r)
            assert rows.tolist() == want_rows and d.tolist() == want_d
            found += len(rows)
    return found


@pytest.mark.parametrize("bits", [16, 17, 19, 21])
@pytest.mark.parametrize("clustered", [False, True])
def test_multi_index_equals_flat_scan(
    clustered: bool, bits: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(mih, "chunk_bits", lambda n: bits)  # any width, whatever the rows
    rng = np.random.default_rng(7 + clustered)
    codes = _codes(rng, 30_000, clustered)
    m = MultiIndex(4)
    m.add(codes[:25_000].view(np.uint64))
    m.rebuild()
    m.add(codes[25_000:].view(np.uint64))  # a tail the tables do not cover yet
    assert m.built == 25_000 and len(m) == 30_000 and m.b == bits and m.k == 256 // bits
    queries = np.concatenate([codes[rng.integers(0, len(codes), 12)], _codes(rng, 4, clustered)])
    found = _check_exact(m, codes, queries, (0, 15, 16, 31, 32, 47, 48, 80))
    assert found > 90  # the check compared real neighbours, not only empty sets


def test_multi_index_widens_its_chunks_with_the_rows() -> None:
    rng = np.random.default_rng(9)
    codes = np.concatenate([_codes(rng, 390_000, False), _codes(rng, 10_000, True)])
    m = MultiIndex(4)
    m.add(codes.view(np.uint64))
    m.rebuild()
    assert m.b == 17 and m.k == 15  # a bit stream: chunks straddle words, one bit uncovered
    queries = codes[rng.integers(390_000, len(codes), 8)]
    assert _check_exact(m, codes, queries, (0, 10, 31, 48)) > 50
    phash = MultiIndex(1)  # a 64-bit pHash: 3 chunks of 17 bits, 13 bits uncovered
    phash.add(codes[:, :8].copy().view(np.uint64))
    phash.rebuild()
    assert phash.k == 3
    short = codes[:, :8]
    for q in short[rng.integers(0, len(codes), 8)]:
        for r in (0, 6, 10, 14):
            rows, d = search(phash, q.view(np.uint64), r)
            want_rows, want_d = _brute(short, q, r)
            assert rows.tolist() == want_rows and d.tolist() == want_d


@pytest.mark.parametrize("path", ["tables", "scan"])
def test_hash_index_search_is_exact_whichever_path(
    path: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the scan costs nothing (always taken) or a lot (the tables always taken)
    monkeypatch.setattr(mih, "FLAT_COST", 1e9 if path == "tables" else 1e-9)
    rng = np.random.default_rng(3)
    codes = _codes(rng, 25_000, clustered=True)
    index = HashIndex()
    index.add_raw(codes, list(range(len(codes))), [np.nan] * len(codes), [0] * len(codes),
                  [100] * len(codes), [-1] * len(codes))  # fmt: skip
    index.rebuild_tables()
    q = codes[5]
    for r in (31, 48, 80):
        hits = index.search([Hash("full", q.tobytes(), 100)], r)
        rows, dists = _brute(codes, q, r)
        assert sorted((h.item_id, h.distance) for h in hits) == list(zip(rows, dists, strict=True))
    assert (index._flat is None) == (path == "tables")


def test_scan_or_tables_by_cost() -> None:
    m = MultiIndex(4)
    m.add(np.random.default_rng(4).integers(0, 256, (200_000, 32), dtype=np.uint8))
    m.rebuild()
    assert m.cost(31) < 0.5 and m.cost(48) == 1.0  # at 48 bits, a scan of 200 000 rows is cheaper


def _flip(rng: np.random.Generator, bits: bytes, n: int) -> bytes:
    v = np.unpackbits(np.frombuffer(bits, np.uint8))
    v[rng.choice(256, n, replace=False)] ^= 1
    return np.packbits(v).tobytes()


@pytest.mark.parametrize("path", ["cost", "tables"])
def test_query_radii_make_the_same_decisions_as_a_wide_scan(
    path: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if path == "tables":  # every narrow search through the tables, whatever they cost
        monkeypatch.setattr(mih, "FLAT_COST", 1e9)
    rng = np.random.default_rng(11)
    s = Settings()
    index = HashIndex()
    sigs: list[Signature] = []
    for item in range(300):
        base = rng.integers(0, 256, 32, dtype=np.uint8).tobytes()
        phash = int(rng.integers(0, 1 << 62))
        if item % 3 == 0:  # a video: frames each second
            hashes = [Hash("frame", _flip(rng, base, int(t) * 3), 90, float(t)) for t in range(8)]
            sig = Signature("video", hashes)
        else:
            hashes = [Hash(v, _flip(rng, base, k), 80, None, phash ^ (1 << k))
                      for k, v in enumerate(("full", "trim", "centre"))]  # fmt: skip
            sig = Signature("image", hashes)
        sigs.append(sig)
        index.add(item, sig.hashes)
    index.rebuild_tables()
    checked = 0
    for item in rng.integers(0, 300, 60).tolist():
        orig = sigs[item]
        q = Signature(
            orig.kind,
            [Hash(h.variant, _flip(rng, h.bits, int(rng.integers(10, 90))), h.quality, h.t,
                  None if h.phash is None else h.phash ^ int(rng.integers(0, 1 << 12)))
             for h in orig.hashes],
        )  # fmt: skip
        narrow = decide(q, index.search_for(query_hashes(q), s), index, s)
        wide = decide(q, index.search(query_hashes(q), radius(s)), index, s)
        assert narrow == wide
        checked += len(wide)
    assert checked > 10
