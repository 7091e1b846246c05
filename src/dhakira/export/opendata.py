"""Open data: items, their metadata and contributions as CSV or JSON Lines.

The column names are stable (``docs/opendata.md``): a column is never renamed or removed, new
ones are only appended. The same rows are the CSV files inside a court package.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from typing import Any

from dhakira.catalog.catalog import Catalog
from dhakira.export.cells import cell
from dhakira.export.selection import Selected
from dhakira.model import Contribution, ItemDetail

PROPERTY_COLUMNS = [
    "captured_at",
    "width",
    "height",
    "duration_s",
    "video_codec",
    "audio_codec",
    "frame_rate",
    "bitrate",
    "page_count",
    "gps_lat",
    "gps_lon",
    "gps_alt",
    "make",
    "model",
    "serial",
    "software",
    "title",
    "author",
    "decodes",
]
ITEM_COLUMNS = [
    "item_sha256",
    "short_id",
    "mime",
    "size",
    "added_at",
    "name",
    "contributions",
    "contributors",
    "collections",
    *PROPERTY_COLUMNS,
    "fixity_status",
    "fixity_last_ok_at",
]
CONTRIBUTION_COLUMNS = [
    "contribution_id",
    "item_sha256",
    "contributor",
    "collection",
    "original_name",
    "original_name_hex",
    "source_path",
    "source_path_hex",
    "member_path",
    "member_path_hex",
    "display_path",
    "size",
    "mtime",
    "received_at",
    "batch_id",
    "note",
    "restriction",
    "parent_sha256",
]


def details(catalog: Catalog, items: Iterable[Selected]) -> Iterator[ItemDetail]:
    for s in items:
        row = catalog.conn.execute("SELECT * FROM items WHERE id = ?", (s.id,)).fetchone()
        yield catalog.detail(row)


def item_row(d: ItemDetail) -> dict[str, Any]:
    """One item as a flat row with the :data:`ITEM_COLUMNS`."""
    fix = d.fixity or {}
    row: dict[str, Any] = {
        "item_sha256": d.item.sha256,
        "short_id": d.item.short_id,
        "mime": d.item.mime,
        "size": d.item.size,
        "added_at": d.item.added_at,
        "name": d.item.name,
        "contributions": len(d.contributions),
        "contributors": "; ".join(sorted({c.contributor for c in d.contributions})),
        "collections": "; ".join(sorted({c.collection for c in d.contributions if c.collection})),
        "fixity_status": fix.get("last_status"),
        "fixity_last_ok_at": fix.get("last_ok_at"),
    }
    for key in PROPERTY_COLUMNS:
        row[key] = d.properties.get(key)
    return row


def contribution_row(item_sha256: str, c: Contribution) -> dict[str, Any]:
    """One contribution as a flat row with the :data:`CONTRIBUTION_COLUMNS`."""
    j = c.as_json()
    return {
        "contribution_id": c.id,
        "item_sha256": item_sha256,
        **{k: j[k] for k in CONTRIBUTION_COLUMNS[2:] if k in j},
        "batch_id": c.batch_id,
    }


def csv_text(columns: list[str], rows: Iterable[dict[str, Any]]) -> str:
    buf = io.StringIO()
    write_csv(buf, columns, rows)
    return buf.getvalue()


def write_csv(out: io.TextIOBase | Any, columns: list[str], rows: Iterable[dict[str, Any]]) -> int:
    w = csv.DictWriter(out, fieldnames=columns, lineterminator="\r\n", extrasaction="ignore")
    w.writeheader()
    n = 0
    for r in rows:
        w.writerow({k: cell(v) for k, v in r.items()})
        n += 1
    return n


def jsonl_record(d: ItemDetail) -> dict[str, Any]:
    """One item for JSON Lines: the item row, all properties, and its contributions."""
    rec = item_row(d)
    rec["properties"] = d.properties
    rec["contributions"] = [contribution_row(d.item.sha256, c) for c in d.contributions]
    return rec


def write_table(
    catalog: Catalog, items: Iterable[Selected], out: Any, fmt: str, table: str = "items"
) -> int:
    """Write ``items`` as ``fmt`` (csv or jsonl) to the text stream ``out``; return the rows."""
    ds = details(catalog, items)
    if fmt == "jsonl":
        n = 0
        for d in ds:
            out.write(json.dumps(jsonl_record(d), ensure_ascii=False, sort_keys=True) + "\n")
            n += 1
        return n
    if table == "contributions":
        rows: Iterator[dict[str, Any]] = (
            contribution_row(d.item.sha256, c) for d in ds for c in d.contributions
        )
        return write_csv(out, CONTRIBUTION_COLUMNS, rows)
    return write_csv(out, ITEM_COLUMNS, (item_row(d) for d in ds))
