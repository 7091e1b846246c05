"""Who may see what: restricted items, enforced in one place.

An item, or a whole collection, can be restricted to named roles and users (one row of
``restrictions`` per grantee). A restricted item is visible only to admins and to its
grantees; an item in a restricted collection only to that collection's grantees (and, if it is
also restricted itself or sits in several restricted collections, to those who pass every one).
To everyone else it does not exist: every read of the web and API goes through :class:`View`,
whose queries all exclude :func:`hidden_items_sql`, and a hidden item answers "not found".

Restricting and lifting a restriction are custody events (they concern the evidence).
"""

from __future__ import annotations

import contextlib
import importlib
import re
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from dhakira.accounts import ROLES, Viewer, user
from dhakira.archive import Archive
from dhakira.catalog.catalog import canonical_json
from dhakira.errors import InputError, ItemNotFound
from dhakira.model import ItemDetail
from dhakira.names import display
from dhakira.search import engine
from dhakira.timeutil import utcnow

_GRANTED = "max(r.role IS ? OR r.user_id IS ?) = 0"
# restricted items the viewer is not a grantee of, and every item of a restricted collection
# the viewer is not a grantee of (the few collections first, then their items by index)
# and, recursively, every file that came out of a hidden archive file (zip, tar)
HIDDEN_SQL = (
    "WITH RECURSIVE hidden(id) AS ("
    "SELECT r.item_id FROM restrictions r WHERE r.item_id IS NOT NULL"
    f" GROUP BY r.item_id HAVING {_GRANTED}"
    " UNION SELECT c.item_id FROM (SELECT r.collection_id FROM restrictions r"
    f" WHERE r.collection_id IS NOT NULL GROUP BY r.collection_id HAVING {_GRANTED}) k"
    " JOIN contributions c ON c.collection_id = k.collection_id"
    " UNION SELECT m.item_id FROM hidden h JOIN contributions p ON p.item_id = h.id"
    " JOIN contributions m ON m.parent_id = p.id"
    ") SELECT id FROM hidden"
)
# what an anonymous member of the public may not see: everything restricted to anyone
PUBLIC: tuple[str, int] = ("public", -1)
NOTHING: tuple[str, list[Any]] = ("SELECT NULL AS id WHERE 0", [])
_SHA = re.compile(r"\b[0-9a-f]{64}\b")


def hidden_items_sql(viewer: Viewer) -> tuple[str, list[Any]]:
    """A SELECT of the ids of items ``viewer`` may not see, and its arguments."""
    if viewer.is_admin:
        return NOTHING
    grantee = [viewer.role, viewer.user_id]
    return HIDDEN_SQL, grantee + grantee


_KEPT = (
    "CREATE TEMP TABLE IF NOT EXISTS hidden_sets (grantee TEXT PRIMARY KEY, generation INTEGER)",
    "CREATE TEMP TABLE IF NOT EXISTS hidden_ids (grantee TEXT, id INTEGER,"
    " PRIMARY KEY (grantee, id)) WITHOUT ROWID",
)


def kept_hidden_sql(conn: sqlite3.Connection, viewer: Viewer) -> tuple[str, list[Any]]:
    """:func:`hidden_items_sql`, evaluated once and kept in this connection's TEMP tables
    until ``access_state.generation`` moves (triggers move it on every change to
    restrictions or contributions). The recursive query costs milliseconds per request on a
    large archive; reading the kept set costs microseconds.

    The generation is read *before* the set is computed, so a change made in between only
    makes the next request compute it again: a kept set is never older than its label."""
    sql, args = hidden_items_sql(viewer)
    if not args:  # an admin: nothing hidden
        return sql, args
    grantee = f"{viewer.role}:{viewer.user_id}"
    generation = conn.execute("SELECT generation FROM access_state").fetchone()[0]
    try:
        row = conn.execute(
            "SELECT generation FROM temp.hidden_sets WHERE grantee = ?", (grantee,)
        ).fetchone()
    except sqlite3.OperationalError:  # first use on this connection
        for statement in _KEPT:  # one by one: executescript would COMMIT a caller's work
            conn.execute(statement)
        row = None
    if row is None or row[0] != generation:
        conn.execute("DELETE FROM temp.hidden_sets WHERE grantee = ?", (grantee,))
        conn.execute("DELETE FROM temp.hidden_ids WHERE grantee = ?", (grantee,))
        conn.execute(
            f"INSERT OR IGNORE INTO temp.hidden_ids SELECT ?, id FROM ({sql})", [grantee, *args]
        )
        conn.execute("INSERT INTO temp.hidden_sets VALUES (?, ?)", (grantee, generation))
    return "SELECT id FROM temp.hidden_ids WHERE grantee = ?", [grantee]


