"""`dhakira add`: preserve a contributor's files and record where each one came from.

Files are copied into the blob store while they are hashed (each source byte read once) and
gathered into groups. A group is made durable in the store first (``commit``: fsync, link,
directory fsync) and recorded in the catalog second, in one transaction with its events, so a
catalog row never points at a missing blob. A kill at any moment leaves at worst stray
temporary files (removed on the next run) or stored blobs not yet recorded (recorded when the
same command is run again, which finds every file already there and finishes the job).
"""

from __future__ import annotations

import errno
import itertools
import os
import stat
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Any

import magic

from dhakira.archive import Archive
from dhakira.errors import StoreError
from dhakira.ingest.containers import (
    BadContainer,
    Limits,
    Member,
    NotATar,
    is_container,
    members,
)
from dhakira.ingest.derive import Deriver
from dhakira.ingest.discover import Found, Problem, walk
from dhakira.names import basename, display
from dhakira.progress import Progress
from dhakira.store.base import Staged
from dhakira.store.local import LimitExceeded
from dhakira.timeutil import from_epoch_ns, utcnow

GROUP_FILES = 512
GROUP_BYTES = 256 << 20
READ_AHEAD = 64  # files read ahead of the one being recorded, so readers never wait
# python-magic has no type hints for version(); it returns libmagic's version number
MIME_TOOL = f"libmagic {magic.version()}"  # type: ignore[no-untyped-call]


_magic = threading.local()  # one libmagic handle per thread: ctypes calls run in parallel


def sniff(head: bytes) -> str:
    """The mime type by content (libmagic), from the first bytes of a file."""
    if not head:
        return "application/x-empty"
    cookie = getattr(_magic, "cookie", None)
    if cookie is None:
        cookie = _magic.cookie = magic.Magic(mime=True)
    if b"\x00" not in head[:1024]:
        # Text: libmagic's text tests cost time per byte, and what tells one kind of text from
        # another (HTML, XML, JSON, a script) is at its start.
        head = head[:1024]
    return str(cookie.from_buffer(head))


@dataclass(frozen=True)
class AddOptions:
    contributor: str
    collection: str | None = None
    note: str | None = None
    restriction: str | None = None
    follow_symlinks: bool = False
    limits: Limits = field(default_factory=Limits)
    threads: int = 4  # files read at once (creating files is slow on some disks)


@dataclass
class AddSummary:
    batch: int = 0
    source: str = ""
    files: int = 0  # files and archive members read
    bytes: int = 0
    new_items: int = 0  # distinct contents the archive did not have
    known_items: int = 0  # contents it had already (from anyone)
    new_contributions: int = 0
    already_recorded: int = 0  # the same file from the same contributor: nothing to add
    members: int = 0  # files found inside zip / tar archives
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class _Pending:
    staged: Staged
    mime: str
    source_path: bytes
    member_path: bytes
    size: int
    mtime: str | None
    depth: int
    parent: _Pending | None = None
    contribution_id: int | None = None
    item_id: int = 0
    item_was_known: bool = False
    staged_used: bool = False  # consumed by a repair: not to be committed

    @property
    def display_path(self) -> str:
        text = display(self.source_path)
        return text + "!/" + display(self.member_path) if self.member_path else text

    @property
    def original_name(self) -> bytes:
        return basename(self.member_path.rsplit(b"!/", 1)[-1] or self.source_path)


