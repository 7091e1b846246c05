"""fsck finds exactly what is damaged, missing or unexpected, and says who gave it."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest
from tests.conftest import run

from dhakira.archive import Archive


@pytest.fixture
def filled(tmp_path: Path) -> tuple[Path, dict[str, bytes]]:
    drive = tmp_path / "drive"
    drive.mkdir()
    files = {f"doc-{i}.bin": os.urandom(5000 + i) for i in range(6)}
    for name, data in files.items():
        (drive / name).write_bytes(data)
    root = tmp_path / "a"
    assert run("init", root).exit_code == 0
    assert run("add", drive, "--contributor", "Ahmad", archive=root).exit_code == 0
    return root, files


def blob(root: Path, data: bytes) -> tuple[str, Path]:
    d = hashlib.sha256(data).hexdigest()
    return d, root / "blobs" / "sha256" / d[:2] / d[2:4] / d


def short(root: Path, digest: str) -> str:
    with Archive.open(root) as a:
        return a.catalog.short_id(digest)


def test_flipped_byte_and_truncated_blob_are_reported_exactly(
    filled: tuple[Path, dict[str, bytes]],
) -> None:
    root, files = filled
    flipped_digest, flipped = blob(root, files["doc-1.bin"])
    cut_digest, cut = blob(root, files["doc-4.bin"])
    flipped.chmod(0o644)
    data = bytearray(flipped.read_bytes())
    data[100] ^= 0xFF
    flipped.write_bytes(bytes(data))
    now = hashlib.sha256(bytes(data)).hexdigest()
    cut.chmod(0o644)
    cut.write_bytes(files["doc-4.bin"][:1000])
    r = run("fsck", archive=root)
    assert r.exit_code == 3
    drive = root.parent / "drive"
    lines = sorted(line for line in r.stderr.splitlines() if line.startswith(("corrupt", "trunc")))
    assert lines == sorted(
        [
            f"{'corrupt':<10} {short(root, flipped_digest):<12} sha256 {flipped_digest}: the stored"
            f" bytes now hash to {now} — Ahmad: {drive}/doc-1.bin",
            f"{'truncated':<10} {short(root, cut_digest):<12} sha256 {cut_digest}: 1000 bytes"
            f" stored, 5004 expected — Ahmad: {drive}/doc-4.bin",
        ]
    )
    assert "fsck (all): 6 items checked" in r.stdout and "4 ok, 2 problems" in r.stdout
    report = json.loads(run("fsck", "--json", archive=root).stdout)
    assert {(p["status"], p["sha256"]) for p in report["problems"]} == {
        ("corrupt", flipped_digest),
        ("truncated", cut_digest),
    }
    shown = json.loads(run("show", flipped_digest, "--json", archive=root).stdout)
    assert shown["fixity"]["last_status"] == "corrupt"
    assert shown["fixity"]["last_ok_at"] is None


def test_missing_and_unexpected_files(filled: tuple[Path, dict[str, bytes]]) -> None:
    root, files = filled
    gone_digest, gone = blob(root, files["doc-2.bin"])
    gone.unlink()
    stray = root / "blobs" / "sha256" / "00" / "00"
    stray.mkdir(parents=True)
    (stray / "notes.txt").write_text("someone wrote here")
    r = run("fsck", "--json", archive=root)
    assert r.exit_code == 3
    problems = json.loads(r.stdout)["problems"]
    assert [(p["status"], p["sha256"]) for p in problems] == [
        ("missing", gone_digest),
        ("unexpected", "notes.txt"),
    ]
    assert problems[0]["contributors"] == [f"Ahmad: {root.parent / 'drive' / 'doc-2.bin'}"]


def test_sample_checks_the_oldest_checked_first(filled: tuple[Path, dict[str, bytes]]) -> None:
    root, _ = filled
    first = json.loads(run("fsck", "--sample", "50", "--json", archive=root).stdout)
    assert first["checked"] == 3 and first["sampled"]
    run("fsck", "--sample", "50", "--json", archive=root)
    with Archive.open(root) as a:
        checked = a.catalog.conn.execute("SELECT count(*) FROM fixity").fetchone()[0]
        events = a.catalog.conn.execute(
            "SELECT count(*) FROM events WHERE type = 'fixity.checked'"
        ).fetchone()[0]
    assert checked == 6  # the second sample took the other half
    assert events == 6
    stats = json.loads(run("stats", "--json", archive=root).stdout)
    assert stats["fixity_checked"] == 6 and stats["fixity_problems"] == 0


def test_a_good_copy_mends_damaged_and_missing_originals(
    filled: tuple[Path, dict[str, bytes]],
) -> None:
    root, files = filled
    bad_digest, bad = blob(root, files["doc-1.bin"])
    gone_digest, gone = blob(root, files["doc-2.bin"])
    bad.chmod(0o644)
    bad.write_bytes(b"rotten" + files["doc-1.bin"][6:])
    gone.unlink()
    assert run("fsck", archive=root).exit_code == 3
    # a contributor hands over their copies again
    copies = root.parent / "copies"
    copies.mkdir()
    (copies / "one.bin").write_bytes(files["doc-1.bin"])
    (copies / "two.bin").write_bytes(files["doc-2.bin"])
    r = run("add", copies, "--contributor", "Layla", archive=root)
    assert r.exit_code == 0, r.output
    assert f"repaired: {copies}/one.bin" in r.stderr
    assert f"restored: {copies}/two.bin" in r.stderr
    assert bad.read_bytes() == files["doc-1.bin"] and gone.read_bytes() == files["doc-2.bin"]
    assert run("fsck", archive=root).exit_code == 0
    with Archive.open(root) as a:
        kinds = dict(
            a.catalog.conn.execute(
                "SELECT item_sha256, type FROM events"
                " WHERE type IN ('blob.repaired', 'blob.restored')"
            ).fetchall()
        )
    assert kinds == {bad_digest: "blob.repaired", gone_digest: "blob.restored"}
    assert json.loads(run("log", "verify", "--json", archive=root).stdout)["ok"]
