"""The Archive: the one facade every adapter (CLI, web) goes through.

It opens the on-disk archive (``archive.toml``, the catalog, the blob store), serialises
writers with a lock, and offers the operations: add, items, show, stats, fsck, rebuild.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import tomllib
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from dhakira import __version__
from dhakira.catalog.catalog import Catalog
from dhakira.custody.log import CustodyLog
from dhakira.errors import ArchiveExists, ArchiveNotFound, FormatTooNew, StoreError
from dhakira.model import Item, ItemDetail
from dhakira.store.local import LocalStore
from dhakira.timeutil import utcnow

FORMAT_VERSION = 1
CONFIG = "archive.toml"
CATALOG = "catalog.sqlite"


def find_root(start: Path) -> Path:
    """The archive at ``start`` or in the nearest folder above it."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if (folder / CONFIG).is_file():
            return folder
    raise ArchiveNotFound(
        f"no Dhakira archive at {start} or above it: run `dhakira init PATH` to create one,"
        " or pass --archive PATH (or set DHAKIRA_ARCHIVE)"
    )


class Archive:
    def __init__(
        self, root: Path, *, readonly: bool = False, config: dict[str, Any] | None = None
    ) -> None:
        self.root = root
        self.config = config if config is not None else self._read_config(root)
        self.store = LocalStore(root)
        self.catalog = Catalog(root / CATALOG, readonly=readonly)
        origin = self.config.get("log_origin")
        self.log = CustodyLog(root / "keys", self.catalog, str(origin or ""))

    # -- life cycle ---------------------------------------------------------------------------
    @classmethod
    def create(cls, root: Path) -> Archive:
        if (root / CONFIG).exists():
            raise ArchiveExists(f"{root} is already a Dhakira archive: nothing to do")
        if root.exists() and any(root.iterdir()):
            raise ArchiveExists(
                f"{root} exists and is not empty: choose a new or empty folder for the archive"
            )
        try:
            root.mkdir(parents=True, exist_ok=True)
            (root / "derived").mkdir(exist_ok=True)
            (root / "keys").mkdir(mode=0o700, exist_ok=True)
            LocalStore(root).create()
            text = (
                "# Dhakira archive. The format is described in docs/format.md.\n"
                f"format = {FORMAT_VERSION}\n"
                f'created_at = "{utcnow()}"\n'
                f'created_by = "dhakira {__version__}"\n'
                "# The custody log's name (C2SP origin); it never changes.\n"
                f'log_origin = "dhakira.archive/{uuid.uuid4()}"\n'
            )
            tmp = root / (CONFIG + ".tmp")
            tmp.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise StoreError(f"cannot create the archive at {root}: {exc.strerror}") from exc
        archive = cls(root, config=tomllib.loads(text))
        with archive.catalog.transaction():
            archive.catalog.event("archive.created", None, format=FORMAT_VERSION)
        archive.log.create_key()
        archive.log.checkpoint()
        # archive.toml last: a folder without it is not an archive, so an interrupted init
        # leaves nothing that looks complete (remove the folder and run init again)
        os.replace(tmp, root / CONFIG)
        return archive

    @classmethod
    def open(cls, start: Path, *, readonly: bool = False) -> Archive:
        return cls(find_root(start), readonly=readonly)

    @staticmethod
    def _read_config(root: Path) -> dict[str, Any]:
        try:
            config = tomllib.loads((root / CONFIG).read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise ArchiveNotFound(
                f"{root} is not a Dhakira archive (no {CONFIG}): run `dhakira init {root}`"
            ) from exc
        except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise StoreError(f"cannot read {root / CONFIG}: {exc}") from exc
        fmt = config.get("format")
        if not isinstance(fmt, int):
            raise StoreError(f"{root / CONFIG} has no valid `format` number")
        if fmt > FORMAT_VERSION:
            raise FormatTooNew(
                f"this archive has format {fmt}, newer than this release of Dhakira"
                f" ({__version__}, format {FORMAT_VERSION}) can open: upgrade Dhakira"
            )
        if not isinstance(config.get("log_origin"), str):
            raise StoreError(f"{root / CONFIG} has no `log_origin`: it is damaged")
        return config

    def close(self) -> None:
        self.catalog.close()

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextlib.contextmanager
    def writing(self) -> Iterator[None]:
        """Hold the archive's write lock; clean temporary files an interrupted run left."""
        fd = os.open(self.root / "lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                print("waiting for another dhakira command writing to this archive…", flush=True)
                fcntl.flock(fd, fcntl.LOCK_EX)
            self.store.clean_stale()
            yield
        finally:
            os.close(fd)

    # -- reading ------------------------------------------------------------------------------
    def items(self, **filters: Any) -> list[Item]:
        return self.catalog.items(**filters)

    def show(self, ref: str) -> ItemDetail:
        return self.catalog.detail(self.catalog.resolve(ref))

    def stats(self) -> dict[str, Any]:
        return self.catalog.stats()
