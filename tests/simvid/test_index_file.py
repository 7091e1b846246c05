"""The saved hash index: used when current, extended with newer hashes, ignored and rebuilt
when stale (another generation, another catalog, a hash gone) or damaged."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np

from dhakira.archive import Archive
from dhakira.similar import ALGORITHM, VERSION
from dhakira.similar.index import HashIndex, load
from dhakira.similar.persist import open_index, paths, save, save_if_grown
from dhakira.similar.signature import Hash


def _store(archive: Archive, items: range, rng: np.random.Generator) -> None:
    """Signatures of a few hashes each, written straight into the catalog."""
    conn = archive.catalog.conn
    conn.execute("PRAGMA foreign_keys = OFF")  # items themselves do not matter here
    with archive.catalog.transaction():
        for item in items:
            conn.execute(
                "INSERT INTO sim_signatures(item_id, algorithm, version, kind, frames, created_at)"
                " VALUES (?, ?, ?, 'video', 3, 'now')",
                (item, ALGORITHM, VERSION),
            )
            conn.executemany(
                "INSERT INTO sim_hashes(item_id, algorithm, version, variant, t, hash, quality,"
                " phash) VALUES (?, ?, ?, ?, ?, ?, 90, ?)",
                [
                    (item, ALGORITHM, VERSION, v, t, rng.bytes(32), p)
                    for v, t, p in (("frame", 0.0, None), ("frame", 1.0, None), ("full", None, 5))
                ],
            )


def _same(a: HashIndex, b: HashIndex) -> None:
    for name in ("items", "times", "variants", "qualities", "phashes"):
        np.testing.assert_array_equal(a.col(name), b.col(name))
    assert a.frames == b.frames


def test_saved_index_is_used_and_extended(archive: Archive) -> None:
    rng = np.random.default_rng(0)
    conn = archive.catalog.conn
    _store(archive, range(1, 41), rng)
    index, how = open_index(archive.root, conn)
    assert how == "rebuilt: no saved index" and len(index) == 120
    assert save_if_grown(archive.root, conn, index)  # no valid file yet: written
    again, how = open_index(archive.root, conn)
    assert how == "saved"
    _same(again, load(conn))
    _store(archive, range(41, 46), rng)  # an ingest after the file was written
    extended, how = open_index(archive.root, conn)
    assert how == "saved" and len(extended) == 135
    _same(extended, load(conn))
    assert not save_if_grown(archive.root, conn, extended)  # 15 new rows: not worth a rewrite
    q = conn.execute("SELECT hash FROM sim_hashes WHERE item_id = 43").fetchone()[0]
    hits = extended.search([Hash("frame", bytes(q), 90, 0.0)], 0)
    assert [h.item_id for h in hits] == [43]


def test_stale_index_is_rebuilt(archive: Archive) -> None:
    rng = np.random.default_rng(1)
    conn = archive.catalog.conn
    _store(archive, range(1, 21), rng)
    save(archive.root, conn, open_index(archive.root, conn)[0])
    with archive.catalog.transaction():  # a signature computed again: its old hashes go
        conn.execute("DELETE FROM sim_hashes WHERE item_id = 20")
        conn.execute("DELETE FROM sim_signatures WHERE item_id = 20")
    index, how = open_index(archive.root, conn)
    assert how == "rebuilt: stale: hashes were removed since it was written"
    assert 20 not in index.col("items").tolist() and len(index) == 57
    save(archive.root, conn, index)
    with archive.catalog.transaction():  # another catalog's file (or this one restored)
        conn.execute("UPDATE sim_index_state SET token = 'other'")
    assert open_index(archive.root, conn)[1].startswith("rebuilt: stale: written for another")
    save(archive.root, conn, load(conn))
    _, meta = paths(archive.root)
    d = json.loads(meta.read_text())
    d["format"] = 1  # tables of an older layout (16-bit chunks)
    meta.write_text(json.dumps(d))
    assert open_index(archive.root, conn)[1].startswith("rebuilt: stale: written for another")


def test_damaged_index_is_rebuilt(archive: Archive) -> None:
    rng = np.random.default_rng(2)
    conn = archive.catalog.conn
    _store(archive, range(1, 31), rng)
    save(archive.root, conn, open_index(archive.root, conn)[0])
    npz, meta = paths(archive.root)
    data = bytearray(npz.read_bytes())
    data[len(data) // 2] ^= 0xFF
    npz.write_bytes(bytes(data))
    index, how = open_index(archive.root, conn)
    assert how == "rebuilt: damaged: its SHA-256 does not match"
    _same(index, load(conn))
    save(archive.root, conn, index)
    npz.write_bytes(npz.read_bytes()[:1000])  # truncated, and its digest made to agree
    d = json.loads(meta.read_text())
    d["sha256"] = hashlib.sha256(npz.read_bytes()).hexdigest()
    meta.write_text(json.dumps(d))
    index, how = open_index(archive.root, conn)
    assert how.startswith("rebuilt: damaged:") and len(index) == 90
    meta.write_text("{not json")
    assert open_index(archive.root, conn)[1].startswith("rebuilt: damaged: unreadable")


def test_temp_files_of_dead_saves_are_removed(archive: Archive) -> None:
    """A save killed mid-write leaves its temp file (as large as the index); the next save
    removes it, but never the temp file of a process still running."""
    _store(archive, range(1, 5), np.random.default_rng(3))
    npz, _ = paths(archive.root)
    npz.parent.mkdir(parents=True, exist_ok=True)
    dead = npz.with_suffix(".npz.999999999.tmp")  # no such process
    dead.write_bytes(b"half an index")
    alive = npz.with_suffix(f".npz.{os.getppid()}.tmp")  # our parent: running
    alive.write_bytes(b"being written")
    save(archive.root, archive.catalog.conn, load(archive.catalog.conn))
    assert not dead.exists() and alive.exists()
    assert [p.name for p in npz.parent.glob("*.tmp")] == [alive.name]
    _, how = open_index(archive.root, archive.catalog.conn)
    assert how == "saved"


def test_index_files_of_older_signature_versions_are_removed(archive: Archive) -> None:
    """Once the current version's index is saved, an older version's file (left by the
    Dhakira that signed the archive before) is removed; other files stay."""
    _store(archive, range(1, 5), np.random.default_rng(4))
    npz, meta = paths(archive.root)
    folder = npz.parent
    folder.mkdir(parents=True, exist_ok=True)
    old = [folder / f"index-{ALGORITHM}-v{VERSION - 1}{ext}" for ext in (".npz", ".json")]
    for p in old:
        p.write_bytes(b"an older version's index")
    other = folder / "notes.txt"
    other.write_text("kept")
    save(archive.root, archive.catalog.conn, load(archive.catalog.conn))
    assert not any(p.exists() for p in old)
    assert npz.exists() and meta.exists() and other.exists()
    assert open_index(archive.root, archive.catalog.conn)[1] == "saved"


def test_comparing_a_file_keeps_the_index_it_had_to_rebuild(
    archive: Archive, tmp_path: Path
) -> None:
    """`dhakira similar FILE` on an archive whose index file is missing (or of an older
    format) reads every hash from the catalog; it saves what it built, so the next comparison
    starts from the file."""
    from PIL import Image

    from dhakira.similar.api import compare_file

    _store(archive, range(1, 5), np.random.default_rng(4))
    npz, meta = paths(archive.root)
    assert not npz.exists()
    picture = tmp_path / "query.png"
    Image.effect_noise((96, 96), 60).save(picture)
    sha, found = compare_file(archive, picture)
    assert sha is None and found == []
    assert npz.exists() and json.loads(meta.read_text())["rows"] == 12
    _, how = open_index(archive.root, archive.catalog.conn)
    assert how == "saved"
