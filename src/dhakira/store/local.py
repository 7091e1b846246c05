"""The embedded blob store: files under ``ARCHIVE/blobs/sha256/ab/cd/<digest>``.

Writing: the source is copied to ``ARCHIVE/tmp/<random>.part`` while it is hashed (each source
byte is read once). ``commit`` makes the temporary files durable, makes them read-only,
hard-links them to their final name — a link never replaces an existing file, so a stored
original is never rewritten — removes the temporary names and makes the new names durable. A
few files are flushed with fsync (files, then every directory touched); a large group with two
syncfs(2) calls, one before the links and one after, which costs two flushes instead of two per
file. A crash at any point leaves either no final name or a
complete, durable one; stray ``.part`` files are removed by ``clean_stale`` on the next run.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import hashlib
import os
import secrets
import stat
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import IO, cast

from dhakira.errors import DiskFull, InputError, StoreError
from dhakira.store.base import Fixity, Staged, Verification

CHUNK = 1 << 20
SYNCFS_FROM = 16  # groups at least this large are flushed with one syncfs(2), not n fsyncs
HEAD = 8192
_HEX = frozenset("0123456789abcdef")


class LimitExceeded(InputError):
    """A stream was longer than the caller allowed (e.g. a member of a zip bomb)."""


def _load_syncfs() -> Callable[[int], int] | None:
    """syncfs(2): flush one file system in one call (Linux). None where unavailable."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        fn = libc.syncfs
    except (OSError, AttributeError):
        return None
    fn.argtypes = [ctypes.c_int]
    fn.restype = ctypes.c_int
    return cast("Callable[[int], int]", fn)


_syncfs = _load_syncfs()


def is_digest(name: str) -> bool:
    return len(name) == 64 and set(name) <= _HEX


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _io_error(exc: OSError, what: str) -> StoreError:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return DiskFull(
            f"disk full while {what}: free space on the archive's disk, then run the same "
            "command again (nothing half-written is kept)"
        )
    return StoreError(f"blob store error while {what}: {exc.strerror or exc}")


