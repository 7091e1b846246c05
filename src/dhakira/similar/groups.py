"""Groups of copies: connected components of the links that are not rejected (or withdrawn).

Each group names its earliest known copy (capture time; then the earliest file time or receipt
among its contributions) and its best-quality copy (pixels, then bitrate, then duration).
"""

from __future__ import annotations

import math
import sqlite3
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Member:
    item_id: int
    sha256: str
    mime: str
    name: str
    captured_at: str | None
    first_seen: str | None  # earliest contribution file time or receipt
    width: int | None
    height: int | None
    bitrate: int | None
    duration_s: float | None
    picture_pixels: int | None = None  # inside uniform borders, where measured

    def as_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class Group:
    members: list[Member]
    links: list[dict[str, Any]] = field(default_factory=list)

    @property
    def earliest(self) -> Member:
        return min(self.members, key=earliest_key)

    @property
    def best(self) -> Member:
        return max(self.members, key=quality_key)

    def as_json(self) -> dict[str, Any]:
        return {
            "size": len(self.members),
            "earliest": self.earliest.sha256,
            "best": self.best.sha256,
            "members": [m.as_json() for m in self.members],
            "links": self.links,
        }


def earliest_key(m: Member) -> tuple[int, str, str, int]:
    return (m.captured_at is None, m.captured_at or "", m.first_seen or "~", m.item_id)


def quality_key(m: Member) -> tuple[int, int, float, int, int]:
    """Picture pixels (borders excluded; within 10 % counts as equal), then bitrate, then
    duration, then the least padding."""
    full = (m.width or 0) * (m.height or 0)
    pixels = m.picture_pixels or full
    step = round(math.log(pixels, 1.1)) if pixels > 0 else -1
    return (step, m.bitrate or 0, m.duration_s or 0.0, pixels - full, -m.item_id)


ACTIVE = "status NOT IN ('rejected', 'withdrawn')"


def components(edges: list[tuple[int, int]]) -> list[set[int]]:
    parent: dict[int, int] = {}

    def find(x: int) -> int:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in edges:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    out: dict[int, set[int]] = {}
    for x in parent:
        out.setdefault(find(x), set()).add(x)
    return sorted(out.values(), key=min)


def all_groups(conn: sqlite3.Connection) -> list[Group]:
    edges = [(r[0], r[1]) for r in conn.execute(f"SELECT a, b FROM sim_links WHERE {ACTIVE}")]
    return [_group(conn, ids) for ids in components(edges)]


def group_containing(conn: sqlite3.Connection, item_id: int) -> Group | None:
    seen, todo = {item_id}, [item_id]
    while todo:
        x = todo.pop()
        for r in conn.execute(
            f"SELECT a, b FROM sim_links WHERE (a = ? OR b = ?) AND {ACTIVE}", (x, x)
        ):
            for y in r:
                if y not in seen:
                    seen.add(y)
                    todo.append(y)
    return _group(conn, seen) if len(seen) > 1 else None


def _group(conn: sqlite3.Connection, ids: set[int]) -> Group:
    from dhakira.names import display

    members = []
    for i in sorted(ids):
        r = conn.execute(
            "SELECT i.id, i.sha256, i.mime, p.captured_at, p.width, p.height, p.bitrate,"
            " p.duration_s, s.width AS sw, s.height AS sh, s.duration_s AS sd, s.picture_pixels,"
            " (SELECT min(coalesce(c.mtime, c.received_at)) FROM contributions c"
            "   WHERE c.item_id = i.id) AS first_seen,"
            " (SELECT c.original_name FROM contributions c WHERE c.item_id = i.id"
            "   ORDER BY c.id LIMIT 1) AS name"
            " FROM items i LEFT JOIN properties p ON p.item_id = i.id"
            " LEFT JOIN sim_signatures s ON s.item_id = i.id"
            " WHERE i.id = ? ORDER BY s.version DESC LIMIT 1",
            (i,),
        ).fetchone()
        members.append(
            Member(
                r["id"],
                r["sha256"],
                r["mime"],
                display(r["name"]) if r["name"] is not None else "",
                r["captured_at"],
                r["first_seen"],
                r["width"] or r["sw"],
                r["height"] or r["sh"],
                r["bitrate"],
                r["duration_s"] or r["sd"],
                r["picture_pixels"],
            )
        )
    marks = ",".join("?" * len(ids))
    links = [
        dict(r)
        for r in conn.execute(
            "SELECT l.*, ia.sha256 AS a_sha256, ib.sha256 AS b_sha256 FROM sim_links l"
            " JOIN items ia ON ia.id = l.a JOIN items ib ON ib.id = l.b"
            f" WHERE l.a IN ({marks}) ORDER BY l.a, l.b",
            sorted(ids),
        )
    ]
    return Group(members, links)
