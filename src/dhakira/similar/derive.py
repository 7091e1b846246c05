"""Signatures for every image and video that has none yet, in parallel, then matching.

Work is found, not queued: an item without a ``sim_signatures`` row for the current algorithm
and version is pending, so an interrupted run is finished by the next ``add`` or ``derive``.
Workers compute signatures; the calling process saves each one, searches the index for its
neighbours, records the links, and adds the new hashes to the index, all in one transaction
per chunk with its events. A file that gives no signature has its error recorded; the run goes
on.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from multiprocessing import get_context
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

IMAGE_CHUNK = 16
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


@dataclass(frozen=True)
class Job:
    item_id: int
    sha256: str
    mime: str
    path: str


@dataclass(frozen=True)
class Done:
    item_id: int
    sha256: str
    signature: Signature | None
    error: str | None


def run_jobs(jobs: Sequence[Job], settings: Settings) -> list[Done]:
    """In a worker process. Any failure is the item's error, never the batch's."""
    out = []
    for job in jobs:
        try:
            sig = compute(Path(job.path), job.mime, settings)
            out.append(Done(job.item_id, job.sha256, sig, None))
        except SignatureError as exc:
            out.append(Done(job.item_id, job.sha256, None, str(exc)))
        except MemoryError:
            out.append(Done(job.item_id, job.sha256, None, "ran out of memory decoding it"))
        except Exception as exc:  # a decoder bug on hostile input: recorded, not fatal
            out.append(Done(job.item_id, job.sha256, None, f"{type(exc).__name__}: {exc}"))
    return out


def pending(archive: Archive) -> list[Job]:
    rows = archive.catalog.conn.execute(
        "SELECT i.id, i.sha256, i.mime FROM items i LEFT JOIN sim_signatures s"
        " ON s.item_id = i.id AND s.algorithm = ? AND s.version = ?"
        " WHERE s.item_id IS NULL AND (i.mime LIKE 'image/%' OR i.mime LIKE 'video/%')"
        " ORDER BY i.id",
        (ALGORITHM, VERSION),
    ).fetchall()
    return [
        Job(r["id"], r["sha256"], r["mime"], str(archive.store.path(r["sha256"])))
        for r in rows
        if kind_of(r["mime"]) is not None
    ]


@dataclass
class Summary:
    signed: int = 0
    failed: int = 0
    links: int = 0

    def as_json(self) -> dict[str, int]:
        return dict(self.__dict__)


def link_new(index: HashIndex, item_id: int, sig: Signature, settings: Settings) -> list[Match]:
    hits = index.search_for(query_hashes(sig), settings, exclude=item_id)
    return decide(sig, hits, index.frames, settings)


def sign_pending(archive: Archive, progress: Progress, *, workers: int | None = None) -> Summary:
    """Compute signatures for every pending item and record the links they make."""
    settings = Settings.from_config(archive.config)
    jobs = pending(archive)
    summary = Summary()
    if not jobs:
        return summary
    index, _ = open_index(archive.root, archive.catalog.conn)
    chunks: list[list[Job]] = []
    images = [j for j in jobs if kind_of(j.mime) == "image"]
    chunks += [images[i : i + IMAGE_CHUNK] for i in range(0, len(images), IMAGE_CHUNK)]
    chunks += [[j] for j in jobs if kind_of(j.mime) == "video"]
    progress.begin("similarity", len(jobs))
    pool = ProcessPoolExecutor(workers or os.cpu_count() or 1, mp_context=get_context("spawn"))
    try:
        futures: set[Future[list[Done]]] = {pool.submit(run_jobs, c, settings) for c in chunks}
        while futures:
            finished, futures = wait(futures, return_when=FIRST_COMPLETED)
            for f in finished:
                results = f.result()
                with archive.catalog.transaction():
                    for r in results:
                        save_signature(archive, r.item_id, r.sha256, r.signature, r.error)
                        if r.signature is None:
                            summary.failed += 1
                            progress.problem(f"similarity: {r.sha256[:12]}: {r.error}", error=False)
                            continue
                        summary.signed += 1
                        matches = link_new(index, r.item_id, r.signature, settings)
                        summary.links += record(archive, r.item_id, matches)
                        extend(index, archive.catalog.conn)  # the rows just saved
                progress.advance(len(results))
        save_if_grown(archive.root, archive.catalog.conn, index)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        progress.end()
    return summary
