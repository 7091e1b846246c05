"""What may be published, and marking it so.

An item may appear in a public release only if it was explicitly marked public — itself, or a
collection it was contributed to — and no contribution of it carries a sharing restriction.
:func:`publishable` is the one place that decides; every public output goes through it (access
restrictions of the web app are to be added here too).

Contributors are never named publicly unless they agreed to a name: ``public_name`` holds what
they agreed to show; without it they appear as "anonymous contributor".
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from dhakira.access import HIDDEN_SQL, PUBLIC
from dhakira.catalog.catalog import Catalog
from dhakira.errors import InputError
from dhakira.timeutil import utcnow

ANONYMOUS = "anonymous contributor"
NOT_MARKED = "not marked public"
RESTRICTED = "a contributor restricted sharing"
ACCESS_RESTRICTED = "restricted to some roles or users (dhakira restrict)"


def publishable(catalog: Catalog, item_ids: Iterable[int]) -> tuple[list[int], dict[int, str]]:
    """Split ``item_ids`` into those that may be published and, for the others, why not."""
    ids = list(dict.fromkeys(item_ids))
    allowed: list[int] = []
    refused: dict[int, str] = {}
    conn = catalog.conn
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        marked = {
            r[0]
            for r in conn.execute(
                f"SELECT item_id FROM publication WHERE item_id IN ({marks})"
                # a collection marked public publishes what it held then, not what is
                # added to it later (by anyone who may upload into it)
                " UNION SELECT c.item_id FROM contributions c JOIN publication p"
                " ON p.collection_id = c.collection_id AND c.received_at <= p.published_at"
                f" WHERE c.item_id IN ({marks})",
                chunk + chunk,
            )
        }
        restricted = {
            r[0]
            for r in conn.execute(
                f"SELECT DISTINCT item_id FROM contributions WHERE item_id IN ({marks})"
                " AND restriction IS NOT NULL AND trim(restriction) != ''",
                chunk,
            )
        }
        # an item that only some roles or users may see: restricted itself, in a restricted
        # collection, or out of a restricted archive file (the same rule as the web archive)
        access = {
            r[0]
            for r in conn.execute(
                f"SELECT id FROM ({HIDDEN_SQL}) WHERE id IN ({marks})", [*PUBLIC, *PUBLIC, *chunk]
            )
        }
        for i in chunk:
            if i not in marked:
                refused[i] = NOT_MARKED
            elif i in restricted:
                refused[i] = RESTRICTED
            elif i in access:
                refused[i] = ACCESS_RESTRICTED
            else:
                allowed.append(i)
    return allowed, refused


@dataclass(frozen=True)
class Change:
    what: str  # "item" or "collection"
    name: str  # sha256 or collection name
    changed: bool  # False: it already was (or was not) public

    def as_json(self) -> dict[str, object]:
        return {"what": self.what, "name": self.name, "changed": self.changed}


def mark_public(
    catalog: Catalog, refs: Sequence[str], collection: str | None, *, undo: bool = False
) -> list[Change]:
    """Mark items (by id) and/or a collection public, or with ``undo`` withdraw the mark."""
    if not refs and collection is None:
        raise InputError("say what to publish: item ids or --collection NAME")
    rows = [catalog.resolve(r) for r in refs]
    coll_id = None
    if collection is not None:
        found = catalog.conn.execute(
            "SELECT id FROM collections WHERE name = ?", (collection,)
        ).fetchone()
        if found is None:
            raise InputError(f"no collection named {collection!r}")
        coll_id = found[0]
    out: list[Change] = []
    suffix = "unpublished" if undo else "published"
    with catalog.transaction() as c:
        targets = [("item", "item_id", r["id"], r["sha256"]) for r in rows]
        if coll_id is not None:
            targets.append(("collection", "collection_id", coll_id, collection or ""))
        for what, column, ident, name in targets:
            if undo:
                changed = (
                    c.execute(f"DELETE FROM publication WHERE {column} = ?", (ident,)).rowcount > 0
                )
            else:
                changed = (
                    c.execute(
                        f"INSERT INTO publication({column}, published_at, published_by)"
                        " VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                        (ident, utcnow(), catalog.actor),
                    ).rowcount
                    > 0
                )
            if changed:
                if what == "item":
                    catalog.event(f"item.{suffix}", name)
                else:
                    catalog.event(f"collection.{suffix}", None, name=name)
            out.append(Change(what, name, changed))
    return out


def set_public_name(catalog: Catalog, contributor: str, shown: str | None) -> None:
    """Record what ``contributor`` agreed to have shown publicly (None: nothing, anonymous)."""
    if shown is not None and not shown.strip():
        raise InputError("the public name is empty: use --clear to show no name")
    with catalog.transaction() as c:
        row = c.execute("SELECT id FROM contributors WHERE name = ?", (contributor,)).fetchone()
        if row is None:
            raise InputError(f"no contributor named {contributor!r}")
        c.execute("UPDATE contributors SET public_name = ? WHERE id = ?", (shown, row[0]))
        catalog.event("contributor.public_name", None, contributor_id=row[0], public_name=shown)


def public_contributors(catalog: Catalog, item_id: int) -> list[str]:
    """The names an item's contributors agreed to show (or "anonymous contributor")."""
    rows = catalog.conn.execute(
        "SELECT DISTINCT p.id, p.public_name FROM contributions c"
        " JOIN contributors p ON p.id = c.contributor_id WHERE c.item_id = ? ORDER BY p.id",
        (item_id,),
    ).fetchall()
    return sorted({r[1] or ANONYMOUS for r in rows})


def public_collections(catalog: Catalog, item_id: int) -> list[str]:
    """Collections of the item that are themselves marked public (others stay unnamed)."""
    return [
        r[0]
        for r in catalog.conn.execute(
            "SELECT DISTINCT k.name FROM contributions c JOIN collections k"
            " ON k.id = c.collection_id JOIN publication p ON p.collection_id = k.id"
            " WHERE c.item_id = ? ORDER BY k.name",
            (item_id,),
        )
    ]
