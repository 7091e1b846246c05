"""RFC 9162 Merkle trees: known answers, an independent transcription of the RFC, and pymerkle."""

from __future__ import annotations

import hashlib
from functools import cache
from typing import Any

import pymerkle
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dhakira.custody.merkle import (
    EMPTY_ROOT,
    MemoryNodes,
    completed_nodes,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root,
    root_from,
    subtree_hash,
    verify_consistency,
    verify_inclusion,
)

# --- an independent transcription of RFC 9162 section 2.1, on leaf ranges -------------------

N = 3000  # every tree size up to N is a prefix of one shared log
DATA = [b"leaf %d" % i for i in range(N)]  # distinct leaves: no two subtree hashes collide


def _k(n: int) -> int:
    """The largest power of two smaller than n."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


@cache
def mth(start: int, end: int) -> bytes:
    """MTH(D[start:end]) by the RFC's recursive definition, with hashlib directly."""
    n = end - start
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return hashlib.sha256(b"\x00" + DATA[start]).digest()
    k = _k(n)
    return hashlib.sha256(b"\x01" + mth(start, start + k) + mth(start + k, end)).digest()


def rfc_path(m: int, start: int, end: int) -> list[tuple[str, int, int]]:
    """PATH(m, D[start:end]): (side of the sibling, its range), bottom-up."""
    n = end - start
    if n == 1:
        return []
    k = _k(n)
    if m < k:
        return [*rfc_path(m, start, start + k), ("R", start + k, end)]
    return [*rfc_path(m - k, start + k, end), ("L", start, start + k)]


def rfc_subproof(m: int, start: int, end: int, b: bool) -> list[tuple[str, int, int]]:
    """SUBPROOF(m, D[start:end], b): (role, range), bottom-up; role N is the node itself."""
    n = end - start
    if m == n:
        return [] if b else [("N", start, end)]
    k = _k(n)
    if m <= k:
        return [*rfc_subproof(m, start, start + k, b), ("R", start + k, end)]
    return [*rfc_subproof(m - k, start + k, end, False), ("L", start, start + k)]


def rfc_proof(m: int, n: int) -> list[tuple[str, int, int]]:
    return rfc_subproof(m, 0, n, True) if 0 < m < n else []


def hashes(ranges: list[tuple[str, int, int]]) -> list[bytes]:
    return [mth(s, e) for _, s, e in ranges]


def shape(ranges: list[tuple[str, int, int]]) -> list[str]:
    return [side for side, _, _ in ranges]


@cache
def log() -> MemoryNodes:
    nodes = MemoryNodes()
    for d in DATA:
        nodes.append_data(d)
    return nodes


@cache
def pm_tree() -> Any:
    # RFC 9162 hashing: pymerkle's default "security" mode prefixes leaves with 0x00 and nodes
    # with 0x01 (pymerkle/hasher.py); disable_security=True would drop the prefixes.
    tree = pymerkle.InmemoryTree(algorithm="sha256")
    for d in DATA:
        tree.append_entry(d)
    return tree


def pm_root(size: int) -> bytes:
    tree = pm_tree()
    getter = getattr(tree, "get_root", None) or tree.get_state  # get_state: pymerkle < 7
    return bytes(getter(size))


def pm_path(index: int, size: int) -> list[bytes]:
    """pymerkle's audit path (1-based index); its first element is the leaf itself."""
    proof = pm_tree().prove_inclusion(index + 1, size)
    assert proof.path[0] == leaf_hash(DATA[index])
    return [bytes(h) for h in proof.path[1:]]


# --- known answers -----------------------------------------------------------------------------

