"""What follows every ingest, from any door (`add`, `demo`, a web upload): one sequence, so
that new items are described, compared and findable however they arrived."""

from __future__ import annotations

from dataclasses import dataclass

from dhakira.archive import Archive
from dhakira.ingest.derive import Deriver, derive_all_pending
from dhakira.progress import Progress
from dhakira.search.index import index_pending


@dataclass(frozen=True)
class Settled:
    derived: int  # items whose metadata (and text) was extracted
    links: int  # near-duplicate links found
    indexed: int  # items (re)indexed for search


def settle(
    archive: Archive, progress: Progress, deriver: Deriver | None, *, ocr: bool = True
) -> Settled:
    """Finish the metadata and signatures in flight (the deriver's workers sign new images
    and videos while the ingest goes on, and link their near-duplicates), then anything an
    earlier run left pending; index the new items for search, and sign a checkpoint of the
    custody log that now holds them. ``deriver`` None: metadata was not asked for (then
    nothing is signed either)."""
    derived = links = 0
    if deriver is not None:
        derived = deriver.finish()
        links = deriver.linker.summary.links
        more, summary = derive_all_pending(archive, progress, ocr=ocr)
        derived += more
        links += summary.links
    indexed = index_pending(archive.catalog.conn, progress)
    archive.log.checkpoint()
    return Settled(derived, links, indexed)
