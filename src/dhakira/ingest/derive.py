"""Metadata at ingest: run the media tools on new items, in parallel across cores.

Work is found, not queued: an item without a ``properties`` row has not been derived yet, so a
run interrupted at any point is finished by the next ``add`` (or ``dhakira rebuild``). Each
worker process keeps one ``exiftool -stay_open`` process for its whole life. A tool failing on
one file is recorded on that item (``tool_outputs.error``) and the run goes on.

The same workers compute the near-duplicate signature of each new image and video (``sign``),
while the ingest goes on preserving; the calling process saves it and links the item's
near-duplicates (``similar.derive.Linker``) in the transaction that saves its metadata.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path

from dhakira.archive import Archive
from dhakira.media import (
    NORMALISER_VERSION,
    Properties,
    ToolOutput,
    extract,
    media_kind,
    normalise,
)
from dhakira.progress import Progress
from dhakira.search.index import mark_dirty
from dhakira.similar import ALGORITHM, VERSION
from dhakira.similar.derive import (
    Linker,
    Summary,
    kind_of,
    pending,
    record_settings,
    settings_changed,
    settings_json,
    sign_one,
    signed,
)
from dhakira.similar.links import withdraw_unconfirmed
from dhakira.similar.settings import Settings
from dhakira.similar.signature import Signature
from dhakira.text import EXTRACTOR_VERSION, Extracted, extract_text
from dhakira.text.extract import text_kind
from dhakira.timeutil import utcnow

CHUNK = 16


def needs_tools(mime: str) -> bool:
    """Whether a media tool or a text extractor knows more about this type than its bytes."""
    return media_kind(mime) is not None or text_kind(mime) is not None


@dataclass(frozen=True)
class Job:
    item_id: int
    sha256: str
    mime: str
    path: str  # os.fsdecode'd path of the blob (blob names are ASCII)
    text_only: bool = False  # `dhakira extract`: the text, not the media metadata
    ocr: bool = True  # read images and scanned pages with tesseract
    sign: Settings | None = None  # compute the near-duplicate signature with these settings
    sign_only: bool = False  # `dhakira derive` on items that have metadata: only the signature


@dataclass(frozen=True)
class Result:
    item_id: int
    sha256: str
    outputs: list[ToolOutput]
    properties: Properties | None
    text: Extracted | None = None
    text_only: bool = False
    signed: bool = False  # a signature was asked for: ``signature`` or ``sign_error`` says what
    signature: Signature | None = None
    sign_error: str | None = None


def run_jobs(jobs: Sequence[Job]) -> list[Result]:
    """Run in a worker process: extract and normalise each job. Each process keeps one
    exiftool running (``shared_exiftool``); a missing tool is an error on each item."""
    out = []
    for job in jobs:
        path = Path(job.path)
        sig, error = sign_one(path, job.mime, job.sign) if job.sign else (None, None)
        if job.sign_only:
            out.append(Result(job.item_id, job.sha256, [], None, None, False, True, sig, error))
            continue
        media = not job.text_only and media_kind(job.mime) is not None
        outputs = extract(path, job.mime) if media else []
        wants_text = text_kind(job.mime) is not None
        text = extract_text(path, job.mime, ocr=job.ocr) if wants_text else None
        props = normalise(job.mime, outputs)
        out.append(
            Result(
                job.item_id,
                job.sha256,
                outputs,
                props,
                text,
                job.text_only,
                bool(job.sign),
                sig,
                error,
            )
        )
    return out


class Deriver:
    """Runs metadata extraction in worker processes while the caller goes on preserving.

    ``submit`` items as soon as they are recorded; ``collect`` saves whatever has finished
    (call it between groups); ``finish`` waits for the rest. Results are written by the
    calling thread, each chunk in one transaction with its events.
    """

    def __init__(
        self,
        archive: Archive,
        progress: Progress,
        workers: int | None = None,
        ocr: bool = True,
        *,
        sign: bool = True,
    ) -> None:
        self.archive = archive
        self.ocr = ocr
        self.progress = progress
        self.workers = workers or os.cpu_count() or 1
        self._pool: ProcessPoolExecutor | None = None
        self._futures: list[tuple[Future[list[Result]], int]] = []
        self._queued: list[Job] = []
        self.done = 0
        self.settings = Settings.from_config(archive.config) if sign else None
        self.linker = Linker(archive)  # opens the hash index when the first signature comes
        self.linker.progress = progress
        self._metadata = False  # metadata or text was asked for (else: signatures only)
        self.resign = False  # sign even the items that have a signature (settings changed)

    def submit_text(self, rows: Sequence[tuple[int, str, str]]) -> None:
        """Items (id, sha256, mime) whose text is to be extracted (again)."""
        self._queue(
            Job(item_id, sha, mime, str(self.archive.store.path(sha)), True, self.ocr)
            for item_id, sha, mime in rows
            if text_kind(mime) is not None
        )

    def submit_signing(self, rows: Sequence[tuple[int, str, str]]) -> None:
        """Items (id, sha256, mime) that have metadata but no near-duplicate signature."""
        settings = self.settings or Settings.from_config(self.archive.config)
        self._queue(
            Job(
                item_id, sha, mime, str(self.archive.store.path(sha)), sign=settings, sign_only=True
            )
            for item_id, sha, mime in rows
            if kind_of(mime) is not None
        )

    def _queue(self, jobs: Iterable[Job]) -> None:
        """Send jobs in chunks; a video alone (seconds of work: the workers stay balanced)."""
        for job in jobs:
            self._metadata = self._metadata or not job.sign_only
            if job.sign and kind_of(job.mime) == "video":
                self._send([job])
            else:
                self._queued.append(job)
        while len(self._queued) >= CHUNK:
            self._send(self._queued[:CHUNK])
            del self._queued[:CHUNK]

    def submit(self, rows: Sequence[tuple[int, str, str]]) -> None:
        """Items (id, sha256, mime) that have no metadata yet."""
        plain = [
            (item_id, NORMALISER_VERSION) for item_id, _, mime in rows if not needs_tools(mime)
        ]
        if plain:
            with self.archive.catalog.transaction():  # nothing to extract: an empty row says so
                self.archive.catalog.conn.executemany(
                    "INSERT OR REPLACE INTO properties(item_id, normaliser_version) VALUES (?, ?)",
                    plain,
                )
            self.done += len(plain)
        signed = self._signed([item_id for item_id, _, mime in rows if kind_of(mime)])
        self._queue(
            Job(
                item_id,
                sha,
                mime,
                str(self.archive.store.path(sha)),
                False,
                self.ocr,
                self.settings if kind_of(mime) is not None and item_id not in signed else None,
            )
            for item_id, sha, mime in rows
            if needs_tools(mime)
        )

    def _signed(self, ids: list[int]) -> set[int]:
        """Those of ``ids`` that have a current signature already (``rebuild`` of metadata)."""
        if not ids or self.settings is None or self.resign:
            return set()
        conn = self.archive.catalog.conn
        have: set[int] = set()
        for start in range(0, len(ids), 500):
            part = ids[start : start + 500]
            have.update(
                r[0]
                for r in conn.execute(
                    "SELECT item_id FROM sim_signatures WHERE algorithm = ? AND version = ?"
                    f" AND item_id IN ({', '.join('?' * len(part))})",
                    (ALGORITHM, VERSION, *part),
                )
            )
        return have

    def _send(self, jobs: list[Job]) -> None:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(self.workers, mp_context=get_context("spawn"))
        self._futures.append((self._pool.submit(run_jobs, jobs), len(jobs)))

    def collect(self, *, wait: bool = False) -> None:
        while self._futures and (wait or self._futures[0][0].done()):
            results = self._futures.pop(0)[0].result()
            with self.archive.catalog.transaction():
                for result in results:
                    save(self.archive, result)
                    if result.signed:
                        self.linker.save(
                            result.item_id, result.sha256, result.signature, result.sign_error
                        )
            self.done += sum(1 for r in results if r.properties is not None)
            if wait:
                self.progress.advance(len(results))

    def finish(self) -> int:
        if self._queued:
            self._send(self._queued)
            self._queued = []
        if self._futures:
            self.progress.begin(
                "metadata" if self._metadata else "similarity",
                sum(n for _, n in self._futures),
            )
            try:
                self.collect(wait=True)
            finally:
                self.progress.end()
        self.linker.finish()
        self.close()
        return self.done

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


def derive_pending(
    archive: Archive, progress: Progress, *, workers: int | None = None, ocr: bool = True
) -> int:
    """Derive metadata for every item that has none yet; return how many items were done."""
    return derive_all_pending(archive, progress, workers=workers, ocr=ocr)[0]


def derive_all_pending(
    archive: Archive, progress: Progress, *, workers: int | None = None, ocr: bool = True
) -> tuple[int, Summary]:
    """Metadata for every item that has none, and a near-duplicate signature (with its links)
    for every image and video that has none, in one pool of workers: how many items got
    metadata, and what signing found. When the ``[similar]`` settings changed since the links
    were made, every image and video is signed and linked again, and the automatic links that
    pass does not find again are withdrawn (confirmed and rejected ones stay as they are)."""
    rows = [
        (r["id"], r["sha256"], r["mime"])
        for r in archive.catalog.conn.execute(
            "SELECT i.id, i.sha256, i.mime FROM items i LEFT JOIN properties p"
            " ON p.item_id = i.id WHERE p.item_id IS NULL ORDER BY i.id"
        )
    ]
    deriver = Deriver(archive, progress, workers, ocr)
    settings = deriver.linker.settings
    again = settings_changed(archive, settings)
    try:
        since = utcnow()
        if again:
            deriver.linker.restart()
            deriver.resign = True
        deriver.submit(rows)  # images and videos among them are signed by the same job
        have = {row[0] for row in rows}
        todo = pending(archive) + (signed(archive) if again else [])
        deriver.submit_signing([row for row in todo if row[0] not in have])
        done = deriver.finish()
        if again:
            with archive.catalog.transaction():
                withdrawn = withdraw_unconfirmed(archive, since)
                archive.catalog.event(
                    "similarity.relinked", None, settings=settings_json(settings),
                    withdrawn=withdrawn, links=deriver.linker.summary.links,
                )  # fmt: skip
            record_settings(archive, settings)
        return done, deriver.linker.summary
    finally:
        deriver.close()


def save(archive: Archive, result: Result) -> None:
    """Record one item's tool outputs and normalised properties (inside a transaction)."""
    conn = archive.catalog.conn
    now = utcnow()
    if result.properties is None:  # only a signature was computed
        return
    if result.text_only:
        if result.text is not None:
            save_text(archive, result.item_id, result.sha256, result.text)
            mark_dirty(conn, [result.item_id])
        return
    for o in result.outputs:
        conn.execute(
            "INSERT OR REPLACE INTO tool_outputs(item_id, tool, tool_version, raw, error,"
            " created_at) VALUES (?, ?, ?, ?, ?, ?)",
            (
                result.item_id,
                o.tool,
                o.version,
                None if o.raw is None else json.dumps(o.raw, ensure_ascii=False),
                o.error,
                now,
            ),
        )
    write_properties(archive, result.item_id, result.properties, result.outputs)
    if result.text is not None:
        save_text(archive, result.item_id, result.sha256, result.text)
    mark_dirty(conn, [result.item_id])
    if result.outputs:
        archive.catalog.event(
            "metadata.extracted",
            result.sha256,
            tools={o.tool: o.version for o in result.outputs},
            errors={o.tool: o.error for o in result.outputs if o.error},
            normaliser_version=NORMALISER_VERSION,
        )


