"""dhakira serve · user add|passwd|role|list · token create|revoke · restrict · unrestrict"""

from __future__ import annotations

import contextlib
import ctypes
import ipaddress
import os
import signal
import socket
from pathlib import Path

import click

from dhakira import accounts
from dhakira.archive import Archive
from dhakira.cli.common import open_archive
from dhakira.cli.output import Bars, emit_json, json_option
from dhakira.progress import Quiet


def _stop_with_parent() -> None:
    """Linux: a worker gets SIGTERM when the process that forked it dies, even by SIGKILL."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@click.command()
@click.argument("archive", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=int, help="Port to listen on.")
@click.option(
    "--secure-cookies/--no-secure-cookies",
    default=None,
    help="Mark cookies Secure (HTTPS only). Default: on, except on a loopback address.",
)
@click.option(
    "--threads", default=40, show_default=True, help="Requests handled at once (worker threads)."
)
@click.option(
    "--workers",
    default=0,
    type=click.IntRange(0, 64),
    help="Server processes sharing the port. Default (0): one per core, at most 8 — searches"
    " are CPU-bound.",
)
@json_option
@click.pass_context
def serve(
    ctx: click.Context,
    archive: Path | None,
    host: str,
    port: int,
    secure_cookies: bool | None,
    threads: int,
    workers: int,
    as_json: bool,
) -> None:
    """Serve the web archive on ARCHIVE (default: -A or the current folder).

    Sign in with an account made by `dhakira user add`. Outside loopback, put it behind
    HTTPS (a reverse proxy): its cookies are Secure there.
    """
    import anyio.to_thread
    import uvicorn
    import uvloop

    from dhakira.web.app import create_app

    start = archive or Path(ctx.find_root().obj or Path.cwd())
    root = Archive.open(start).root
    secure = not _loopback(host) if secure_cookies is None else secure_cookies
    with Archive(root) as a:
        users = len(accounts.users(a.catalog.conn))
    url = f"http://{host}:{port}/"
    if workers == 0:
        workers = min(8, len(os.sched_getaffinity(0)))
    if as_json:
        emit_json({"url": url, "archive": str(root), "users": users, "workers": workers})
    else:
        click.echo(f"Serving {root} at {url}  (Ctrl+C stops)")
        if not users:
            click.echo(
                "No accounts yet: make one with  dhakira -A ARCHIVE user add NAME --role admin"
            )

    def run(sock: socket.socket | None) -> None:
        """One server process; the app (and its catalog connections) made in the process."""
        app = create_app(root, secure_cookies=secure)
        config = uvicorn.Config(
            app,
            host=host,
            port=port,
            log_level="warning",
            proxy_headers=False,
            http="httptools",  # the C parser: a third less CPU per request than h11
        )
        server = uvicorn.Server(config)

        async def main() -> None:
            anyio.to_thread.current_default_thread_limiter().total_tokens = threads
            await server.serve(sockets=[sock] if sock else None)

        uvloop.run(main())  # libuv's event loop: less CPU per request than asyncio's

    if workers == 1:
        run(None)
        return
    # pre-fork: one listening socket, shared by every process; the kernel spreads connections
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    children = []
    for _ in range(workers - 1):
        pid = os.fork()
        if pid == 0:  # a worker: serve until told to stop, never return into Click
            code = 0
            try:
                _stop_with_parent()
                run(sock)
            except BaseException:
                code = 1
            finally:
                os._exit(code)
        children.append(pid)
    try:
        run(sock)
    finally:
        for pid in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
        for pid in children:
            os.waitpid(pid, 0)


@click.group()
def user() -> None:
    """Accounts of the web archive: add, passwd, role, disable, enable, list."""


@user.command(name="add")
@click.argument("name")
@click.option(
    "--role",
    type=click.Choice(accounts.ROLES),
    default="viewer",
    show_default=True,
    help="admin: everything; investigator: read and upload; viewer: read.",
)
@click.password_option(help="The password (asked for when not given).")
@json_option
@click.pass_context
def user_add(ctx: click.Context, name: str, role: str, password: str, as_json: bool) -> None:
    """Add a user NAME with a role."""
    with open_archive(ctx) as archive:
        v = accounts.add_user(archive.catalog.conn, name, password, role)
    if as_json:
        emit_json(v.as_json())
    else:
        click.echo(f"added {v.name} ({v.role})")


@user.command(name="passwd")
@click.argument("name")
@click.password_option(help="The new password (asked for when not given).")
@json_option
@click.pass_context
def user_passwd(ctx: click.Context, name: str, password: str, as_json: bool) -> None:
    """Set NAME's password (and sign NAME out everywhere)."""
    with open_archive(ctx) as archive:
        accounts.set_password(archive.catalog.conn, name, password)
    if as_json:
        emit_json({"name": name, "password_changed": True})
    else:
        click.echo(f"password changed for {name}; their sessions are closed")


@user.command(name="role")
@click.argument("name")
@click.argument("role", type=click.Choice(accounts.ROLES))
@json_option
@click.pass_context
def user_role(ctx: click.Context, name: str, role: str, as_json: bool) -> None:
    """Give NAME another ROLE."""
    with open_archive(ctx) as archive:
        accounts.set_role(archive.catalog.conn, name, role)
    if as_json:
        emit_json({"name": name, "role": role})
    else:
        click.echo(f"{name} is now {role}")