# The RFC 6962 / certificate-transparency reference test vectors (merkle_tree_test.cc).
CT_LEAVES = [
    b"",
    b"\x00",
    b"\x10",
    b"\x20\x21",
    b"\x30\x31",
    b"\x40\x41\x42\x43",
    b"\x50\x51\x52\x53\x54\x55\x56\x57",
    b"\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f",
]
CT_ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
CT_INCLUSION = {
    (0, 8): [
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ],
    (5, 8): [
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ],
}
CT_CONSISTENCY = {
    (1, 1): [],
    (1, 8): [
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ],
    (6, 8): [
        "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ],
    (2, 5): [
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
    ],
}


def test_hash_definitions() -> None:
    assert leaf_hash(b"abc") == hashlib.sha256(b"\x00abc").digest()
    assert (
        node_hash(b"L" * 32, b"R" * 32) == hashlib.sha256(b"\x01" + b"L" * 32 + b"R" * 32).digest()
    )
    assert EMPTY_ROOT == hashlib.sha256(b"").digest() == bytes.fromhex(CT_ROOTS[0])
    assert root([]) == EMPTY_ROOT
    assert root_from(MemoryNodes(), 0) == EMPTY_ROOT


def test_ct_known_answers() -> None:
    nodes = MemoryNodes()
    assert root_from(nodes, 0).hex() == CT_ROOTS[0]
    for size, data in enumerate(CT_LEAVES, start=1):
        nodes.append_data(data)
        assert root(CT_LEAVES[:size]).hex() == CT_ROOTS[size]
        assert nodes.root().hex() == CT_ROOTS[size]
    roots = [bytes.fromhex(h) for h in CT_ROOTS]
    for (index, size), want in CT_INCLUSION.items():
        assert [h.hex() for h in inclusion_proof(nodes, index, size)] == want
        leaf = leaf_hash(CT_LEAVES[index])
        assert verify_inclusion(leaf, index, size, [bytes.fromhex(h) for h in want], roots[size])
    for (old, new), want in CT_CONSISTENCY.items():
        assert [h.hex() for h in consistency_proof(nodes, old, new)] == want
        proof = [bytes.fromhex(h) for h in want]
        assert verify_consistency(old, new, roots[old], roots[new], proof)


def test_pymerkle_hashes_as_rfc_9162() -> None:
    tree = pymerkle.InmemoryTree(algorithm="sha256")
    assert tree.security  # the 0x00 / 0x01 prefixes are on
    assert tree.hash_buff(b"x") == leaf_hash(b"x")
    assert tree.hash_pair(b"a" * 32, b"b" * 32) == node_hash(b"a" * 32, b"b" * 32)
    for data in CT_LEAVES:
        tree.append_entry(data)
    assert tree.get_root().hex() == CT_ROOTS[8]


# --- all small trees, exhaustively ------------------------------------------------------------


def test_exhaustive_small_trees() -> None:
    nodes = log()
    for n in range(1, 65):
        r = root_from(nodes, n)
        assert r == mth(0, n) == root(DATA[:n]) == pm_root(n)
        for i in range(n):
            proof = inclusion_proof(nodes, i, n)
            assert proof == hashes(rfc_path(i, 0, n)) == pm_path(i, n)
            assert verify_inclusion(leaf_hash(DATA[i]), i, n, proof, r)
        for m in range(n + 1):
            proof = consistency_proof(nodes, m, n)
            assert proof == hashes(rfc_proof(m, n))
            assert verify_consistency(m, n, root_from(nodes, m), r, proof)
            if m:
                pm_tree().prove_consistency(m, n).verify(root_from(nodes, m), r)


def test_all_complete_subtrees_are_stored() -> None:
    nodes = log()
    for level in range(12):
        width = 1 << level
        for i in range(N // width):
            assert nodes.node(level, i) == mth(i * width, (i + 1) * width)
        with pytest.raises(KeyError):
            nodes.node(level, N // width)


def test_completed_nodes_from_a_plain_store() -> None:
    """As the database-backed log uses it: a dict of stored nodes, no MemoryNodes."""
    store: dict[tuple[int, int], bytes] = {}
    for i, d in enumerate(DATA[:300]):
        store[(0, i)] = leaf_hash(d)
        for level, index, h in completed_nodes(i, leaf_hash(d), lambda lv, ix: store[(lv, ix)]):
            assert (level, index) not in store
            assert (index + 1) << level == i + 1  # it ends at the new leaf
            store[(level, index)] = h
    want = {(lv, ix) for lv in range(9) for ix in range(300 >> lv)}
    assert set(store) == want
    assert all(h == mth(ix << lv, (ix + 1) << lv) for (lv, ix), h in store.items())
    assert completed_nodes(0, b"x" * 32, lambda lv, ix: b"") == []


# --- every size up to N, sampled ---------------------------------------------------------------

sizes = st.integers(1, N)


@st.composite
def leaf_in_tree(draw: st.DrawFn) -> tuple[int, int]:
    n = draw(sizes)
    return draw(st.integers(0, n - 1)), n


@st.composite
def size_pair(draw: st.DrawFn) -> tuple[int, int]:
    n = draw(sizes)
    return draw(st.integers(0, n)), n


def flip(value: bytes, bit: int) -> bytes:
    bit %= len(value) * 8
    out = bytearray(value)
    out[bit // 8] ^= 1 << (bit % 8)
    return bytes(out)


@settings(max_examples=300, deadline=None)
@given(leaf_in_tree())
def test_inclusion_matches_rfc_and_pymerkle(case: tuple[int, int]) -> None:
    index, n = case
    proof = inclusion_proof(log(), index, n)
    assert proof == hashes(rfc_path(index, 0, n)) == pm_path(index, n)
    assert root_from(log(), n) == mth(0, n) == pm_root(n)
    assert verify_inclusion(leaf_hash(DATA[index]), index, n, proof, mth(0, n))


@settings(max_examples=300, deadline=None)
@given(size_pair())
def test_consistency_matches_rfc_and_pymerkle(case: tuple[int, int]) -> None:
    m, n = case
    ranges = rfc_proof(m, n)
    proof = consistency_proof(log(), m, n)
    assert proof == hashes(ranges)
    assert verify_consistency(m, n, mth(0, m), mth(0, n), proof)
    if m:
        # pymerkle lays its consistency proofs out differently from RFC 9162 (it does not omit
        # the old root): check that its proof verifies against our roots, and that each element
        # of ours is a subtree hash pymerkle computes too (a sibling in some audit path).
        pm_tree().prove_consistency(m, n).verify(root_from(log(), m), root_from(log(), n))
        for (_, s, e), h in zip(ranges, proof, strict=True):
            # A node is the sibling of a subtree that holds leaf s - 1 or leaf e.
            siblings = [pm_path(j, n) for j in (s - 1, e) if 0 <= j < n]
            assert any(h in path for path in siblings)


@settings(max_examples=300, deadline=None)
@given(leaf_in_tree(), st.integers(0, 10**6))
def test_inclusion_tampering_fails(case: tuple[int, int], bit: int) -> None:
    index, n = case
    leaf, r = leaf_hash(DATA[index]), mth(0, n)
    proof = inclusion_proof(log(), index, n)
    assert verify_inclusion(leaf, index, n, proof, r)
    assert not verify_inclusion(flip(leaf, bit), index, n, proof, r)
    assert not verify_inclusion(leaf, index, n, proof, flip(r, bit))
    if proof:
        at = bit % len(proof)
        bad = [*proof[:at], flip(proof[at], bit), *proof[at + 1 :]]
        assert not verify_inclusion(leaf, index, n, bad, r)
        assert not verify_inclusion(leaf, index, n, proof[:-1], r)
    assert not verify_inclusion(leaf, index, n, [*proof, proof[0] if proof else r], r)
    for b in range(14):
        assert not verify_inclusion(leaf, index ^ (1 << b), n, proof, r)
        # The tree size is bound by the signed checkpoint, not by the proof: an audit path also
        # verifies for another size exactly when that size gives the leaf the same path shape
        # (e.g. leaf 0 in trees of 5 and 7 leaves). Any other size fails.
        other = n ^ (1 << b)
        same = index < other and shape(rfc_path(index, 0, other)) == shape(rfc_path(index, 0, n))
        assert verify_inclusion(leaf, index, other, proof, r) == same


@settings(max_examples=300, deadline=None)
@given(size_pair(), st.integers(0, 10**6))
def test_consistency_tampering_fails(case: tuple[int, int], bit: int) -> None:
    m, n = case
    old, new = mth(0, m), mth(0, n)
    proof = consistency_proof(log(), m, n)
    assert verify_consistency(m, n, old, new, proof)
    assert not verify_consistency(m, n, flip(old, bit), new, proof)
    # From the empty tree, no proof is needed and the new root is not constrained.
    assert verify_consistency(m, n, old, flip(new, bit), proof) == (m == 0 < n)
    if proof:
        at = bit % len(proof)
        bad = [*proof[:at], flip(proof[at], bit), *proof[at + 1 :]]
        assert not verify_consistency(m, n, old, new, bad)
        assert not verify_consistency(m, n, old, new, proof[:-1])
    assert not verify_consistency(m, n, old, new, [*proof, new])
    for b in range(14):
        assert not verify_consistency(m ^ (1 << b), n, old, new, proof)
        # As for inclusion, the new size is bound by the checkpoint: the proof also verifies for
        # another new size exactly when the RFC proof for it has the same shape.
        other = n ^ (1 << b)
        if m == 0:
            same = other > 0  # every tree extends the empty tree
        elif m == n:
            same = False  # an empty proof only shows that two equal sizes have one root
        else:
            same = m < other and shape(rfc_proof(m, other)) == shape(rfc_proof(m, n))
        assert verify_consistency(m, other, old, new, proof) == same


def test_size_is_bound_by_the_checkpoint_not_the_proof() -> None:
    """Leaf 0 has the same audit path shape in trees of 5, 6 and 7 leaves (not 4)."""
    proof = inclusion_proof(log(), 0, 5)
    assert verify_inclusion(leaf_hash(DATA[0]), 0, 7, proof, mth(0, 5))
    assert not verify_inclusion(leaf_hash(DATA[0]), 0, 4, proof, mth(0, 5))


# --- O(log n) lookups, and bad input ---------------------------------------------------------


class CountingNodes:
    """Synthetic hashes for a huge tree; counts lookups and checks each is a complete subtree."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.lookups = 0

    def node(self, level: int, index: int) -> bytes:
        assert (index + 1) << level <= self.size, (level, index)
        self.lookups += 1
        return hashlib.sha256(b"%d/%d" % (level, index)).digest()


@pytest.mark.parametrize("size", [10_000_000, 2**40 - 1, 2**40, 2**40 + 1, 12_345_678_901])
def test_proofs_need_log_n_lookups(size: int) -> None:
    bound = 2 * size.bit_length() + 2
    for index in (0, 1, size // 3, size - 2, size - 1):
        nodes = CountingNodes(size)
        proof = inclusion_proof(nodes, index, size)
        assert nodes.lookups <= bound
        assert len(proof) <= size.bit_length()
    for old in (1, 2, size // 2, size // 2 + 1, size - 1):
        nodes = CountingNodes(size)
        consistency_proof(nodes, old, size)
        assert nodes.lookups <= bound
    nodes = CountingNodes(size)
    root_from(nodes, size)
    assert nodes.lookups == bin(size).count("1")


def test_subtree_hash_checks_its_range() -> None:
    nodes = log()
    assert subtree_hash(nodes, 8, 13) == mth(8, 13)
    assert subtree_hash(nodes, 5, 5) == EMPTY_ROOT
    for start, end in [(1, 4), (4, 13), (2, 5), (-1, 3), (3, 2)]:
        with pytest.raises(ValueError):
            subtree_hash(nodes, start, end)


def test_bad_arguments() -> None:
    nodes = log()
    for index, size in [(-1, 5), (5, 5), (0, 0)]:
        with pytest.raises(ValueError):
            inclusion_proof(nodes, index, size)
    for old, new in [(-1, 5), (6, 5)]:
        with pytest.raises(ValueError):
            consistency_proof(nodes, old, new)
    with pytest.raises(ValueError):
        completed_nodes(-1, b"x" * 32, lambda lv, ix: b"")
    with pytest.raises(ValueError):
        nodes.root(N + 1)
    with pytest.raises(ValueError):
        MemoryNodes().append(b"short")
    r, leaf = mth(0, 4), leaf_hash(DATA[0])
    proof = inclusion_proof(nodes, 0, 4)
    assert not verify_inclusion(leaf[:31], 0, 4, proof, r)
    assert not verify_inclusion(leaf, 0, 4, [proof[0][:31], proof[1]], r)
    assert not verify_inclusion(leaf, -1, 4, proof, r)
    assert not verify_inclusion(leaf, 0, 0, [], EMPTY_ROOT)
    assert not verify_inclusion(leaf, 0, 4, proof, r + b"\x00")
    assert not verify_consistency(5, 4, r, r, [])
    assert not verify_consistency(-1, 4, r, r, [])
    assert not verify_consistency(4, 4, r, r, [r])
    assert not verify_consistency(2, 4, mth(0, 2), r, [])
    assert verify_consistency(0, 4, EMPTY_ROOT, r, [])
    assert not verify_consistency(0, 4, r, r, [])
    assert not verify_consistency(0, 4, EMPTY_ROOT, r, [r])
    assert verify_consistency(0, 0, EMPTY_ROOT, EMPTY_ROOT, [])