def save_text(archive: Archive, item_id: int, sha256: str, t: Extracted) -> None:
    archive.catalog.conn.execute(
        "INSERT OR REPLACE INTO texts(item_id, tool, tool_version, text, languages, ocr, pages,"
        " error, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            item_id,
            t.tool,
            f"{t.version}/{EXTRACTOR_VERSION}",
            t.text,
            ",".join(t.languages),
            int(t.ocr),
            t.pages,
            t.error,
            utcnow(),
        ),
    )
    archive.catalog.event(
        "text.extracted",
        sha256,
        tool=t.tool,
        tool_version=t.version,
        extractor_version=EXTRACTOR_VERSION,
        characters=len(t.text),
        languages=list(t.languages),
        ocr=t.ocr,
        pages=t.pages,
        error=t.error,
    )


def write_properties(
    archive: Archive, item_id: int, props: Properties, outputs: Sequence[ToolOutput]
) -> None:
    fields = props.as_dict()
    errors = "; ".join(f"{o.tool}: {o.error}" for o in outputs if o.error) or None
    columns = ["item_id", "normaliser_version", *fields.keys(), "errors"]
    values = [item_id, NORMALISER_VERSION, *fields.values(), errors]
    archive.catalog.conn.execute(
        f"INSERT OR REPLACE INTO properties({', '.join(columns)})"
        f" VALUES ({', '.join('?' * len(values))})",
        values,
    )


