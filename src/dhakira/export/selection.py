"""Which items an export takes: by ids, by search query, by collection, by contributor.

Criteria combine with AND: ``--collection X --query douma`` is the items of collection X that
match "douma". Ids are short ids or full SHA-256 (as everywhere); an unknown id is an error, not
a silently smaller package. A selection that matches nothing is an error too.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

from dhakira.catalog.catalog import Catalog
from dhakira.errors import InputError
from dhakira.search.engine import search
from dhakira.search.query import QueryError


class EmptySelection(InputError):
    """The selection matches no item."""

    exit_code = 2


@dataclass(frozen=True)
class Selection:
    ids: tuple[str, ...] = ()
    query: str | None = None
    collection: str | None = None
    contributor: str | None = None
    everything: bool = False

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.ids:
            out["ids"] = list(self.ids)
        for key in ("query", "collection", "contributor"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        if self.everything:
            out["all"] = True
        return out

    @property
    def given(self) -> bool:
        return (
            bool(self.ids)
            or self.everything
            or any(v is not None for v in (self.query, self.collection, self.contributor))
        )


@dataclass(frozen=True)
class Selected:
    id: int
    sha256: str
    size: int
    mime: str


def select(catalog: Catalog, sel: Selection) -> list[Selected]:
    """The selected items in the order they were added; raises on unknown ids or nothing."""
    if not sel.given:
        raise InputError(
            "say what to export: item ids, --query TEXT, --collection NAME, --contributor NAME"
            " or --all"
        )
    conn = catalog.conn
    sets: list[set[int]] = []
    if sel.ids:
        sets.append({int(catalog.resolve(ref)["id"]) for ref in sel.ids})
    if sel.collection is not None:
        sets.append(_named(conn, "collections", "collection_id", sel.collection))
    if sel.contributor is not None:
        sets.append(_named(conn, "contributors", "contributor_id", sel.contributor))
    if sel.query is not None:
        try:
            results = search(conn, sel.query, limit=-1, sort="date", facets=False)
        except QueryError as exc:
            raise InputError(f"the query {sel.query!r} is not valid: {exc}") from exc
        sets.append({h.item_id for h in results.hits})
    if sel.everything:
        rows = conn.execute("SELECT id, sha256, size, mime FROM items ORDER BY id").fetchall()
    else:
        chosen = set.intersection(*sets)
        rows = _rows(conn, sorted(chosen))
    if not rows:
        raise EmptySelection(
            f"the selection {sel.as_json()} matches no item: check it with `dhakira search`"
            " or `dhakira ls`"
        )
    return [Selected(r[0], r[1], r[2], r[3]) for r in rows]


def _named(conn: sqlite3.Connection, table: str, column: str, name: str) -> set[int]:
    row = conn.execute(f"SELECT id FROM {table} WHERE name = ?", (name,)).fetchone()
    if row is None:
        known = [r[0] for r in conn.execute(f"SELECT name FROM {table} ORDER BY name LIMIT 10")]
        raise InputError(
            f"no {table[:-1]} named {name!r}" + (f" (known: {', '.join(known)})" if known else "")
        )
    return {
        r[0]
        for r in conn.execute(
            f"SELECT DISTINCT item_id FROM contributions WHERE {column} = ?", (row[0],)
        )
    }


def _rows(conn: sqlite3.Connection, ids: list[int]) -> list[tuple[int, str, int, str]]:
    out: list[tuple[int, str, int, str]] = []
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        out += conn.execute(
            f"SELECT id, sha256, size, mime FROM items WHERE id IN ({','.join('?' * len(chunk))})"
            " ORDER BY id",
            chunk,
        ).fetchall()
    return out
