"""Many small files: `dhakira add` of 20,000 files of 2-50 KB, end to end, in files/s.

    python bench/ingest_small.py [--files 20000]

The files are documents without embedded metadata: text in Arabic and English, opaque binary,
and a share of exact duplicates (media files cost their metadata tools' time: see
bench/metadata.py for images/s and videos/s). The baseline in the same run is `cp -r` +
`sha256sum`; the two are run alternately (cp, dhakira, dhakira, cp) because the disks of
virtual machines throttle bursts, and the medians are compared. `--dir /dev/shm` measures on a
RAM disk, where only CPU counts.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics

from _common import DHAKIRA, cleanup, sync, timed, workdir

WORDS = ["دوما", "الغوطة", "قصف", "مستشفى", "Douma", "shelling", "hospital", "witness", "2018"]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=20_000)
    ap.add_argument("--dir", help="where to work (default: .bench/ on the project's disk)")
    ap.add_argument(
        "--no-metadata",
        action="store_true",
        help="preserve and record only (add --no-metadata): no metadata, no text",
    )
    args = ap.parse_args()
    if args.dir:
        os.environ["DHAKIRA_BENCH_DIR"] = args.dir
    rng = random.Random(1)
    root = workdir("small")
    try:
        src = root / "src"
        total = 0
        previous: list[bytes] = []
        for i in range(args.files):
            folder = src / f"DCIM-{i // 500:03d}"
            if i % 500 == 0:
                folder.mkdir(parents=True)
            size = rng.randint(2_000, 50_000)
            if previous and rng.random() < 0.1:
                data = rng.choice(previous)
            elif i % 3 == 0:
                words = " ".join(rng.choice(WORDS) for _ in range(size // 8))
                data = words.encode()[:size]
            else:
                data = rng.randbytes(size)
            if i % 50 == 0:
                previous.append(data)
            (folder / f"file-{i:05d}.{'txt' if i % 3 == 0 else 'bin'}").write_bytes(data)
            total += len(data)
        base: list[float] = []
        ours: list[float] = []
        for r, who in enumerate(["cp", "dhakira", "dhakira", "cp"]):
            sync()
            if who == "cp":
                copy = root / f"copy-{r}"
                t_cp = timed(["cp", "-r", src, copy])
                t_sum = timed(["sh", "-c", f"find '{copy}' -type f -print0 | xargs -0 sha256sum"])
                base.append(t_cp + t_sum)
                cleanup(copy)
            else:
                archive = root / f"archive-{r}"
                timed([*DHAKIRA, "init", archive])
                flags = ["--no-metadata"] if args.no_metadata else []
                ours.append(
                    timed([*DHAKIRA, "-A", archive, "add", src, "--contributor", "b", *flags])
                )
                cleanup(archive)
        b, t = statistics.median(base), statistics.median(ours)
        print(f"data: {args.files} files, {total / 1e6:.0f} MB (2-50 KB each, ~10% duplicates)")
        print(f"where: {root}")
        print(f"cp -r + sha256sum : {b:6.2f} s  ({args.files / b:,.0f} files/s)")
        print(f"dhakira add       : {t:6.2f} s  ({args.files / t:,.0f} files/s, target >= 1,000)")
        print(f"ratio dhakira / (cp + sha256sum) = {t / b:.2f}")
    finally:
        cleanup(root)


if __name__ == "__main__":
    main()
