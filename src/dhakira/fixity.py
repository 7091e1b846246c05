"""`dhakira fsck`: re-hash the originals and say exactly what is missing, damaged or unexpected.

Blobs are re-hashed in parallel (hashlib releases the GIL, so threads use every core). Each
check is recorded: the ``fixity`` table keeps the time of the last check and of the last good
one per item, and a ``fixity.checked`` event records every result. ``sample`` checks a share
of the items, those checked longest ago (or never) first.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Any

from dhakira.archive import Archive
from dhakira.progress import Progress
from dhakira.store.base import Fixity, Verification
from dhakira.store.local import is_digest
from dhakira.timeutil import utcnow


@dataclass(frozen=True)
class Damage:
    status: str  # missing | corrupt | truncated | unexpected
    sha256: str
    short_id: str
    detail: str
    contributors: list[str] = field(default_factory=list)  # "Name: path"

    def line(self) -> str:
        who = "; ".join(self.contributors)
        return f"{self.status:<10} {self.short_id:<12} {self.detail}" + (f" — {who}" if who else "")


@dataclass
class FsckReport:
    checked: int = 0
    ok: int = 0
    bytes: int = 0
    sampled: bool = False
    problems: list[Damage] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not self.problems

    def as_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["clean"] = self.clean
        return d


def fsck(
    archive: Archive, progress: Progress, *, sample: float | None = None, workers: int | None = None
) -> FsckReport:
    conn = archive.catalog.conn
    total = conn.execute("SELECT count(*) FROM items").fetchone()[0]
    report = FsckReport(sampled=sample is not None)
    order = (
        "SELECT i.id, i.sha256, i.size FROM items i LEFT JOIN fixity f ON f.item_id = i.id"
        " ORDER BY f.last_checked_at IS NOT NULL, f.last_checked_at, i.id"
    )
    limit = total if sample is None else math.ceil(total * max(0.0, min(sample, 100.0)) / 100)
    rows = conn.execute(order + " LIMIT ?", (limit,)).fetchall()
    progress.begin("checking", len(rows), sum(r["size"] for r in rows))
    try:
        batch: list[tuple[int, str, Verification]] = []
        for item_id, sha, size, result in _verify_all(archive, rows, workers):
            progress.advance(1, size)
            report.checked += 1
            report.bytes += size
            if result.status is Fixity.OK:
                report.ok += 1
            else:
                damage = _damage(archive, item_id, sha, result)
                report.problems.append(damage)
                progress.problem(damage.line(), error=True)
            batch.append((item_id, sha, result))
            if len(batch) >= 1000:
                _record(archive, batch)
                batch = []
        _record(archive, batch)
    finally:
        progress.end()
    if sample is None:
        report.problems.extend(_unexpected(archive))
    return report


def _verify_all(
    archive: Archive, rows: Sequence[Any], workers: int | None
) -> Iterator[tuple[int, str, int, Verification]]:
    def one(row: Any) -> tuple[int, str, int, Verification]:
        return (
            row["id"],
            row["sha256"],
            row["size"],
            archive.store.verify(row["sha256"], row["size"]),
        )

    with ThreadPoolExecutor(workers or os.cpu_count() or 1) as pool:
        yield from pool.map(one, rows)


def _damage(archive: Archive, item_id: int, sha: str, v: Verification) -> Damage:
    if v.status is Fixity.MISSING:
        detail = f"sha256 {sha}: the original is missing from the blob store"
    elif v.status is Fixity.UNREADABLE:
        detail = f"sha256 {sha}: the disk returned an error reading it"
    elif v.status is Fixity.TRUNCATED:
        expected = archive.catalog.conn.execute(
            "SELECT size FROM items WHERE id = ?", (item_id,)
        ).fetchone()[0]
        detail = f"sha256 {sha}: {v.actual_size} bytes stored, {expected} expected"
    else:
        detail = f"sha256 {sha}: the stored bytes now hash to {v.actual_digest}"
    who = [f"{c.contributor}: {c.display_path}" for c in archive.catalog.contributions(item_id)]
    return Damage(v.status.value, sha, archive.catalog.short_id(sha), detail, who)


def _record(archive: Archive, batch: Sequence[tuple[int, str, Verification]]) -> None:
    if not batch:
        return
    cat = archive.catalog
    with cat.transaction():
        for item_id, sha, v in batch:
            now = utcnow()
            ok = v.status is Fixity.OK
            cat.conn.execute(
                "INSERT INTO fixity(item_id, last_checked_at, last_ok_at, last_status)"
                " VALUES (?, ?, ?, ?) ON CONFLICT(item_id) DO UPDATE SET"
                " last_checked_at = excluded.last_checked_at,"
                " last_ok_at = coalesce(excluded.last_ok_at, fixity.last_ok_at),"
                " last_status = excluded.last_status",
                (item_id, now, now if ok else None, v.status.value),
            )
            cat.event(
                "fixity.checked",
                sha,
                result=v.status.value,
                actual_sha256=v.actual_digest,
                actual_size=v.actual_size,
            )


def _unexpected(archive: Archive) -> list[Damage]:
    known = {r[0] for r in archive.catalog.conn.execute("SELECT sha256 FROM items")}
    out = []
    for name in archive.store.iter_digests():
        if name in known:
            continue
        what = (
            "stored but not in the catalog (an interrupted `add`? run it again)"
            if is_digest(name)
            else "a file that is not an original's digest: someone wrote into the store"
        )
        out.append(Damage("unexpected", name, name[:12], f"blobs/sha256/…/{name}: {what}"))
    return out
