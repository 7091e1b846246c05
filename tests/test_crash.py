"""kill -9 at random moments during a real `dhakira add`: the archive stays consistent and the
same command, run again, finishes the job with exactly the result of an uninterrupted run."""

from __future__ import annotations

import hashlib
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from dhakira.store.local import is_digest

KILLS = 16


def make_material(root: Path) -> Path:
    rng = random.Random(7)
    drive = root / "drive"
    for d in range(6):
        folder = drive / f"folder-{d}"
        folder.mkdir(parents=True)
        for i in range(60):
            size = rng.choice([0, 10, 3000, 40_000, 200_000])
            (folder / f"file-{i}.bin").write_bytes(rng.randbytes(size))
        (folder / "copy-of-first.bin").write_bytes(
            (drive / "folder-0" / "file-1.bin").read_bytes() if d else b"first"
        )
    with zipfile.ZipFile(drive / "export.zip", "w", zipfile.ZIP_DEFLATED) as zf:
        for i in range(80):
            zf.writestr(f"inner/m{i}.txt", f"member {i} ".encode() * rng.randint(1, 3000))
    (drive / "big.bin").write_bytes(rng.randbytes(30 << 20))
    return drive


def start_add_argv(archive: Path, drive: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "dhakira",
        "-A",
        str(archive),
        "add",
        str(drive),
        "--contributor",
        "Ahmad",
    ]


def start_add(archive: Path, drive: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        start_add_argv(archive, drive),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def snapshot(archive: Path) -> set[tuple[str, bytes, bytes]]:
    conn = sqlite3.connect(archive / "catalog.sqlite")
    try:
        return {
            (r[0], bytes(r[1]), bytes(r[2]))
            for r in conn.execute(
                "SELECT i.sha256, c.source_path, c.member_path FROM contributions c"
                " JOIN items i ON i.id = c.item_id"
            )
        }
    finally:
        conn.close()


def check_consistent(archive: Path) -> None:
    conn = sqlite3.connect(archive / "catalog.sqlite")
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        rows = conn.execute("SELECT sha256, size FROM items").fetchall()
        orphans = conn.execute(
            "SELECT count(*) FROM items i WHERE NOT EXISTS"
            " (SELECT 1 FROM contributions c WHERE c.item_id = i.id)"
        ).fetchone()[0]
    finally:
        conn.close()
    assert orphans == 0, "an item was recorded without its contribution"
    blobs = archive / "blobs" / "sha256"
    for digest, size in rows:  # no catalog row points at a missing or partial blob
        path = blobs / digest[:2] / digest[2:4] / digest
        assert path.stat().st_size == size, f"{digest} is missing or partial"
    for path in blobs.rglob("*"):  # no visible partial blob
        if path.is_file():
            assert is_digest(path.name)
            assert hashlib.sha256(path.read_bytes()).hexdigest() == path.name


@pytest.mark.slow
def test_kill_9_at_random_moments_then_rerun_completes(tmp_path: Path) -> None:
    drive = make_material(tmp_path)
    reference = tmp_path / "reference"
    subprocess.run([sys.executable, "-m", "dhakira", "init", str(reference)], check=True)
    started = time.monotonic()
    done = subprocess.run(start_add_argv(reference, drive), capture_output=True, check=False)
    assert done.returncode == 0, done.stderr
    full = time.monotonic() - started
    expected = snapshot(reference)
    assert len(expected) > 400

    rng = random.Random(2026)
    archive = tmp_path / "archive"
    killed_mid_work = 0
    for attempt in range(KILLS):
        if attempt % 4 == 0:  # now and then start again from an empty archive
            subprocess.run(["rm", "-rf", str(archive)], check=True)
            subprocess.run([sys.executable, "-m", "dhakira", "init", str(archive)], check=True)
        proc = start_add(archive, drive)
        # re-runs have less left to do than the first run: aim inside the shorter window
        time.sleep(rng.uniform(0.15, full * (0.9 if attempt % 4 == 0 else 0.5)))
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            killed_mid_work += 1
        proc.wait()
        check_consistent(archive)
        assert snapshot(archive) <= expected
    assert killed_mid_work >= KILLS // 2, f"only {killed_mid_work} kills landed mid-work"

    proc = start_add(archive, drive)
    assert proc.wait() == 0
    check_consistent(archive)
    assert snapshot(archive) == expected
    assert list((archive / "tmp").iterdir()) == []
