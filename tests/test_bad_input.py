"""Bad input: one clear line per problem, nothing lost, nothing half-written."""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import tarfile
import tempfile
import threading
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import run, run_process

from dhakira.archive import Archive
from dhakira.ingest.add import AddOptions, AddSummary, Ingest
from dhakira.ingest.containers import Limits
from dhakira.ingest.discover import Found
from dhakira.progress import Quiet


def add(archive: Archive, path: bytes | Path, **kw: Any) -> AddSummary:
    with archive.writing():
        return Ingest(archive, AddOptions("tester", **kw), Quiet()).run(os.fsencode(path))


def contents(archive: Archive) -> set[str]:
    return {r[0] for r in archive.catalog.conn.execute("SELECT sha256 FROM items")}


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_odd_names_are_kept_byte_exact(archive: Archive, tmp_path: Path) -> None:
    drive = bytes(tmp_path) + b"/drive"
    os.mkdir(drive)
    names = [b"caf\xe9.jpg", b"line\nbreak.txt", "تقرير.pdf".encode(), b"L" * 250, b"-rf"]
    for i, name in enumerate(names):
        with open(drive + b"/" + name, "wb") as f:
            f.write(b"content %d" % i)
    s = add(archive, drive)
    assert s.errors == [] and s.new_items == len(names)
    stored = {
        bytes(r[0]) for r in archive.catalog.conn.execute("SELECT original_name FROM contributions")
    }
    assert stored == set(names)
    display = [r[0] for r in archive.catalog.conn.execute("SELECT display_path FROM contributions")]
    assert all("\n" not in d for d in display)
    assert any(d.endswith("line\\nbreak.txt") for d in display)
    assert any(d.endswith("caf\\xe9.jpg") for d in display)


def test_fifo_broken_link_link_and_empty_file(archive: Archive, tmp_path: Path) -> None:
    drive = tmp_path / "drive"
    drive.mkdir()
    os.mkfifo(drive / "pipe")
    (drive / "dangling").symlink_to(tmp_path / "does-not-exist")
    (drive / "real.txt").write_bytes(b"real")
    (drive / "link.txt").symlink_to(drive / "real.txt")
    (drive / "empty").write_bytes(b"")
    s = add(archive, drive)
    assert contents(archive) == {sha(b"real"), sha(b"")}
    assert s.errors == [f"error: {drive}/dangling: broken symbolic link: it points to nothing"]
    assert f"skipped: {drive}/pipe: a FIFO (named pipe): skipped" in s.warnings
    assert any("link.txt: symbolic link to" in w and "--follow-symlinks" in w for w in s.warnings)
    assert f"skipped: {drive}/empty: empty file (0 bytes): kept, as given" in s.warnings


def test_link_loops_end_when_following_links(archive: Archive, tmp_path: Path) -> None:
    drive = tmp_path / "drive"
    (drive / "sub").mkdir(parents=True)
    (drive / "sub" / "f.txt").write_bytes(b"f")
    (drive / "sub" / "loop").symlink_to(drive)
    s = add(archive, drive, follow_symlinks=True)
    assert contents(archive) == {sha(b"f")}
    assert any("link loop" in w for w in s.warnings)


def test_unreadable_file_is_reported_and_the_rest_added() -> None:
    tmp_path = Path(tempfile.mkdtemp(prefix="dhakira-unreadable-"))  # reachable by any user
    drive = tmp_path / "drive"
    drive.mkdir()
    (drive / "secret.txt").write_bytes(b"secret")
    (drive / "open.txt").write_bytes(b"open")
    (drive / "secret.txt").chmod(0o000)
    Archive.create(tmp_path / "a").close()
    if os.geteuid() == 0:  # root reads everything: add as an ordinary user, in a child process
        os.system(f"chown -R 65534:65534 {tmp_path / 'a'}")
        tmp_path.chmod(0o755)
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        try:
            os.close(read)
            if os.geteuid() == 0:
                os.setgid(65534)
                os.setuid(65534)
            with Archive.open(tmp_path / "a") as a:
                s = add(a, drive)
            os.write(write, json.dumps([s.errors, s.new_items]).encode())
        except BaseException as exc:
            os.write(write, json.dumps([[repr(exc)], 0]).encode())
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as f:
        errors, new_items = json.loads(f.read())
    os.waitpid(pid, 0)
    shutil.rmtree(tmp_path)
    assert errors == [
        f"error: {drive}/secret.txt: permission denied: give the user running dhakira read"
        " access, then re-run"
    ]
    assert new_items == 1


