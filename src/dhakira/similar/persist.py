"""The hash index on disk: derived data, so that a command at millions of hashes starts in
seconds instead of reading every hash back from the catalog.

``derived/similar/index-<algorithm>-v<version>.npz`` holds the index's arrays (codes, owners,
multi-index tables); ``.json`` beside it says what they are: the catalog's token and the
generation of ``sim_index_state`` (bumped by a trigger whenever a stored hash is deleted), the
last ``sim_hashes`` row included with its item and hash, and the file's SHA-256. Opening
checks all of that: a file of another catalog or generation, or whose last row the catalog no
longer holds, is stale; one whose digest, shape or content does not check out is damaged;
either is ignored and rebuilt from the catalog. Hashes stored after the file was written
(newer rows) are read from the catalog and added, so an ingest only extends it; the file is
rewritten when that tail grows (``save_if_grown``). Written by temp file + fsync + rename,
the description last: a crash leaves a file that is ignored, never one that is wrong.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sqlite3
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from dhakira.similar import ALGORITHM, VERSION
from dhakira.similar.index import COLUMNS, FRAME, HashIndex, extend
from dhakira.similar.mih import MAX_CHUNK_BITS, MIN_CHUNK_BITS, MultiIndex

FORMAT = 2  # 2: chunks of 16 to 21 bits, codes as 64-bit words (1: 16-bit chunks)
MIN_RESAVE = 10_000  # rows not in the file before it is rewritten (or 1/16 of its rows)


def paths(root: Path) -> tuple[Path, Path]:
    base = root / "derived" / "similar" / f"index-{ALGORITHM}-v{VERSION}"
    return base.with_suffix(".npz"), base.with_suffix(".json")


def state(conn: sqlite3.Connection) -> tuple[str, int]:
    token, generation = conn.execute(
        "SELECT token, generation FROM sim_index_state WHERE id = 1"
    ).fetchone()
    return str(token), int(generation)


def _last_row(conn: sqlite3.Connection, rowid: int) -> list[Any] | None:
    row = conn.execute("SELECT item_id, hash FROM sim_hashes WHERE rowid = ?", (rowid,)).fetchone()
    return None if row is None else [int(row[0]), bytes(row[1]).hex()]


def _digest(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(1 << 22):
            h.update(block)
    return h.hexdigest()


def _tables(m: MultiIndex, prefix: str) -> dict[str, np.ndarray]:
    return {
        f"{prefix}_codes": m.codes[: m.n],
        f"{prefix}_order": m.order,
        f"{prefix}_offsets": m.offsets,
        f"{prefix}_built": np.array([m.built, m.b]),
    }


def _restore(m: MultiIndex, data: Any, prefix: str) -> None:
    codes = data[f"{prefix}_codes"]
    built, b = (int(v) for v in data[f"{prefix}_built"])
    order, offsets = data[f"{prefix}_order"], data[f"{prefix}_offsets"]
    k = len(order)
    if (
        codes.dtype != np.uint64
        or order.dtype != np.uint32
        or offsets.dtype != np.uint32
        or codes.ndim != 2
        or codes.shape[1] != m.words
        or not MIN_CHUNK_BITS <= b <= MAX_CHUNK_BITS
        or k not in (0, 64 * m.words // b)
        or order.shape != (k, built)
        or built > len(codes)
        or (built and not k)
    ):
        raise ValueError(f"{prefix}: inconsistent shapes")
    if offsets.shape != (k, (1 << b) + 1) or (k and (offsets[:, -1] != built).any()):
        raise ValueError(f"{prefix}: inconsistent offsets")
    m.codes, m.n, m.built, m.b, m.order, m.offsets = codes, len(codes), built, b, order, offsets


def _remove_orphans(folder: Path) -> None:
    """Temp files of saves whose process is gone (killed mid-write): each may be as large as
    the index."""
    for tmp in folder.glob("index-*.*.tmp"):
        pid = tmp.name.split(".")[-2]
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            tmp.unlink(missing_ok=True)
        except PermissionError:
            pass  # alive, someone else's


def _remove_other_versions(npz: Path, meta: Path) -> None:
    """Index files beside ``npz`` and ``meta`` of other signature versions (an archive signed
    again by a newer Dhakira): derived data no version reads but its own, each as large as the
    index."""
    for old in npz.parent.glob(f"index-{ALGORITHM}-v*"):
        if old not in (npz, meta) and old.suffix in (".npz", ".json"):
            # held open, or not ours to remove: only space is lost, and it is tried again at
            # the next save (a failure here must not fail the save, nor what records it)
            with contextlib.suppress(OSError):
                old.unlink(missing_ok=True)


def save(root: Path, conn: sqlite3.Connection, index: HashIndex) -> None:
    """Write the index (call after the catalog has committed what it holds)."""
    npz, meta = paths(root)
    npz.parent.mkdir(parents=True, exist_ok=True)
    arrays = {name: index.col(name) for name in COLUMNS}
    arrays |= _tables(index.pdq, "pdq") | _tables(index.ph, "ph")
    arrays["ph_rows"] = index.ph_rows[: len(index.ph)]
    # a name of this process's own: two processes saving at once (an ingest, and `similar
    # FILE` next to it) never write into one temp file; the digest is of what this one wrote,
    # so a file another replaced it with under this description reads as damaged, not wrong
    _remove_orphans(npz.parent)
    tmp = npz.with_suffix(f".npz.{os.getpid()}.tmp")
    try:
        with tmp.open("wb") as f:
            # numpy's stub types **kwds against its keyword allow_pickle (bool) as well: a
            # dict of arrays can never satisfy mypy there, though numpy takes it
            np.savez(f, **arrays)  # type: ignore[arg-type]
            f.flush()
            os.fsync(f.fileno())
        digest = _digest(tmp)
        os.replace(tmp, npz)
    finally:
        tmp.unlink(missing_ok=True)  # a full disk: no half file left behind
    token, generation = state(conn)
    description = {
        "format": FORMAT,
        "algorithm": ALGORITHM,
        "version": VERSION,
        "token": token,
        "generation": generation,
        "max_rowid": index.max_rowid,
        "last": _last_row(conn, index.max_rowid),
        "rows": len(index),
        "sha256": digest,
    }
    tmp = meta.with_suffix(f".json.{os.getpid()}.tmp")
    try:
        tmp.write_text(json.dumps(description, indent=1), encoding="utf-8")
        os.replace(tmp, meta)
    finally:
        tmp.unlink(missing_ok=True)
    index.saved_rows = len(index)
    _remove_other_versions(npz, meta)


def read(root: Path, conn: sqlite3.Connection) -> HashIndex:
    """The saved index, checked; raises ValueError saying why it cannot be used."""
    npz, meta = paths(root)
    try:
        d = json.loads(meta.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ValueError("no saved index") from exc
    except (OSError, ValueError) as exc:
        raise ValueError(f"damaged: unreadable description ({exc})") from exc
    token, generation = state(conn)
    want = {"format": FORMAT, "algorithm": ALGORITHM, "version": VERSION, "token": token}
    if not isinstance(d, dict) or any(d.get(k) != v for k, v in want.items()):
        raise ValueError("stale: written for another catalog or format")
    if d.get("generation") != generation:
        raise ValueError("stale: hashes were removed since it was written")
    if d.get("last") != _last_row(conn, int(d.get("max_rowid", 0))):
        raise ValueError("stale: the catalog no longer holds the last hash it includes")
    try:
        if _digest(npz) != d.get("sha256"):
            raise ValueError("its SHA-256 does not match")
        index = HashIndex()
        with npz.open("rb") as f, np.load(f, allow_pickle=False) as data:
            _restore(index.pdq, data, "pdq")
            _restore(index.ph, data, "ph")
            n = index.pdq.n
            for name in COLUMNS:
                index.cols[name] = data[name]
                if len(index.cols[name]) != n:
                    raise ValueError(f"{name}: {len(index.cols[name])} rows, not {n}")
            index.ph_rows = data["ph_rows"]
            if len(index.ph_rows) != index.ph.n or d.get("rows") != n:
                raise ValueError("row counts disagree")
    except Exception as exc:  # whatever way a damaged file fails to load: rebuilt, not fatal
        raise ValueError(f"damaged: {exc}") from exc
    frames = index.col("items")[index.col("variants") == FRAME]
    items, counts = np.unique(frames, return_counts=True)
    index.frames = Counter(dict(zip(items.tolist(), counts.tolist(), strict=True)))
    index.max_rowid = int(d["max_rowid"])
    index.saved_rows = n
    return index


def open_index(root: Path, conn: sqlite3.Connection) -> tuple[HashIndex, str]:
    """The index of every current hash, and how it was had: ``saved`` (the file, plus any
    newer hashes from the catalog) or ``rebuilt: <why the file was not used>``."""
    try:
        index = read(root, conn)
        how = "saved"
    except ValueError as exc:
        index = HashIndex()
        how = f"rebuilt: {exc}"
    extend(index, conn)
    return index, how


def save_if_grown(root: Path, conn: sqlite3.Connection, index: HashIndex) -> bool:
    """Rewrite the file when the hashes not in it are many (or there is no valid file)."""
    unsaved = len(index) - index.saved_rows
    if index.saved_rows >= 0 and unsaved < max(MIN_RESAVE, index.saved_rows // 16):
        return False
    save(root, conn, index)
    return True
