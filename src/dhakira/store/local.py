"""The embedded blob store: files under ``ARCHIVE/blobs/sha256/ab/cd/<digest>``.

Writing: the source is copied to ``ARCHIVE/tmp/<random>.part`` while it is hashed (each source
byte is read once). ``commit`` fsyncs the temporary files (concurrently, so the filesystem can
merge the journal commits), makes them read-only, hard-links them to their final name — a link
never replaces an existing file, so a stored original is never rewritten — removes the temporary
name and fsyncs every directory touched. A crash at any point leaves either no final name or a
complete, durable one; stray ``.part`` files are removed by ``clean_stale`` on the next run.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import secrets
import stat
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import IO

from dhakira.errors import DiskFull, InputError, StoreError
from dhakira.store.base import Fixity, Staged, Verification

CHUNK = 1 << 20
HEAD = 8192
_HEX = frozenset("0123456789abcdef")


class LimitExceeded(InputError):
    """A stream was longer than the caller allowed (e.g. a member of a zip bomb)."""


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
        self._buf = bytearray(CHUNK)

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
        view = memoryview(self._buf)
        try:
            fd = os.open(tmp_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except OSError as exc:
            raise _io_error(exc, "creating a temporary file") from exc
        try:
            while True:
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
        return Staged(digest=h.hexdigest(), size=size, head=head, token=token)

    def discard(self, staged: Staged) -> None:
        with contextlib.suppress(FileNotFoundError):
            (self.tmp / staged.token).unlink()

    def commit(self, staged: Sequence[Staged]) -> list[bool]:
        if not staged:
            return []
        self._fsync_temps(staged)
        created: list[bool] = []
        dirs: set[Path] = set()
        try:
            for s in staged:
                tmp_path = self.tmp / s.token
                final = self.path(s.digest)
                if final.exists():
                    tmp_path.unlink(missing_ok=True)
                    created.append(False)
                    continue
                if not final.parent.is_dir():
                    for d in (final.parent.parent, final.parent):
                        if not d.is_dir():
                            d.mkdir(exist_ok=True)
                            dirs.add(d.parent)
                os.chmod(tmp_path, 0o444)
                try:
                    os.link(tmp_path, final)
                except FileExistsError:
                    created.append(False)
                else:
                    created.append(True)
                    dirs.add(final.parent)
                tmp_path.unlink()
            dirs.add(self.tmp)
            for d in dirs:
                _fsync_dir(d)
        except OSError as exc:
            raise _io_error(exc, "storing an original") from exc
        return created

    def _fsync_temps(self, staged: Sequence[Staged]) -> None:
        def sync(token: str) -> None:
            fd = os.open(self.tmp / token, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)

        try:
            if len(staged) == 1:
                sync(staged[0].token)
            else:
                with ThreadPoolExecutor(max_workers=min(8, len(staged))) as pool:
                    list(pool.map(sync, [s.token for s in staged]))
        except OSError as exc:
            raise _io_error(exc, "flushing originals to disk") from exc

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
        except OSError as exc:
            raise _io_error(exc, f"reading blob {digest}") from exc
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