def test_file_changing_while_read_is_not_added(archive: Archive, tmp_path: Path) -> None:
    big = tmp_path / "growing.bin"
    big.write_bytes(os.urandom(64 << 20))
    stop = threading.Event()

    def append() -> None:
        with open(big, "ab") as f:
            while not stop.is_set():
                f.write(b"x")
                f.flush()
                time.sleep(0.0005)

    t = threading.Thread(target=append)
    t.start()
    try:
        s = add(archive, big)
    finally:
        stop.set()
        t.join()
    assert s.errors == [
        f"error: {big}: changed while it was being read: not added; re-run `add`"
        " once nothing is writing to it"
    ]
    assert contents(archive) == set()
    assert list(archive.store.tmp.iterdir()) == []


def test_file_vanishing_before_it_is_read(archive: Archive, tmp_path: Path) -> None:
    gone = tmp_path / "gone.txt"
    gone.write_bytes(b"x")
    found = Found(bytes(gone), 1, 0)
    gone.unlink()
    pending, problems = Ingest(archive, AddOptions("t"), Quiet())._read_file(found)
    assert pending is None
    assert [p.line() for p in problems] == [f"error: {gone}: vanished before it could be read"]


def test_missing_path_exits_non_zero_with_one_line(tmp_path: Path) -> None:
    run("init", tmp_path / "a")
    r = run("add", tmp_path / "nope", "--contributor", "x", archive=tmp_path / "a")
    assert r.exit_code == 1
    assert f"error: {tmp_path}/nope: no such file or folder: check the path" in r.stderr


# -- archives -------------------------------------------------------------------------------


