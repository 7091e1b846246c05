"""The web archive: an ASGI application over one archive (``dhakira serve``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dhakira.web import api, media, pages, upload
from dhakira.web.compress import Compress
from dhakira.web.core import HERE, Hub, endpoint, not_found_page

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self';"
    " media-src 'self'; frame-src 'self'; object-src 'none'; base-uri 'none';"
    " form-action 'self'; frame-ancestors 'none'"
)
HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
]


class SecurityHeaders:
    """Adds the headers every response needs; pages get the strict CSP, media keep theirs."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {k.lower() for k, _ in headers}
                headers += [(k, v) for k, v in HEADERS if k not in names]
                if b"content-security-policy" not in names:
                    headers.append((b"content-security-policy", CSP.encode()))
                    headers.append((b"x-frame-options", b"DENY"))
                if b"cache-control" not in names:
                    static = scope["path"].startswith("/static/")
                    headers.append((b"cache-control", b"max-age=3600" if static else b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)


def create_app(root: Path, *, secure_cookies: bool = True) -> Starlette:
    hub = Hub(root, secure_cookies=secure_cookies)

    def page(
        handler: Any, path: str, methods: tuple[str, ...] = ("GET",), auth: str = "page"
    ) -> Route:
        return Route(path, endpoint(hub, handler, auth=auth), methods=list(methods))

    def api_route(handler: Any, path: str) -> Route:
        return Route(path, endpoint(hub, handler, auth="api"), methods=["GET"])

    async def upload_create(request: Request) -> Response:
        return await upload.create(hub, request)

    async def upload_resume(request: Request) -> Response:
        return await upload.resume(hub, request)

    async def missing(request: Request, exc: Exception) -> Response:
        if isinstance(exc, HTTPException) and exc.status_code == 405:
            return Response("method not allowed", status_code=405)
        return not_found_page(hub, request)

    routes = [
        page(pages.login, "/login", ("GET", "POST"), auth="none"),
        page(pages.logout, "/logout", ("POST",)),
        page(pages.language, "/language", ("POST",), auth="none"),
        page(pages.overview, "/"),
        page(pages.search, "/search"),
        page(pages.item, "/items/{sha}"),
        page(pages.proof, "/items/{sha}/proof"),
        page(pages.collections, "/collections"),
        page(pages.contributors, "/contributors"),
        page(upload.page, "/upload"),
        page(upload.finish, "/upload/finish", ("POST",), auth="api"),
        Route("/upload/files", upload_create, methods=["POST"]),
        Route("/upload/files/{id}", upload_resume, methods=["HEAD", "PATCH"]),
        page(pages.admin, "/admin", ("GET", "POST")),
        page(media.original, "/media/{sha}", ("GET", "HEAD")),
        page(media.thumbnail, "/thumb/{sha}.jpg"),
        api_route(api.me, "/api/me"),
        api_route(api.overview, "/api/overview"),
        api_route(api.search, "/api/search"),
        api_route(api.item, "/api/items/{sha}"),
        api_route(api.item_proof, "/api/items/{sha}/proof"),
        api_route(api.collections, "/api/collections"),
        api_route(api.contributors, "/api/contributors"),
        page(api.openapi, "/api/openapi.json", auth="none"),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    app = Starlette(routes=routes, exception_handlers={HTTPException: missing})
    app.add_middleware(Compress)
    app.add_middleware(SecurityHeaders)
    app.state.hub = hub
    return app
