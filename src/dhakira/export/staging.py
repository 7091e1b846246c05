"""Writing a package safely: a temporary folder next to the destination, renamed when done.

A package is written to ``OUT.partial-XXXX`` in the destination's folder; only when every file
is written and synced is it renamed to ``OUT``. A failure (a full disk, a damaged original, an
interrupt) removes the partial folder, so nothing that looks complete is ever left behind.
Payload files are hashed (SHA-256 and SHA-512) in the same single pass that writes them.
"""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from dhakira.errors import DhakiraError, DiskFull, StoreError
from dhakira.store.local import _fsync_dir, _syncfs

CHUNK = 4 << 20
PARALLEL = 256 << 10


class DestinationError(DhakiraError):
    """The destination exists already or cannot be written."""

    exit_code = 2
    http_status = 409


@dataclass(frozen=True)
class Digests:
    size: int
    sha256: str
    sha512: str


@dataclass
class Staging:
    """A package being written under ``tmp``; ``files`` holds every file's digests."""

    final: Path
    tmp: Path
    files: dict[str, Digests] = field(default_factory=dict)  # POSIX path relative to tmp
    _pool: ThreadPoolExecutor | None = None

    def path(self, rel: str) -> Path:
        p = self.tmp / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        return p

    def write(self, rel: str, data: bytes | str) -> Digests:
        raw = data.encode("utf-8") if isinstance(data, str) else data
        with _io(f"writing {rel}"), open(self.path(rel), "wb") as f:
            f.write(raw)
        d = Digests(len(raw), hashlib.sha256(raw).hexdigest(), hashlib.sha512(raw).hexdigest())
        self.files[rel] = d
        return d

    def copy(self, rel: str, source: Path) -> Digests:
        """Copy ``source`` to ``rel``, computing SHA-256 and SHA-512 in the same read pass."""
        h256, h512, size = hashlib.sha256(), hashlib.sha512(), 0
        view = memoryview(bytearray(CHUNK))
        with (
            open(source, "rb", buffering=0) as src,  # a missing source raises as it is
            _io(f"writing {rel}"),
            open(self.path(rel), "wb") as out,
        ):
            pool = self._workers()
            while n := src.readinto(view):
                chunk = view[:n]
                size += n
                if n < PARALLEL:  # small: threads would cost more than they save
                    h256.update(chunk)
                    h512.update(chunk)
                    out.write(chunk)
                    continue
                # hashlib and write() release the GIL: SHA-512 and the write run beside
                # SHA-256; the buffer is reused only when all three are done with it
                pending = (pool.submit(h512.update, chunk), pool.submit(out.write, chunk))
                h256.update(chunk)
                for p in pending:
                    p.result()
        d = Digests(size, h256.hexdigest(), h512.hexdigest())
        self.files[rel] = d
        return d

    def _workers(self) -> ThreadPoolExecutor:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(2, thread_name_prefix="export")
        return self._pool

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None

    def sync(self) -> None:
        """Make everything written durable (one syncfs, or fsync of every file)."""
        with _io("syncing the package"):
            fd = os.open(self.tmp, os.O_RDONLY)
            try:
                if _syncfs is not None and _syncfs(fd) == 0:
                    return
            finally:
                os.close(fd)
            for folder, _dirs, names in os.walk(self.tmp):
                for name in names:
                    fd = os.open(os.path.join(folder, name), os.O_RDONLY)
                    try:
                        os.fsync(fd)
                    finally:
                        os.close(fd)


def check_destination(out: Path) -> None:
    if out.exists() or out.is_symlink():
        raise DestinationError(
            f"{out} exists already: choose a new name (an export never overwrites anything)"
        )
    parent = out.parent if str(out.parent) else Path(".")
    if not parent.is_dir():
        raise DestinationError(f"the folder {parent} does not exist: create it first")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise DestinationError(f"cannot write in {parent}: choose a folder you may write to")


@contextmanager
def staging(out: Path) -> Iterator[Staging]:
    """Yield a :class:`Staging`; on success rename it to ``out``, on any failure remove it."""
    check_destination(out)
    try:
        tmp = Path(tempfile.mkdtemp(prefix=out.name + ".partial-", dir=out.parent))
    except OSError as exc:
        raise DestinationError(f"cannot create a folder next to {out}: {exc.strerror}") from exc
    stage = Staging(out, tmp)
    try:
        yield stage
        stage.sync()
        if out.exists():
            raise DestinationError(f"{out} appeared while the export ran: nothing was replaced")
        os.chmod(tmp, 0o755)  # mkdtemp made it private; the package is for handing over
        os.rename(tmp, out)
        _fsync_dir(out.parent)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    finally:
        stage.close()


@contextmanager
def _io(what: str) -> Iterator[None]:
    try:
        yield
    except OSError as exc:
        raise io_error(exc, what) from exc


def io_error(exc: OSError, what: str) -> StoreError:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return DiskFull(
            f"disk full while {what}: nothing was left at the destination;"
            " free space (or choose another disk) and run the export again"
        )
    return StoreError(f"{what} failed: {exc.strerror or exc}")
