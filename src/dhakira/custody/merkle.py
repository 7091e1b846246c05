"""RFC 9162 (Certificate Transparency v2) Merkle hash trees, section 2.1, exactly.

Hashes (SHA-256)::

    MTH({})        = SHA-256()                              the empty tree
    leaf_hash(d)   = SHA-256(0x00 || d)                     a leaf
    node_hash(l,r) = SHA-256(0x01 || l || r)                an interior node

A tree of ``n`` leaves splits at ``k``, the largest power of two smaller than ``n``: the left
part ``[0, k)`` is a complete (perfect) subtree, the right part ``[k, n)`` is split again.
Every node of such a tree is either a complete subtree ``[i * 2**level, (i + 1) * 2**level)``
or lies on the tree's right edge, where it is made of at most ``log2(n)`` complete subtrees.

Proofs are therefore generated from a :class:`NodeReader` that only knows complete subtrees
(stored once, when their last leaf is appended: see :func:`completed_nodes`): an inclusion or
consistency proof in a tree of ten million leaves needs a few dozen lookups, never a rebuild.

Verification (:func:`verify_inclusion`, :func:`verify_consistency`) follows the algorithms of
RFC 9162 sections 2.1.3.2 and 2.1.4.2 step by step, and needs only the standard library.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Sequence
from typing import Protocol

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "MemoryNodes",
    "NodeReader",
    "completed_nodes",
    "consistency_proof",
    "inclusion_proof",
    "leaf_hash",
    "node_hash",
    "root",
    "root_from",
    "subtree_hash",
    "verify_consistency",
    "verify_inclusion",
]

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(data: bytes) -> bytes:
    """The RFC 9162 hash of a leaf: SHA-256(0x00 || data)."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """The RFC 9162 hash of an interior node: SHA-256(0x01 || left || right)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def root(leaves: Sequence[bytes]) -> bytes:
    """MTH(D[n]) of the given leaf *data* (each is hashed with :func:`leaf_hash`)."""
    level = [leaf_hash(d) for d in leaves]
    if not level:
        return EMPTY_ROOT
    # Pairing neighbours level by level, an odd last node moving up unchanged, gives exactly
    # the shape of RFC 9162's recursive split (the left part is always the largest power of 2).
    while len(level) > 1:
        nxt = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            nxt.append(level[-1])
        level = nxt
    return level[0]


class NodeReader(Protocol):
    """Hashes of complete subtrees of one append-only tree."""

    def node(self, level: int, index: int) -> bytes:
        """The hash of the complete subtree over leaves [index * 2**level, (index+1) * 2**level).

        Level 0 holds the leaf hashes. Only asked for subtrees whose leaves all exist.
        """
        ...


def _split(n: int) -> int:
    """The largest power of two smaller than ``n`` (``n >= 2``)."""
    return 1 << ((n - 1).bit_length() - 1)


def subtree_hash(reader: NodeReader, start: int, end: int) -> bytes:
    """MTH(D[start:end]) for a range that is a node of the RFC 9162 tree shape.

    Such a range starts at a multiple of the smallest power of two >= its width; it is then
    the concatenation of the complete subtrees given by the set bits of the width, largest
    first, and its hash is those subtrees folded from the right. One lookup per set bit.
    """
    width = end - start
    if width < 0 or start < 0:
        raise ValueError(f"invalid leaf range [{start}, {end})")
    if width == 0:
        return EMPTY_ROOT
    if start % (1 << (width - 1).bit_length()):
        raise ValueError(f"leaf range [{start}, {end}) is not a node of an RFC 9162 tree")
    parts: list[bytes] = []
    pos = start
    for level in range(width.bit_length() - 1, -1, -1):
        if width >> level & 1:
            parts.append(reader.node(level, pos >> level))
            pos += 1 << level
    result = parts.pop()
    while parts:
        result = node_hash(parts.pop(), result)
    return result


def root_from(reader: NodeReader, size: int) -> bytes:
    """The root hash of the tree made of the first ``size`` leaves."""
    return subtree_hash(reader, 0, size)


def inclusion_proof(reader: NodeReader, index: int, size: int) -> list[bytes]:
    """RFC 9162 2.1.3.1 PATH(m, D[n]) for leaf ``index`` (0-based) in the tree of ``size``.

    The audit path, from the leaf's sibling up to the child of the root.
    """
    if not 0 <= index < size:
        raise ValueError(f"leaf {index} is not in a tree of size {size}")
    path: list[bytes] = []  # collected top-down, returned bottom-up
    start, end = 0, size
    while end - start > 1:
        k = _split(end - start)
        if index < start + k:  # PATH(m, D[0:k]) : MTH(D[k:n])
            path.append(subtree_hash(reader, start + k, end))
            end = start + k
        else:  # PATH(m - k, D[k:n]) : MTH(D[0:k])
            path.append(subtree_hash(reader, start, start + k))
            start += k
    path.reverse()
    return path


