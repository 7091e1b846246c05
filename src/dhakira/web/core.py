"""What every request handler needs: the archive (one connection per thread), who is asking,
CSRF checks, the language, rendering, and turning errors into pages.

Handlers are plain functions of a :class:`Ctx`, run in a worker thread (SQLite and the blob
store are blocking); :func:`endpoint` wraps them into Starlette endpoints. Reading the archive
goes through ``ctx.view`` (:class:`dhakira.access.View`), the one place restrictions apply.
"""

from __future__ import annotations

import os
import secrets
import threading
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup, escape
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from dhakira import accounts
from dhakira.access import View
from dhakira.accounts import Viewer
from dhakira.archive import Archive
from dhakira.cli.output import human_bytes
from dhakira.errors import DhakiraError, InputError
from dhakira.web import thumbs
from dhakira.web.compress import mask_token, token_matches
from dhakira.web.i18n import DIRECTION, TABLES, from_accept_language

HERE = Path(__file__).parent
SESSION = "dhakira_session"
ANON_CSRF = "dhakira_csrf"
LANG = "dhakira_lang"
MARKS = ("\ue000", "\ue001")  # snippet highlight marks, turned into <mark> after escaping
MAX_FORM = 64 * 1024
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


class Forbidden(DhakiraError):
    http_status = 403


class CsrfFailed(DhakiraError):
    http_status = 403


class Hub:
    """The served archive: settings, templates, and one Archive per worker thread."""

    def __init__(self, root: Path, *, secure_cookies: bool) -> None:
        self.root = root
        self.secure_cookies = secure_cookies
        with Archive.open(root) as archive:  # migrates the catalog once, before any request
            self.root = archive.root
        self._local = threading.local()
        # searches are CPU-bound: at most one per core at a time, so that cheap pages (an
        # item, an original's next range) are not queued behind a crowd of them
        self.search_slots = threading.BoundedSemaphore(os.cpu_count() or 2)
        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(HERE / "templates"),
            autoescape=True,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.filters["marked"] = marked
        self.env.filters["human_bytes"] = human_bytes
        self.env.filters["has_thumb"] = thumbs.possible
        uploads = f"{self.root / 'uploads'}/batch-"
        self.env.filters["shown_path"] = lambda p: (
            "⇪ " + p[len(uploads) :].split("/", 1)[-1] if p.startswith(uploads) else p
        )
        self.cookie_prefix = "__Host-" if secure_cookies else ""

    def archive(self) -> Archive:
        a: Archive | None = getattr(self._local, "archive", None)
        if a is None:
            a = self._local.archive = Archive(self.root)
        return a


@dataclass
class Ctx:
    request: Request
    hub: Hub
    archive: Archive
    viewer: Viewer | None
    csrf: str
    lang: str
    form: dict[str, str] = field(default_factory=dict)
    via_token: bool = False
    new_csrf: bool = False  # a fresh signed-out CSRF token, to be set as a cookie
    _view: View | None = None

    @property
    def view(self) -> View:
        assert self.viewer is not None
        if self._view is None:
            self._view = View(self.archive, self.viewer)
        return self._view

    @property
    def conn(self) -> Any:
        return self.archive.catalog.conn

    @property
    def t(self) -> dict[str, str]:
        return TABLES[self.lang]

    def render(self, template: str, status: int = 200, **values: Any) -> HTMLResponse:
        html = self.hub.env.get_template(template).render(
            t=self.t,
            lang=self.lang,
            dir=DIRECTION[self.lang],
            viewer=self.viewer,
            csrf=mask_token(self.csrf) if self.csrf else "",  # fresh bytes on every page
            path=self.request.url.path,
            **values,
        )
        return HTMLResponse(html, status_code=status)

    def require_role(self, *roles: str) -> None:
        if self.viewer is None or self.viewer.role not in roles:
            raise Forbidden("you may not do this")

    def cookie(self, response: Response, name: str, value: str, max_age: int | None) -> None:
        response.set_cookie(
            self.hub.cookie_prefix + name,
            value,
            max_age=max_age,
            path="/",
            secure=self.hub.secure_cookies,
            httponly=True,
            samesite="strict",
        )


def marked(text: str) -> Markup:
    """Escape a snippet, then turn the engine's marks into <mark> elements."""
    return Markup(str(escape(text)).replace(MARKS[0], "<mark>").replace(MARKS[1], "</mark>"))


def _cookie(request: Request, hub: Hub, name: str) -> str | None:
    return request.cookies.get(hub.cookie_prefix + name)


