"""A persistent ``exiftool -stay_open`` process: perl starts once, each file costs milliseconds.

Arguments go to exiftool through its line-based ``-@ -`` argfile on stdin. A file name that
cannot travel safely on one line (a newline or carriage return in it, or bytes that are not
UTF-8) is read through a temporary symlink with a plain name in a private directory, and the
name fields of the result are put back to the real name (``\\xNN`` for undecodable bytes).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import selectors
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import Any

from dhakira.media.output import MediaToolError, ToolNotInstalled, display_name, one_line

INSTALL_HINT = "exiftool not installed: apt-get install libimage-exiftool-perl"
# -json -n -G: machine-readable numbers, tags keyed "Group:Tag" (family 0 groups).
# -e: no Composite:* tags. They are derived from the others (the normaliser does its own
# deriving) and computing them costs more than reading a small JPEG: -e halves the time.
COMMON_ARGS = ("-json", "-n", "-G", "-e", "-q", "-api", "LargeFileSupport=1")
_SUFFIX = re.compile(rb"\.[A-Za-z0-9]{1,10}")
# setpriv (util-linux) makes the kernel stop exiftool if we die: its -stay_open loop would
# otherwise poll a dead pipe for ever.
_SETPRIV = shutil.which("setpriv")


class ExifToolError(MediaToolError):
    """exiftool could not read a file, or the exiftool process failed."""


class ExifTool:
    """One long-lived exiftool process; thread-safe (one request at a time).

    >>> with ExifTool() as et:
    ...     tags = et.read(Path("photo.jpg"))   # {"EXIF:Make": "Canon", ...}

    A process that dies or times out is replaced on the next :meth:`read`.
    """

    def __init__(self, executable: str = "exiftool", *, timeout: float = 120.0) -> None:
        self.timeout = timeout
        self._executable = executable
        self._lock = threading.Lock()
        self._pid = os.getpid()
        self._proc: subprocess.Popen[bytes] | None = None
        self._seq = 0
        self._marker = b"{done-" + secrets.token_hex(8).encode() + b"}\n"
        self._linkdir: bytes | None = None
        with self._lock:
            self._start()
            self.version: str = self._execute([b"-ver"])[0].decode("ascii", "replace").strip()

    def __enter__(self) -> ExifTool:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __del__(self) -> None:
        with contextlib.suppress(Exception):
            self.close()

    def read(self, path: Path) -> dict[str, Any]:
        """All tags exiftool finds in ``path``, as ``{"Group:Tag": value}``.

        Raises :class:`ExifToolError` when exiftool gives no result (file missing, process
        died, timeout). A result carrying ``"ExifTool:Error"`` is returned, not raised.
        """
        target = os.path.abspath(os.fsencode(path))
        with self._lock:
            if os.getpid() != self._pid:
                self._forget_parents()
            if self._proc is None or self._proc.poll() is not None:
                self._start()
            link = None if _fits_argfile(target) else self._link(target)
            try:
                out, err = self._execute([link or target])
            finally:
                if link is not None:
                    with contextlib.suppress(OSError):
                        os.unlink(link)
        if not out.strip():
            reason = one_line(err.decode("utf-8", "replace")) or "no output"
            raise ExifToolError(f"exiftool could not read {display_name(target)}: {reason}")
        try:
            tags: dict[str, Any] = json.loads(out.decode("utf-8", "replace"))[0]
        except (ValueError, IndexError, KeyError) as exc:
            raise ExifToolError(f"exiftool gave unreadable output: {exc}") from exc
        if link is not None:
            tags["SourceFile"] = display_name(target)
            head, tail = os.path.split(target)
            if "File:FileName" in tags:
                tags["File:FileName"] = display_name(tail)
            if "File:Directory" in tags:
                tags["File:Directory"] = display_name(head)
        return tags

    def close(self) -> None:
        """Stop the process (politely, then by force) and remove the link directory."""
        if os.getpid() != self._pid:  # in a forked child: the lock may be a held copy
            self._forget_parents()
            return
        with self._lock:
            proc, self._proc = self._proc, None
            if proc is not None:
                with contextlib.suppress(OSError, ValueError):
                    assert proc.stdin is not None
                    proc.stdin.write(b"-stay_open\nFalse\n")
                _reap(proc, grace=5.0)
            if self._linkdir is not None:
                shutil.rmtree(self._linkdir, ignore_errors=True)
                self._linkdir = None

    # -- internals (called with self._lock held) ------------------------------------------

    def _forget_parents(self) -> None:
        """After fork: drop our copies of the parent's pipes; its process is not ours."""
        proc, self._proc = self._proc, None
        if proc is not None:
            _close_pipes(proc)
            proc.returncode = -1  # not ours to wait for
        self._linkdir = None
        self._pid = os.getpid()

    def _start(self) -> None:
        if self._proc is not None:
            _reap(self._proc, grace=0.0)
            self._proc = None
        exe = shutil.which(self._executable)
        if exe is None:
            raise ToolNotInstalled(INSTALL_HINT)
        cmd = [exe, "-stay_open", "True", "-@", "-", "-common_args", *COMMON_ARGS]
        if _SETPRIV is not None:
            cmd = [_SETPRIV, "--pdeathsig", "TERM", "--", *cmd]
        self._proc = subprocess.Popen(
            cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, bufsize=0
        )
        self._pid = os.getpid()

    def _execute(self, args: list[bytes]) -> tuple[bytes, bytes]:
        """Run one command; return (stdout, stderr) without the end markers."""
        proc = self._proc
        assert proc is not None and proc.stdin and proc.stdout and proc.stderr
        self._seq += 1
        ready = b"{ready%d}\n" % self._seq
        request = b"".join(a + b"\n" for a in args)
        request += b"-echo4\n" + self._marker + b"-execute%d\n" % self._seq
        bufs = {proc.stdout.fileno(): bytearray(), proc.stderr.fileno(): bytearray()}
        out, err = bufs.values()
        deadline = time.monotonic() + self.timeout
        try:
            proc.stdin.write(request)
            with selectors.DefaultSelector() as sel:
                for fd in bufs:
                    sel.register(fd, selectors.EVENT_READ)
                while not (out.endswith(ready) and err.endswith(self._marker)):
                    left = deadline - time.monotonic()
                    if left <= 0:
                        raise ExifToolError(f"exiftool timed out after {self.timeout:g} s")
                    for key, _ in sel.select(left):
                        chunk = os.read(key.fd, 65536)
                        if not chunk:
                            tail = one_line(err.decode("utf-8", "replace")[-300:])
                            raise ExifToolError(f"exiftool exited unexpectedly: {tail}")
                        bufs[key.fd] += chunk
        except (ExifToolError, OSError) as exc:
            _reap(proc, grace=0.0)
            self._proc = None
            if isinstance(exc, ExifToolError):
                raise
            raise ExifToolError(f"exiftool process failed: {exc}") from exc
        return bytes(out[: -len(ready)]), bytes(err[: -len(self._marker)])

    def _link(self, target: bytes) -> bytes:
        """A symlink with a plain name (keeping a plain suffix) in a private directory."""
        suffix = os.path.splitext(target)[1]
        name = b"f%d%s" % (self._seq + 1, suffix if _SUFFIX.fullmatch(suffix) else b"")
        try:
            if self._linkdir is None:
                self._linkdir = os.fsencode(tempfile.mkdtemp(prefix="dhakira-exiftool-"))
            link = os.path.join(self._linkdir, name)
            with contextlib.suppress(FileNotFoundError):
                os.unlink(link)  # left over from an interrupted read
            os.symlink(target, link)
        except OSError as exc:
            raise ExifToolError(f"cannot pass {display_name(target)} to exiftool: {exc}") from exc
        return link


def _fits_argfile(path: bytes) -> bool:
    """True if ``path`` can be one line of exiftool's argfile and come back unchanged."""
    if b"\n" in path or b"\r" in path or not path.startswith(b"/"):
        return False
    try:
        path.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _close_pipes(proc: subprocess.Popen[bytes]) -> None:
    for pipe in (proc.stdin, proc.stdout, proc.stderr):
        if pipe is not None:
            with contextlib.suppress(OSError):
                pipe.close()


def _reap(proc: subprocess.Popen[bytes], grace: float) -> None:
    """Close our ends of the pipes and make sure the process is gone."""
    if proc.stdin is not None:
        with contextlib.suppress(OSError):
            proc.stdin.close()
    if grace > 0:
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            proc.kill()
    else:
        proc.kill()
    with contextlib.suppress(OSError):
        proc.wait(timeout=5.0)
    _close_pipes(proc)