class Ingest:
    def __init__(
        self,
        archive: Archive,
        options: AddOptions,
        progress: Progress,
        deriver: Deriver | None = None,
    ) -> None:
        """``deriver``: where to send new items for metadata extraction while reading on."""
        self.archive = archive
        self.deriver = deriver
        self._new: list[tuple[int, str, str]] = []
        self.store = archive.store
        self.catalog = archive.catalog
        self.opts = options
        self.progress = progress
        self.summary = AddSummary()
        self._contributor_id = 0
        self._collection_id: int | None = None

    # -- problems -----------------------------------------------------------------------------
    def _problem(self, p: Problem) -> None:
        line = p.line()
        (self.summary.errors if p.error else self.summary.warnings).append(line)
        self.progress.problem(line, error=p.error)

    # -- the whole run ------------------------------------------------------------------------
    def run(self, source: bytes) -> AddSummary:
        started = time.monotonic()
        found: list[Found] = []
        for entry in walk(source, follow_symlinks=self.opts.follow_symlinks):
            if isinstance(entry, Problem):
                self._problem(entry)
            else:
                found.append(entry)
        s = self.summary
        s.source = display(source)
        s.batch = self.catalog.start_batch(self.opts.contributor, self.opts.collection, source)
        with self.catalog.transaction():
            self._contributor_id = self.catalog.contributor_id(self.opts.contributor)
            self._collection_id = self.catalog.collection_id(self.opts.collection)
        self.progress.begin("preserving", len(found), sum(f.size for f in found))
        try:
            self._preserve_all(self._read_files(found))
        finally:
            self.progress.end()
        s.seconds = round(time.monotonic() - started, 3)
        self.catalog.finish_batch(s.batch, _counts(s))
        return s

    def _read_files(self, found: Iterable[Found]) -> Iterator[_Pending]:
        """Read files in parallel threads (creating files is slow on many disks), in order."""
        with ThreadPoolExecutor(self.opts.threads) as pool:
            window: deque[tuple[Found, Future[_Read]]] = deque()
            todo = iter(found)
            for f in itertools.islice(todo, READ_AHEAD):
                window.append((f, pool.submit(self._read_file, f)))
            while window:
                f, future = window.popleft()
                pending, problems = future.result()
                nxt = next(todo, None)
                if nxt is not None:
                    window.append((nxt, pool.submit(self._read_file, nxt)))
                self.progress.advance(1, f.size)
                for problem in problems:
                    self._problem(problem)
                if pending is not None:
                    self.summary.files += 1
                    self.summary.bytes += pending.size
                    yield pending

    def _preserve_all(self, stream: Iterable[_Pending]) -> None:
        group: list[_Pending] = []
        size = 0
        for p in stream:
            group.append(p)
            size += p.size
            if len(group) >= GROUP_FILES or size >= GROUP_BYTES:
                self._flush(group)
                group, size = [], 0
        self._flush(group)

    def _flush(self, group: list[_Pending]) -> None:
        """Make a group durable, then record it; then expand the archives in it."""
        if not group:
            return
        damaged = self._damaged({p.staged.digest for p in group})
        mended: dict[str, str] = {}
        try:
            for p in group:  # a good copy of an original that fsck found damaged: mend it
                d = p.staged.digest
                if d in damaged and d not in mended:
                    how = "repaired" if self.store.exists(d) else "restored"
                    if self.store.repair(p.staged):
                        mended[d] = how
                    p.staged_used = True
            todo = [p for p in group if not p.staged_used]
            created = dict(
                zip(
                    (p.staged.token for p in todo),
                    self.store.commit([p.staged for p in todo]),
                    strict=True,
                )
            )
        except BaseException:
            for p in group:
                self.store.discard(p.staged)
            raise
        try:
            with self.catalog.transaction():
                for p in group:
                    self._record(p)
                    restored = created.get(p.staged.token) and p.item_was_known
                    if p.staged.digest in mended or restored:
                        self._mended(p, mended.pop(p.staged.digest, "restored"))
        except BaseException:
            self._new = []
            raise
        if self.deriver is not None:
            self.deriver.submit(self._new)
            self.deriver.collect()
        self._new = []
        for p in group:
            if is_container(p.mime) and p.depth < self.opts.limits.max_depth:
                self._preserve_all(self._expand(p))

    def _damaged(self, digests: set[str]) -> set[str]:
        """Which of these originals fsck last found missing, damaged or unreadable."""
        if not digests:
            return set()
        marks = ",".join("?" * len(digests))
        return {
            r[0]
            for r in self.catalog.conn.execute(
                "SELECT i.sha256 FROM items i JOIN fixity f ON f.item_id = i.id"
                f" WHERE f.last_status != 'ok' AND i.sha256 IN ({marks})",
                list(digests),
            )
        }

    def _mended(self, p: _Pending, how: str) -> None:
        """A missing or damaged original was put back from a contributor's good copy."""
        now = utcnow()
        self.catalog.conn.execute(
            "UPDATE fixity SET last_status = 'ok', last_checked_at = ?, last_ok_at = ?"
            " WHERE item_id = ?",
            (now, now, p.item_id),
        )
        self.catalog.event(
            f"blob.{how}",
            p.staged.digest,
            size=p.staged.size,
            source=p.display_path,
            batch=self.summary.batch,
        )
        self.summary.warnings.append(
            f"{how}: {p.display_path}: the stored original of"
            f" {p.staged.digest[:12]} was {'damaged' if how == 'repaired' else 'missing'}"
            " and is whole again from this copy"
        )
        self.progress.problem(self.summary.warnings[-1], error=False)

    def _record(self, p: _Pending) -> None:
        s = self.summary
        item_id, new_item = self.catalog.add_item(
            p.staged.digest, p.staged.size, p.mime, MIME_TOOL, s.batch
        )
        p.item_id, p.item_was_known = item_id, not new_item
        contribution_id, new = self.catalog.add_contribution(
            item_id=item_id,
            sha256=p.staged.digest,
            contributor_id=self._contributor_id,
            collection_id=self._collection_id,
            batch_id=s.batch,
            source_path=p.source_path,
            member_path=p.member_path,
            parent_id=p.parent.contribution_id if p.parent else None,
            original_name=p.original_name,
            display_path=p.display_path,
            size=p.staged.size,
            mtime=p.mtime,
            note=self.opts.note,
            restriction=self.opts.restriction,
        )
        p.contribution_id = contribution_id
        if new_item:
            self._new.append((item_id, p.staged.digest, p.mime))
        if new:
            s.new_contributions += 1
            if new_item:
                s.new_items += 1
            else:
                s.known_items += 1
        else:
            s.already_recorded += 1

    # -- one file -----------------------------------------------------------------------------
    def _read_file(self, f: Found) -> _Read:
        """Copy one file into the store (runs in a worker thread: no shared state here)."""
        path = f.path
        try:
            nofollow = 0 if f.via_link else os.O_NOFOLLOW  # links only when asked for
            fd = os.open(path, os.O_RDONLY | nofollow | os.O_NONBLOCK | os.O_CLOEXEC)
        except FileNotFoundError:
            return None, [Problem(path, "vanished before it could be read")]
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                msg = "became a symbolic link after it was listed: not followed"
            elif exc.errno in (errno.EACCES, errno.EPERM):
                msg = "permission denied: give the user running dhakira read access, then re-run"
            else:
                msg = f"cannot open: {exc.strerror}"
            return None, [Problem(path, msg)]
        with os.fdopen(fd, "rb", buffering=0) as stream:
            before = os.fstat(fd)
            if not stat.S_ISREG(before.st_mode):
                return None, [Problem(path, "is no longer a regular file: skipped")]
            try:
                staged = self.store.stage(stream)
            except OSError as exc:  # a read error: write errors arrive as StoreError
                return None, [
                    Problem(
                        path,
                        f"read error ({exc.strerror}): the drive may be failing;"
                        " copy what you can and re-run",
                    )
                ]
            after = os.fstat(fd)
        if (
            staged.size != before.st_size
            or after.st_size != before.st_size
            or after.st_mtime_ns != before.st_mtime_ns
        ):
            self.store.discard(staged)
            return None, [
                Problem(
                    path,
                    "changed while it was being read: not added; re-run `add` once"
                    " nothing is writing to it",
                )
            ]
        problems = []
        if after.st_nlink == 0:
            problems.append(
                Problem(path, "was deleted while being read; its bytes were preserved", error=False)
            )
        if staged.size == 0:
            problems.append(Problem(path, "empty file (0 bytes): kept, as given", error=False))
        pending = _Pending(
            staged=staged,
            mime=sniff(staged.head),
            source_path=path,
            member_path=b"",
            size=staged.size,
            mtime=from_epoch_ns(before.st_mtime_ns),
            depth=0,
        )
        return pending, problems

    # -- archives -----------------------------------------------------------------------------
    def _expand(self, container: _Pending) -> Iterator[_Pending]:
        prefix = container.member_path + b"!/" if container.member_path else b""
        where = container.display_path
        try:
            with self.store.open(container.staged.digest) as blob:
                for m in members(blob, container.mime, container.size, self.opts.limits):
                    if not isinstance(m, Member):
                        self._problem(
                            Problem(
                                container.source_path,
                                f"{display(prefix + m.name)}: {m.message}",
                                error=m.error,
                            )
                        )
                        continue
                    pending = self._read_member(container, prefix, m)
                    if pending is not None:
                        yield pending
        except NotATar:
            return
        except BadContainer as exc:
            self._problem(
                Problem(
                    container.source_path,
                    f"{where}: {exc} — the archive file itself is preserved as an item",
                )
            )

    def _read_member(self, container: _Pending, prefix: bytes, m: Member) -> _Pending | None:
        name = prefix + m.name
        try:
            with m.open() as stream:
                staged = self.store.stage(stream, limit=m.limit)
        except LimitExceeded:
            self._problem(
                Problem(
                    container.source_path,
                    f"{display(name)}: expands beyond its declared size: refused as hostile",
                )
            )
            return None
        except StoreError:
            raise
        except (OSError, EOFError, ValueError, RuntimeError, BadContainer) as exc:
            self._problem(
                Problem(
                    container.source_path,
                    f"{display(name)}: cannot be read from the archive ({exc})",
                )
            )
            return None
        except Exception as exc:  # zipfile raises BadZipFile on CRC errors
            self._problem(
                Problem(
                    container.source_path, f"{display(name)}: damaged inside the archive ({exc})"
                )
            )
            return None
        self.summary.files += 1
        self.summary.members += 1
        self.summary.bytes += staged.size
        return _Pending(
            staged=staged,
            mime=sniff(staged.head),
            source_path=container.source_path,
            member_path=name,
            size=staged.size,
            mtime=m.mtime,
            depth=container.depth + 1,
            parent=container,
        )


_Read = tuple[_Pending | None, list[Problem]]


def _counts(s: AddSummary) -> dict[str, Any]:
    d = s.as_json()
    d["errors"] = len(s.errors)
    d["warnings"] = len(s.warnings)
    return d