def _set_disabled(ctx: click.Context, name: str, disabled: bool, as_json: bool, said: str) -> None:
    with open_archive(ctx) as archive:
        accounts.set_disabled(archive.catalog.conn, name, disabled)
    if as_json:
        emit_json({"name": name, "disabled": disabled})
    else:
        click.echo(said)


@user.command(name="disable")
@click.argument("name")
@json_option
@click.pass_context
def user_disable(ctx: click.Context, name: str, as_json: bool) -> None:
    """Disable NAME: no more sign-in; sessions end and API tokens stop working at once."""
    said = f"{name} is disabled; `dhakira user enable {name}` lets them back in"
    _set_disabled(ctx, name, True, as_json, said)


@user.command(name="enable")
@click.argument("name")
@json_option
@click.pass_context
def user_enable(ctx: click.Context, name: str, as_json: bool) -> None:
    """Enable NAME again (they sign in with their old password)."""
    _set_disabled(ctx, name, False, as_json, f"{name} is enabled")


@user.command(name="list")
@json_option
@click.pass_context
def user_list(ctx: click.Context, as_json: bool) -> None:
    """List the users and their roles."""
    with open_archive(ctx) as archive:
        rows = accounts.users(archive.catalog.conn)
    if as_json:
        emit_json(rows)
        return
    for r in rows:
        off = f"  disabled {r['disabled_at']}" if r["disabled_at"] else ""
        click.echo(f"{r['name']:<24} {r['role']:<13} since {r['created_at']}{off}")


@click.group()
def token() -> None:
    """API tokens for scripts (Authorization: Bearer TOKEN)."""


@token.command(name="create")
@click.argument("name")
@click.option("--label", default="script", show_default=True, help="What the token is for.")
@json_option
@click.pass_context
def token_create(ctx: click.Context, name: str, label: str, as_json: bool) -> None:
    """Make an API token acting as user NAME. It is shown once: keep it."""
    with open_archive(ctx) as archive:
        secret = accounts.create_token(archive.catalog.conn, name, label)
    if as_json:
        emit_json({"name": name, "label": label, "token": secret})
    else:
        click.echo(secret)


@token.command(name="revoke")
@click.argument("name")
@json_option
@click.pass_context
def token_revoke(ctx: click.Context, name: str, as_json: bool) -> None:
    """Revoke every API token of user NAME."""
    with open_archive(ctx) as archive:
        n = accounts.revoke_tokens(archive.catalog.conn, name)
    if as_json:
        emit_json({"name": name, "revoked": n})
    else:
        click.echo(f"revoked {n} tokens of {name}")


@click.command()
@click.argument("item", required=False)
@click.option("--collection", help="Restrict a whole collection instead of one item.")
@click.option(
    "--to",
    "to",
    multiple=True,
    required=True,
    help="Who may still see it: role:investigator, role:viewer, user:NAME (repeatable).",
)
@json_option
@click.pass_context
def restrict(
    ctx: click.Context, item: str | None, collection: str | None, to: tuple[str, ...], as_json: bool
) -> None:
    """Restrict ITEM (or --collection) to named roles or users: to everyone else it does not
    exist, in every page, count, search and the API. Admins see everything. Logged."""
    with open_archive(ctx) as archive:
        from dhakira import access  # loads the search engine: only when needed

        out = access.restrict(archive, item=item, collection=collection, to=to)
        archive.log.checkpoint()
    if as_json:
        emit_json(out)
    else:
        what = out.get("item") or out.get("collection")
        click.echo(f"restricted {what}: visible to admins and {', '.join(out['visible_to'])}")


@click.command()
@click.argument("item", required=False)
@click.option("--collection", help="Lift a whole collection's restriction.")
@json_option
@click.pass_context
def unrestrict(ctx: click.Context, item: str | None, collection: str | None, as_json: bool) -> None:
    """Lift the restriction of ITEM (or --collection): everyone signed in sees it. Logged."""
    with open_archive(ctx) as archive:
        from dhakira import access

        out = access.unrestrict(archive, item=item, collection=collection)
        archive.log.checkpoint()
    if as_json:
        emit_json(out)
    else:
        click.echo(f"lifted the restriction of {out.get('item') or out.get('collection')}")


@click.command()
@click.option("--again", is_flag=True, help="Forget every thumbnail and make them anew.")
@json_option
@click.pass_context
def thumbnails(ctx: click.Context, again: bool, as_json: bool) -> None:
    """Make the thumbnails and video posters the web archive shows (otherwise made on first
    view). They are derived data: --again rebuilds them from the originals."""
    import shutil

    from dhakira.web import thumbs

    progress = Quiet() if as_json else Bars()
    made = none = 0
    with open_archive(ctx) as archive:
        if again:
            shutil.rmtree(thumbs.folder(archive.root), ignore_errors=True)
        rows = [
            r
            for r in archive.catalog.conn.execute("SELECT sha256, mime FROM items ORDER BY id")
            if thumbs.possible(r["mime"])
        ]
        progress.begin("thumbnails", len(rows))
        try:
            for r in rows:
                path = archive.store.path(r["sha256"])
                if thumbs.thumbnail(archive.root, path, r["sha256"], r["mime"]):
                    made += 1
                else:
                    none += 1
                progress.advance()
        finally:
            progress.end()
    if as_json:
        emit_json({"thumbnails": made, "without": none})
    else:
        click.echo(f"{made} thumbnails ready, {none} items of which none can be made")


COMMANDS = [serve, user, token, restrict, unrestrict, thumbnails]
