"""The pages: sign in, overview, search, item, collections, contributors, users (admin)."""

from __future__ import annotations

import json
import urllib.parse
from typing import Any

from starlette.responses import RedirectResponse, Response

from dhakira import access, accounts
from dhakira.accounts import BadLogin, TooManyAttempts
from dhakira.errors import InputError
from dhakira.names import display
from dhakira.web.core import LANG, SESSION, Ctx, address
from dhakira.web.i18n import LANGUAGES
from dhakira.web.media import inline_type

PAGE = 20


def _safe_next(value: str | None) -> str:
    """Only a path on this site (never //host, a scheme, or a control character that a browser
    drops, turning "/<tab>/host" into //host): no open redirect."""
    if (
        value
        and value.startswith("/")
        and not value.startswith("//")
        and "\\" not in value
        and all(" " < ch != "\x7f" for ch in value)
    ):
        return value
    return "/"


def login(c: Ctx) -> Response:
    nxt = _safe_next(c.request.query_params.get("next") or c.form.get("next"))
    if c.request.method == "GET":
        if c.viewer is not None:
            return RedirectResponse(nxt, status_code=303)
        return c.render("login.html", next=nxt, problem=None)
    try:
        viewer = accounts.authenticate(
            c.conn, c.form.get("name", ""), c.form.get("password", ""), address(c.request)
        )
    except (BadLogin, TooManyAttempts) as exc:
        key = "too_many" if isinstance(exc, TooManyAttempts) else "bad_login"
        return c.render("login.html", status=exc.http_status, next=nxt, problem=c.t[key])
    token = accounts.open_session(c.conn, viewer.user_id)
    response = RedirectResponse(nxt, status_code=303)
    c.cookie(response, SESSION, token, accounts.SESSION_DAYS * 86400)
    return response


def logout(c: Ctx) -> Response:
    token = c.request.cookies.get(c.hub.cookie_prefix + SESSION)
    if token:
        accounts.close_session(c.conn, token)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(c.hub.cookie_prefix + SESSION, path="/")
    return response


def language(c: Ctx) -> Response:
    lang = c.form.get("lang", "")
    if lang not in LANGUAGES:
        raise InputError("choose ar or en")
    if c.viewer is not None:
        accounts.set_language(c.conn, c.viewer.user_id, lang)
    response = RedirectResponse(_safe_next(c.form.get("next")), status_code=303)
    c.cookie(response, LANG, lang, 365 * 86400)
    return response


def _recent(c: Ctx, limit: int) -> list[dict[str, Any]]:
    return [
        {
            "sha256": r["sha256"],
            "mime": r["mime"],
            "size": r["size"],
            "added_at": r["added_at"],
            "name": display(bytes(r["name"])) if r["name"] is not None else "",
        }
        for r in c.view.recent(limit)
    ]


def overview(c: Ctx) -> Response:
    return c.render("overview.html", stats=c.view.overview(), recent=_recent(c, 12))


def search(c: Ctx) -> Response:
    params = c.request.query_params
    q = params.get("q", "").strip()
    sort = params.get("sort", "relevance")
    if sort not in ("relevance", "newest", "date"):
        sort = "relevance"
    try:
        page = max(1, int(params.get("page", "1")))
    except ValueError:
        page = 1
    with c.hub.search_slots:
        results = c.view.search(
            q, limit=PAGE, offset=(page - 1) * PAGE, sort=sort, marks=("\ue000", "\ue001")
        )

    tail = "&sort=" + urllib.parse.quote_plus(sort)

    def refine(token: str) -> str:  # one quote per facet link (a page has dozens)
        return "/search?q=" + urllib.parse.quote_plus(f"{q} {token}".strip()) + tail

    def paged(n: int) -> str:
        return "/search?" + urllib.parse.urlencode({"q": q, "sort": sort, "page": n})

    facets = {
        name: [
            (value, count, refine(f'{name}:"{value}"' if " " in value else f"{name}:{value}"))
            for value, count in counts.items()
        ]
        for name, counts in results.facets.items()
    }
    return c.render(
        "search.html",
        q=q,
        sort=sort,
        results=results,
        facets=facets,
        page=page,
        prev_url=paged(page - 1) if page > 1 else None,
        next_url=paged(page + 1) if page * PAGE < results.total else None,
    )


def item(c: Ctx) -> Response:
    view = c.view
    row = view.resolve(c.request.path_params["sha"])
    if row["sha256"] != c.request.path_params["sha"]:  # a short id: the canonical address
        return RedirectResponse(f"/items/{row['sha256']}", status_code=301)
    detail = view.detail(row)
    events = []
    for e in view.events(row["sha256"]):
        body = json.loads(e["body"])
        events.append({**e, "actor": body.get("actor"), "params": body.get("params", {})})
    mime = row["mime"]
    kind = (
        "video" if mime.startswith("video/") else "audio" if mime.startswith("audio/")
        else "pdf" if mime == "application/pdf"
        else "image" if inline_type(mime) else "other"
    )  # fmt: skip
    restricted = access.grants_of(c.conn, "item", row["id"])
    return c.render(
        "item.html",
        d=detail,
        sha=row["sha256"],
        kind=kind,
        name=detail.item.name or row["sha256"][:12],
        text=view.text(row["sha256"]),
        events=events,
        near=view.near_duplicates(row["sha256"]),
        restricted=restricted,
    )


def proof(c: Ctx) -> Response:
    sha = c.request.path_params["sha"]
    text = c.view.proof(sha)
    return Response(
        text,
        media_type="text/plain; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{sha[:16]}.proof"',
            "X-Content-Type-Options": "nosniff",
        },
    )


def collections(c: Ctx) -> Response:
    return c.render("names.html", title=c.t["collections"], kind="collection",
                    rows=c.view.collections())  # fmt: skip


def contributors(c: Ctx) -> Response:
    return c.render("names.html", title=c.t["contributors"], kind="contributor",
                    rows=c.view.contributors())  # fmt: skip


def admin(c: Ctx) -> Response:
    c.require_role("admin")
    message = None
    if c.request.method == "POST":
        action = c.form.get("action")
        name = c.form.get("name", "")
        if action == "add":
            accounts.add_user(c.conn, name, c.form.get("password", ""), c.form.get("role", ""))
        elif action == "role":
            accounts.set_role(c.conn, name, c.form.get("role", ""))
        elif action == "password":
            accounts.set_password(c.conn, name, c.form.get("password", ""))
        elif action in ("disable", "enable"):
            target = accounts.user(c.conn, name).user_id  # names match in any letter case
            if action == "disable" and c.viewer is not None and target == c.viewer.user_id:
                raise InputError("you cannot disable your own account")
            accounts.set_disabled(c.conn, name, action == "disable")
        else:
            raise InputError("unknown action")
        message = f"{c.t['done']}: {name}"
    return c.render(
        "admin.html",
        users=accounts.users(c.conn),
        roles=accounts.ROLES,
        restrictions=access.restrictions(c.conn),
        message=message,
    )
