"""Exports on the record: the ``exports`` table and the ``export.finished`` custody event."""

from __future__ import annotations

import json
import uuid
from typing import Any

from dhakira.catalog.catalog import Catalog, canonical_json
from dhakira.export.selection import Selection
from dhakira.timeutil import utcnow


def start(catalog: Catalog, kind: str, destination: str, sel: Selection, items: int) -> str:
    """Note an export as begun (its row stays unfinished if it fails); return its id."""
    export_id = str(uuid.uuid4())
    with catalog.transaction():
        catalog.conn.execute(
            "INSERT INTO exports(id, kind, destination, selection, items, started_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (export_id, kind, destination, canonical_json(sel.as_json()), items, utcnow()),
        )
    return export_id


def finish(catalog: Catalog, export_id: str, digest: str | None, **params: Any) -> None:
    """Mark the export complete and log ``export.finished`` with what, where and its digest."""
    row = catalog.conn.execute(
        "SELECT kind, destination, selection, items FROM exports WHERE id = ?", (export_id,)
    ).fetchone()
    with catalog.transaction():
        catalog.conn.execute(
            "UPDATE exports SET finished_at = ?, digest = ? WHERE id = ?",
            (utcnow(), digest, export_id),
        )
        catalog.event(
            "export.finished",
            None,
            export=export_id,
            kind=row[0],
            destination=row[1],
            selection=json.loads(row[2]),
            items=row[3],
            digest=digest,
            **params,
        )