def _language(request: Request, hub: Hub, viewer: Viewer | None) -> str:
    if viewer is not None and viewer.language in TABLES:
        return viewer.language
    chosen = _cookie(request, hub, LANG)
    if chosen in TABLES:
        return chosen
    return from_accept_language(request.headers.get("accept-language", "")) or "en"


def address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


async def read_form(request: Request) -> dict[str, str]:
    if request.method not in UNSAFE:
        return {}
    kind = request.headers.get("content-type", "").split(";")[0].strip()
    if kind not in ("application/x-www-form-urlencoded", "application/json"):
        return {}
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM:
            raise InputError("the form is too large")
    if kind == "application/json":
        return {"json": body.decode("utf-8", "replace")}
    pairs = urllib.parse.parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
    return dict(pairs)


Handler = Callable[[Ctx], Response]


def endpoint(
    hub: Hub,
    handler: Handler,
    *,
    auth: str = "page",  # "page": sign-in page if not signed in; "api": 401; "none": optional
    read_body: bool = True,
) -> Callable[[Request], Any]:
    async def run(request: Request) -> Response:
        try:
            form = await read_form(request) if read_body else {}
        except DhakiraError as exc:
            return PlainError(str(exc), exc.http_status)
        return await run_in_threadpool(handle, hub, handler, request, form, auth)

    return run


def PlainError(message: str, status: int) -> Response:
    return JSONResponse({"error": message}, status_code=status)


def context(hub: Hub, request: Request, form: dict[str, str] | None = None) -> Ctx:
    """Who is asking (session cookie or bearer token), in which language, with which CSRF."""
    archive = hub.archive()
    conn = archive.catalog.conn
    viewer: Viewer | None = None
    csrf = ""
    via_token = False
    bearer = request.headers.get("authorization", "")
    if bearer.lower().startswith("bearer "):
        viewer = accounts.token_viewer(conn, bearer[7:].strip())
        via_token = viewer is not None
    else:
        token = _cookie(request, hub, SESSION)
        found = accounts.session(conn, token) if token else None
        if found is not None:
            viewer, csrf = found
    new_csrf = False
    if not csrf:
        csrf = _cookie(request, hub, ANON_CSRF) or ""
        if not csrf:
            csrf, new_csrf = secrets.token_urlsafe(24), True
    lang = _language(request, hub, viewer)
    return Ctx(request, hub, archive, viewer, csrf, lang, form or {}, via_token, new_csrf)


def check_csrf(c: Ctx) -> None:
    """Every unsafe request carries the session's (or, signed out, the cookie's) CSRF token in
    the form field ``csrf`` or the header X-CSRF-Token. A bearer token needs none."""
    if c.request.method not in UNSAFE or c.via_token:
        return
    given = c.form.get("csrf") or c.request.headers.get("x-csrf-token", "")
    if c.new_csrf or not token_matches(given, c.csrf):
        raise CsrfFailed("the form expired or did not come from this site: reload and try again")


def handle(
    hub: Hub, handler: Handler, request: Request, form: dict[str, str], auth: str
) -> Response:
    c = context(hub, request, form)
    try:
        if c.viewer is None and auth != "none":
            if auth == "api":
                return PlainError("sign in or send Authorization: Bearer TOKEN", 401)
            nxt = urllib.parse.quote(
                request.url.path + ("?" + request.url.query if request.url.query else "")
            )
            return RedirectResponse(f"/login?next={nxt}", status_code=303)
        check_csrf(c)
        response = handler(c)
    except DhakiraError as exc:
        response = error_response(c, exc, api=auth == "api")
    if c.new_csrf and not c.via_token:  # signed out: a CSRF cookie for the sign-in form
        c.cookie(response, ANON_CSRF, c.csrf, None)
    return response


def error_response(c: Ctx, exc: DhakiraError, *, api: bool) -> Response:
    status = exc.http_status
    if status == 404 or isinstance(exc, accounts.UserNotFound):
        status, message = 404, c.t["not_found"]
    elif isinstance(exc, CsrfFailed):
        message = c.t["csrf"]
    elif isinstance(exc, Forbidden):
        message = c.t["forbidden"]
    else:
        message = str(exc)
    if api or c.request.url.path.startswith("/api/") or c.request.method in {"PATCH", "HEAD"}:
        return PlainError(message if status != 404 else "not found", status)
    return c.render("error.html", status=status, message=message, status_code=status)


class NotFound(DhakiraError):
    http_status = 404


def not_found_page(hub: Hub, request: Request) -> Response:
    return error_response(context(hub, request), NotFound("not found"), api=False)
