"""The catalog: items, contributions, derived metadata, fixity and the event record.

All writes go through :meth:`Catalog.transaction`; every change appends an event in the same
transaction (the custody log builds its Merkle tree over ``events``).
"""

from __future__ import annotations

import contextlib
import getpass
import json
import socket
import sqlite3
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from dhakira import __version__
from dhakira.catalog.db import connect, transaction
from dhakira.custody import tree
from dhakira.errors import AmbiguousId, ItemNotFound
from dhakira.model import Contribution, Item, ItemDetail
from dhakira.names import display
from dhakira.timeutil import utcnow

MIN_SHORT = 6


_CANONICAL = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
)


def canonical_json(obj: Any) -> str:
    """Sorted keys, UTF-8, no insignificant whitespace, no NaN: the form events are hashed in."""
    return _CANONICAL.encode(obj)


def actor() -> str:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return f"{user}@{socket.gethostname()}"


class Catalog:
    def __init__(self, path: Path, *, readonly: bool = False) -> None:
        self.path = path
        self.conn = connect(path, readonly=readonly)
        self.actor = actor()
        self._actor_json = _CANONICAL.encode(self.actor)
        self._tool_json = f'"tool":"dhakira","tool_version":{_CANONICAL.encode(__version__)}'
        self._names: dict[tuple[str, str], int] = {}
        self.log = tree.Appender(self.conn)
        self._events: list[tuple[int, str, str, str | None, str, bytes]] = []  # to be written

    def close(self) -> None:
        self.conn.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        try:
            with transaction(self.conn) as c:
                self.log.sync()  # another process may have appended since our last write
                yield c
                self.flush_events()
        except BaseException:
            self.log.forget()
            self._events = []
            self._names.clear()
            raise

    def flush_events(self) -> None:
        """Write buffered events and tree nodes (done before every commit)."""
        if self._events:
            self.conn.executemany(
                "INSERT INTO events(seq, at, type, item_sha256, body, leaf)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                self._events,
            )
            self._events = []
        self.log.flush()

    # -- events -------------------------------------------------------------------------------
    def event(self, type_: str, item_sha256: str | None, **params: Any) -> int:
        """Append an event (written at commit). Its body is canonical JSON of
        {actor, at, item, params, tool, tool_version, type}, assembled here in key order
        (``canonical_json`` of the same dict gives the same text: tested, and checked by
        ``log verify``)."""
        at = utcnow()
        item = "null" if item_sha256 is None else f'"{item_sha256}"'
        text = (
            f'{{"actor":{self._actor_json},"at":"{at}","item":{item},'
            f'"params":{_CANONICAL.encode(params)},{self._tool_json},'
            f'"type":{_CANONICAL.encode(type_)}}}'
        )
        leaf = tree.leaf_hash(text.encode("utf-8"))
        seq = self.log.size + 1  # explicit: a clash with an existing seq fails the transaction
        self._events.append((seq, at, type_, item_sha256, text, leaf))
        self.log.append(leaf)
        return seq

    # -- names --------------------------------------------------------------------------------
    def _name_id(self, table: str, name: str) -> int:
        key = (table, name)
        if key in self._names:
            return self._names[key]
        row = self.conn.execute(f"SELECT id FROM {table} WHERE name = ?", (name,)).fetchone()
        if row is None:
            cur = self.conn.execute(
                f"INSERT INTO {table}(name, created_at) VALUES (?, ?)", (name, utcnow())
            )
            assert cur.lastrowid is not None
            ident = cur.lastrowid
            self.event(f"{table[:-1]}.created", None, name=name)
        else:
            ident = row[0]
        self._names[key] = ident
        return ident

    def contributor_id(self, name: str) -> int:
        return self._name_id("contributors", name)

    def collection_id(self, name: str | None) -> int | None:
        return None if name is None else self._name_id("collections", name)

    # -- batches ------------------------------------------------------------------------------
    def start_batch(self, contributor: str, collection: str | None, source: bytes) -> int:
        with self.transaction():
            cid = self.contributor_id(contributor)
            col = self.collection_id(collection)
            cur = self.conn.execute(
                "INSERT INTO batches(started_at, contributor_id, collection_id, source, actor,"
                " tool_version) VALUES (?, ?, ?, ?, ?, ?)",
                (utcnow(), cid, col, source, self.actor, __version__),
            )
            assert cur.lastrowid is not None
            self.event(
                "batch.started",
                None,
                batch=cur.lastrowid,
                contributor=contributor,
                collection=collection,
                source=source.decode("utf-8", "backslashreplace"),
            )
            return cur.lastrowid

    def finish_batch(self, batch_id: int, summary: dict[str, Any]) -> None:
        with self.transaction():
            self.conn.execute(
                "UPDATE batches SET finished_at = ?, summary = ? WHERE id = ?",
                (utcnow(), canonical_json(summary), batch_id),
            )
            self.event("batch.finished", None, batch=batch_id, summary=summary)

    # -- items and contributions (call inside a transaction) ----------------------------------
    def add_item(
        self, sha256: str, size: int, mime: str, mime_tool: str, batch_id: int
    ) -> tuple[int, bool]:
        row = self.conn.execute(
            "INSERT INTO items(sha256, size, mime, mime_tool, added_at, first_batch_id)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING id",
            (sha256, size, mime, mime_tool, utcnow(), batch_id),
        ).fetchone()
        if row is None:
            known = self.conn.execute("SELECT id FROM items WHERE sha256 = ?", (sha256,))
            return known.fetchone()[0], False
        self.event("blob.stored", sha256, size=size, mime=mime, mime_tool=mime_tool)
        return int(row[0]), True

    def add_contribution(
        self,
        *,
        item_id: int,
        sha256: str,
        contributor_id: int,
        collection_id: int | None,
        batch_id: int,
        source_path: bytes,
        member_path: bytes,
        parent_id: int | None,
        original_name: bytes,
        display_path: str,
        size: int,
        mtime: str | None,
        note: str | None,
        restriction: str | None,
    ) -> tuple[int, bool]:
        received = utcnow()
        row = self.conn.execute(
            "INSERT INTO contributions(item_id, contributor_id, collection_id, batch_id,"
            " source_path, member_path, parent_id, original_name, display_path, size, mtime,"
            " received_at, note, restriction) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
            " ON CONFLICT DO NOTHING RETURNING id",
            (
                item_id,
                contributor_id,
                collection_id,
                batch_id,
                source_path,
                member_path,
                parent_id,
                original_name,
                display_path,
                size,
                mtime,
                received,
                note,
                restriction,
            ),
        ).fetchone()
        if row is None:  # already recorded: the same file, from the same contributor
            known = self.conn.execute(
                "SELECT id FROM contributions WHERE contributor_id = ? AND source_path = ?"
                " AND member_path = ? AND item_id = ? AND ifnull(collection_id, 0) = ?",
                (contributor_id, source_path, member_path, item_id, collection_id or 0),
            )
            return int(known.fetchone()[0]), False
        contribution_id = int(row[0])
        # a new name, contributor or note changes what the item is found by
        self.conn.execute("INSERT OR IGNORE INTO search_dirty(item_id) VALUES (?)", (item_id,))
        self.event(
            "contribution.recorded",
            sha256,
            contribution=contribution_id,
            batch=batch_id,
            contributor_id=contributor_id,
            collection_id=collection_id,
            source_path_hex=source_path.hex(),
            member_path_hex=member_path.hex(),
            display_path=display_path,
            size=size,
            mtime=mtime,
            note=note,
            restriction=restriction,
            parent_contribution=parent_id,
        )
        return contribution_id, True

    # -- lookups ------------------------------------------------------------------------------
    def resolve(self, ref: str) -> sqlite3.Row:
        """An item by full SHA-256 or any unique prefix of at least 4 hex digits."""
        ref = ref.strip().lower()
        if len(ref) < 4 or any(c not in "0123456789abcdef" for c in ref):
            raise ItemNotFound(
                f"{ref!r} is not an item id: give at least 4 hex digits of its SHA-256 "
                "(`dhakira ls` lists them)"
            )
        rows = self.conn.execute(
            "SELECT * FROM items WHERE sha256 >= ? AND sha256 < ? ORDER BY sha256 LIMIT 11",
            (ref, ref + "g"),
        ).fetchall()
        if not rows:
            raise ItemNotFound(f"no item with id {ref}: `dhakira ls` lists the items")
        if len(rows) > 1:
            shown = ", ".join(r["sha256"][: len(ref) + 4] for r in rows[:10])
            raise AmbiguousId(
                f"{ref} matches {len(rows)}{'+' if len(rows) > 10 else ''} items ({shown}):"
                " give more digits"
            )
        row: sqlite3.Row = rows[0]
        return row

    def short_id(self, sha256: str) -> str:
        prev = self.conn.execute(
            "SELECT sha256 FROM items WHERE sha256 < ? ORDER BY sha256 DESC LIMIT 1", (sha256,)
        ).fetchone()
        nxt = self.conn.execute(
            "SELECT sha256 FROM items WHERE sha256 > ? ORDER BY sha256 LIMIT 1", (sha256,)
        ).fetchone()
        return sha256[: _short_len(sha256, prev[0] if prev else None, nxt[0] if nxt else None)]

    def items(
        self,
        *,
        contributor: str | None = None,
        collection: str | None = None,
        mime_prefix: str | None = None,
        limit: int | None = None,
    ) -> list[Item]:
        where, args = [], []
        if contributor is not None:
            where.append(
                "i.id IN (SELECT item_id FROM contributions c JOIN contributors p"
                " ON p.id = c.contributor_id WHERE p.name = ?)"
            )
            args.append(contributor)
        if collection is not None:
            where.append(
                "i.id IN (SELECT item_id FROM contributions c JOIN collections k"
                " ON k.id = c.collection_id WHERE k.name = ?)"
            )
            args.append(collection)
        if mime_prefix is not None:
            where.append("i.mime LIKE ? || '%'")
            args.append(mime_prefix)
        sql = (
            "SELECT * FROM (SELECT i.sha256, i.size, i.mime, i.added_at, i.id,"
            " lag(i.sha256) OVER w AS prev, lead(i.sha256) OVER w AS next FROM items i"
            " WINDOW w AS (ORDER BY i.sha256)) i"
            + (" WHERE " + " AND ".join(where) if where else "")
            + " ORDER BY i.id"
            + (f" LIMIT {int(limit)}" if limit is not None else "")
        )
        rows = self.conn.execute(sql, args).fetchall()
        names = self._first_names([r["id"] for r in rows])
        return [
            Item(
                sha256=r["sha256"],
                short_id=r["sha256"][: _short_len(r["sha256"], r["prev"], r["next"])],
                size=r["size"],
                mime=r["mime"],
                added_at=r["added_at"],
                contributions=names.get(r["id"], ("", 0))[1],
                name=names.get(r["id"], ("", 0))[0],
            )
            for r in rows
        ]

    def _first_names(self, ids: Sequence[int]) -> dict[int, tuple[str, int]]:
        out: dict[int, tuple[str, int]] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for r in self.conn.execute(
                "SELECT item_id, min(id) AS first, count(*) AS n FROM contributions"
                f" WHERE item_id IN ({marks}) GROUP BY item_id",
                chunk,
            ):
                name = self.conn.execute(
                    "SELECT original_name FROM contributions WHERE id = ?", (r["first"],)
                ).fetchone()[0]
                out[r["item_id"]] = (display(name), r["n"])
        return out

    def contributions(self, item_id: int) -> list[Contribution]:
        rows = self.conn.execute(
            "SELECT c.*, p.name AS contributor, k.name AS collection, pi.sha256 AS parent_sha"
            " FROM contributions c JOIN contributors p ON p.id = c.contributor_id"
            " LEFT JOIN collections k ON k.id = c.collection_id"
            " LEFT JOIN contributions pc ON pc.id = c.parent_id"
            " LEFT JOIN items pi ON pi.id = pc.item_id"
            " WHERE c.item_id = ? ORDER BY c.id",
            (item_id,),
        ).fetchall()
        return [
            Contribution(
                id=r["id"],
                contributor=r["contributor"],
                collection=r["collection"],
                source_path=bytes(r["source_path"]),
                member_path=bytes(r["member_path"]),
                display_path=r["display_path"],
                original_name=bytes(r["original_name"]),
                size=r["size"],
                mtime=r["mtime"],
                received_at=r["received_at"],
                batch_id=r["batch_id"],
                note=r["note"],
                restriction=r["restriction"],
                parent_sha256=r["parent_sha"],
            )
            for r in rows
        ]

    def item(self, row: sqlite3.Row) -> Item:
        contributions = self.conn.execute(
            "SELECT count(*) FROM contributions WHERE item_id = ?", (row["id"],)
        ).fetchone()[0]
        first = self.conn.execute(
            "SELECT original_name FROM contributions WHERE item_id = ? ORDER BY id LIMIT 1",
            (row["id"],),
        ).fetchone()
        return Item(
            sha256=row["sha256"],
            short_id=self.short_id(row["sha256"]),
            size=row["size"],
            mime=row["mime"],
            added_at=row["added_at"],
            contributions=contributions,
            name=display(first[0]) if first else "",
        )

    def detail(self, row: sqlite3.Row) -> ItemDetail:
        item_id = row["id"]
        props = self.conn.execute(
            "SELECT * FROM properties WHERE item_id = ?", (item_id,)
        ).fetchone()
        properties = (
            {k: v for k, v in dict(props).items() if k != "item_id" and v is not None}
            if props
            else {}
        )
        if "decodes" in properties:
            properties["decodes"] = bool(properties["decodes"])
        outputs = [
            {
                "tool": r["tool"],
                "version": r["tool_version"],
                "error": r["error"],
                "raw": json.loads(r["raw"]) if r["raw"] else None,
            }
            for r in self.conn.execute(
                "SELECT * FROM tool_outputs WHERE item_id = ? ORDER BY tool", (item_id,)
            )
        ]
        fix = self.conn.execute("SELECT * FROM fixity WHERE item_id = ?", (item_id,)).fetchone()
        member_rows = self.conn.execute(
            "SELECT DISTINCT i.* FROM contributions c JOIN contributions pc ON pc.id = c.parent_id"
            " JOIN items i ON i.id = c.item_id WHERE pc.item_id = ? ORDER BY i.id",
            (item_id,),
        ).fetchall()
        return ItemDetail(
            item=self.item(row),
            contributions=self.contributions(item_id),
            properties=properties,
            tool_outputs=outputs,
            fixity=dict(fix) if fix else None,
            members=[self.item(m) for m in member_rows],
        )

    def stats(self) -> dict[str, Any]:
        one = self.conn.execute
        items, size = one("SELECT count(*), ifnull(sum(size), 0) FROM items").fetchone()
        by_type = {
            r[0]: {"items": r[1], "bytes": r[2]}
            for r in one(
                "SELECT substr(mime, 1, instr(mime, '/') - 1) AS t, count(*), sum(size)"
                " FROM items GROUP BY t ORDER BY count(*) DESC"
            )
        }
        contributors = {
            r[0]: {"contributions": r[1], "items": r[2]}
            for r in one(
                "SELECT p.name, count(*), count(DISTINCT c.item_id) FROM contributions c"
                " JOIN contributors p ON p.id = c.contributor_id GROUP BY p.name ORDER BY p.name"
            )
        }
        collections = {
            r[0]: r[1]
            for r in one(
                "SELECT k.name, count(DISTINCT c.item_id) FROM contributions c"
                " JOIN collections k ON k.id = c.collection_id GROUP BY k.name ORDER BY k.name"
            )
        }
        contributions = one("SELECT count(*) FROM contributions").fetchone()[0]
        multi = one(
            "SELECT count(*) FROM (SELECT item_id FROM contributions GROUP BY item_id"
            " HAVING count(*) > 1)"
        ).fetchone()[0]
        fix = one(
            "SELECT count(*), min(last_ok_at), sum(last_status != 'ok') FROM fixity"
        ).fetchone()
        failed = one("SELECT count(*) FROM properties WHERE errors IS NOT NULL").fetchone()[0]
        undecodable = one("SELECT count(*) FROM properties WHERE decodes = 0").fetchone()[0]
        pending = one(
            "SELECT count(*) FROM items i LEFT JOIN properties p ON p.item_id = i.id"
            " WHERE p.item_id IS NULL"
        ).fetchone()[0]
        return {
            "items": items,
            "bytes": size,
            "contributions": contributions,
            "items_with_several_contributions": multi,
            "by_type": by_type,
            "contributors": contributors,
            "collections": collections,
            "batches": one("SELECT count(*) FROM batches").fetchone()[0],
            "events": one("SELECT count(*) FROM events").fetchone()[0],
            "metadata_failed": failed,
            "undecodable": undecodable,
            "metadata_pending": pending,
            "fixity_checked": fix[0],
            "fixity_oldest_ok": fix[1],
            "fixity_problems": fix[2] or 0,
        }


def _short_len(sha: str, prev: str | None, nxt: str | None) -> int:
    n = MIN_SHORT
    for other in (prev, nxt):
        if other is None:
            continue
        common = 0
        for a, b in zip(sha, other, strict=False):
            if a != b:
                break
            common += 1
        n = max(n, common + 1)
    return n
