"""Originals and thumbnails over HTTP: byte ranges (seeking in a large video reads only what is
asked for), and content types that can never run in the app's origin.

Only types a browser shows passively (video, audio, raster images, PDF) are served inline;
everything else — HTML, SVG, XML, scripts, unknown bytes — goes out as
``application/octet-stream`` with ``Content-Disposition: attachment``. Every media response
carries ``X-Content-Type-Options: nosniff`` and a CSP that forbids scripts.
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

from starlette.responses import Response, StreamingResponse

from dhakira.errors import ItemNotFound
from dhakira.web import thumbs
from dhakira.web.core import Ctx

CHUNK = 256 * 1024
RASTER = {"image/jpeg", "image/png", "image/gif", "image/webp", "image/bmp", "image/avif"}
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
# sandboxed: a document opened from here gets a unique origin and runs no script
SANDBOX_CSP = (
    "default-src 'none'; img-src 'self'; media-src 'self'; sandbox; frame-ancestors 'self'"
)
PDF_CSP = "default-src 'none'; frame-ancestors 'self'"  # Chromium's viewer refuses a sandbox


def inline_type(mime: str) -> str | None:
    """The type to serve ``mime`` inline under, or None: download only."""
    if mime.startswith(("video/", "audio/")) or mime in RASTER or mime == "application/pdf":
        return mime
    return None


def disposition(kind: str, name: str) -> str:
    ascii_name = name.encode("ascii", "replace").decode().replace('"', "_").replace("?", "_")
    return f"{kind}; filename=\"{ascii_name}\"; filename*=UTF-8''{urllib.parse.quote(name)}"


def parse_range(header: str | None, size: int) -> tuple[int, int] | str | None:
    """(start, end inclusive) of a single byte range; None: the whole file; "bad": 416."""
    if not header:
        return None
    m = _RANGE.match(header.strip())
    if m is None:
        return None  # several ranges or another unit: the whole file (allowed by RFC 9110)
    first, last = m.groups()
    if not first and not last:
        return "bad"
    if not first:  # the last N bytes
        n = int(last)
        if n == 0:
            return "bad"
        return max(0, size - n), size - 1
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if start >= size or end < start:
        return "bad"
    return start, end


def _read(path: Path, start: int, length: int) -> Iterator[bytes]:
    with open(path, "rb") as f:
        f.seek(start)
        while length > 0:
            chunk = f.read(min(CHUNK, length))
            if not chunk:
                return
            length -= len(chunk)
            yield chunk


def file_response(
    path: Path,
    size: int,
    mime: str,
    *,
    name: str,
    etag: str,
    range_header: str | None,
    download: bool = False,
    method: str = "GET",
) -> Response:
    shown = None if download else inline_type(mime)
    headers = {
        "Accept-Ranges": "bytes",
        "ETag": f'"{etag}"',
        "Cache-Control": "private, max-age=86400",
        "Content-Disposition": disposition("inline" if shown else "attachment", name),
        "Content-Security-Policy": PDF_CSP if shown == "application/pdf" else SANDBOX_CSP,
        "X-Content-Type-Options": "nosniff",
        "Cross-Origin-Resource-Policy": "same-origin",
    }
    media_type = shown or "application/octet-stream"
    span = parse_range(range_header, size)
    if span == "bad":
        headers["Content-Range"] = f"bytes */{size}"
        return Response(b"", status_code=416, headers=headers)
    status = 200
    start, end = 0, size - 1
    if isinstance(span, tuple):
        start, end = span
        status = 206
        headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    length = end - start + 1 if size else 0
    headers["Content-Length"] = str(length)
    if method == "HEAD":
        return Response(b"", status_code=status, headers=headers, media_type=media_type)
    return StreamingResponse(
        _read(path, start, length), status_code=status, headers=headers, media_type=media_type
    )


def original(c: Ctx) -> Response:
    """GET /media/{sha}: the original, inline if safe; ?download=1 always as an attachment."""
    blob = c.view.blob(c.request.path_params["sha"])
    if not blob.path.is_file():
        raise ItemNotFound("the original is missing from the store: run `dhakira fsck`")
    return file_response(
        blob.path,
        blob.size,
        blob.mime,
        name=blob.name,
        etag=blob.sha256,
        range_header=c.request.headers.get("range"),
        download=c.request.query_params.get("download") == "1",
        method=c.request.method,
    )


def thumbnail(c: Ctx) -> Response:
    """GET /thumb/{sha}.jpg: a small JPEG (photo, video poster, PDF first page), made once."""
    blob = c.view.blob(c.request.path_params["sha"])
    path = thumbs.thumbnail(c.hub.root, blob.path, blob.sha256, blob.mime)
    if path is None:
        raise ItemNotFound("no thumbnail for this item")
    data = path.read_bytes()
    return Response(
        data,
        media_type="image/jpeg",
        headers={
            "Cache-Control": "private, max-age=86400",
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": SANDBOX_CSP,
        },
    )
