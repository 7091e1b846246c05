"""Resumable uploads (a small tus-like protocol), then ingest as the signed-in contributor.

  POST  /upload/files            {"name", "size"}  → 201 {"id", "offset": 0}
  HEAD  /upload/files/{id}       → Upload-Offset: bytes received so far
  PATCH /upload/files/{id}       Upload-Offset: N, body: the next bytes → 204, new Upload-Offset
  POST  /upload/finish           {"ids": [...], "collection"} → ingest them as one batch

Bytes are streamed to ``ARCHIVE/uploads/<id>/data`` as they arrive (never held in memory) and
survive a restart of the server, so a client whose connection dropped asks HEAD for the offset
and sends the rest. ``finish`` moves the files into one folder under their own names and runs
the same ingest as ``dhakira add`` (zip files are opened, duplicates found), with the user as
contributor; the events name the user as actor.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import secrets
import shutil
import time
from pathlib import Path
from typing import Any, BinaryIO

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from dhakira.access import View, acting_as
from dhakira.errors import DhakiraError, InputError
from dhakira.ingest.add import AddOptions, Ingest
from dhakira.ingest.derive import Deriver
from dhakira.ingest.settle import settle
from dhakira.progress import Quiet
from dhakira.web.core import Ctx, Hub, NotFound, PlainError, check_csrf, context, read_form

UPLOADERS = ("admin", "investigator")
ABANDONED_AFTER = 7 * 86400
MAX_SIZE = 64 << 30
_ID = re.compile(r"^[0-9a-f]{32}$")


def uploads(root: Path) -> Path:
    return root / "uploads"


def _can_upload(c: Ctx) -> None:
    c.require_role(*UPLOADERS)


def _meta(root: Path, ident: str, user: str) -> tuple[Path, dict[str, Any]]:
    if not _ID.match(ident):
        raise NotFound("no such upload")
    folder = uploads(root) / ident
    try:
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise NotFound("no such upload") from exc
    if meta.get("user") != user:
        raise NotFound("no such upload")
    return folder, meta


def _offset(folder: Path) -> int:
    try:
        return (folder / "data").stat().st_size
    except FileNotFoundError:
        return 0


def _clean_name(name: str) -> str:
    """The last component of the name the browser gave, short enough for any file system
    (200 bytes of UTF-8, cut at a character boundary)."""
    name = name.replace("\\", "/").rsplit("/", 1)[-1].strip().replace("\x00", "")
    name = name.encode("utf-8")[:200].decode("utf-8", "ignore")
    return "upload" if name in ("", ".", "..") else name


def _forget_abandoned(root: Path) -> None:
    """Uploads nobody has added to for a week are given up (their bytes removed)."""
    cutoff = time.time() - ABANDONED_AFTER
    with contextlib.suppress(FileNotFoundError):
        for entry in os.scandir(root):
            if not (_ID.match(entry.name) or entry.name.startswith("batch-")):
                continue
            try:  # the last byte received, else the folder's creation
                last = os.stat(os.path.join(entry.path, "data")).st_mtime
            except FileNotFoundError:
                last = entry.stat().st_mtime
            if last < cutoff:
                shutil.rmtree(entry.path, ignore_errors=True)


async def create(hub: Hub, request: Request) -> Response:
    try:
        body = (await read_form(request)).get("json", "")  # at most 64 KiB
    except DhakiraError as exc:
        return PlainError(str(exc), exc.http_status)
    c = await run_in_threadpool(context, hub, request)
    try:
        if c.viewer is None:
            return PlainError("sign in first", 401)
        check_csrf(c)
        _can_upload(c)
        try:
            spec = json.loads(body or "{}")
            name, size = _clean_name(str(spec["name"])), int(spec["size"])
        except (ValueError, KeyError, TypeError) as exc:
            raise InputError('send {"name": ..., "size": ...}') from exc
        if not 0 <= size <= MAX_SIZE:
            raise InputError("that file is too large")
        _forget_abandoned(uploads(hub.root))
        ident = secrets.token_hex(16)
        folder = uploads(hub.root) / ident
        folder.mkdir(parents=True)
        (folder / "data").touch()
        meta = {"user": c.viewer.name, "name": name, "size": size}
        (folder / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
    except DhakiraError as exc:
        return PlainError(str(exc), exc.http_status)
    return JSONResponse(
        {"id": ident, "offset": 0}, status_code=201, headers={"Location": f"/upload/files/{ident}"}
    )


async def resume(hub: Hub, request: Request) -> Response:
    """HEAD (the offset) and PATCH (more bytes, streamed to disk)."""
    c = await run_in_threadpool(context, hub, request)
    try:
        if c.viewer is None:
            return PlainError("sign in first", 401)
        check_csrf(c)
        folder, meta = _meta(hub.root, request.path_params["id"], c.viewer.name)
        have = _offset(folder)
        headers = {"Upload-Offset": str(have), "Upload-Length": str(meta["size"]),
                   "Cache-Control": "no-store"}  # fmt: skip
        if request.method == "HEAD":
            return Response(b"", status_code=200, headers=headers)
        try:
            start = int(request.headers.get("upload-offset", ""))
        except ValueError as exc:
            raise InputError("send the Upload-Offset header") from exc
        with open(folder / "data", "ab") as f:
            try:  # one PATCH at a time per upload: the offset is checked under the lock
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return Response(b"", status_code=409, headers=headers)
            have = os.fstat(f.fileno()).st_size
            headers["Upload-Offset"] = str(have)
            if start != have:
                return Response(b"", status_code=409, headers=headers)
            got = await _append(f, request, meta["size"] - have)
    except DhakiraError as exc:
        return PlainError(str(exc), exc.http_status)
    headers["Upload-Offset"] = str(have + got)
    return Response(b"", status_code=204, headers=headers)


async def _append(f: BinaryIO, request: Request, room: int) -> int:
    """Stream the body to the end of ``f``; what arrived before a break is kept."""
    got = 0
    try:
        async for chunk in request.stream():
            if got + len(chunk) > room:
                raise InputError("more bytes than the upload's size")
            f.write(chunk)
            got += len(chunk)
    finally:
        f.flush()
        await run_in_threadpool(os.fsync, f.fileno())
    return got


def page(c: Ctx) -> Response:
    _can_upload(c)
    return c.render("upload.html")


def finish(c: Ctx) -> Response:
    """Ingest finished uploads as one batch from the signed-in user."""
    _can_upload(c)
    assert c.viewer is not None
    try:
        spec = json.loads(c.form.get("json", "") or "{}")
    except ValueError as exc:
        raise InputError("bad request") from exc
    ids = spec.get("ids") or []
    collection = (spec.get("collection") or "").strip() or None
    if not ids or not isinstance(ids, list):
        raise InputError("nothing to add: upload files first")
    root = c.hub.root
    # every upload is checked before any is moved: a refused batch leaves them all as they were
    ready: list[tuple[Path, dict[str, Any]]] = []
    for ident in ids:
        folder, meta = _meta(root, str(ident), c.viewer.name)
        if not (folder / "data").exists():
            raise InputError(f"{meta['name']} was added already")
        if _offset(folder) != meta["size"]:
            raise InputError(f"{meta['name']} is not complete yet: send the rest first")
        ready.append((folder, meta))
    batch = uploads(root) / f"batch-{secrets.token_hex(8)}"
    batch.mkdir(parents=True)
    taken: set[str] = set()
    moved: list[tuple[Path, Path]] = []
    done = False
    try:
        for folder, meta in ready:
            name = meta["name"]
            stem, dot, ext = name.rpartition(".")
            n = 1
            while name in taken:
                n += 1
                name = f"{stem} ({n}).{ext}" if dot and stem else f"{meta['name']} ({n})"
            taken.add(name)
            try:
                os.replace(folder / "data", batch / name)
            except FileNotFoundError as exc:
                raise InputError(f"{meta['name']} was added already") from exc
            moved.append((batch / name, folder / "data"))
        summary = _ingest(c, batch, collection)
        done = True
        for ident in ids:
            shutil.rmtree(uploads(root) / str(ident), ignore_errors=True)
    finally:
        if not done:  # nothing is lost: put every upload back, to be finished again
            for there, back in moved:
                with contextlib.suppress(OSError):
                    os.replace(there, back)
        shutil.rmtree(batch, ignore_errors=True)
    return JSONResponse(summary)


def _ingest(c: Ctx, folder: Path, collection: str | None) -> dict[str, Any]:
    assert c.viewer is not None
    archive = c.archive
    progress = Quiet()
    options = AddOptions(
        contributor=c.viewer.name, collection=collection, note="uploaded through the web archive"
    )
    with archive.writing(), acting_as(archive, c.viewer.name):
        deriver = Deriver(archive, progress, workers=2)
        try:
            summary = Ingest(archive, options, progress, deriver).run(os.fsencode(folder))
            settle(archive, progress, deriver)
        finally:
            deriver.close()
    items = [
        {"sha256": r[0], "name": bytes(r[1]).decode("utf-8", "replace")}
        for r in archive.catalog.conn.execute(
            "SELECT DISTINCT i.sha256, c.original_name FROM contributions c"
            " JOIN items i ON i.id = c.item_id WHERE c.batch_id = ? ORDER BY c.id",
            (summary.batch,),
        )
    ]
    out = summary.as_json()
    out.pop("source", None)  # a server path: of no use to the browser
    seen = View(archive, c.viewer).visible_shas([i["sha256"] for i in items])
    if len(seen) < len(items):
        # some bytes are already in the archive as items this user may not see: say neither
        # which nor how many (new or known would tell), only what was received
        items = [i for i in items if i["sha256"] in seen]
        keep = ("batch", "files", "bytes", "members", "errors", "warnings", "seconds")
        out = {k: out[k] for k in keep}
    return {"summary": out, "items": items}
