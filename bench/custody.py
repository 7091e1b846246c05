"""Custody log speed: batched appends, inclusion proofs at size, `log verify`.

    python bench/custody.py [--events 1000000]

Events go through the real path (Catalog.event: canonical JSON, leaf hash, Merkle nodes, one
SQLite transaction per batch of 10,000). Proofs are for random events against the full tree.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from pathlib import Path

from _common import cleanup, workdir
from dhakira.archive import Archive
from dhakira.custody import merkle
from dhakira.custody.audit import verify_log
from dhakira.custody.tree import DbNodes
from dhakira.progress import Quiet

BATCH = 10_000


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--proofs", type=int, default=2000)
    args = ap.parse_args()
    root = workdir("custody")
    try:
        archive = Archive.create(Path(root) / "a")
        cat = archive.catalog
        start = time.perf_counter()
        done = 0
        while done < args.events:
            n = min(BATCH, args.events - done)
            with cat.transaction():
                for i in range(n):
                    cat.event(
                        "fixity.checked",
                        f"{(done + i) * 2654435761 % 2**256:064x}",
                        result="ok",
                        actual_size=done + i,
                    )
            done += n
        append = time.perf_counter() - start
        size = cat.log.size
        print(
            f"append: {args.events:,} events in {append:.1f} s = {args.events / append:,.0f}"
            " events/s (target >= 20,000)"
        )

        nodes = DbNodes(cat.conn)
        root_hash = cat.log.root()
        rng = random.Random(1)
        times = []
        for _ in range(args.proofs):
            index = rng.randrange(size)
            t = time.perf_counter()
            proof = merkle.inclusion_proof(nodes, index, size)
            times.append(time.perf_counter() - t)
            assert merkle.verify_inclusion(nodes.node(0, index), index, size, proof, root_hash)
        times.sort()
        print(
            f"inclusion proof at {size:,} events: p50 {statistics.median(times) * 1e3:.2f} ms,"
            f" p95 {times[int(len(times) * 0.95)] * 1e3:.2f} ms, max {times[-1] * 1e3:.2f} ms"
            " (target < 5 ms)"
        )

        archive.log.checkpoint()
        t = time.perf_counter()
        report = verify_log(cat.conn, Quiet())
        took = time.perf_counter() - t
        assert report.ok, report.problems
        print(f"log verify: {report.events:,} events in {took:.1f} s (target < 30 s at 1M)")
        archive.close()
    finally:
        cleanup(root)


if __name__ == "__main__":
    main()