class LocalStore:
    """A content-addressed store of originals in a local directory."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.blob_root = root / "blobs" / "sha256"
        self.tmp = root / "tmp"
        self._local = threading.local()  # one copy buffer per thread: stage() is thread-safe

    # -- layout -----------------------------------------------------------------------------
    def create(self) -> None:
        self.blob_root.mkdir(parents=True, exist_ok=True)
        self.tmp.mkdir(exist_ok=True)

    def path(self, digest: str) -> Path:
        return self.blob_root / digest[:2] / digest[2:4] / digest

    @contextlib.contextmanager
    def local_path(self, digest: str) -> Iterator[Path]:
        """A path on the local file system holding the blob, for external tools."""
        yield self.path(digest)

    # -- writing ----------------------------------------------------------------------------
    def stage(self, stream: IO[bytes], *, limit: int | None = None) -> Staged:
        token = f"{os.getpid()}-{secrets.token_hex(8)}.part"
        tmp_path = self.tmp / token
        h = hashlib.sha256()
        size = 0
        head = b""
        buf = getattr(self._local, "buf", None)
        if buf is None:
            buf = self._local.buf = bytearray(CHUNK)
        view = memoryview(buf)
        try:
            fd = os.open(tmp_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except OSError as exc:
            raise _io_error(exc, "creating a temporary file") from exc
        try:
            while True:
                # typeshed's IO[bytes] lacks readinto; every stream given here has it
                n = stream.readinto(view)  # type: ignore[attr-defined]
                if not n:
                    break
                chunk = view[:n]
                size += n
                if limit is not None and size > limit:
                    raise LimitExceeded(f"content is larger than the allowed {limit} bytes")
                if len(head) < HEAD:
                    head += bytes(chunk[: HEAD - len(head)])
                h.update(chunk)
                written = 0
                while written < n:
                    try:
                        written += os.write(fd, chunk[written:])
                    except OSError as exc:
                        raise _io_error(exc, "writing an original") from exc
        except BaseException:
            os.close(fd)
            with contextlib.suppress(OSError):
                tmp_path.unlink()
            raise
        os.close(fd)
        digest = h.hexdigest()
        try:  # here, so that threads staging in parallel share the cost of new directories
            self.path(digest).parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            with contextlib.suppress(OSError):
                tmp_path.unlink()
            raise _io_error(exc, "creating a directory for an original") from exc
        return Staged(digest=digest, size=size, head=head, token=token)

    def discard(self, staged: Staged) -> None:
        with contextlib.suppress(FileNotFoundError):
            (self.tmp / staged.token).unlink()

    def commit(self, staged: Sequence[Staged]) -> list[bool]:
        if not staged:
            return []
        many = len(staged) >= SYNCFS_FROM and _syncfs is not None
        try:
            if many:
                self._syncfs()  # every temporary file's bytes reach the disk
            else:
                self._fsync_temps(staged)
            created: list[bool] = []
            dirs: set[Path] = {self.tmp}
            for s in staged:
                created.append(self._link(s, dirs))
            if many:
                self._syncfs()  # every new name reaches the disk
            else:
                for d in dirs:
                    _fsync_dir(d)
        except OSError as exc:
            raise _io_error(exc, "storing an original") from exc
        return created

    def _link(self, s: Staged, dirs: set[Path]) -> bool:
        """Give a durable temporary file its final, read-only name (never replacing one)."""
        tmp_path = os.path.join(self.tmp, s.token)
        final = self.path(s.digest)
        os.chmod(tmp_path, 0o444)
        try:
            os.link(tmp_path, final)
            created = True
            dirs.update((final.parent, final.parent.parent, self.blob_root))
        except FileExistsError:
            created = False
        except FileNotFoundError:  # its directory vanished since stage(): make it again
            final.parent.mkdir(parents=True, exist_ok=True)
            os.link(tmp_path, final)  # a second failure is a real error
            created = True
            dirs.update((final.parent, final.parent.parent, self.blob_root))
        os.unlink(tmp_path)
        return created

    def _syncfs(self) -> None:
        assert _syncfs is not None
        fd = os.open(self.tmp, os.O_RDONLY | os.O_DIRECTORY)
        try:
            if _syncfs(fd) != 0:
                err = ctypes.get_errno()
                raise OSError(err, os.strerror(err))
        finally:
            os.close(fd)

    def _fsync_temps(self, staged: Sequence[Staged]) -> None:
        for s in staged:
            fd = os.open(self.tmp / s.token, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)

    def repair(self, staged: Staged) -> bool:
        """Replace a damaged stored copy with verified staged bytes of the same digest.

        The only case in which a stored name is written again: its bytes no longer match
        their address, and ``staged`` (hashed while copied) does. True if repaired; otherwise
        the staged copy is discarded and the stored one left alone."""
        final = self.path(staged.digest)
        if self.verify(staged.digest, staged.size).status is Fixity.OK:
            self.discard(staged)
            return False
        tmp_path = self.tmp / staged.token
        try:
            self._fsync_temps([staged])
            os.chmod(tmp_path, 0o444)
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp_path, final)
            _fsync_dir(final.parent)
        except OSError as exc:
            raise _io_error(exc, "repairing an original") from exc
        return True

    def put(self, stream: IO[bytes]) -> tuple[Staged, bool]:
        s = self.stage(stream)
        return s, self.commit([s])[0]

    def clean_stale(self) -> int:
        """Remove every temporary file. Call only while holding the archive's write lock."""
        n = 0
        if self.tmp.is_dir():
            for entry in os.scandir(self.tmp):
                if entry.name.endswith(".part"):
                    with contextlib.suppress(FileNotFoundError):
                        os.unlink(entry.path)
                        n += 1
        return n

    # -- reading ----------------------------------------------------------------------------
    def exists(self, digest: str) -> bool:
        return self.path(digest).is_file()

    def open(self, digest: str) -> IO[bytes]:
        return open(self.path(digest), "rb")

    def size(self, digest: str) -> int:
        return self.path(digest).stat().st_size

    def verify(self, digest: str, expected_size: int | None = None) -> Verification:
        path = self.path(digest)
        h = hashlib.sha256()
        size = 0
        try:
            with open(path, "rb", buffering=0) as f:
                view = memoryview(bytearray(CHUNK))
                while n := f.readinto(view):
                    h.update(view[:n])
                    size += n
        except FileNotFoundError:
            return Verification(digest, Fixity.MISSING)
        except OSError:  # one failing sector must not stop a check of the whole archive
            return Verification(digest, Fixity.UNREADABLE)
        actual = h.hexdigest()
        if actual == digest and (expected_size is None or size == expected_size):
            return Verification(digest, Fixity.OK, actual, size)
        status = (
            Fixity.TRUNCATED
            if expected_size is not None and size != expected_size
            else Fixity.CORRUPT
        )
        return Verification(digest, status, actual, size)

    def is_read_only(self, digest: str) -> bool:
        mode = self.path(digest).stat().st_mode
        return not mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)

    def iter_digests(self) -> Iterator[str]:
        """Names of every file in the fan-out directories (fsck flags those not a digest)."""
        if not self.blob_root.is_dir():
            return
        for a in sorted(os.scandir(self.blob_root), key=lambda e: e.name):
            if not a.is_dir(follow_symlinks=False):
                yield a.name
                continue
            for b in sorted(os.scandir(a.path), key=lambda e: e.name):
                if not b.is_dir(follow_symlinks=False):
                    yield f"{a.name}/{b.name}"
                    continue
                for f in sorted(os.scandir(b.path), key=lambda e: e.name):
                    yield f.name