def make_zip(path: Path, members: dict[str, bytes], **kw: int) -> None:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            info = zipfile.ZipInfo(name, date_time=(2018, 4, 7, 12, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            for k, v in kw.items():
                setattr(info, k, v)
            zf.writestr(info, data)


def test_hostile_zip_member_names_are_refused(archive: Archive, tmp_path: Path) -> None:
    z = tmp_path / "hostile.zip"
    make_zip(z, {"../../etc/evil": b"evil", "/abs/path": b"abs", "ok/fine.txt": b"fine"})
    s = add(archive, z)
    assert contents(archive) == {sha(z.read_bytes()), sha(b"fine")}
    assert any("../../etc/evil: member path climbs out" in e for e in s.errors)
    assert any("/abs/path: absolute member path refused" in e for e in s.errors)
    assert not (tmp_path.parent / "etc").exists()


def test_zip_bomb_is_refused_with_a_clear_error(archive: Archive, tmp_path: Path) -> None:
    z = tmp_path / "bomb.zip"
    make_zip(z, {"zeros.bin": bytes(50 << 20)})
    s = add(archive, z)
    assert contents(archive) == {sha(z.read_bytes())}  # the zip itself is kept
    assert any("compression ratio over 200: refused as a possible zip bomb" in e for e in s.errors)
    s2 = add(archive, z, limits=Limits(max_expanded=1 << 20))
    assert any("expands to more than 1048576 bytes" in e for e in s2.errors)


def test_truncated_zip_is_kept_and_reported(archive: Archive, tmp_path: Path) -> None:
    z = tmp_path / "full.zip"
    make_zip(z, {f"f{i}.bin": os.urandom(20_000) for i in range(5)})
    cut = tmp_path / "cut.zip"
    cut.write_bytes(z.read_bytes()[: z.stat().st_size // 2])
    s = add(archive, cut)
    assert sha(cut.read_bytes()) in contents(archive)
    assert len(s.errors) == 1 and "the archive file itself is preserved" in s.errors[0]


def test_tar_with_links_devices_and_traversal(archive: Archive, tmp_path: Path) -> None:
    t = tmp_path / "x.tar.gz"
    with tarfile.open(t, "w:gz") as tf:
        for name, data in [("good.txt", b"good"), ("../up.txt", b"up")]:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
        link = tarfile.TarInfo("link")
        link.type = tarfile.SYMTYPE
        link.linkname = "/etc/passwd"
        tf.addfile(link)
        dev = tarfile.TarInfo("dev")
        dev.type = tarfile.CHRTYPE
        tf.addfile(dev)
    s = add(archive, t)
    assert contents(archive) == {sha(t.read_bytes()), sha(b"good")}
    joined = "\n".join(s.errors)
    assert "../up.txt: member path climbs out" in joined
    assert "link: link inside the archive refused" in joined
    assert "dev: device file or FIFO inside the archive refused" in joined


def test_nested_zip_is_expanded_and_members_point_to_their_parent(
    archive: Archive, tmp_path: Path
) -> None:
    inner = tmp_path / "inner.zip"
    make_zip(inner, {"deep.txt": b"deep"})
    outer = tmp_path / "outer.zip"
    make_zip(outer, {"inner.zip": inner.read_bytes()})
    s = add(archive, outer)
    assert s.errors == []
    assert contents(archive) == {sha(outer.read_bytes()), sha(inner.read_bytes()), sha(b"deep")}
    row = archive.catalog.conn.execute(
        "SELECT c.member_path, pi.sha256 FROM contributions c JOIN items i ON i.id = c.item_id"
        " JOIN contributions p ON p.id = c.parent_id JOIN items pi ON pi.id = p.item_id"
        " WHERE i.sha256 = ?",
        (sha(b"deep"),),
    ).fetchone()
    assert bytes(row[0]) == b"inner.zip!/deep.txt"
    assert row[1] == sha(inner.read_bytes())


def test_full_disk_stops_cleanly_and_the_rerun_finishes(tmp_path: Path) -> None:
    mnt = tmp_path / "small"
    mnt.mkdir()
    if os.geteuid() != 0 or os.system(f"mount -t tmpfs -o size=4m tmpfs {mnt}") != 0:
        pytest.fail("cannot mount a small tmpfs to fill (needs root): run the tests as root")
    try:
        drive = tmp_path / "drive"
        drive.mkdir()
        for i in range(6):
            (drive / f"f{i}.bin").write_bytes(os.urandom(1 << 20))
        run("init", mnt / "a")
        r = run_process("add", drive, "--contributor", "x", archive=mnt / "a")
        assert r.returncode == 74, r.stderr
        assert "error: disk full while" in r.stderr
        assert "Traceback" not in r.stderr
        with Archive.open(mnt / "a") as a:
            for digest in contents(a):  # whatever was recorded is complete
                assert a.store.verify(digest).status.value == "ok"
        os.system(f"mount -o remount,size=16m {mnt}")
        r = run_process("add", drive, "--contributor", "x", archive=mnt / "a")
        assert r.returncode == 0, r.stderr
        with Archive.open(mnt / "a") as a:
            assert len(contents(a)) == 6
            assert list(a.store.tmp.iterdir()) == []
    finally:
        os.system(f"umount {mnt}")


def test_links_the_user_asked_to_follow_are_read(archive: Archive, tmp_path: Path) -> None:
    real = tmp_path / "real.txt"
    real.write_bytes(b"through a link")
    drive = tmp_path / "drive"
    drive.mkdir()
    (drive / "link.txt").symlink_to(real)
    given = tmp_path / "given-link.txt"
    given.symlink_to(real)
    assert add(archive, given).errors == []  # a link typed on the command line is followed
    s = add(archive, drive, follow_symlinks=True)
    assert s.errors == [] and s.new_contributions == 1
    assert contents(archive) == {sha(b"through a link")}


def test_a_plain_gzip_is_one_item_and_no_error(archive: Archive, tmp_path: Path) -> None:
    import gzip

    g = tmp_path / "notes.txt.gz"
    g.write_bytes(gzip.compress(b"just text, not a tar"))
    s = add(archive, g)
    assert s.errors == [] and contents(archive) == {sha(g.read_bytes())}


def test_a_corrupt_tar_xz_is_one_line(archive: Archive, tmp_path: Path) -> None:
    good = tmp_path / "x.tar.xz"
    with tarfile.open(good, "w:xz") as tf:
        for i in range(20):
            data = os.urandom(5000)
            info = tarfile.TarInfo(f"f{i}")
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    cut = tmp_path / "cut.tar.xz"
    data = bytearray(good.read_bytes())
    data[len(data) // 2] ^= 0xFF
    cut.write_bytes(bytes(data))
    s = add(archive, cut)
    assert sha(bytes(data)) in contents(archive)  # kept, with the members read before the damage
    assert s.errors and all(e.startswith(f"error: {cut}: ") for e in s.errors)
    assert "the archive file itself is preserved" in s.errors[-1]
