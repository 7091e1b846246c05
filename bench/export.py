"""Export speed: `dhakira export bag` vs `cp -r` + SHA-256/SHA-512 hashing of the same files,
and `dhakira verify-bag` on a bag of many small items, in the same run.

    python bench/export.py [--files 20] [--mb 100] [--rounds 2] [--small 10000]

The baseline copies the archive's blob folder with `cp -r`, then hashes every copied file
with SHA-256 and SHA-512 in one read pass (hashlib: as fast as hashing gets here), then
`sync`s; `dhakira export bag` copies and hashes in one pass, writes metadata and proofs,
signs a checkpoint and syncs. Speed ratio = baseline time / export time (target >= 0.8).
Then a bag of --small items is verified (target < 60 s for 10,000).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import statistics
import sys
import time
from pathlib import Path

from _common import DHAKIRA, cleanup, sync, timed, workdir


def hash_tree(root: Path) -> None:
    buf = memoryview(bytearray(1 << 20))
    for p in sorted(root.rglob("*")):
        if not p.is_file():
            continue
        h256, h512 = hashlib.sha256(), hashlib.sha512()
        with open(p, "rb", buffering=0) as f:
            while n := f.readinto(buf):
                h256.update(buf[:n])
                h512.update(buf[:n])


def make_archive(root: Path, name: str, count: int, size: int) -> Path:
    src = root / f"{name}-src"
    src.mkdir()
    for i in range(count):
        d = src / f"d{i // 1000:03d}"
        d.mkdir(exist_ok=True)
        (d / f"f{i:06d}.bin").write_bytes(os.urandom(size))
    archive = root / name
    timed([*DHAKIRA, "init", archive])
    timed([*DHAKIRA, "-A", archive, "add", src, "-c", "bench", "--no-metadata"])
    cleanup(src)
    return archive


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=20)
    ap.add_argument("--mb", type=int, default=100)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--small", type=int, default=10_000)
    args = ap.parse_args()
    root = workdir("export")
    try:
        archive = make_archive(root, "large", args.files, args.mb << 20)
        total = args.files * (args.mb << 20)
        base_times, ours = [], []
        for r in range(args.rounds):
            # warm the page cache the same way for both sides
            hash_tree(archive / "blobs")
            sync()
            dst = root / f"cp-{r}"
            start = time.perf_counter()
            timed(["cp", "-r", archive / "blobs", dst])
            hash_tree(dst)
            sync()
            base_times.append(time.perf_counter() - start)
            cleanup(dst)
            hash_tree(archive / "blobs")
            sync()
            out = root / f"bag-{r}"
            export = [*DHAKIRA, "-A", archive, "export", "bag", "--all", out]
            ours.append(timed([*export, "--organization", "bench"]))
            cleanup(out)
        base, mine = statistics.median(base_times), statistics.median(ours)
        gb = total / 1e9
        print(
            f"data: {args.files} files x {args.mb} MB = {gb:.2f} GB, {args.rounds} rounds (median)"
        )
        print(f"cp -r + sha256/sha512 + sync : {base:6.2f} s  ({gb / base:.2f} GB/s)")
        print(f"dhakira export bag           : {mine:6.2f} s  ({gb / mine:.2f} GB/s)")
        print(f"speed ratio baseline / export = {base / mine:.2f}  (target >= 0.8)")
        cleanup(archive)
        sys.stdout.flush()

        if args.small:
            start = time.perf_counter()
            small = make_archive(root, "small", args.small, 200)
            made = time.perf_counter() - start
            out = root / "small-bag"
            t_export = timed([*DHAKIRA, "-A", small, "export", "bag", "--all", out,
                              "--organization", "bench"])  # fmt: skip
            key = (small / "keys" / "log.pub").read_text().strip()
            t_verify = timed([*DHAKIRA, "verify-bag", out, "--key", key])
            print(
                f"{args.small} small items (ingested in {made:.1f} s): export bag"
                f" {t_export:.1f} s, verify-bag {t_verify:.1f} s (target < 60 s)"
            )
    finally:
        cleanup(root)


if __name__ == "__main__":
    main()
