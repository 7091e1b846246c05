"""`dhakira log verify`: recompute the whole custody log and check it against its checkpoints.

One pass over the events in order. For each event: its position is the next one (none deleted
or inserted out of order), its body is canonical JSON, and its RFC 9162 leaf hash matches the
stored one. The Merkle tree is rebuilt from the bodies alone; every stored interior node is
compared with the rebuilt one, and at each checkpoint's size the rebuilt root must equal the
signed root, whose signature must verify with a key of the log's own key chain (created at
``init``, each rotation endorsed by the previous key). The first bad index is named.
"""

from __future__ import annotations

import base64
import json
import sqlite3
from dataclasses import dataclass, field

from dhakira.catalog.catalog import canonical_json
from dhakira.custody.log import rotation_statement
from dhakira.custody.merkle import leaf_hash, node_hash
from dhakira.custody.note import Checkpoint, NoteError, Verifier
from dhakira.custody.tree import edge_root
from dhakira.progress import Progress

MAX_PROBLEMS = 50


@dataclass
class LogReport:
    events: int = 0
    checkpoints: int = 0
    first_bad_index: int | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def bad(self, index: int | None, message: str) -> None:
        if index is not None and (self.first_bad_index is None or index < self.first_bad_index):
            self.first_bad_index = index
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(message)

    def as_json(self) -> dict[str, object]:
        return {
            "ok": self.ok,
            "events": self.events,
            "checkpoints": self.checkpoints,
            "first_bad_index": self.first_bad_index,
            "problems": self.problems,
        }


class _Keys:
    """The log's key chain, learnt from its own events as they are replayed."""

    def __init__(self) -> None:
        self.valid: set[str] = set()

    def see(self, index: int, event: dict[str, object], report: LogReport) -> None:
        params = event.get("params")
        if not isinstance(params, dict):
            return
        if event.get("type") == "key.created":
            if self.valid:
                report.bad(index, f"index {index}: a second key.created event")
            self.valid.add(str(params.get("vkey")))
        elif event.get("type") == "key.rotated":
            old, new = str(params.get("old")), str(params.get("new"))
            try:
                sig = base64.b64decode(str(params.get("endorsement")), validate=True)
                origin = Verifier.from_vkey(old).name
                endorsed = Verifier.from_vkey(old).verify(rotation_statement(origin, new), sig)
            except (ValueError, NoteError):
                endorsed = False
            if old not in self.valid or not endorsed:
                report.bad(index, f"index {index}: key rotation not endorsed by the current key")
            self.valid.add(new)


def verify_log(conn: sqlite3.Connection, progress: Progress) -> LogReport:
    report = LogReport()
    total = conn.execute("SELECT count(*) FROM events").fetchone()[0]
    checkpoints = conn.execute(
        "SELECT id, size, root, note, key FROM checkpoints ORDER BY size, id"
    ).fetchall()
    report.checkpoints = len(checkpoints)
    pending = list(checkpoints)
    stored_node = conn.cursor()
    keys = _Keys()
    edge: list[tuple[int, bytes]] = []
    explained = -1  # the last index already named: a node above it adds nothing
    size = 0
    rows = conn.execute("SELECT seq, body, leaf FROM events ORDER BY seq")
    progress.begin("verifying", total)
    try:
        while batch := rows.fetchmany(5000):
            for seq, body, stored_leaf in batch:
                index = size
                if seq != index + 1:
                    what = "missing (deleted?)" if seq > index + 1 else "out of order"
                    report.bad(index, f"index {index}: event {what}: found seq {seq}")
                    report.events = size
                    return report
                data = body.encode("utf-8")
                leaf = leaf_hash(data)
                try:
                    event = json.loads(body)
                    canonical = canonical_json(event) == body
                except ValueError:
                    event, canonical = {}, False
                if not canonical:
                    report.bad(index, f"index {index}: event body is not canonical JSON")
                if stored_leaf is None or bytes(stored_leaf) != leaf:
                    report.bad(
                        index, f"index {index}: event body does not match its leaf hash (edited?)"
                    )
                    explained = index
                keys.see(index, event, report)
                # rebuild the tree's right edge; compare each completed node with the stored one
                level, current = 0, leaf
                while edge and edge[-1][0] == level:
                    current = node_hash(edge.pop()[1], current)
                    level += 1
                    idx = ((index + 1) >> level) - 1
                    row = stored_node.execute(
                        "SELECT hash FROM merkle_nodes WHERE level = ? AND idx = ?", (level, idx)
                    ).fetchone()
                    first = idx << level
                    if (row is None or bytes(row[0]) != current) and explained < first:
                        report.bad(
                            first,
                            f"index {first}: stored tree node {level}/{idx}"
                            " does not match the events under it",
                        )
                        explained = index
                edge.append((level, current))
                size += 1
                while pending and pending[0][1] == size:
                    _check_checkpoint(pending.pop(0), edge, keys, report)
            progress.advance(len(batch))
    finally:
        progress.end()
    report.events = size
    for cp in pending:
        report.bad(
            size,
            f"checkpoint #{cp[0]} signed {cp[1]} events but the log has {size}:"
            " events were deleted",
        )
    return report


def _check_checkpoint(
    cp: sqlite3.Row | tuple[object, ...],
    edge: list[tuple[int, bytes]],
    keys: _Keys,
    report: LogReport,
) -> None:
    ident, size, stored_root, note, key = cp
    assert isinstance(size, int) and isinstance(stored_root, bytes | memoryview)
    root = bytes(stored_root)
    where = f"checkpoint #{ident} (size {size})"
    if root != edge_root(edge):
        report.bad(
            None,
            f"{where}: the events do not add up to its signed root: an event"
            f" before index {size} was changed, inserted or removed",
        )
        return
    if key not in keys.valid:
        report.bad(None, f"{where}: signed by a key that is not in the log's key chain")
    try:
        signed = Checkpoint.verify(str(note), [str(key)])
    except NoteError as exc:
        report.bad(None, f"{where}: signature does not verify: {exc}")
        return
    if signed.size != size or signed.root != root:
        report.bad(None, f"{where}: the signed note does not match the stored size and root")
