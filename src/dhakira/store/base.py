"""The blob store port: originals addressed by SHA-256, written once, never rewritten.

A store hands out *staged* blobs: bytes copied (and hashed in the same pass) to a private
temporary name. ``commit`` makes a group of staged blobs durable (fsync) and then visible under
their digest (atomic rename). Callers record a blob in the catalog only after ``commit`` has
returned, so a catalog row never points at a missing or partial blob. ``put`` is both steps
for one stream.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import IO, Protocol


@dataclass(frozen=True)
class Staged:
    """Bytes copied to a temporary location, hashed, not yet visible or durable."""

    digest: str  # lowercase hex SHA-256
    size: int
    head: bytes  # the first bytes of the content (for content sniffing)
    token: str  # backend-specific handle of the temporary copy


class Fixity(enum.Enum):
    OK = "ok"
    MISSING = "missing"
    CORRUPT = "corrupt"  # the bytes no longer hash to the digest
    TRUNCATED = "truncated"  # shorter (or longer) than recorded: a special case of corrupt
    UNREADABLE = "unreadable"  # the disk returned an error reading it


@dataclass(frozen=True)
class Verification:
    digest: str
    status: Fixity
    actual_digest: str | None = None
    actual_size: int | None = None


class BlobStore(Protocol):
    def stage(self, stream: IO[bytes], *, limit: int | None = None) -> Staged:
        """Copy ``stream`` to a temporary blob, hashing while copying."""

    def commit(self, staged: Sequence[Staged]) -> list[bool]:
        """Make staged blobs durable and visible; True for each blob that was new."""

    def discard(self, staged: Staged) -> None:
        """Forget a staged blob (its bytes are deleted)."""

    def put(self, stream: IO[bytes]) -> tuple[Staged, bool]:
        """Stage and commit one stream."""

    def exists(self, digest: str) -> bool: ...

    def open(self, digest: str) -> IO[bytes]: ...

    def size(self, digest: str) -> int: ...

    def verify(self, digest: str, expected_size: int | None = None) -> Verification: ...

    def iter_digests(self) -> Iterator[str]:
        """Every blob the store holds (not staged ones)."""

    def clean_stale(self) -> int:
        """Remove temporary files left by an interrupted writer; return how many."""
