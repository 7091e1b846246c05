"""Selections (ids, query, collection, contributor) and bad input: clear errors, nothing
half-written that looks complete."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from tests.conftest import run, run_process
from tests.export.conftest import ORG, WITNESS, items


def bag_items(archive: Path, out: Path, *selection: str) -> set[str]:
    r = run("export", "bag", *selection, str(out), "--organization", ORG, archive=archive)
    assert r.exit_code == 0, r.output
    return {p.name for p in (out / "data" / "items").iterdir()}


def shas(archive: Path, *names: str) -> set[str]:
    listed = items(archive)
    return {str(listed[n]["sha256"]) for n in names}


def test_select_by_ids_collection_contributor_and_query(archive_path: Path, tmp_path: Path) -> None:
    listed = items(archive_path)
    video = listed["VID_20180407.mp4"]
    assert bag_items(archive_path, tmp_path / "a", str(video["short_id"])) == {video["sha256"]}
    assert bag_items(archive_path, tmp_path / "b", "--contributor", "Layla") == shas(
        archive_path, "restricted-photo.jpg"
    )
    douma = bag_items(archive_path, tmp_path / "c", "--collection", "Douma 2018")
    assert len(douma) == 5 and shas(archive_path, "restricted-photo.jpg").isdisjoint(douma)
    # the search language: an Arabic word in a file name, and a type filter
    assert bag_items(archive_path, tmp_path / "d", "--query", "قصف type:image") == shas(
        archive_path, "دوما قصف.jpg"
    )
    # criteria combine with AND
    both = bag_items(
        archive_path, tmp_path / "e", "--contributor", WITNESS, "--query", "type:video"
    )
    assert both == {video["sha256"]}


@pytest.mark.parametrize(
    ("selection", "message"),
    [
        (["ffffff"], "no item with id ffffff"),
        (["--collection", "Nowhere"], "no collection named 'Nowhere'"),
        (["--contributor", "Nobody"], "no contributor named 'Nobody'"),
        (["--query", "zzzqqq-nothing"], "matches no item"),
        (["--contributor", "Layla", "--collection", "Douma 2018"], "matches no item"),
        ([], "say what to export"),
    ],
)
def test_unknown_ids_and_empty_selections_are_clear_errors(
    archive_path: Path, tmp_path: Path, selection: list[str], message: str
) -> None:
    out = tmp_path / "out"
    r = run_process("export", "bag", *selection, out, "--organization", ORG, archive=archive_path)
    assert r.returncode in (1, 2), r.stderr
    assert message in r.stderr and "Traceback" not in r.stderr
    assert list(tmp_path.iterdir()) == [archive_path]  # nothing written


def test_destination_that_exists_is_refused(archive_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "exists"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    r = run_process("export", "bag", "--all", out, "--organization", ORG, archive=archive_path)
    assert r.returncode == 2 and "exists already" in r.stderr
    assert [p.name for p in out.iterdir()] == ["keep.txt"]


def test_destination_not_writable_is_refused(archive_path: Path, tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    # a read-only file system refuses even root
    if os.geteuid() != 0 or os.system(f"mount -t tmpfs -o ro,size=64k tmpfs {locked}") != 0:
        pytest.fail("cannot mount a read-only tmpfs (needs root): run the tests as root")
    try:
        for args in (
            ["csv", "--all", "-o", locked / "x.csv"],
            ["bag", "--all", locked / "b", "--organization", ORG],
        ):
            r = run_process("export", *args, archive=archive_path)
            assert r.returncode == 2, r.stderr
            assert "cannot write in" in r.stderr and "Traceback" not in r.stderr
        assert list(locked.iterdir()) == []
    finally:
        os.system(f"umount {locked}")


def test_missing_organisation_is_asked_for(archive_path: Path, tmp_path: Path) -> None:
    r = run_process("export", "bag", "--all", tmp_path / "b", archive=archive_path)
    assert r.returncode == 1 and "--organization" in r.stderr


def test_a_full_disk_leaves_nothing_that_looks_complete(archive_path: Path, tmp_path: Path) -> None:
    big = tmp_path / "big"
    big.mkdir()
    (big / "long-video.bin").write_bytes(os.urandom(1 << 20))
    assert run("add", big, "-c", "Layla", "--no-metadata", archive=archive_path).exit_code == 0
    mnt = tmp_path / "small"
    mnt.mkdir()
    if os.geteuid() != 0 or os.system(f"mount -t tmpfs -o size=512k tmpfs {mnt}") != 0:
        pytest.fail("cannot mount a small tmpfs to fill (needs root): run the tests as root")
    try:
        r = run_process(
            "export", "bag", "--all", mnt / "court", "--organization", ORG, archive=archive_path
        )
        assert r.returncode == 74, r.stderr
        assert "disk full while writing" in r.stderr and "Traceback" not in r.stderr
        assert list(mnt.iterdir()) == []  # no bag, no partial folder
        r = run_process("export", "jsonl", "--all", "-o", mnt / "x.jsonl", archive=archive_path)
        # a small file fits; the record says it finished
        assert r.returncode == 0, r.stderr
        os.system(f"mount -o remount,size=16m {mnt}")
        r = run_process(
            "export", "bag", "--all", mnt / "court", "--organization", ORG, archive=archive_path
        )
        assert r.returncode == 0, r.stderr
        assert (
            run("verify-bag", mnt / "court", "--key", archive_path / "keys" / "log.pub").exit_code
            == 0
        )
    finally:
        os.system(f"umount {mnt}")
    import sqlite3

    conn = sqlite3.connect(archive_path / "catalog.sqlite")
    kinds = conn.execute(
        "SELECT kind, finished_at IS NOT NULL FROM exports ORDER BY started_at"
    ).fetchall()
    assert kinds == [("bag", 0), ("jsonl", 1), ("bag", 1)]


def test_json_output_of_the_marking_commands(archive_path: Path) -> None:
    listed = items(archive_path)
    sid = str(listed["voice-note.m4a"]["short_id"])
    r = run("publish", sid, "--json", archive=archive_path)
    assert json.loads(r.stdout) == [
        {"what": "item", "name": listed["voice-note.m4a"]["sha256"], "changed": True}
    ]
    r = run("publish", sid, "--json", archive=archive_path)
    assert json.loads(r.stdout)[0]["changed"] is False
    r = run("contributor", "public-name", WITNESS, "أ. ش.", "--json", archive=archive_path)
    assert json.loads(r.stdout) == {"contributor": WITNESS, "public_name": "أ. ش."}
    r = run("contributor", "public-name", "Nobody", "x", archive=archive_path)
    assert r.exit_code == 1 and "no contributor named 'Nobody'" in r.output


def test_a_damaged_original_stops_the_export(archive_path: Path, tmp_path: Path) -> None:
    sha = str(items(archive_path)["voice-note.m4a"]["sha256"])
    blob = archive_path / "blobs" / "sha256" / sha[:2] / sha[2:4] / sha
    blob.chmod(0o644)
    data = bytearray(blob.read_bytes())
    data[100] ^= 0xFF
    blob.write_bytes(bytes(data))
    out = tmp_path / "court"
    r = run_process("export", "bag", "--all", out, "--organization", ORG, archive=archive_path)
    assert r.returncode == 3, r.stderr
    assert f"the original of item {sha[:12]} is damaged" in r.stderr and "fsck" in r.stderr
    assert not out.exists() and not list(tmp_path.glob("court.partial-*"))
    blob.unlink()
    r = run_process("export", "bag", "--all", out, "--organization", ORG, archive=archive_path)
    assert r.returncode == 3 and "is missing from the archive" in r.stderr
