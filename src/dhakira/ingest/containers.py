"""Safe expansion of zip and tar files, member by member, straight into the blob store.

Members are never written to the file system under their own names, so a hostile name cannot
escape anywhere; names that are absolute, climb out with ``..`` or hold a NUL are still refused
(their bytes remain preserved inside the archive item). Links and device files are refused.
The expanded size, the compression ratio and the number of members are bounded, so a zip bomb
stops with a clear error instead of filling the disk.
"""

from __future__ import annotations

import stat
import tarfile
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from lzma import LZMAError
from typing import IO

from dhakira.errors import InputError
from dhakira.timeutil import from_epoch_ns

ZIP_MIMES = frozenset({"application/zip", "application/x-zip-compressed"})
TAR_MIMES = frozenset(
    {
        "application/x-tar",
        "application/gzip",
        "application/x-gzip",
        "application/x-bzip2",
        "application/x-xz",
    }
)
# Zip-based documents (docx, xlsx, odt, epub, apk...) are items, not folders: never expanded.


@dataclass(frozen=True)
class Limits:
    max_expanded: int = 64 << 30  # bytes per archive, nested members included
    max_ratio: float = 200.0  # expanded / compressed, for members over 1 MiB
    max_members: int = 200_000
    max_depth: int = 3  # archives inside archives


@dataclass(frozen=True)
class Member:
    name: bytes
    size: int
    mtime: str | None
    open: Callable[[], IO[bytes]]
    limit: int  # never read more than this many bytes


@dataclass(frozen=True)
class Refused:
    name: bytes
    message: str
    error: bool = True


class BadContainer(InputError):
    pass


class NotATar(BadContainer):
    """A lone .gz/.xz/.bz2: nothing to expand, and nothing wrong."""


def mime_is_compressed(f: IO[bytes]) -> bool:
    f.seek(0)
    head = f.read(6)
    return head.startswith((b"\x1f\x8b", b"BZh", b"\xfd7zXZ"))


def is_container(mime: str) -> bool:
    return mime in ZIP_MIMES or mime in TAR_MIMES


def unsafe_name(name: bytes) -> str | None:
    if not name:
        return "empty member name"
    if b"\x00" in name:
        return "member name contains a NUL byte"
    if name.startswith((b"/", b"\\")) or (len(name) > 1 and name[1:2] == b":"):
        return "absolute member path refused"
    parts = name.replace(b"\\", b"/").split(b"/")
    if b".." in parts:
        return "member path climbs out of the archive (..) refused"
    return None


def members(
    f: IO[bytes], mime: str, compressed_size: int, limits: Limits
) -> Iterator[Member | Refused]:
    """The members of the archive in ``f``; raises BadContainer if it cannot be read."""
    if mime in ZIP_MIMES:
        yield from _zip_members(f, limits)
    else:
        yield from _tar_members(f, compressed_size, limits)


def _check_totals(count: int, total: int, limits: Limits) -> None:
    if count > limits.max_members:
        raise BadContainer(
            f"more than {limits.max_members} members: refused as a possible archive bomb"
            " (raise --max-members if it is genuine)"
        )
    if total > limits.max_expanded:
        raise BadContainer(
            f"expands to more than {limits.max_expanded} bytes: refused as a possible archive"
            " bomb (raise --max-expanded if it is genuine)"
        )


def _ratio_ok(size: int, compressed: int, limits: Limits) -> bool:
    return size <= (1 << 20) or size <= limits.max_ratio * max(compressed, 1)


def _zip_members(f: IO[bytes], limits: Limits) -> Iterator[Member | Refused]:
    try:
        zf = zipfile.ZipFile(f)
        infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError) as exc:
        raise BadContainer(f"cannot read the zip (truncated or corrupt?): {exc}") from exc
    _check_totals(len(infos), sum(i.file_size for i in infos), limits)
    for info in infos:
        raw = info.filename.encode("utf-8" if info.flag_bits & 0x800 else "cp437")
        if info.is_dir():
            continue
        problem = unsafe_name(raw)
        mode = info.external_attr >> 16
        if problem is None and stat.S_ISLNK(mode):
            problem = "symbolic link inside the archive refused"
        if problem is None and info.flag_bits & 0x1:
            problem = "encrypted member: cannot expand (its bytes stay inside the archive item)"
        if problem is None and not _ratio_ok(info.file_size, info.compress_size, limits):
            problem = f"compression ratio over {limits.max_ratio:g}: refused as a possible zip bomb"
        if problem is not None:
            yield Refused(raw, problem)
            continue
        mtime = "{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}".format(*info.date_time)

        def opener(info: zipfile.ZipInfo = info) -> IO[bytes]:
            return zf.open(info)

        yield Member(raw, info.file_size, mtime, opener, info.file_size)


def _tar_members(f: IO[bytes], compressed_size: int, limits: Limits) -> Iterator[Member | Refused]:
    try:
        tf = tarfile.open(fileobj=f, mode="r:*", encoding="utf-8", errors="surrogateescape")
    except (tarfile.TarError, OSError, EOFError, zlib.error, LZMAError) as exc:
        if mime_is_compressed(f):
            raise NotATar("a compressed file, not a tar: kept as one item") from exc
        raise BadContainer(f"cannot read the tar (truncated or corrupt?): {exc}") from exc
    count = total = 0
    budget = max(limits.max_ratio * max(compressed_size, 1), 1 << 20)
    try:
        for info in tf:
            raw = info.name.encode("utf-8", "surrogateescape")
            if info.isdir():
                continue
            count += 1
            total += info.size
            _check_totals(count, total, limits)
            if total > budget:
                raise BadContainer(
                    f"expands more than {limits.max_ratio:g} times its size: refused as a"
                    " possible archive bomb"
                )
            problem = unsafe_name(raw)
            if problem is None and (info.issym() or info.islnk()):
                problem = "link inside the archive refused"
            if problem is None and not info.isreg():
                problem = "device file or FIFO inside the archive refused"
            if problem is not None:
                yield Refused(raw, problem)
                continue

            def opener(info: tarfile.TarInfo = info) -> IO[bytes]:
                stream = tf.extractfile(info)
                assert stream is not None
                return stream

            yield Member(raw, info.size, from_epoch_ns(int(info.mtime * 1e9)), opener, info.size)
    except (tarfile.TarError, OSError, EOFError, zlib.error, LZMAError) as exc:
        raise BadContainer(f"the tar is truncated or corrupt: {exc}") from exc
