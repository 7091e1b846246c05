"""The public release: a static website of the items that may be published.

``OUT/index.html`` lists the items, ``OUT/items/<id>.html`` shows one, ``OUT/media/<id>.<ext>``
is its cleaned public copy (:mod:`strip`), ``OUT/index.json`` is the same in data. Pages are
plain HTML with inline style, relative links only, no script and nothing from the network: they
open from the file system and from any static host. The interface is Arabic first
(``dir="rtl"``) with English alongside.

What is shown: the public copy, its type, size and dimensions, the day it was captured, the
names the contributors agreed to show (else "anonymous contributor") and the public
collections. Never: original file names or paths, notes, the original's SHA-256 (a keyed id is
used instead: the public copy's own digest), GPS, devices, or non-public collections.
Each public copy is linked to its original by an ``item.derived`` custody event carrying both
SHA-256 digests.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dhakira.archive import Archive
from dhakira.export import html, record
from dhakira.export.public import (
    public_collections,
    public_contributors,
    publishable,
)
from dhakira.export.selection import EmptySelection, Selection, select
from dhakira.export.staging import staging
from dhakira.export.strip import NotPublishable, extension, public_copy
from dhakira.progress import Progress, Quiet


@dataclass
class PublicResult:
    export_id: str
    path: Path
    published: int
    left_out: dict[str, str] = field(default_factory=dict)  # original sha256 -> why

    def as_json(self) -> dict[str, Any]:
        return {
            "export_id": self.export_id,
            "path": str(self.path),
            "published": self.published,
            "left_out": self.left_out,
        }


def write_public(
    archive: Archive,
    sel: Selection,
    out: Path,
    *,
    title: str = "أرشيف — Archive",
    progress: Progress | None = None,
) -> PublicResult:
    progress = progress or Quiet()
    catalog = archive.catalog
    with archive.writing():
        items = select(catalog, sel)
        by_id = {i.id: i for i in items}
        allowed, refused = publishable(catalog, by_id)
        left_out = {by_id[i].sha256: why for i, why in refused.items()}
        if not allowed:
            reasons = Counter(refused.values())
            why = ", ".join(f"{n} {reason}" for reason, n in sorted(reasons.items()))
            raise EmptySelection(
                f"none of the {len(items)} selected items may be published ({why}):"
                " mark them with `dhakira publish ITEM…` or `dhakira publish --collection NAME`"
            )
        destination = str(out.resolve())
        export_id = record.start(catalog, "public", destination, sel, len(allowed))
        entries: list[dict[str, Any]] = []
        unsafe: dict[str, str] = {}
        derived: list[tuple[str, dict[str, Any]]] = []
        with staging(out) as st:
            (st.tmp / "media").mkdir()
            (st.tmp / "items").mkdir()
            progress.begin("cleaning", len(allowed))
            for n, item_id in enumerate(allowed):
                s = by_id[item_id]
                row = catalog.conn.execute(
                    "SELECT * FROM items WHERE id = ?", (item_id,)
                ).fetchone()
                d = catalog.detail(row)
                suffix = ""
                for c in d.contributions:
                    suffix = Path(c.original_name.decode("utf-8", "replace")).suffix
                    if suffix:
                        break
                ext = extension(s.mime, suffix)
                tmp = st.tmp / "media" / f".part-{n}{ext}"
                try:
                    copy = public_copy(archive.store.path(s.sha256), s.mime, tmp)
                except NotPublishable as exc:
                    left_out[s.sha256] = unsafe[s.sha256] = str(exc)
                    progress.problem(f"{s.sha256[:12]}: left out: {exc}", error=False)
                    progress.advance()
                    continue
                pid = copy.sha256[:16]
                media = f"media/{pid}{ext}"
                os.replace(tmp, st.tmp / media)
                props = d.properties
                entry = {
                    "id": pid,
                    "media": media,
                    "page": f"items/{pid}.html",
                    "mime": s.mime,
                    "size": copy.size,
                    "sha256": copy.sha256,
                    "width": props.get("width"),
                    "height": props.get("height"),
                    "duration_s": props.get("duration_s"),
                    "captured_date": (props.get("captured_at") or "")[:10] or None,
                    "contributors": public_contributors(catalog, item_id),
                    "collections": public_collections(catalog, item_id),
                }
                entries.append(entry)
                derived.append(
                    (
                        s.sha256,
                        {
                            "public_sha256": copy.sha256,
                            "public_size": copy.size,
                            "tool": copy.tool,
                            "purpose": "public release: identifying metadata removed",
                            "export": export_id,
                            "path": media,
                        },
                    )
                )
                progress.advance()
            progress.end()
            if not entries:
                raise EmptySelection(
                    "no selected item could be made safe to publish: "
                    + "; ".join(f"{k[:12]}: {v}" for k, v in list(unsafe.items())[:5])
                )
            with catalog.transaction():
                for sha, params in derived:
                    catalog.event("item.derived", sha, **params)
            for entry in entries:
                st.write(entry["page"], _item_page(entry, title))
            index = json.dumps(
                {"title": title, "export": export_id, "items": entries},
                ensure_ascii=False,
                indent=2,
                sort_keys=True,
            )
            st.write("index.json", index + "\n")
            st.write("index.html", _index_page(entries, title))
        record.finish(
            catalog,
            export_id,
            hashlib.sha256((index + "\n").encode()).hexdigest(),
            published=len(entries),
            left_out=len(left_out),
        )
        archive.log.checkpoint()
    return PublicResult(export_id, out, len(entries), left_out)


def _media_tag(entry: dict[str, Any], prefix: str) -> str:
    src = html.attr(prefix + entry["media"])
    mime = entry["mime"]
    if mime.startswith("image/"):
        return f'<img src="{src}" alt="">'
    tag = "video" if mime.startswith("video/") else "audio"
    return (
        f'<{tag} controls preload="metadata" src="{src}">'
        f'<a href="{src}">تنزيل — download</a></{tag}>'
    )


def _facts(entry: dict[str, Any]) -> list[tuple[str, str]]:
    dims = f"{entry['width']}×{entry['height']}" if entry.get("width") else ""
    dur = f"{entry['duration_s']:.1f} s" if entry.get("duration_s") else ""
    return [
        ("النوع — Type", entry["mime"]),
        ("التاريخ — Date", entry.get("captured_date") or "—"),
        ("الأبعاد — Size", " ".join(x for x in (dims, dur, f"{entry['size']:,} B") if x)),
        ("المساهمون — Contributors", "، ".join(entry["contributors"])),
        ("المجموعات — Collections", "، ".join(entry["collections"]) or "—"),
        ("SHA-256", entry["sha256"]),
    ]


def _item_page(entry: dict[str, Any], title: str) -> str:
    rows = "".join(f"<tr><th>{html.e(k)}</th><td>{html.e(v)}</td></tr>" for k, v in _facts(entry))
    body = (
        f'<p><a href="../index.html">{html.e(title)}</a></p>\n'
        f"<h1>{html.e(entry['id'])}</h1>\n{_media_tag(entry, '../')}\n"
        f"<table>{rows}</table>\n"
        f'<p><a href="../{html.attr(entry["media"])}">تنزيل — download</a></p>'
    )
    return html.page(f"{entry['id']} — {title}", body, lang="ar", direction="rtl")


def _index_page(entries: list[dict[str, Any]], title: str) -> str:
    rows = [
        [
            f'<a class="mono" href="{html.attr(e["page"])}">{html.e(e["id"])}</a>',
            html.e(e["mime"]),
            html.e(e.get("captured_date") or "—"),
            html.e("، ".join(e["contributors"])),
            html.e("، ".join(e["collections"]) or "—"),
        ]
        for e in entries
    ]
    body = (
        f"<h1>{html.e(title)}</h1>\n<p>{len(entries)} عنصرًا — items."
        ' البيانات: <a href="index.json">index.json</a></p>\n'
        + html.table(
            [
                "المعرّف — Id",
                "النوع — Type",
                "التاريخ — Date",
                "المساهمون — Contributors",
                "المجموعات — Collections",
            ],
            rows,
        )
    )
    return html.page(title, body, lang="ar", direction="rtl")
