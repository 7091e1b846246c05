"""The persistent exiftool process: reading, awkward file names, failures, lifetime."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from tests.conftest import missing

from dhakira.media import (
    ExifTool,
    ExifToolError,
    ToolNotInstalled,
    close_shared_exiftool,
    shared_exiftool,
)
from dhakira.media.exiftool import INSTALL_HINT


def bytes_path(directory: Path, name: bytes) -> Path:
    """A Path for a raw-bytes file name (undecodable bytes kept via surrogateescape)."""
    return Path(os.fsdecode(os.path.join(os.fsencode(directory), name)))


def copy_as(source: Path, directory: Path, name: bytes) -> Path:
    target = bytes_path(directory, name)
    shutil.copyfile(source, target)
    return target


def test_reads_tags_and_version(et: ExifTool, jpeg: Path) -> None:
    assert et.version and et.version[0].isdigit()
    tags = et.read(jpeg)
    assert tags["EXIF:Make"] == "Canon"
    assert tags["EXIF:GPSLatitudeRef"] == "N"
    assert tags["File:FileName"] == "photo.jpg"
    assert tags["SourceFile"] == str(jpeg)
    assert not any(key.startswith("Composite:") for key in tags)  # -e: derived tags left out


@pytest.mark.parametrize(
    "name",
    [
        "صورة من حمص.jpg".encode(),
        b"caf\xe9 \xff\xfe.jpg",  # not UTF-8
        b"line one\nline two.jpg",  # would split exiftool's line-based argfile
        b"trailing return\r",
        b"\n-stay_open\nFalse\n.jpg",  # an injection attempt
        b"-n.jpg",
        b"#comment.jpg",
        b"  spaces  ",
    ],
)
def test_awkward_file_names(et: ExifTool, jpeg: Path, tmp_path: Path, name: bytes) -> None:
    path = copy_as(jpeg, tmp_path, name)
    tags = et.read(path)
    assert tags["EXIF:Model"] == "Canon EOS 5D"
    assert tags["File:FileName"] == name.decode("utf-8", "backslashreplace")
    assert tags["SourceFile"] == os.fsencode(path).decode("utf-8", "backslashreplace")
    assert tags["File:Directory"] == str(tmp_path)
    assert et.read(jpeg)["EXIF:Make"] == "Canon"  # the process is still in step
    assert list(tmp_path.iterdir()) == [path]  # no temporary link left behind


def test_relative_path(et: ExifTool, jpeg: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(jpeg.parent)
    assert et.read(Path(jpeg.name))["EXIF:Make"] == "Canon"


def test_missing_file_raises_a_clear_error(et: ExifTool, tmp_path: Path) -> None:
    with pytest.raises(ExifToolError, match="File not found"):
        et.read(tmp_path / "nope.jpg")
    with pytest.raises(ExifToolError, match="File not found"):
        et.read(bytes_path(tmp_path, b"gone\n\xff.jpg"))


def test_unreadable_content_is_returned_with_its_error(et: ExifTool, tmp_path: Path) -> None:
    empty = tmp_path / "empty.jpg"
    empty.write_bytes(b"")
    assert et.read(empty)["ExifTool:Error"] == "File is empty"


def test_missing_executable() -> None:
    with pytest.raises(ToolNotInstalled) as caught:
        ExifTool(executable="no-such-exiftool-here")
    assert str(caught.value) == INSTALL_HINT
    assert INSTALL_HINT == "exiftool not installed: apt-get install libimage-exiftool-perl"


def test_restarts_after_the_process_dies(need: Callable[[str], None], jpeg: Path) -> None:
    need("exiftool")
    with ExifTool() as et:
        proc = et._proc
        assert proc is not None
        proc.kill()
        proc.wait()
        assert et.read(jpeg)["EXIF:Make"] == "Canon"
        assert et._proc is not None and et._proc.pid != proc.pid


def test_close_stops_the_process(need: Callable[[str], None], jpeg: Path) -> None:
    need("exiftool")
    with ExifTool() as et:
        et.read(jpeg)
        proc = et._proc
    assert proc is not None and proc.returncode == 0
    assert et._proc is None
    assert et.read(jpeg)["EXIF:Make"] == "Canon"  # reopens on demand
    et.close()


def test_timeout_kills_and_reports(need: Callable[[str], None], jpeg: Path) -> None:
    need("exiftool")
    with ExifTool() as slow:
        slow.timeout = 0.5
        assert slow._proc is not None
        slow._proc.send_signal(signal.SIGSTOP)  # a hung exiftool
        started = time.monotonic()
        with pytest.raises(ExifToolError, match=r"timed out after 0.5 s"):
            slow.read(jpeg)
        assert time.monotonic() - started < 10
        slow.timeout = 30
        assert slow.read(jpeg)["EXIF:Make"] == "Canon"  # a fresh process took over


_ORPHAN_SCRIPT = """
import os, signal, sys
from dhakira.media import ExifTool
et = ExifTool()
print(et._proc.pid, flush=True)
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_exiftool_does_not_outlive_a_killed_parent(et: ExifTool) -> None:
    if shutil.which("setpriv") is None:
        missing("setpriv not available: apt-get install -y util-linux")
    done = subprocess.run(
        [sys.executable, "-c", _ORPHAN_SCRIPT], capture_output=True, text=True, check=False
    )
    assert done.returncode == -signal.SIGKILL, done.stderr
    child = int(done.stdout.split()[0])
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and _alive(child):
        time.sleep(0.05)
    assert not _alive(child)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(") ")[-1][0] != "Z"
    except FileNotFoundError:
        return False


def test_threads_share_one_process(et: ExifTool, jpeg: Path, jpeg_south_west: Path) -> None:
    paths = [jpeg, jpeg_south_west] * 20
    with ThreadPoolExecutor(4) as pool:
        names = list(pool.map(lambda p: et.read(p)["SourceFile"], paths))
    assert names == [str(p) for p in paths]


def test_a_forked_child_gets_its_own_process(need: Callable[[str], None], jpeg: Path) -> None:
    need("exiftool")
    close_shared_exiftool()
    parent = shared_exiftool()
    assert parent._proc is not None
    parent_pid = parent._proc.pid
    read_end, write_end = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the child
        ok = False
        try:
            mine = shared_exiftool()
            ok = mine is not parent and mine.read(jpeg)["EXIF:Make"] == "Canon"
            parent.close()  # must leave the parent's process alone
            close_shared_exiftool()
        finally:
            os.write(write_end, b"1" if ok else b"0")
            os._exit(0)
    os.close(write_end)
    verdict = os.read(read_end, 1)
    os.close(read_end)
    os.waitpid(child, 0)
    assert verdict == b"1"
    assert parent.read(jpeg)["EXIF:Make"] == "Canon"
    assert parent._proc is not None and parent._proc.pid == parent_pid
    close_shared_exiftool()
