"""Signatures for every image and video that has none yet, then matching.

Work is found, not queued: an item without a ``sim_signatures`` row for the current algorithm
and version is pending, so an interrupted run is finished by the next ``add`` or ``derive``.
The metadata workers (``ingest.derive.Deriver``) compute signatures (``sign_one``); the calling
process saves each one, searches the index for its neighbours, records the links, and adds the
new hashes to the index (``Linker``), all in one transaction per chunk with its events. A file
that gives no signature has its error recorded; the run goes on.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from dhakira.archive import Archive
from dhakira.progress import Progress
from dhakira.similar import ALGORITHM, VERSION
from dhakira.similar.image import image_signature
from dhakira.similar.index import HashIndex, extend
from dhakira.similar.links import record, save_signature
from dhakira.similar.match import Match, decide, query_hashes
from dhakira.similar.persist import open_index, save_if_grown
from dhakira.similar.settings import Settings
from dhakira.similar.signature import Signature, SignatureError
from dhakira.similar.video import video_signature

SKIP = ("image/svg+xml",)


def kind_of(mime: str) -> str | None:
    if mime in SKIP:
        return None
    if mime.startswith("image/"):
        return "image"
    if mime.startswith("video/"):
        return "video"
    return None


def compute(path: Path, mime: str, settings: Settings | None = None) -> Signature:
    """The signature of one file (raises SignatureError with the reason when there is none)."""
    kind = kind_of(mime)
    if kind == "image":
        return image_signature(path)
    if kind == "video":
        return video_signature(path, settings)
    raise SignatureError(f"{mime} is neither an image nor a video: nothing to compare")


def sign_one(path: Path, mime: str, settings: Settings) -> tuple[Signature | None, str | None]:
    """In a worker process: the signature, or why there is none. Any failure is the item's
    error, never the batch's."""
    try:
        return compute(path, mime, settings), None
    except SignatureError as exc:
        return None, str(exc)
    except MemoryError:
        return None, "ran out of memory decoding it"
    except Exception as exc:  # a decoder bug on hostile input: recorded, not fatal
        return None, f"{type(exc).__name__}: {exc}"


def pending(archive: Archive) -> list[tuple[int, str, str]]:
    """Images and videos (id, sha256, mime) without a current-version signature."""
    rows = archive.catalog.conn.execute(
        "SELECT i.id, i.sha256, i.mime FROM items i LEFT JOIN sim_signatures s"
        " ON s.item_id = i.id AND s.algorithm = ? AND s.version = ?"
        " WHERE s.item_id IS NULL AND (i.mime LIKE 'image/%' OR i.mime LIKE 'video/%')"
        " ORDER BY i.id",
        (ALGORITHM, VERSION),
    ).fetchall()
    return [(r["id"], r["sha256"], r["mime"]) for r in rows if kind_of(r["mime"]) is not None]


@dataclass
class Summary:
    signed: int = 0
    failed: int = 0
    links: int = 0

    def as_json(self) -> dict[str, int]:
        return dict(self.__dict__)


def link_new(index: HashIndex, item_id: int, sig: Signature, settings: Settings) -> list[Match]:
    hits = index.search_for(query_hashes(sig), settings, exclude=item_id)
    return decide(sig, hits, index, settings)


class Linker:
    """In the calling process: saves each signature the workers send back, finds the item's
    neighbours in the hash index, records the links, and adds its hashes to the index (call
    ``save`` inside the catalog transaction that holds the item's other derived rows)."""

    def __init__(self, archive: Archive) -> None:
        self.archive = archive
        self.settings = Settings.from_config(archive.config)
        self.summary = Summary()
        self.index: HashIndex | None = None  # opened when the first signature arrives
        self.progress: Progress | None = None

    def save(self, item_id: int, sha256: str, sig: Signature | None, error: str | None) -> None:
        conn = self.archive.catalog.conn
        save_signature(self.archive, item_id, sha256, sig, error)
        if sig is None:
            self.summary.failed += 1
            if self.progress is not None:
                self.progress.problem(f"similarity: {sha256[:12]}: {error}", error=False)
            return
        if self.index is None:
            self.index, _ = open_index(self.archive.root, conn)
        self.summary.signed += 1
        self.summary.links += record(
            self.archive, item_id, link_new(self.index, item_id, sig, self.settings)
        )
        extend(self.index, conn)  # the rows just saved

    def restart(self) -> None:
        """Link from scratch (new thresholds): an empty index that takes only the hashes saved
        from now on, so each re-signed item meets those re-signed before it."""
        self.index = HashIndex()
        row = self.archive.catalog.conn.execute("SELECT max(rowid) FROM sim_hashes").fetchone()
        self.index.max_rowid = int(row[0] or 0)

    def finish(self) -> None:
        """After the last transaction: rewrite the saved index if it has grown enough."""
        if self.index is not None:
            save_if_grown(self.archive.root, self.archive.catalog.conn, self.index)


def settings_json(settings: Settings) -> str:
    """What links are made under: the settings and the signature version. A change in either
    (a new version signs every item again) relinks the whole archive, so links that only an
    older signature found are withdrawn, not left behind."""
    return json.dumps({**asdict(settings), "signature": f"{ALGORITHM}-v{VERSION}"}, sort_keys=True)


def settings_changed(archive: Archive, settings: Settings) -> bool:
    """Whether the links were made under other settings (first call: records these)."""
    conn = archive.catalog.conn
    (before,) = conn.execute("SELECT link_settings FROM sim_index_state WHERE id = 1").fetchone()
    if before is None:
        record_settings(archive, settings)
        return False
    return bool(before != settings_json(settings))


def record_settings(archive: Archive, settings: Settings) -> None:
    with archive.catalog.transaction():
        archive.catalog.conn.execute(
            "UPDATE sim_index_state SET link_settings = ? WHERE id = 1", (settings_json(settings),)
        )


def signed(archive: Archive) -> list[tuple[int, str, str]]:
    """Items (id, sha256, mime) that have a current-version signature row (or its error)."""
    rows = archive.catalog.conn.execute(
        "SELECT i.id, i.sha256, i.mime FROM items i JOIN sim_signatures s ON s.item_id = i.id"
        " AND s.algorithm = ? AND s.version = ? ORDER BY i.id",
        (ALGORITHM, VERSION),
    ).fetchall()
    return [(r["id"], r["sha256"], r["mime"]) for r in rows if kind_of(r["mime"]) is not None]
