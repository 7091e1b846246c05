"""The custody log as a service: keys, signed checkpoints, proofs, and checking it all.

The events and the Merkle tree live in the catalog (``events``, ``merkle_nodes``; see
``tree.py``). This module signs checkpoints of the tree (C2SP tlog-checkpoint notes with
Ed25519), refuses to sign one inconsistent with an earlier one, writes self-contained proof
files (``proofcheck.format_proof``), rotates the signing key as a logged, endorsed event, and
stores RFC 3161 timestamps of checkpoints.
"""

from __future__ import annotations

import base64
import contextlib
import os
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from dhakira.catalog.catalog import Catalog
from dhakira.custody import merkle
from dhakira.custody.consistency import format_consistency
from dhakira.custody.note import Checkpoint, NoteError, Signer, Verifier
from dhakira.custody.proofcheck import format_proof
from dhakira.custody.timestamp import (
    TimestampError,
    TimestampToken,
    request_all,
    verify_timestamp,
)
from dhakira.custody.tree import DbNodes
from dhakira.errors import DhakiraError, IntegrityError, ItemNotFound
from dhakira.timeutil import utcnow

KEY_FILE = "log.key"
PUB_FILE = "log.pub"


class SigningKeyError(DhakiraError):
    """The log's signing key cannot be read."""

    exit_code = 2


def rotation_statement(origin: str, new_vkey: str) -> bytes:
    """What the old key signs when it hands over to a new one."""
    return f"dhakira key rotation\n{origin}\n{new_vkey}\n".encode()


@dataclass(frozen=True)
class CheckpointRecord:
    id: int
    size: int
    root: bytes
    note: str
    key: str
    created_at: str
    new: bool = False

    def as_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "size": self.size,
            "root": base64.b64encode(self.root).decode(),
            "note": self.note,
            "key": self.key,
            "created_at": self.created_at,
            "new": self.new,
        }