@dataclass(frozen=True)
class Blob:
    sha256: str
    mime: str
    size: int
    path: Path
    name: str


class View:
    """The archive as one viewer sees it: every read the web and the API make."""

    def __init__(self, archive: Archive, viewer: Viewer) -> None:
        self.archive = archive
        self.viewer = viewer
        self.conn = archive.catalog.conn
        restricted = self.conn.execute("SELECT EXISTS (SELECT 1 FROM restrictions)").fetchone()
        # nothing restricted (or an admin): queries keep their fastest plans
        self.hidden = (
            kept_hidden_sql(self.conn, viewer) if restricted[0] and not viewer.is_admin else None
        )
        self.visible, self.args = (
            (f"i.id NOT IN ({self.hidden[0]})", list(self.hidden[1])) if self.hidden else ("1", [])
        )
        self._resolved: dict[str, sqlite3.Row] = {}  # a View lives for one request
        self._unseen: dict[str, bool] = {}  # digest → an item this viewer may not see

    def _rows(self, sql: str, args: Sequence[Any] = ()) -> list[sqlite3.Row]:
        """``sql`` may use ``{visible}`` for the visibility condition on alias ``i``; its
        arguments come first."""
        return self.conn.execute(sql.format(visible=self.visible), [*self.args, *args]).fetchall()

    # -- single items -------------------------------------------------------------------------
    def resolve(self, ref: str) -> sqlite3.Row:
        """A visible item by SHA-256 or a unique prefix (at least 4 hex digits)."""
        ref = ref.strip().lower()
        if ref in self._resolved:
            return self._resolved[ref]
        if not 4 <= len(ref) <= 64 or any(c not in "0123456789abcdef" for c in ref):
            raise ItemNotFound("no such item")
        rows = self._rows(
            "SELECT * FROM items i WHERE {visible} AND i.sha256 >= ? AND i.sha256 < ?"
            " ORDER BY i.sha256 LIMIT 2",
            (ref, ref + "g"),
        )
        if len(rows) != 1:  # several: a prefix too short to name one item here
            raise ItemNotFound("no such item")
        self._resolved[ref] = self._resolved[rows[0]["sha256"]] = rows[0]
        return rows[0]

    def can_see(self, item_id: int) -> bool:
        return bool(self._rows("SELECT 1 FROM items i WHERE {visible} AND i.id = ?", (item_id,)))

    def detail(self, row: sqlite3.Row) -> ItemDetail:
        d = self.archive.catalog.detail(row)
        members = self.visible_shas([m.sha256 for m in d.members])
        parents = self.visible_shas([c.parent_sha256 for c in d.contributions if c.parent_sha256])
        return replace(
            d,
            members=[m for m in d.members if m.sha256 in members],
            contributions=[
                c
                if c.parent_sha256 in parents or c.parent_sha256 is None
                else replace(c, parent_sha256=None)
                for c in d.contributions
            ],
        )

    def visible_shas(self, shas: Sequence[str]) -> set[str]:
        if not shas:
            return set()
        marks = ",".join("?" * len(shas))
        rows = self._rows(
            f"SELECT sha256 FROM items i WHERE {{visible}} AND sha256 IN ({marks})", list(shas)
        )
        return {r[0] for r in rows}

    def blob(self, sha256: str) -> Blob:
        """A visible item's original, by its full SHA-256 only."""
        if len(sha256) != 64:
            raise ItemNotFound("no such item")
        row = self.resolve(sha256)
        name = self.conn.execute(
            "SELECT original_name FROM contributions WHERE item_id = ? ORDER BY id LIMIT 1",
            (row["id"],),
        ).fetchone()
        return Blob(
            row["sha256"],
            row["mime"],
            row["size"],
            self.archive.store.path(row["sha256"]),
            display(bytes(name[0])) if name else row["sha256"][:12],
        )

    def text(self, sha256: str) -> dict[str, Any] | None:
        row = self.conn.execute(
            "SELECT text, languages, ocr, tool, tool_version FROM texts WHERE item_id = ?",
            (self.resolve(sha256)["id"],),
        ).fetchone()
        return dict(row) if row else None

    def events(self, sha256: str) -> list[dict[str, Any]]:
        self.resolve(sha256)
        return [
            dict(r)
            for r in self.conn.execute(
                "SELECT seq, at, type, body FROM events WHERE item_sha256 = ? ORDER BY seq",
                (sha256,),
            )
            if self._shows(r["body"])
        ]

    def _shows(self, body: str) -> bool:
        """False for an event that names another item this viewer may not see (a
        near-duplicate link to it, say): shown, it would tell that item exists."""
        if self.hidden is None:
            return True
        named = set(_SHA.findall(body))
        unknown = sorted(named - self._unseen.keys())
        if unknown:  # each digest is looked up once per request, however many events name it
            marks = ",".join("?" * len(unknown))
            items = {
                r[0]
                for r in self.conn.execute(
                    f"SELECT sha256 FROM items WHERE sha256 IN ({marks})", unknown
                )
            }  # other digests (a damaged blob's actual SHA-256, say) name no item
            visible = self.visible_shas(sorted(items))
            self._unseen.update((sha, sha in items and sha not in visible) for sha in unknown)
        return not any(self._unseen[sha] for sha in named)

    def proof(self, sha256: str) -> str:
        return self.archive.log.prove(self.resolve(sha256)["sha256"], keep=self._shows)

    def near_duplicates(self, sha256: str) -> list[Any] | None:
        """Near-duplicates from ``dhakira.similar`` when it is installed (None when it is
        not), only those this viewer may see."""
        try:
            similar = importlib.import_module("dhakira.similar.api")
        except ImportError:
            return None
        row = self.resolve(sha256)
        found = list(similar.near_duplicates(self.archive, row["id"]))

        def sha_of(x: Any) -> str:
            return str(x.get("sha256") if isinstance(x, dict) else getattr(x, "sha256", ""))

        keep = self.visible_shas([sha_of(x) for x in found])
        return [x for x in found if sha_of(x) in keep]

    # -- many items ---------------------------------------------------------------------------
    def search(self, text: str, **options: Any) -> engine.Results:
        return engine.search(self.conn, text, hidden=self.hidden, **options)

    def recent(self, limit: int = 12) -> list[sqlite3.Row]:
        return self._rows(
            "SELECT i.id, i.sha256, i.mime, i.size, i.added_at,"
            " (SELECT original_name FROM contributions WHERE item_id = i.id ORDER BY id LIMIT 1)"
            " AS name FROM items i WHERE {visible} ORDER BY i.id DESC LIMIT ?",
            (limit,),
        )

    def overview(self) -> dict[str, Any]:
        types = self._rows(
            "SELECT substr(mime, 1, instr(mime, '/') - 1) AS t, count(*), sum(size) FROM items i"
            " WHERE {visible} GROUP BY t ORDER BY count(*) DESC"
        )

        by_contribution = f"i.item_id NOT IN ({self.hidden[0]})" if self.hidden else "1"

        def having_visible(table: str, column: str) -> int:
            # names with at least one visible item (EXISTS stops at the first one)
            sql = (
                f"SELECT count(*) FROM {table} k WHERE EXISTS (SELECT 1 FROM contributions i"
                f" WHERE i.{column} = k.id AND {by_contribution})"
            )
            return int(self.conn.execute(sql, self.args).fetchone()[0])

        return {
            "items": sum(r[1] for r in types),
            "bytes": sum(r[2] for r in types),
            "by_type": {r[0]: r[1] for r in types},
            "contributors": having_visible("contributors", "contributor_id"),
            "collections": having_visible("collections", "collection_id"),
        }

    def _counts(self, table: str, column: str) -> list[dict[str, Any]]:
        return [
            {"name": r[0], "items": r[1]}
            for r in self._rows(
                f"SELECT k.name, count(DISTINCT c.item_id) FROM contributions c"
                f" JOIN {table} k ON k.id = c.{column} JOIN items i ON i.id = c.item_id"
                " WHERE {visible} GROUP BY k.name ORDER BY k.name"
            )
        ]

    def contributors(self) -> list[dict[str, Any]]:
        return self._counts("contributors", "contributor_id")

    def collections(self) -> list[dict[str, Any]]:
        return self._counts("collections", "collection_id")


