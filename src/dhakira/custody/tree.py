"""The custody log's Merkle tree, kept in the catalog next to the events it covers.

Leaf ``i`` is event ``seq = i + 1``; its RFC 9162 leaf hash is stored in ``events.leaf``.
Every complete subtree above the leaves is stored once, in ``merkle_nodes(level, idx)``, at the
moment its last leaf is appended — on average one row per event. Any inclusion or consistency
proof, and the root of any tree size, then needs O(log n) lookups of complete subtrees.

Appending keeps the right edge of the tree (the roots of the complete subtrees, one per set
bit of the size) in memory; it is reloaded from the database whenever another writer has
appended since (checked at the start of every transaction).
"""

from __future__ import annotations

import sqlite3

from dhakira.custody.merkle import EMPTY_ROOT, leaf_hash, node_hash
from dhakira.errors import IntegrityError

__all__ = ["SCHEMA", "Appender", "DbNodes", "LogCorrupt", "edge_root", "leaf_hash", "node_hash"]

SCHEMA = """
CREATE TABLE merkle_nodes (
    level INTEGER NOT NULL,   -- 1 and up; leaves (level 0) are events.leaf
    idx INTEGER NOT NULL,     -- covers leaves [idx * 2^level, (idx + 1) * 2^level)
    hash BLOB NOT NULL,
    PRIMARY KEY (level, idx)
) WITHOUT ROWID;
"""


class LogCorrupt(IntegrityError):
    """The stored tree is missing a node it must have."""


class DbNodes:
    """Reads complete-subtree hashes from the catalog (a ``merkle.NodeReader``)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def node(self, level: int, index: int) -> bytes:
        if level == 0:
            row = self.conn.execute("SELECT leaf FROM events WHERE seq = ?", (index + 1,))
        else:
            row = self.conn.execute(
                "SELECT hash FROM merkle_nodes WHERE level = ? AND idx = ?", (level, index)
            )
        found = row.fetchone()
        if found is None or found[0] is None:
            raise LogCorrupt(
                f"the custody log is missing the hash of {'event' if level == 0 else 'node'}"
                f" {level}/{index}: run `dhakira log verify`"
            )
        return bytes(found[0])

    def size(self) -> int:
        row = self.conn.execute("SELECT max(seq) FROM events").fetchone()
        return int(row[0] or 0)


class Appender:
    """Appends leaves, storing every subtree each one completes."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.nodes = DbNodes(conn)
        self.size = -1
        self.edge: list[tuple[int, bytes]] = []  # (level, hash), largest subtree first
        self.pending: list[tuple[int, int, bytes]] = []  # nodes not yet written

    def sync(self) -> None:
        """Reload the right edge if the log changed under us (or was never loaded)."""
        self.flush()
        size = self.nodes.size()
        if size == self.size:
            return
        edge: list[tuple[int, bytes]] = []
        covered = 0
        for level in range(size.bit_length() - 1, -1, -1):
            if size >> level & 1:
                edge.append((level, self.nodes.node(level, covered >> level)))
                covered += 1 << level
        self.size, self.edge = size, edge

    def forget(self) -> None:
        self.size = -1
        self.pending = []

    def flush(self) -> None:
        """Write the nodes computed since the last flush (before the transaction commits)."""
        if self.pending:
            self.conn.executemany(
                "INSERT INTO merkle_nodes(level, idx, hash) VALUES (?, ?, ?)", self.pending
            )
            self.pending = []

    def append(self, leaf: bytes) -> None:
        """Account for the leaf just stored as event ``self.size + 1``."""
        level, current = 0, leaf
        index = self.size  # the new leaf's index
        while self.edge and self.edge[-1][0] == level:
            _, left = self.edge.pop()
            current = node_hash(left, current)
            level += 1
            self.pending.append((level, (index + 1 >> level) - 1, current))
        self.edge.append((level, current))
        self.size += 1

    def root(self) -> bytes:
        """The root hash of the whole tree as it stands."""
        return edge_root(self.edge)


def edge_root(edge: list[tuple[int, bytes]]) -> bytes:
    """The root of a tree from its right edge (its complete subtrees, largest first)."""
    if not edge:
        return EMPTY_ROOT
    current = edge[-1][1]
    for _, left in reversed(edge[:-1]):
        current = node_hash(left, current)
    return current
