"""Opening the SQLite catalog: WAL mode, migrations, transactions."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from dhakira.catalog.schema import MIGRATIONS, statements
from dhakira.errors import FormatTooNew, StoreError

SCHEMA_VERSION = len(MIGRATIONS)


def connect(path: Path, *, readonly: bool = False) -> sqlite3.Connection:
    try:
        if readonly:
            conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None)
        else:
            conn = sqlite3.connect(path, isolation_level=None, timeout=30)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA busy_timeout = 30000")
        if not readonly:
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = FULL")
        version = conn.execute("PRAGMA user_version").fetchone()[0]
    except sqlite3.Error as exc:
        raise StoreError(f"cannot open the catalog {path}: {exc}") from exc
    if version > SCHEMA_VERSION:
        conn.close()
        raise FormatTooNew(
            f"the catalog has schema version {version} but this release of Dhakira knows "
            f"only up to {SCHEMA_VERSION}: upgrade Dhakira to open this archive"
        )
    if version < SCHEMA_VERSION and not readonly:
        migrate(conn, version)
    return conn


def migrate(conn: sqlite3.Connection, current: int) -> None:
    for number in range(current, SCHEMA_VERSION):
        conn.execute("BEGIN IMMEDIATE")
        try:
            step = MIGRATIONS[number]
            if callable(step):
                step(conn)
            else:  # executescript would commit for us; run statement by statement instead
                for statement in statements(step):
                    conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {number + 1}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise


@contextlib.contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
