"""JSON under /api for scripts: bearer tokens (`dhakira token create`) or the browser's session;
the same View, so the same restrictions, as the pages."""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse, Response

from dhakira.web.core import Ctx
from dhakira.web.pages import proof

MAX_LIMIT = 200


def _int(c: Ctx, name: str, default: int, top: int) -> int:
    try:
        return max(0, min(top, int(c.request.query_params.get(name, default))))
    except ValueError:
        return default


def me(c: Ctx) -> Response:
    assert c.viewer is not None
    return JSONResponse(c.viewer.as_json())


def overview(c: Ctx) -> Response:
    return JSONResponse(c.view.overview())


def search(c: Ctx) -> Response:
    q = c.request.query_params.get("q", "")
    sort = c.request.query_params.get("sort", "relevance")
    if sort not in ("relevance", "newest", "date"):
        sort = "relevance"
    with c.hub.search_slots:
        results = c.view.search(
            q,
            limit=_int(c, "limit", 20, MAX_LIMIT),
            offset=_int(c, "offset", 0, 10**9),
            sort=sort,
            facets=c.request.query_params.get("facets", "1") != "0",
        )
    return JSONResponse(results.as_json())


def item(c: Ctx) -> Response:
    view = c.view
    row = view.resolve(c.request.path_params["sha"])
    out: dict[str, Any] = view.detail(row).as_json()
    out["text"] = view.text(row["sha256"])
    out["media_url"] = f"/media/{row['sha256']}"
    out["thumbnail_url"] = f"/thumb/{row['sha256']}.jpg"
    out["proof_url"] = f"/api/items/{row['sha256']}/proof"
    return JSONResponse(out)


def item_proof(c: Ctx) -> Response:
    return proof(c)


def collections(c: Ctx) -> Response:
    return JSONResponse(c.view.collections())


def contributors(c: Ctx) -> Response:
    return JSONResponse(c.view.contributors())


def _op(
    summary: str, params: list[dict[str, Any]] | None = None, kind: str = "object"
) -> dict[str, Any]:
    ok: dict[str, Any] = {"description": "OK"}
    if kind == "text":
        ok["content"] = {"text/plain": {"schema": {"type": "string"}}}
    else:
        ok["content"] = {"application/json": {"schema": {"type": kind}}}
    return {
        "summary": summary,
        "parameters": params or [],
        "responses": {
            "200": ok,
            "401": {"description": "no or a bad token"},
            "404": {"description": "no such item, or one you may not see"},
        },
    }


_SHA = {
    "name": "sha",
    "in": "path",
    "required": True,
    "schema": {"type": "string"},
    "description": "the item's SHA-256 (or a unique prefix of at least 4 hex digits)",
}


def _q(name: str, kind: str, text: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": {"type": kind},
            "description": text}  # fmt: skip


OPENAPI: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {
        "title": "Dhakira archive API",
        "version": "1",
        "description": "Read the archive from scripts. Authenticate with a token made by"
        " `dhakira token create USER`: `Authorization: Bearer TOKEN`. Items you may not see"
        " answer 404, as if they did not exist.",
    },
    "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
    "security": [{"bearer": []}],
    "paths": {
        "/api/me": {"get": _op("who the token belongs to")},
        "/api/overview": {"get": _op("counts of the items you may see")},
        "/api/search": {
            "get": _op(
                "full-text search with facets (the query language of `dhakira search`)",
                [
                    _q("q", "string", 'the query: words, "phrases", type:video, contributor:…'),
                    _q("limit", "integer", f"hits per page (at most {MAX_LIMIT})"),
                    _q("offset", "integer", "hits to skip"),
                    _q("sort", "string", "relevance, newest or date"),
                    _q("facets", "integer", "0: leave out facet counts"),
                ],
            )
        },
        "/api/items/{sha}": {"get": _op("one item: metadata, contributions, text", [_SHA])},
        "/api/items/{sha}/proof": {
            "get": _op("the item's custody proof (check: dhakira verify-proof)", [_SHA], "text")
        },
        "/api/collections": {"get": _op("collections and their item counts", kind="array")},
        "/api/contributors": {"get": _op("contributors and their item counts", kind="array")},
        "/media/{sha}": {
            "get": _op("the original (HTTP Range supported); ?download=1", [_SHA], "string")
        },
        "/thumb/{sha}.jpg": {"get": _op("a JPEG thumbnail or video poster", [_SHA], "string")},
    },
}


def openapi(c: Ctx) -> Response:
    return JSONResponse(OPENAPI)