def consistency_proof(reader: NodeReader, old: int, new: int) -> list[bytes]:
    """RFC 9162 2.1.4.1 PROOF(m, D[n]) between the trees of sizes ``old`` and ``new``.

    Empty when ``old == new`` or ``old == 0`` (every tree extends the empty tree).
    """
    if not 0 <= old <= new:
        raise ValueError(f"no consistency proof from size {old} to size {new}")
    if old in (0, new):
        return []
    proof: list[bytes] = []  # collected top-down, returned bottom-up
    start, m, n, complete = 0, old, new, True  # SUBPROOF(m, D[start:start+n], complete)
    while m != n:
        k = _split(n)
        if m <= k:  # SUBPROOF(m, D[0:k], b) : MTH(D[k:n])
            proof.append(subtree_hash(reader, start + k, start + n))
            n = k
        else:  # SUBPROOF(m - k, D[k:n], false) : MTH(D[0:k])
            proof.append(subtree_hash(reader, start, start + k))
            start, m, n, complete = start + k, m - k, n - k, False
    if not complete:  # SUBPROOF(m, D[m], false) = {MTH(D[m])}
        proof.append(subtree_hash(reader, start, start + n))
    proof.reverse()
    return proof


def _is_hash(value: object) -> bool:
    return isinstance(value, bytes) and len(value) == HASH_SIZE


def verify_inclusion(
    leaf: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> bool:
    """RFC 9162 2.1.3.2: does ``proof`` show that ``leaf`` is leaf ``index`` of ``root``?

    ``leaf`` is the leaf HASH (``leaf_hash(data)``), ``index`` is 0-based and ``size`` is
    the size of the tree whose root hash is ``root``.
    """
    if not (_is_hash(leaf) and _is_hash(root) and all(_is_hash(p) for p in proof)):
        return False
    if not 0 <= index < size:  # step 1
        return False
    fn, sn = index, size - 1  # step 2
    r = leaf  # step 3
    for p in proof:  # step 4
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:  # LSB(fn) not set: shift until it is, or fn is 0
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and hmac.compare_digest(r, root)  # step 5


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """RFC 9162 2.1.4.2: does ``proof`` show that tree ``new_root`` extends tree ``old_root``?

    Sizes equal: the proof must be empty and the roots equal. ``old_size`` 0: the proof must
    be empty and ``old_root`` the empty tree's hash.
    """
    if not (_is_hash(old_root) and _is_hash(new_root) and all(_is_hash(p) for p in proof)):
        return False
    if not 0 <= old_size <= new_size:
        return False
    if old_size == new_size:
        return not proof and hmac.compare_digest(old_root, new_root)
    if old_size == 0:
        return not proof and hmac.compare_digest(old_root, EMPTY_ROOT)
    if not proof:  # step 1
        return False
    path = list(proof)
    if old_size & (old_size - 1) == 0:  # step 2: first is an exact power of 2
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1  # step 3
    while fn & 1:  # step 4
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]  # step 5
    for c in path[1:]:  # step 6
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn != 0:  # LSB(fn) not set: shift until it is, or fn is 0
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    # step 7
    return sn == 0 and hmac.compare_digest(fr, old_root) and hmac.compare_digest(sr, new_root)


def completed_nodes(
    index: int, leaf: bytes, left_sibling: Callable[[int, int], bytes]
) -> list[tuple[int, int, bytes]]:
    """The complete subtrees (level >= 1) that appending leaf number ``index`` completes.

    ``leaf`` is the new leaf's hash; ``left_sibling(level, i)`` must return the stored hash of
    complete subtree ``i`` at ``level`` (it is asked only for left siblings, which all exist).
    Returns ``(level, index, hash)`` from the lowest level up: store them all, and every
    complete subtree of the tree is stored exactly once.
    """
    if index < 0:
        raise ValueError(f"invalid leaf index {index}")
    out: list[tuple[int, int, bytes]] = []
    level, i, current = 0, index, leaf
    while i & 1:  # the node just completed is a right child: its parent is complete too
        current = node_hash(left_sibling(level, i - 1), current)
        level, i = level + 1, i >> 1
        out.append((level, i, current))
    return out


class MemoryNodes:
    """An in-memory append-only tree: a :class:`NodeReader` that stores every complete subtree."""

    def __init__(self) -> None:
        self._levels: list[list[bytes]] = [[]]

    @property
    def size(self) -> int:
        """The number of leaves."""
        return len(self._levels[0])

    def __len__(self) -> int:
        return self.size

    def append(self, leaf: bytes) -> int:
        """Append a leaf HASH; returns its 0-based index."""
        if not _is_hash(leaf):
            raise ValueError("a leaf hash is 32 bytes")
        index = self.size
        completed = completed_nodes(index, leaf, self.node)
        self._levels[0].append(leaf)
        for level, i, h in completed:
            if level == len(self._levels):
                self._levels.append([])
            assert len(self._levels[level]) == i
            self._levels[level].append(h)
        return index

    def append_data(self, data: bytes) -> int:
        """Append a leaf given its data; returns its 0-based index."""
        return self.append(leaf_hash(data))

    def node(self, level: int, index: int) -> bytes:
        if level < 0 or index < 0 or level >= len(self._levels):
            raise KeyError(f"no complete subtree {level}/{index}")
        nodes = self._levels[level]
        if index >= len(nodes):
            raise KeyError(f"no complete subtree {level}/{index}")
        return nodes[index]

    def root(self, size: int | None = None) -> bytes:
        """The root hash of the tree of ``size`` leaves (default: all of them)."""
        size = self.size if size is None else size
        if not 0 <= size <= self.size:
            raise ValueError(f"the tree has {self.size} leaves, not {size}")
        return root_from(self, size)
