"""Metadata at ingest: run the media tools on new items, in parallel across cores.

Work is found, not queued: an item without a ``properties`` row has not been derived yet, so a
run interrupted at any point is finished by the next ``add`` (or ``dhakira rebuild``). Each
worker process keeps one ``exiftool -stay_open`` process for its whole life. A tool failing on
one file is recorded on that item (``tool_outputs.error``) and the run goes on.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path

from dhakira.archive import Archive
from dhakira.media import NORMALISER_VERSION, ExifTool, Properties, ToolOutput, extract, normalise
from dhakira.progress import Progress
from dhakira.timeutil import utcnow

CHUNK = 16
# Types no tool knows more about than their bytes: recorded with empty properties at once.
_TOOLED = (
    "image/",
    "video/",
    "audio/",
    "application/pdf",
    "application/vnd.",
    "application/msword",
)


def needs_tools(mime: str) -> bool:
    return mime.startswith(_TOOLED)


@dataclass(frozen=True)
class Job:
    item_id: int
    sha256: str
    mime: str
    path: str  # os.fsdecode'd path of the blob (blob names are ASCII)


@dataclass(frozen=True)
class Result:
    item_id: int
    sha256: str
    outputs: list[ToolOutput]
    properties: Properties


_exiftool: ExifTool | None = None


def _init_worker() -> None:
    global _exiftool
    _exiftool = ExifTool()


def run_jobs(jobs: Sequence[Job]) -> list[Result]:
    """Run in a worker process (or inline): extract and normalise each job."""
    out = []
    for job in jobs:
        outputs = extract(Path(job.path), job.mime, _exiftool)
        out.append(Result(job.item_id, job.sha256, outputs, normalise(job.mime, outputs)))
    return out


def derive_pending(archive: Archive, progress: Progress, *, workers: int | None = None) -> int:
    """Derive metadata for every item that has none yet; return how many items were done."""
    catalog = archive.catalog
    rows = catalog.conn.execute(
        "SELECT i.id, i.sha256, i.mime FROM items i LEFT JOIN properties p ON p.item_id = i.id"
        " WHERE p.item_id IS NULL ORDER BY i.id"
    ).fetchall()
    if not rows:
        return 0
    plain = [r for r in rows if not needs_tools(r["mime"])]
    tooled = [
        Job(r["id"], r["sha256"], r["mime"], str(archive.store.path(r["sha256"])))
        for r in rows
        if needs_tools(r["mime"])
    ]
    for start in range(0, len(plain), 1000):
        with catalog.transaction():
            for r in plain[start : start + 1000]:
                save(archive, Result(r["id"], r["sha256"], [], Properties()))
    if not tooled:
        return len(rows)
    progress.begin("metadata", len(tooled))
    try:
        for results in _results(tooled, workers or os.cpu_count() or 1):
            with catalog.transaction():
                for result in results:
                    save(archive, result)
            progress.advance(len(results))
    finally:
        progress.end()
    return len(rows)


def _results(jobs: Sequence[Job], workers: int) -> Iterator[list[Result]]:
    chunks = [jobs[i : i + CHUNK] for i in range(0, len(jobs), CHUNK)]
    if workers <= 1 or len(chunks) == 1:
        _init_worker()
        try:
            for chunk in chunks:
                yield run_jobs(chunk)
        finally:
            _close_worker()
        return
    ctx = get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=ctx, initializer=_init_worker) as pool:
        futures: list[Future[list[Result]]] = [pool.submit(run_jobs, c) for c in chunks]
        for fut in futures:
            yield fut.result()


def _close_worker() -> None:
    global _exiftool
    if _exiftool is not None:
        _exiftool.close()
        _exiftool = None


def save(archive: Archive, result: Result) -> None:
    """Record one item's tool outputs and normalised properties (inside a transaction)."""
    conn = archive.catalog.conn
    now = utcnow()
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
    if result.outputs:
        archive.catalog.event(
            "metadata.extracted",
            result.sha256,
            tools={o.tool: o.version for o in result.outputs},
            errors={o.tool: o.error for o in result.outputs if o.error},
            normaliser_version=NORMALISER_VERSION,
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