def extract_pending(
    archive: Archive, progress: Progress, *, again: bool = False, workers: int | None = None
) -> int:
    """Extract the text of every item that has none yet (``again``: of every item)."""
    rows = archive.catalog.conn.execute(
        "SELECT i.id, i.sha256, i.mime FROM items i"
        + ("" if again else " LEFT JOIN texts t ON t.item_id = i.id WHERE t.item_id IS NULL")
        + " ORDER BY i.id"
    ).fetchall()
    deriver = Deriver(archive, progress, workers)
    try:
        deriver.submit_text([(r["id"], r["sha256"], r["mime"]) for r in rows])
        return deriver.finish()
    finally:
        deriver.close()


def renormalise(archive: Archive, progress: Progress) -> int:
    """Rebuild every item's normalised properties from the stored raw tool outputs."""
    conn = archive.catalog.conn
    rows = conn.execute("SELECT id, sha256, mime FROM items ORDER BY id").fetchall()
    progress.begin("rebuilding", len(rows))
    try:
        for start in range(0, len(rows), 500):
            with archive.catalog.transaction():
                for r in rows[start : start + 500]:
                    outputs = _stored_outputs(archive, r["id"])
                    write_properties(archive, r["id"], normalise(r["mime"], outputs), outputs)
            progress.advance(len(rows[start : start + 500]))
        with archive.catalog.transaction():
            archive.catalog.event(
                "metadata.rebuilt", None, items=len(rows), normaliser_version=NORMALISER_VERSION
            )
    finally:
        progress.end()
    return len(rows)


def _stored_outputs(archive: Archive, item_id: int) -> list[ToolOutput]:
    latest: dict[str, ToolOutput] = {}
    for r in archive.catalog.conn.execute(
        "SELECT * FROM tool_outputs WHERE item_id = ? ORDER BY created_at", (item_id,)
    ):
        raw = json.loads(r["raw"]) if r["raw"] is not None else None
        latest[r["tool"]] = ToolOutput(r["tool"], r["tool_version"], raw, r["error"])
    return list(latest.values())


def forget_properties(archive: Archive) -> None:
    """Mark every item as not derived, so the tools run again (``rebuild --rerun-tools``)."""
    with archive.catalog.transaction():
        archive.catalog.conn.execute("DELETE FROM properties")