# -- restrictions -----------------------------------------------------------------------------
def _grantees(conn: sqlite3.Connection, to: Sequence[str]) -> list[tuple[str | None, int | None]]:
    out: list[tuple[str | None, int | None]] = []
    for g in to:
        kind, _, value = g.partition(":")
        if kind == "role" and value in ROLES:
            out.append((value, None))
        elif kind == "user" and value:
            out.append((None, user(conn, value).user_id))
        else:
            raise InputError(
                f"cannot restrict to {g!r}: write role:admin, role:investigator, role:viewer"
                " or user:NAME"
            )
    if not out:
        raise InputError("say who may still see it: --to role:investigator or --to user:NAME")
    return out


def _target(archive: Archive, item: str | None, collection: str | None) -> tuple[str, Any]:
    if (item is None) == (collection is None):
        raise InputError("give either an ITEM or --collection NAME")
    conn = archive.catalog.conn
    if item is not None:
        return "item", archive.catalog.resolve(item)
    row = conn.execute("SELECT * FROM collections WHERE name = ?", (collection,)).fetchone()
    if row is None:
        raise InputError(f"no collection {collection!r}: `dhakira stats` lists them")
    return "collection", row


def restrict(
    archive: Archive, *, item: str | None = None, collection: str | None = None, to: Sequence[str]
) -> dict[str, Any]:
    """Restrict an item or a collection to the grantees ``to`` (added to any already there)."""
    kind, row = _target(archive, item, collection)
    conn = archive.catalog.conn
    grants = _grantees(conn, to)
    with archive.catalog.transaction():
        for role, user_id in grants:
            conn.execute(
                f"INSERT OR IGNORE INTO restrictions({kind}_id, role, user_id, created_at)"
                " VALUES (?, ?, ?, ?)",
                (row["id"], role, user_id, utcnow()),
            )
        return _logged(archive, kind, row, "restricted")


