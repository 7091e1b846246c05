"""Accounts of the web archive: users and roles, sessions, API tokens, login rate limiting.

Passwords are kept only as argon2id hashes; session cookies and API tokens only as SHA-256
hashes of their secrets (a copy of the catalog gives nobody a way in). Account changes are not
custody events: they say nothing about the evidence. Restrictions, which do, live in
:mod:`dhakira.access` and are logged.
"""

from __future__ import annotations

import functools
import hashlib
import secrets
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from dhakira.catalog.db import transaction
from dhakira.errors import DhakiraError, InputError
from dhakira.timeutil import utcnow

ROLES = ("admin", "investigator", "viewer")
LANGUAGES = ("ar", "en")
MIN_PASSWORD = 10
SESSION_DAYS = 14
# rate limiting: failed sign-ins counted over a window, per account name and per address
WINDOW = timedelta(minutes=15)
MAX_FAILED_PER_NAME = 5
MAX_FAILED_PER_ADDRESS = 20

_hasher = PasswordHasher()


@functools.cache
def _dummy() -> str:
    """A hash to check unknown names against: the same work, no timing leak. Made on first
    use (an argon2 hash costs ~0.2 s: not at import, not for every command)."""
    return _hasher.hash("a password nobody has")


class UserNotFound(DhakiraError):
    exit_code = 2
    http_status = 404


class BadLogin(DhakiraError):
    exit_code = 1
    http_status = 401


class TooManyAttempts(DhakiraError):
    exit_code = 1
    http_status = 429


@dataclass(frozen=True)
class Viewer:
    """Who is looking: a signed-in user (the web) or a token's owner (the API)."""

    user_id: int
    name: str
    role: str
    language: str | None = None

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "role": self.role, "language": self.language}


def _at(delta: timedelta) -> str:
    """A time ``delta`` from now, in the catalog's timestamp form (comparable as text)."""
    t = (datetime.now(UTC) + delta).replace(tzinfo=None)
    return t.isoformat(timespec="microseconds") + "Z"


def _secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _check_role(role: str) -> str:
    if role not in ROLES:
        raise InputError(f"unknown role {role!r}: choose one of {', '.join(ROLES)}")
    return role


def _check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise InputError(f"the password is too short: use at least {MIN_PASSWORD} characters")
    return password


def _viewer(row: sqlite3.Row) -> Viewer:
    return Viewer(row["id"], row["name"], row["role"], row["language"])


# -- users ------------------------------------------------------------------------------------
def add_user(conn: sqlite3.Connection, name: str, password: str, role: str) -> Viewer:
    name = name.strip()
    if not name or len(name) > 100:
        raise InputError("a user name must have 1 to 100 characters")
    digest = _hasher.hash(_check_password(password))
    with transaction(conn):
        if conn.execute("SELECT 1 FROM users WHERE name = ?", (name,)).fetchone():
            raise InputError(f"there is already a user {name!r}: `dhakira user passwd` or `role`")
        conn.execute(
            "INSERT INTO users(name, password, role, created_at) VALUES (?, ?, ?, ?)",
            (name, digest, _check_role(role), utcnow()),
        )
    return user(conn, name)


def user(conn: sqlite3.Connection, name: str) -> Viewer:
    row = conn.execute("SELECT * FROM users WHERE name = ?", (name,)).fetchone()
    if row is None:
        raise UserNotFound(f"no user {name!r}: `dhakira user list` shows them")
    return _viewer(row)


