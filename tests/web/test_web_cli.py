"""dhakira user · token · restrict · serve, through the real CLI."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
from tests.conftest import run

from dhakira.archive import Archive


def test_user_commands(tmp_path: Path) -> None:
    root = tmp_path / "a"
    Archive.create(root).close()
    r = run("user", "add", "هالة", "--role", "investigator", "--password", "a long password",
            "--json", archive=root)  # fmt: skip
    assert r.exit_code == 0, r.output
    assert json.loads(r.output) == {"name": "هالة", "role": "investigator", "language": None}
    short = run("user", "add", "x", "--password", "short", archive=root)
    assert short.exit_code == 1 and "at least 10 characters" in short.output
    again = run("user", "add", "هالة", "--password", "a long password", archive=root)
    assert again.exit_code == 1 and "already a user" in again.output
    assert run("user", "role", "هالة", "admin", archive=root).exit_code == 0
    listed = json.loads(run("user", "list", "--json", archive=root).output)
    assert [(u["name"], u["role"]) for u in listed] == [("هالة", "admin")]
    assert run("user", "passwd", "nobody", "--password", "a long password",
               archive=root).exit_code == 2  # fmt: skip
    with Archive(root) as a:
        stored = a.catalog.conn.execute("SELECT password FROM users").fetchone()[0]
    assert stored.startswith("$argon2id$") and "a long password" not in stored


def test_prompted_password_is_confirmed(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from dhakira.cli import cli

    root = tmp_path / "a"
    Archive.create(root).close()
    typed = "first password\nother password\nfirst password\nfirst password\n"
    r = CliRunner().invoke(cli, ["-A", str(root), "user", "add", "sami"], input=typed)
    assert r.exit_code == 0 and "do not match" in r.output.lower()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_answers_and_tokens_work(tmp_path: Path) -> None:
    root = tmp_path / "a"
    Archive.create(root).close()
    assert run("user", "add", "bot", "--password", "a long password", archive=root).exit_code == 0
    token = json.loads(run("token", "create", "bot", "--json", archive=root).output)["token"]
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "dhakira", "serve", str(root), "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                r = httpx.get(base + "/api/me", headers={"Authorization": f"Bearer {token}"})
                break
            except httpx.HTTPError:
                assert time.monotonic() < deadline and server.poll() is None, "no server"
                time.sleep(0.2)
        assert r.status_code == 200 and r.json()["name"] == "bot"
        assert httpx.get(base + "/api/me").status_code == 401
        revoked = run("token", "revoke", "bot", "--json", archive=root)
        assert json.loads(revoked.output)["revoked"] == 1
        r = httpx.get(base + "/api/me", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 401
    finally:
        server.terminate()
        out, _ = server.communicate(timeout=10)
    assert f"http://127.0.0.1:{port}/" in out


def test_thumbnails_are_rebuildable(world: Any) -> None:
    folder = world.root / "derived" / "thumbs-v1"
    first = json.loads(run("thumbnails", "--json", archive=world.root).output)
    assert first["thumbnails"] >= 2  # the photo and the video's poster
    poster = folder / world.shas["قصف دوما.mp4"][:2] / f"{world.shas['قصف دوما.mp4']}.jpg"
    poster.unlink()
    again = json.loads(run("thumbnails", "--again", "--json", archive=world.root).output)
    assert again == first and poster.is_file()


def test_disabling_a_user_ends_sessions_tokens_and_sign_in(tmp_path: Path) -> None:
    from dhakira import accounts

    root = tmp_path / "a"
    Archive.create(root).close()
    assert run("user", "add", "rami", "--password", "a long password", archive=root).exit_code == 0
    with Archive(root) as a:
        conn = a.catalog.conn
        session = accounts.open_session(conn, accounts.user(conn, "rami").user_id)
        token = accounts.create_token(conn, "rami", "script")
        assert accounts.session(conn, session) is not None
        assert accounts.token_viewer(conn, token) is not None
    r = run("user", "disable", "rami", "--json", archive=root)
    assert r.exit_code == 0 and json.loads(r.output) == {"name": "rami", "disabled": True}
    listed = json.loads(run("user", "list", "--json", archive=root).output)
    assert listed[0]["disabled_at"] is not None
    with Archive(root) as a:
        conn = a.catalog.conn
        assert accounts.session(conn, session) is None  # signed out everywhere
        assert accounts.token_viewer(conn, token) is None  # scripts stop at once
        try:
            accounts.authenticate(conn, "rami", "a long password", "127.0.0.1")
            raise AssertionError("a disabled user signed in")
        except accounts.BadLogin:
            pass
    assert run("user", "enable", "rami", archive=root).exit_code == 0
    with Archive(root) as a:
        conn = a.catalog.conn
        assert accounts.authenticate(conn, "rami", "a long password", "::1").name == "rami"
        assert accounts.token_viewer(conn, token) is not None  # tokens were not revoked
    assert run("user", "disable", "nobody", archive=root).exit_code == 2