class CustodyLog:
    def __init__(self, keys_dir: Path, catalog: Catalog, origin: str) -> None:
        self.keys_dir = keys_dir
        self.catalog = catalog
        self.origin = origin

    # -- keys ---------------------------------------------------------------------------------
    def create_key(self) -> Signer:
        """Make the archive's first signing key (at ``init``); logged as ``key.created``."""
        signer = Signer.generate(self.origin)
        with self.catalog.transaction():
            self._remember_key(signer.vkey)
            self.catalog.event("key.created", None, vkey=signer.vkey, origin=self.origin)
            self._write_key(signer, KEY_FILE)
        return signer

    def signer(self) -> Signer:
        path = self.keys_dir / KEY_FILE
        pending = self.keys_dir / (KEY_FILE + ".new")
        if pending.exists():
            self._finish_rotation(pending)
        try:
            text = path.read_text(encoding="ascii").strip()
        except FileNotFoundError as exc:
            raise SigningKeyError(
                f"the custody log's signing key {path} is missing: restore it from your backup"
            ) from exc
        except (OSError, UnicodeDecodeError) as exc:
            raise SigningKeyError(f"cannot read the signing key {path}: {exc}") from exc
        try:
            return Signer.from_skey(text)
        except NoteError as exc:
            raise SigningKeyError(f"the signing key {path} is damaged: {exc}") from exc

    def vkey(self) -> str:
        """The current verifier key (read without touching the private key)."""
        row = self.catalog.conn.execute(
            "SELECT vkey FROM log_keys WHERE retired_at IS NULL ORDER BY id DESC LIMIT 1"
        ).fetchone()
        return str(row[0]) if row else self.signer().vkey

    def keys(self) -> list[tuple[str, str, str | None]]:
        return [
            (r[0], r[1], r[2])
            for r in self.catalog.conn.execute(
                "SELECT vkey, created_at, retired_at FROM log_keys ORDER BY id"
            )
        ]

    def rotate_key(self) -> tuple[str, str]:
        """A new signing key, endorsed by the old one in a logged event and a checkpoint."""
        old = self.signer()
        new = Signer.generate(self.origin)
        self._write_key(new, KEY_FILE + ".new")
        endorsement = old.sign(rotation_statement(self.origin, new.vkey))
        with self.catalog.transaction():
            self.catalog.conn.execute(
                "UPDATE log_keys SET retired_at = ? WHERE vkey = ?", (utcnow(), old.vkey)
            )
            self._remember_key(new.vkey)
            self.catalog.event(
                "key.rotated",
                None,
                old=old.vkey,
                new=new.vkey,
                endorsement=base64.b64encode(endorsement).decode("ascii"),
            )
        self._checkpoint_with(old)  # the old key signs the tree that contains the hand-over
        self._finish_rotation(self.keys_dir / (KEY_FILE + ".new"))
        return old.vkey, new.vkey

    def _finish_rotation(self, pending: Path) -> None:
        signer = Signer.from_skey(pending.read_text(encoding="ascii").strip())
        active = self.catalog.conn.execute(
            "SELECT 1 FROM log_keys WHERE vkey = ? AND retired_at IS NULL", (signer.vkey,)
        ).fetchone()
        if active is None:  # the rotation never reached the catalog: forget it
            pending.unlink()
            return
        # the old key must sign the tree holding the hand-over before it is let go (a rotation
        # interrupted between its event and that checkpoint is completed here)
        old = Signer.from_skey((self.keys_dir / KEY_FILE).read_text(encoding="ascii").strip())
        handover = self.catalog.conn.execute(
            "SELECT max(seq) FROM events WHERE type = 'key.rotated'"
        ).fetchone()[0]
        signed = self.catalog.conn.execute(
            "SELECT 1 FROM checkpoints WHERE key = ? AND size >= ?", (old.vkey, handover or 0)
        ).fetchone()
        if old.vkey != signer.vkey and signed is None:
            self._checkpoint_with(old)
        os.replace(pending, self.keys_dir / KEY_FILE)
        self._write_public(signer)

    def _remember_key(self, vkey: str) -> None:
        self.catalog.conn.execute(
            "INSERT OR IGNORE INTO log_keys(vkey, created_at) VALUES (?, ?)", (vkey, utcnow())
        )

    def _write_key(self, signer: Signer, name: str) -> None:
        self.keys_dir.mkdir(mode=0o700, exist_ok=True)
        tmp = self.keys_dir / (name + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, (signer.skey + "\n").encode("ascii"))
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, self.keys_dir / name)
        if name == KEY_FILE:
            self._write_public(signer)

    def _write_public(self, signer: Signer) -> None:
        (self.keys_dir / PUB_FILE).write_text(signer.vkey + "\n", encoding="ascii")

    # -- checkpoints --------------------------------------------------------------------------
    def latest(self) -> CheckpointRecord | None:
        row = self.catalog.conn.execute(
            "SELECT * FROM checkpoints ORDER BY size DESC, id DESC LIMIT 1"
        ).fetchone()
        return None if row is None else _record(row)

    def checkpoints(self) -> list[CheckpointRecord]:
        rows = self.catalog.conn.execute("SELECT * FROM checkpoints ORDER BY id").fetchall()
        return [_record(r) for r in rows]

    def checkpoint(self) -> CheckpointRecord:
        """Sign the tree as it stands (or return the latest checkpoint if nothing changed)."""
        return self._checkpoint_with(self.signer())

    def _checkpoint_with(self, signer: Signer) -> CheckpointRecord:
        with self.catalog.transaction():
            size = self.catalog.log.size
            root = self.catalog.log.root()
            last = self.latest()
            if last is not None:
                self._check_consistent(last, size, root)
                if last.size == size and last.key == signer.vkey:
                    return last
            note = Checkpoint(self.origin, size, root).sign([signer])
            now = utcnow()
            cur = self.catalog.conn.execute(
                "INSERT INTO checkpoints(size, root, note, key, created_at) VALUES (?,?,?,?,?)",
                (size, root, note, signer.vkey, now),
            )
            assert cur.lastrowid is not None
            return CheckpointRecord(cur.lastrowid, size, root, note, signer.vkey, now, new=True)

    def _check_consistent(self, last: CheckpointRecord, size: int, root: bytes) -> None:
        if size < last.size:
            raise IntegrityError(
                f"refusing to sign: the log has {size} events but checkpoint #{last.id} signed"
                f" {last.size}: events were deleted — run `dhakira log verify`"
            )
        nodes = DbNodes(self.catalog.conn)
        proof = merkle.consistency_proof(nodes, last.size, size) if last.size else []
        if last.size and not merkle.verify_consistency(last.size, size, last.root, root, proof):
            raise IntegrityError(
                f"refusing to sign: the log is not consistent with checkpoint #{last.id}"
                f" (size {last.size}): its history was changed — run `dhakira log verify`"
            )

    # -- proofs -------------------------------------------------------------------------------
    def prove(
        self,
        sha256: str,
        checkpoint: CheckpointRecord | None = None,
        keep: Callable[[str], bool] | None = None,
    ) -> str:
        """A self-contained proof of every event about an item, against a signed checkpoint
        (the given one: then only the events it covers; by default the latest). ``keep``
        (an event's canonical JSON → bool) leaves out events a reader may not see; each
        proof stands alone, so the others still verify."""
        rows = self.catalog.conn.execute(
            "SELECT seq, body FROM events WHERE item_sha256 = ? AND seq <= ? ORDER BY seq",
            (sha256, checkpoint.size if checkpoint else 1 << 62),
        ).fetchall()
        if keep is not None:
            rows = [r for r in rows if keep(r[1])]
        if not rows:
            raise ItemNotFound(f"no custody events for item {sha256}")
        cp = checkpoint or self.latest()
        if cp is None or cp.size < rows[-1][0]:
            cp = self.checkpoint()
        nodes = DbNodes(self.catalog.conn)
        events = [
            (seq - 1, body.encode("utf-8"), merkle.inclusion_proof(nodes, seq - 1, cp.size))
            for seq, body in rows
        ]
        return format_proof(sha256, cp.key, events, cp.size, cp.note)

    def consistency(self, old_id: int | None = None, new_id: int | None = None) -> str:
        """A consistency file between two checkpoints (default: the first and the latest)."""
        cps = {c.id: c for c in self.checkpoints()}
        if not cps:
            raise ItemNotFound("the log has no checkpoints yet: run `dhakira log checkpoint`")
        old = cps.get(old_id if old_id is not None else min(cps))
        new = cps.get(new_id if new_id is not None else max(cps))
        if old is None or new is None:
            raise ItemNotFound(f"no such checkpoint: `dhakira log checkpoints` lists {sorted(cps)}")
        if old.size > new.size:
            old, new = new, old
        if old.key != new.key:
            raise SigningKeyError(
                "the two checkpoints are signed by different keys (the key was rotated"
                " between them): choose checkpoints signed by the same key"
            )
        proof = merkle.consistency_proof(DbNodes(self.catalog.conn), old.size, new.size)
        return format_consistency(new.key, proof, old.note, new.note)

    # -- timestamps ---------------------------------------------------------------------------
    def timestamp(
        self, urls: Sequence[str]
    ) -> tuple[CheckpointRecord, list[TimestampToken], list[str]]:
        """Time-stamp the latest checkpoint's signed note with each TSA; keep the tokens."""
        cp = self.checkpoint()
        tokens, errors = request_all(cp.note.encode("utf-8"), urls)
        with self.catalog.transaction():
            for t in tokens:
                self.catalog.conn.execute(
                    "INSERT INTO timestamps(checkpoint_id, tsa_url, token, gen_time, created_at)"
                    " VALUES (?, ?, ?, ?, ?)",
                    (cp.id, t.tsa_url, t.token, t.gen_time, utcnow()),
                )
                self.catalog.event(
                    "checkpoint.timestamped",
                    None,
                    checkpoint=cp.id,
                    size=cp.size,
                    tsa_url=t.tsa_url,
                    gen_time=t.gen_time,
                    serial=t.serial,
                )
        return cp, tokens, errors

    def verify_timestamps(self, tsa_certificate_pem: bytes) -> list[dict[str, object]]:
        """Check every stored time-stamp offline against the TSA certificate(s)."""
        out: list[dict[str, object]] = []
        rows = self.catalog.conn.execute(
            "SELECT t.checkpoint_id, t.tsa_url, t.token, c.note FROM timestamps t"
            " JOIN checkpoints c ON c.id = t.checkpoint_id ORDER BY t.rowid"
        ).fetchall()
        for checkpoint_id, url, token, note in rows:
            try:
                when: str | None = verify_timestamp(
                    bytes(token), note.encode("utf-8"), tsa_certificate_pem=tsa_certificate_pem
                )
                error = None
            except TimestampError as exc:
                when, error = None, str(exc)
            out.append(
                {"checkpoint": checkpoint_id, "tsa_url": url, "gen_time": when, "error": error}
            )
        return out


def _record(r: sqlite3.Row) -> CheckpointRecord:
    return CheckpointRecord(
        r["id"], r["size"], bytes(r["root"]), r["note"], r["key"], r["created_at"]
    )


def verifier(vkey_or_path: str) -> str:
    """A verifier key given as the key string itself or a file holding it."""
    with contextlib.suppress(OSError, UnicodeDecodeError):
        if os.path.isfile(vkey_or_path):
            return Path(vkey_or_path).read_text(encoding="ascii").strip()
    Verifier.from_vkey(vkey_or_path)  # raises a clear NoteError if it is not a key
    return vkey_or_path