def users(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    return [
        {
            "name": r["name"],
            "role": r["role"],
            "language": r["language"],
            "created_at": r["created_at"],
            "disabled_at": r["disabled_at"],
        }
        for r in conn.execute("SELECT * FROM users ORDER BY name")
    ]


def set_password(conn: sqlite3.Connection, name: str, password: str) -> None:
    digest = _hasher.hash(_check_password(password))
    ident = user(conn, name).user_id
    with transaction(conn):
        conn.execute("UPDATE users SET password = ? WHERE id = ?", (digest, ident))
        conn.execute("DELETE FROM sessions WHERE user_id = ?", (ident,))  # sign out everywhere


def set_role(conn: sqlite3.Connection, name: str, role: str) -> None:
    ident = user(conn, name).user_id
    with transaction(conn):
        conn.execute("UPDATE users SET role = ? WHERE id = ?", (_check_role(role), ident))


def set_disabled(conn: sqlite3.Connection, name: str, disabled: bool) -> None:
    """Disable an account (it can no longer sign in; its sessions end and its API tokens stop
    working at once) or enable it again. Nothing it did is changed or forgotten."""
    ident = user(conn, name).user_id
    with transaction(conn):
        if disabled:
            conn.execute(
                "UPDATE users SET disabled_at = coalesce(disabled_at, ?) WHERE id = ?",
                (utcnow(), ident),
            )
            conn.execute("DELETE FROM sessions WHERE user_id = ?", (ident,))
        else:
            conn.execute("UPDATE users SET disabled_at = NULL WHERE id = ?", (ident,))


def set_language(conn: sqlite3.Connection, user_id: int, language: str | None) -> None:
    if language is not None and language not in LANGUAGES:
        raise InputError(f"unknown language {language!r}: choose ar or en")
    with transaction(conn):
        conn.execute("UPDATE users SET language = ? WHERE id = ?", (language, user_id))


# -- signing in -------------------------------------------------------------------------------
def authenticate(conn: sqlite3.Connection, name: str, password: str, address: str) -> Viewer:
    """The user, if the password is right; refused while too many attempts failed lately."""
    since = _at(-WINDOW)
    by_name, by_address = conn.execute(
        "SELECT sum(name = ? COLLATE NOCASE), sum(address = ?) FROM login_attempts"
        " WHERE at >= ? AND ok = 0",
        (name, address, since),
    ).fetchone()
    if (by_name or 0) >= MAX_FAILED_PER_NAME or (by_address or 0) >= MAX_FAILED_PER_ADDRESS:
        raise TooManyAttempts(
            "too many failed sign-ins: wait 15 minutes, or ask an admin to reset the password"
        )
    row = conn.execute(
        "SELECT * FROM users WHERE name = ? AND disabled_at IS NULL", (name.strip(),)
    ).fetchone()
    try:
        _hasher.verify(row["password"] if row else _dummy(), password)
        ok = row is not None
    except (VerificationError, InvalidHashError):
        ok = False
    with transaction(conn):
        conn.execute(
            "INSERT INTO login_attempts(name, address, at, ok) VALUES (?, ?, ?, ?)",
            (name[:100], address, utcnow(), int(ok)),
        )
        if ok and _hasher.check_needs_rehash(row["password"]):
            conn.execute(
                "UPDATE users SET password = ? WHERE id = ?", (_hasher.hash(password), row["id"])
            )
    if not ok:
        raise BadLogin("wrong name or password")
    return _viewer(row)


def open_session(conn: sqlite3.Connection, user_id: int) -> str:
    """A new session; returns the cookie's secret (stored only as its hash)."""
    token = secrets.token_urlsafe(32)
    expires = _at(timedelta(days=SESSION_DAYS))
    with transaction(conn):
        conn.execute("DELETE FROM sessions WHERE expires_at < ?", (utcnow(),))
        conn.execute(
            "INSERT INTO sessions(token_hash, user_id, csrf, created_at, expires_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (_secret_hash(token), user_id, secrets.token_urlsafe(24), utcnow(), expires),
        )
    return token


def session(conn: sqlite3.Connection, token: str) -> tuple[Viewer, str] | None:
    """The viewer and CSRF token of a live session, or None."""
    row = conn.execute(
        "SELECT u.*, s.csrf FROM sessions s JOIN users u ON u.id = s.user_id"
        " WHERE s.token_hash = ? AND s.expires_at > ? AND u.disabled_at IS NULL",
        (_secret_hash(token), utcnow()),
    ).fetchone()
    return None if row is None else (_viewer(row), row["csrf"])


def close_session(conn: sqlite3.Connection, token: str) -> None:
    with transaction(conn):
        conn.execute("DELETE FROM sessions WHERE token_hash = ?", (_secret_hash(token),))


# -- API tokens -------------------------------------------------------------------------------
def create_token(conn: sqlite3.Connection, name: str, label: str) -> str:
    """A new API token for user ``name``; shown once, stored only as its hash."""
    ident = user(conn, name).user_id
    token = "dk_" + secrets.token_urlsafe(32)
    with transaction(conn):
        conn.execute(
            "INSERT INTO api_tokens(token_hash, user_id, label, created_at) VALUES (?, ?, ?, ?)",
            (_secret_hash(token), ident, label, utcnow()),
        )
    return token


def token_viewer(conn: sqlite3.Connection, token: str) -> Viewer | None:
    row = conn.execute(
        "SELECT u.* FROM api_tokens t JOIN users u ON u.id = t.user_id"
        " WHERE t.token_hash = ? AND t.revoked_at IS NULL AND u.disabled_at IS NULL",
        (_secret_hash(token),),
    ).fetchone()
    return None if row is None else _viewer(row)


def revoke_tokens(conn: sqlite3.Connection, name: str) -> int:
    ident = user(conn, name).user_id
    with transaction(conn):
        cur = conn.execute(
            "UPDATE api_tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL",
            (utcnow(), ident),
        )
    return cur.rowcount
