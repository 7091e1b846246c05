"""The blob store's promises: content addressing, atomic visibility, never rewriting."""

from __future__ import annotations

import hashlib
import io
import os
import stat
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dhakira.store.base import Fixity
from dhakira.store.local import LimitExceeded, LocalStore, is_digest


def make_store(tmp_path: Path, name: str = "s") -> LocalStore:
    store = LocalStore(tmp_path / name)
    store.create()
    return store


@settings(max_examples=60, deadline=None)
@given(blobs=st.lists(st.binary(max_size=200_000), min_size=1, max_size=8))
def test_put_addresses_by_sha256_and_stores_each_content_once(
    tmp_path_factory: pytest.TempPathFactory, blobs: list[bytes]
) -> None:
    store = make_store(tmp_path_factory.mktemp("store"))
    seen: set[str] = set()
    for data in blobs:
        staged, created = store.put(io.BytesIO(data))
        digest = hashlib.sha256(data).hexdigest()
        assert staged.digest == digest
        assert staged.size == len(data)
        assert created == (digest not in seen)
        seen.add(digest)
        with store.open(digest) as f:
            assert f.read() == data
        assert store.verify(digest, len(data)).status is Fixity.OK
    assert sorted(store.iter_digests()) == sorted(seen)
    assert list((store.root / "tmp").iterdir()) == []


def test_blobs_are_read_only_and_never_rewritten(tmp_path: Path) -> None:
    store = make_store(tmp_path)
    s, created = store.put(io.BytesIO(b"original bytes"))
    assert created
    path = store.path(s.digest)
    mode = path.stat().st_mode
    assert not mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
    inode = path.stat().st_ino
    again, created = store.put(io.BytesIO(b"original bytes"))
    assert not created and again.digest == s.digest
    assert path.stat().st_ino == inode  # the stored file was not replaced


def test_staged_blobs_are_invisible_until_committed(tmp_path: Path) -> None:
    store = make_store(tmp_path)
    a = store.stage(io.BytesIO(b"a" * 5000))
    b = store.stage(io.BytesIO(b"b" * 5000))
    assert not store.exists(a.digest) and not store.exists(b.digest)
    assert list(store.iter_digests()) == []
    assert store.commit([a, b]) == [True, True]
    assert store.exists(a.digest) and store.exists(b.digest)


def test_same_content_twice_in_one_commit_is_stored_once(tmp_path: Path) -> None:
    store = make_store(tmp_path)
    a = store.stage(io.BytesIO(b"same"))
    b = store.stage(io.BytesIO(b"same"))
    assert store.commit([a, b]) == [True, False]
    assert list(store.iter_digests()) == [a.digest]
    assert list((store.root / "tmp").iterdir()) == []


def test_clean_stale_removes_interrupted_writes(tmp_path: Path) -> None:
    store = make_store(tmp_path)
    store.stage(io.BytesIO(b"interrupted"))
    (store.tmp / "123-abc.part").write_bytes(b"partial")
    assert store.clean_stale() == 2
    assert list(store.tmp.iterdir()) == []


def test_limit_stops_a_stream_and_leaves_nothing(tmp_path: Path) -> None:
    store = make_store(tmp_path)
    with pytest.raises(LimitExceeded):
        store.stage(io.BytesIO(b"x" * 10_000), limit=100)
    assert list(store.tmp.iterdir()) == []


def test_verify_detects_flipped_truncated_and_missing(tmp_path: Path) -> None:
    store = make_store(tmp_path)
    data = os.urandom(10_000)
    s, _ = store.put(io.BytesIO(data))
    path = store.path(s.digest)
    path.chmod(0o644)
    damaged = bytearray(data)
    damaged[5000] ^= 0x01
    path.write_bytes(bytes(damaged))
    v = store.verify(s.digest, len(data))
    assert v.status is Fixity.CORRUPT
    assert v.actual_digest == hashlib.sha256(damaged).hexdigest()
    path.write_bytes(data[:4000])
    assert store.verify(s.digest, len(data)).status is Fixity.TRUNCATED
    path.unlink()
    assert store.verify(s.digest, len(data)).status is Fixity.MISSING


def test_is_digest() -> None:
    assert is_digest("a" * 64)
    assert not is_digest("A" * 64)
    assert not is_digest("a" * 63)
    assert not is_digest("g" * 64)
