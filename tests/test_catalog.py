"""Catalog invariants: one item per content, one contribution per (who, where, what)."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dhakira.archive import Archive
from dhakira.catalog.catalog import _short_len
from dhakira.catalog.db import SCHEMA_VERSION
from dhakira.errors import AmbiguousId, FormatTooNew, ItemNotFound
from dhakira.ingest.add import AddOptions, Ingest
from dhakira.progress import Quiet

contributors = st.sampled_from(["Ahmad", "Layla", "VDC"])
names = st.sampled_from([b"a.jpg", b"\xd8\xaf\xd9\x88\xd9\x85\xd8\xa7.mp4", b"caf\xe9.txt", b"x"])
contents = st.sampled_from([b"one", b"two", b"three", b""])


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(contributors, names, contents), min_size=1, max_size=12))
def test_items_and_contributions_follow_content_and_provenance(
    tmp_path_factory: pytest.TempPathFactory, files: list[tuple[str, bytes, bytes]]
) -> None:
    root = tmp_path_factory.mktemp("p")
    with Archive.create(root / "archive") as archive:
        for i, (who, name, data) in enumerate(files):
            folder = root / f"drive{i}"
            folder.mkdir()
            path = bytes(folder).__add__(b"/" + name)
            with open(path, "wb") as f:
                f.write(data)
            with archive.writing():
                Ingest(archive, AddOptions(who), Quiet()).run(path)
                # the same add twice: nothing new
                again = Ingest(archive, AddOptions(who), Quiet()).run(path)
            assert again.new_contributions == 0 and again.already_recorded == 1
        conn = archive.catalog.conn
        digests = {r[0] for r in conn.execute("SELECT sha256 FROM items")}
        assert digests == {hashlib.sha256(d).hexdigest() for _, _, d in files}
        n = conn.execute("SELECT count(*) FROM contributions").fetchone()[0]
        assert n == len(files)  # each file sat in its own folder: each is a contribution
        for digest in digests:
            assert archive.store.exists(digest)
            item = archive.catalog.resolve(archive.catalog.short_id(digest))
            assert item["sha256"] == digest
        stored = {bytes(r[0]) for r in conn.execute("SELECT original_name FROM contributions")}
        assert stored == {name for _, name, _ in files}


@given(st.lists(st.binary(min_size=32, max_size=32), min_size=2, max_size=40, unique=True))
def test_short_ids_are_the_shortest_unique_prefixes(raw: list[bytes]) -> None:
    hexes = sorted(h.hex() for h in raw)
    for i, h in enumerate(hexes):
        prev = hexes[i - 1] if i else None
        nxt = hexes[i + 1] if i + 1 < len(hexes) else None
        n = _short_len(h, prev, nxt)
        prefix = h[:n]
        assert [x for x in hexes if x.startswith(prefix)] == [h]
        assert n == 6 or [x for x in hexes if x.startswith(h[: n - 1])] != [h]


def test_resolve_by_prefix_reports_unknown_and_ambiguous(archive: Archive) -> None:
    cat = archive.catalog
    batch = cat.start_batch("A", None, b"/x")
    digests = ["abcd" + "0" * 60, "abcd1" + "0" * 59, "abce" + "0" * 60]
    with cat.transaction():
        for d in digests:
            cat.add_item(d, 1, "text/plain", "test", batch)
    assert cat.short_id(digests[0]) == "abcd00"
    assert cat.short_id(digests[2]) == "abce00"
    assert cat.resolve("abcd1")["sha256"] == digests[1]
    assert cat.resolve(digests[0].upper())["sha256"] == digests[0]
    with pytest.raises(AmbiguousId, match=r"abcd matches 2 items.*give more digits"):
        cat.resolve("abcd")
    with pytest.raises(ItemNotFound, match="not an item id"):
        cat.resolve("zzzz")
    with pytest.raises(ItemNotFound, match="not an item id"):
        cat.resolve("abc")
    with pytest.raises(ItemNotFound, match="no item with id ffff"):
        cat.resolve("ffff")


def test_newer_catalog_schema_is_refused(tmp_path: Path) -> None:
    Archive.create(tmp_path / "a").close()
    conn = sqlite3.connect(tmp_path / "a" / "catalog.sqlite")
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.commit()
    conn.close()
    with pytest.raises(FormatTooNew, match="upgrade Dhakira"):
        Archive.open(tmp_path / "a")


def test_newer_archive_format_is_refused(tmp_path: Path) -> None:
    Archive.create(tmp_path / "a").close()
    toml = tmp_path / "a" / "archive.toml"
    toml.write_text(toml.read_text().replace("format = 1", "format = 99"))
    with pytest.raises(FormatTooNew, match="format 99"):
        Archive.open(tmp_path / "a")


def test_catalog_is_in_wal_mode_with_every_migration(archive: Archive) -> None:
    conn = archive.catalog.conn
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
