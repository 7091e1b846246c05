"""Large files: `dhakira add` vs `cp -r` + `sha256sum` of the same data, in the same run.

    python bench/ingest_large.py [--files 40] [--mb 50] [--rounds 2]

Both sides start with the source files in the page cache. `dhakira add` additionally fsyncs
every blob (cp does not) and records metadata; the ratio is dhakira / (cp + sha256sum).
"""

from __future__ import annotations

import argparse
import os
import statistics

from _common import DHAKIRA, cleanup, sync, timed, workdir


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=40)
    ap.add_argument("--mb", type=int, default=50)
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args()
    root = workdir("large")
    try:
        src = root / "src"
        src.mkdir()
        for i in range(args.files):
            (src / f"video-{i:03d}.mp4").write_bytes(os.urandom(args.mb << 20))
        total = args.files * (args.mb << 20)
        base_times, ours = [], []
        for r in range(args.rounds):
            sync()
            dst = root / f"cp-{r}"
            t_cp = timed(["cp", "-r", src, dst])
            files = sorted(str(p) for p in dst.iterdir())
            t_sum = timed(["sha256sum", *files])
            base_times.append(t_cp + t_sum)
            cleanup(dst)
            sync()
            archive = root / f"archive-{r}"
            timed([*DHAKIRA, "init", archive])
            ours.append(timed([*DHAKIRA, "-A", archive, "add", src, "--contributor", "bench"]))
            cleanup(archive)
        base, mine = statistics.median(base_times), statistics.median(ours)
        gb = total / 1e9
        print(
            f"data: {args.files} files x {args.mb} MB = {gb:.2f} GB, {args.rounds} rounds (median)"
        )
        print(f"cp -r + sha256sum : {base:6.2f} s  ({gb / base:.2f} GB/s)")
        print(f"dhakira add       : {mine:6.2f} s  ({gb / mine:.2f} GB/s)")
        print(f"ratio dhakira / (cp + sha256sum) = {mine / base:.2f}  (target <= 1.3)")
    finally:
        cleanup(root)


if __name__ == "__main__":
    main()
