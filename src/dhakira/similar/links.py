"""Signatures and links in the catalog (call inside ``Catalog.transaction``).

A link joins two items (``a < b``) with the method and score that found it. Links are never
deleted: a re-run updates an automatic link's figures, and an investigator's decision
(``confirmed`` or ``rejected``) is kept whatever later runs find. Every new link and every
decision is a custody event.
"""

from __future__ import annotations

import sqlite3

from dhakira.archive import Archive
from dhakira.errors import InputError
from dhakira.similar import ALGORITHM, VERSION
from dhakira.similar.index import _signed
from dhakira.similar.match import Match
from dhakira.similar.signature import Signature
from dhakira.timeutil import utcnow

STATUSES = ("auto", "confirmed", "rejected", "withdrawn")


def save_signature(
    archive: Archive, item_id: int, sha256: str, sig: Signature | None, error: str | None
) -> None:
    conn = archive.catalog.conn
    key = (item_id, ALGORITHM, VERSION)
    conn.execute("DELETE FROM sim_hashes WHERE item_id = ? AND algorithm = ? AND version = ?", key)
    conn.execute(
        "INSERT OR REPLACE INTO sim_signatures(item_id, algorithm, version, kind, width, height,"
        " duration_s, picture_pixels, frames, note, error, created_at)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
        (
            *key,
            sig.kind if sig else None,
            sig.width if sig else None,
            sig.height if sig else None,
            sig.duration_s if sig else None,
            sig.picture[0] * sig.picture[1] if sig and sig.picture else None,
            sig.frames if sig else 0,
            sig.note if sig else None,
            error,
            utcnow(),
        ),
    )
    if sig is not None:
        conn.executemany(
            "INSERT INTO sim_hashes(item_id, algorithm, version, variant, t, hash, quality,"
            " phash) VALUES (?,?,?,?,?,?,?,?)",
            [(*key, h.variant, h.t, h.bits, h.quality, _signed(h.phash)) for h in sig.hashes],
        )
    archive.catalog.event(
        "similarity.signed",
        sha256,
        algorithm=ALGORITHM,
        version=VERSION,
        kind=sig.kind if sig else None,
        hashes=len(sig.hashes) if sig else 0,
        note=sig.note if sig else None,
        error=error,
    )


def _sha(conn: sqlite3.Connection, item_id: int) -> str:
    return str(conn.execute("SELECT sha256 FROM items WHERE id = ?", (item_id,)).fetchone()[0])


def record(archive: Archive, item_id: int, matches: list[Match]) -> int:
    """Record the matches found for ``item_id``; return how many links are new."""
    conn = archive.catalog.conn
    now = utcnow()
    new = 0
    for m in matches:
        a, b = sorted((item_id, m.item_id))
        offset = m.offset_s
        frame_item = None
        if m.method.startswith("video") and offset is not None and a != item_id:
            offset = -offset  # stored as: time in b = time in a + offset_s
        if m.method == "frame":
            # the frame's time is in whichever of the two is the video
            kinds = dict(
                conn.execute(
                    "SELECT item_id, kind FROM sim_signatures WHERE item_id IN (?, ?)"
                    " AND algorithm = ? AND version = ?",
                    (a, b, ALGORITHM, VERSION),
                ).fetchall()
            )
            frame_item = next((i for i in (a, b) if kinds.get(i) == "video"), None)
        row = conn.execute("SELECT status FROM sim_links WHERE a = ? AND b = ?", (a, b)).fetchone()
        values = (m.method, m.score, m.distance, m.frames, offset, frame_item, m.detail, now)
        if row is None:
            conn.execute(
                "INSERT INTO sim_links(method, score, distance, frames, offset_s, frame_item,"
                " detail, created_at, updated_at, status, a, b)"
                " VALUES (?,?,?,?,?,?,?,?,?,'auto',?,?)",
                (*values, now, a, b),
            )
            new += 1
            archive.catalog.event(
                "link.created",
                _sha(conn, a),
                other=_sha(conn, b),
                method=m.method,
                score=m.score,
                distance=m.distance,
                frames=m.frames,
                offset_s=offset,
                algorithm=ALGORITHM,
                version=VERSION,
            )
        elif row["status"] != "rejected":
            conn.execute(
                "UPDATE sim_links SET method = ?, score = ?, distance = ?, frames = ?,"
                " offset_s = ?, frame_item = ?, detail = ?, updated_at = ?,"
                " status = CASE status WHEN 'withdrawn' THEN 'auto' ELSE status END"
                " WHERE a = ? AND b = ? AND method != 'manual'",
                (*values, a, b),
            )
            if row["status"] == "withdrawn":  # found again (thresholds changed back)
                new += 1
                archive.catalog.event(
                    "link.created", _sha(conn, a), other=_sha(conn, b), method=m.method,
                    score=m.score, distance=m.distance, frames=m.frames, offset_s=offset,
                    algorithm=ALGORITHM, version=VERSION, again=True,
                )  # fmt: skip
        # rejected: the investigator's decision stands; the new figures are not written
    return new


def decide(archive: Archive, one: int, two: int, status: str, note: str | None = None) -> str:
    """Confirm or reject the link between two items (creating it if no run found it)."""
    if status not in ("confirmed", "rejected"):
        raise InputError(f"a link is confirmed or rejected, not {status!r}")
    if one == two:
        raise InputError("an item cannot be linked to itself: give two different items")
    conn = archive.catalog.conn
    a, b = sorted((one, two))
    now = utcnow()
    who = archive.catalog.actor
    row = conn.execute("SELECT status FROM sim_links WHERE a = ? AND b = ?", (a, b)).fetchone()
    before = row["status"] if row else None
    if row is None:
        conn.execute(
            "INSERT INTO sim_links(a, b, method, status, decided_by, decided_at, detail,"
            " created_at, updated_at) VALUES (?, ?, 'manual', ?, ?, ?, ?, ?, ?)",
            (a, b, status, who, now, note, now, now),
        )
    else:
        conn.execute(
            "UPDATE sim_links SET status = ?, decided_by = ?, decided_at = ?, updated_at = ?"
            " WHERE a = ? AND b = ?",
            (status, who, now, now, a, b),
        )
    archive.catalog.event(
        f"link.{status}",
        _sha(conn, a),
        other=_sha(conn, b),
        previous=before,
        decided_by=who,
        note=note,
    )
    return before or "none"


def withdraw_unconfirmed(archive: Archive, since: str) -> int:
    """After a pass under new thresholds: automatic links it did not find again (not updated
    since ``since``) are withdrawn — kept, with their figures, out of the groups. Confirmed and
    rejected links are the investigator's and stay as they are."""
    conn = archive.catalog.conn
    stale = conn.execute(
        "SELECT a, b FROM sim_links WHERE status = 'auto' AND method != 'manual'"
        " AND updated_at < ?",
        (since,),
    ).fetchall()
    now = utcnow()
    for a, b in stale:
        conn.execute(
            "UPDATE sim_links SET status = 'withdrawn', updated_at = ? WHERE a = ? AND b = ?",
            (now, a, b),
        )
        archive.catalog.event(
            "link.withdrawn", _sha(conn, a), other=_sha(conn, b), reason="settings changed"
        )
    return len(stale)
