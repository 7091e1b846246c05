"""What adapters call: the near-duplicates of an item or of a file, groups, decisions."""

from __future__ import annotations

import contextlib
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import magic

from dhakira.archive import Archive
from dhakira.errors import InputError, ItemNotFound
from dhakira.similar import ALGORITHM, VERSION
from dhakira.similar.derive import compute, kind_of, link_new
from dhakira.similar.groups import Group, all_groups, group_containing
from dhakira.similar.links import decide
from dhakira.similar.persist import open_index, save_if_grown
from dhakira.similar.settings import Settings


@dataclass(frozen=True)
class Neighbour:
    sha256: str
    mime: str
    method: str
    score: float | None
    distance: int | None
    frames: int | None
    offset_s: float | None  # video: time in the neighbour = time in the item + offset_s
    status: str  # auto | confirmed | rejected | unrecorded (a file compared without ingest)
    detail: str | None = None

    def as_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


def item_id(archive: Archive, ref: str | int) -> int:
    if isinstance(ref, int):
        return ref
    return int(archive.catalog.resolve(ref)["id"])


def signature_state(archive: Archive, iid: int) -> dict[str, Any] | None:
    r = archive.catalog.conn.execute(
        "SELECT kind, frames, note, error, width, height, duration_s FROM sim_signatures"
        " WHERE item_id = ? AND algorithm = ? AND version = ?",
        (iid, ALGORITHM, VERSION),
    ).fetchone()
    return dict(r) if r else None


def near_duplicates(
    archive: Archive, ref: str | int, *, include_rejected: bool = True
) -> list[Neighbour]:
    """The recorded links of an item, best first (rejected ones last, marked)."""
    iid = item_id(archive, ref)
    out = []
    for r in archive.catalog.conn.execute(
        "SELECT l.*, i.sha256, i.mime FROM sim_links l JOIN items i"
        " ON i.id = CASE WHEN l.a = ? THEN l.b ELSE l.a END WHERE l.a = ? OR l.b = ?",
        (iid, iid, iid),
    ):
        if r["status"] == "rejected" and not include_rejected:
            continue
        offset = r["offset_s"]
        if offset is not None and r["method"].startswith("video") and r["b"] == iid:
            offset = -offset  # seen from this item
        out.append(
            Neighbour(
                r["sha256"],
                r["mime"],
                r["method"],
                r["score"],
                r["distance"],
                r["frames"],
                offset,
                r["status"],
                r["detail"],
            )
        )
    return sorted(
        out, key=lambda n: (n.status in ("rejected", "withdrawn"), -(n.score or 0), n.sha256)
    )


def compare_file(archive: Archive, path: Path) -> tuple[str | None, list[Neighbour]]:
    """A file's near-duplicates in the archive, without adding it. When the file is in the
    archive already, its sha256 and recorded links are returned instead."""
    try:
        h = hashlib.sha256()
        with path.open("rb") as f:
            head = f.read(1 << 16)
            h.update(head)
            while block := f.read(1 << 20):
                h.update(block)
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from exc
    sha = h.hexdigest()
    known = archive.catalog.conn.execute("SELECT id FROM items WHERE sha256 = ?", (sha,)).fetchone()
    if known is not None:
        return sha, near_duplicates(archive, int(known[0]))
    mime = "application/x-empty" if not head else str(magic.from_buffer(head, mime=True))
    if kind_of(mime) is None:
        raise InputError(f"{path} is {mime}, not an image or a video: nothing to compare")
    settings = Settings.from_config(archive.config)
    sig = compute(path, mime, settings)
    index, _ = open_index(archive.root, archive.catalog.conn)
    # keep what was read from the catalog, so the next comparison starts from the file (on a
    # read-only archive it cannot be kept: derived data, the answer is the same)
    with contextlib.suppress(OSError):
        save_if_grown(archive.root, archive.catalog.conn, index)
    out = []
    for m in link_new(index, -1, sig, settings):
        r = archive.catalog.conn.execute(
            "SELECT sha256, mime FROM items WHERE id = ?", (m.item_id,)
        ).fetchone()
        out.append(
            Neighbour(
                r["sha256"],
                r["mime"],
                m.method,
                m.score,
                m.distance,
                m.frames,
                m.offset_s,
                "unrecorded",
                m.detail,
            )
        )
    return None, out


def group_of(archive: Archive, ref: str | int) -> Group | None:
    return group_containing(archive.catalog.conn, item_id(archive, ref))


def groups(archive: Archive) -> list[Group]:
    return all_groups(archive.catalog.conn)


def set_link(archive: Archive, one: str, two: str, status: str) -> str:
    """Confirm or reject the link between two items; returns the previous status."""
    a, b = item_id(archive, one), item_id(archive, two)
    if a == b:
        raise ItemNotFound(f"{one} and {two} are the same item: give two different items")
    with archive.catalog.transaction():
        return decide(archive, a, b, status)
