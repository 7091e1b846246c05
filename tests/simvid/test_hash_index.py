"""The multi-index search returns exactly what a flat scan returns, on random and clustered
codes, at every radius; the per-kind query radii make exactly the decisions a wide scan makes."""

from __future__ import annotations

import numpy as np
import pytest

from dhakira.similar.index import HashIndex
from dhakira.similar.match import decide, query_hashes, radius
from dhakira.similar.mih import MultiIndex, ball, masks, search
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
    d = np.unpackbits(codes ^ q, axis=1).sum(axis=1)
    rows = np.flatnonzero(d <= r)
    return rows.tolist(), d[rows].tolist()


def test_masks_are_the_hamming_ball() -> None:
    for s in range(4):
        m = masks(s)
        assert len(m) == len(set(m.tolist())) == ball(s)
        assert max(int(v).bit_count() for v in m) == s


@pytest.mark.parametrize("clustered", [False, True])
def test_multi_index_equals_flat_scan(clustered: bool) -> None:
    rng = np.random.default_rng(7 + clustered)
    codes = _codes(rng, 30_000, clustered)
    m = MultiIndex(16)
    m.add(codes[:25_000].view(np.uint16))
    m.rebuild()
    m.add(codes[25_000:].view(np.uint16))  # a tail the tables do not cover yet
    assert m.built == 25_000 and len(m) == 30_000
    queries = np.concatenate([codes[rng.integers(0, len(codes), 12)], _codes(rng, 4, clustered)])
    found = 0
    for q in queries:
        for r in (0, 15, 16, 31, 32, 47, 48, 80):
            rows, d = search(m, q.view(np.uint16), r)
            want_rows, want_d = _brute(codes, q, r)
            assert rows.tolist() == want_rows and d.tolist() == want_d
            found += len(rows)
    assert found > 90  # the check compared real neighbours, not only empty sets


def test_hash_index_search_is_exact_whichever_path() -> None:
    rng = np.random.default_rng(3)
    codes = _codes(rng, 25_000, clustered=True)
    index = HashIndex()
    index.add_raw(codes, list(range(len(codes))), [np.nan] * len(codes), [0] * len(codes),
                  [100] * len(codes), [-1] * len(codes))  # fmt: skip
    index.rebuild_tables()
    q = codes[5]
    for r in (31, 48, 80):  # the multi-index at 31 bits, the flat scan above
        hits = index.search([Hash("full", q.tobytes(), 100)], r)
        rows, dists = _brute(codes, q, r)
        assert sorted((h.item_id, h.distance) for h in hits) == list(zip(rows, dists, strict=True))


def _flip(rng: np.random.Generator, bits: bytes, n: int) -> bytes:
    v = np.unpackbits(np.frombuffer(bits, np.uint8))
    v[rng.choice(256, n, replace=False)] ^= 1
    return np.packbits(v).tobytes()


def test_query_radii_make_the_same_decisions_as_a_wide_scan() -> None:
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
        narrow = decide(q, index.search_for(query_hashes(q), s), index.frames, s)
        wide = decide(q, index.search(query_hashes(q), radius(s)), index.frames, s)
        assert narrow == wide
        checked += len(wide)
    assert checked > 10