def unrestrict(
    archive: Archive, *, item: str | None = None, collection: str | None = None
) -> dict[str, Any]:
    """Lift an item's or a collection's restriction entirely."""
    kind, row = _target(archive, item, collection)
    with archive.catalog.transaction():
        cur = archive.catalog.conn.execute(
            f"DELETE FROM restrictions WHERE {kind}_id = ?", (row["id"],)
        )
        if cur.rowcount == 0:
            raise InputError(f"that {kind} is not restricted: nothing to do")
        return _logged(archive, kind, row, "unrestricted")


def _logged(archive: Archive, kind: str, row: sqlite3.Row, what: str) -> dict[str, Any]:
    now = grants_of(archive.catalog.conn, kind, row["id"])
    if kind == "item":
        archive.catalog.event(f"item.{what}", row["sha256"], visible_to=now)
        return {"item": row["sha256"], "visible_to": now}
    archive.catalog.event(f"collection.{what}", None, collection=row["name"], visible_to=now)
    return {"collection": row["name"], "visible_to": now}


def grants_of(conn: sqlite3.Connection, kind: str, ident: int) -> list[str]:
    return sorted(
        f"role:{r[0]}" if r[0] else f"user:{r[1]}"
        for r in conn.execute(
            f"SELECT r.role, u.name FROM restrictions r LEFT JOIN users u ON u.id = r.user_id"
            f" WHERE r.{kind}_id = ?",
            (ident,),
        )
    )


def restrictions(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    out: dict[tuple[str, str], list[str]] = {}
    for r in conn.execute(
        "SELECT i.sha256, k.name AS collection, r.role, u.name FROM restrictions r"
        " LEFT JOIN items i ON i.id = r.item_id LEFT JOIN collections k ON k.id = r.collection_id"
        " LEFT JOIN users u ON u.id = r.user_id ORDER BY r.id"
    ):
        key = ("item", r[0]) if r[0] else ("collection", r[1])
        out.setdefault(key, []).append(f"role:{r[2]}" if r[2] else f"user:{r[3]}")
    return [{"kind": k, "target": t, "visible_to": sorted(v)} for (k, t), v in out.items()]


@contextlib.contextmanager
def acting_as(archive: Archive, name: str) -> Iterator[None]:
    """Events written meanwhile name the web user ``name`` as their actor."""
    catalog = archive.catalog
    saved = catalog.actor, catalog._actor_json
    catalog.actor = f"web:{name}"
    catalog._actor_json = canonical_json(catalog.actor)
    try:
        yield
    finally:
        catalog.actor, catalog._actor_json = saved
