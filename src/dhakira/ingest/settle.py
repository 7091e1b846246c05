"""What follows every ingest, from any door (`add`, `demo`, a web upload): one sequence, so
that new items are described, compared and findable however they arrived."""

from __future__ import annotations

from dataclasses import dataclass

from dhakira.archive import Archive
from dhakira.ingest.derive import Deriver, derive_pending
from dhakira.progress import Progress
from dhakira.search.index import index_pending
from dhakira.similar.derive import sign_pending


@dataclass(frozen=True)
class Settled:
    derived: int  # items whose metadata (and text) was extracted
    links: int  # near-duplicate links found
    indexed: int  # items (re)indexed for search


def settle(
    archive: Archive, progress: Progress, deriver: Deriver | None, *, ocr: bool = True
) -> Settled:
    """Finish the metadata in flight and anything an earlier run left pending, sign the new
    items and link their near-duplicates, index them for search, and sign a checkpoint of
    the custody log that now holds them. ``deriver`` None: metadata was not asked for (then
    nothing is signed either: signatures need the decoded media's properties)."""
    derived = links = 0
    if deriver is not None:
        derived = deriver.finish() + derive_pending(archive, progress, ocr=ocr)
        links = sign_pending(archive, progress).links
    indexed = index_pending(archive.catalog.conn, progress)
    archive.log.checkpoint()
    return Settled(derived, links, indexed)
