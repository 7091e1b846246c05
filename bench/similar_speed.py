"""Speed of near-duplicate signatures and queries, on one core.

* image signatures per second (1920×1080 JPEGs from a camera-like source), against plain PDQ
  on a full decode of the same files;
* video signatures as a multiple of real time for 60 s of 720p H.264, with 2 s and 10 s
  keyframe intervals, against a full decode (`ffmpeg -f null`);
* range-query latency in a faiss IndexBinaryFlat of N random 256-bit hashes (default 10 M).

    .venv/bin/python bench/similar_speed.py [--images 200] [--hashes 10000000]
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import tempfile
import time
from pathlib import Path

import faiss
import numpy as np
import pdqhash
from PIL import Image

from dhakira.similar.image import DRAFT, image_signature
from dhakira.similar.match import radius
from dhakira.similar.settings import Settings
from dhakira.similar.video import video_signature
from similar_eval import scene


def cpu() -> float:
    """CPU seconds used so far by this process and its finished children (ffmpeg): on a shared
    machine, per-core throughput is work / CPU time, whatever the wall clock says."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def images(n: int, folder: Path) -> None:
    paths = []
    for i in range(min(n, 20)):
        p = folder / f"p{i}.jpg"
        scene(i, (1920, 1080)).save(p, quality=88)
        paths.append(p)
    paths = (paths * (n // len(paths) + 1))[:n]
    for p in paths[:5]:  # warm the page cache and the imports
        image_signature(p)
    start, wall = cpu(), time.perf_counter()
    for p in paths:
        image_signature(p)
    ours, ours_wall = cpu() - start, time.perf_counter() - wall
    start = cpu()
    for p in paths:
        with Image.open(p) as im:
            pdqhash.compute(np.asarray(im.convert("RGB")))
    plain = cpu() - start
    start = cpu()
    for p in paths:  # the floor: the decode alone, as small as Dhakira decodes it
        with Image.open(p) as im:
            im.draft("L", (DRAFT, DRAFT))
            im.load()
    decode = cpu() - start
    print(
        f"images: {n / ours:.0f} signatures per CPU-second (1920×1080 JPEG, {n} files;"
        f" wall clock {n / ours_wall:.0f}/s)"
    )
    print(f"        plain PDQ on a full decode: {n / plain:.0f}/CPU-s → ours {plain / ours:.1f}×")
    print(
        f"        the decode alone (luma at 1/8 scale): {n / decode:.0f}/CPU-s,"
        f" {1000 * decode / n:.2f} ms; the rest of a signature {1000 * (ours - decode) / n:.2f} ms"
    )


def videos(folder: Path) -> None:
    for gop in (50, 250):
        path = folder / f"v{gop}.mp4"
        subprocess.run(
            ["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i",
             "testsrc2=s=1280x720:r=25", "-t", "60", "-c:v", "libx264", "-preset", "veryfast",
             "-g", str(gop), "-pix_fmt", "yuv420p", str(path)],
            check=True,
        )  # fmt: skip
        start = cpu()
        sig = video_signature(path)
        ours = cpu() - start
        start = cpu()
        subprocess.run(
            ["ffmpeg", "-nostdin", "-v", "error", "-threads", "1", "-i", str(path), "-f", "null",
             "-"], check=True,
        )  # fmt: skip
        full = cpu() - start
        print(
            f"video: 60 s 720p H.264, keyframe every {gop / 25:.0f} s: {ours:.2f} CPU-s"
            f" = {60 / ours:.0f}× real time per core ({sig.frames} frames kept);"
            f" full decode {full:.2f} CPU-s = {60 / full:.0f}×"
        )


def queries(n: int) -> None:
    rng = np.random.default_rng(0)
    index = faiss.IndexBinaryFlat(256)
    step = 1_000_000
    for start in range(0, n, step):
        index.add(rng.integers(0, 256, (min(step, n - start), 32), dtype=np.uint8))
    r = radius(Settings())
    q = rng.integers(0, 256, (100, 32), dtype=np.uint8)
    index.range_search(q[:2], r + 1)  # warm
    times = []
    for row in q:
        t = time.thread_time()
        index.range_search(row[None, :], r + 1)
        times.append(time.thread_time() - t)
    times.sort()
    print(
        f"query: {n:,} hashes, radius {r} bits, one thread: median {1000 * times[50]:.1f} ms,"
        f" p95 {1000 * times[95]:.1f} ms CPU per hash"
    )
    t = time.thread_time()
    index.range_search(q[:32], r + 1)
    print(f"       a batch of 32 hashes (one video): {1000 * (time.thread_time() - t):.0f} ms CPU")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--images", type=int, default=200)
    ap.add_argument("--hashes", type=int, default=10_000_000)
    ap.add_argument("--skip", nargs="*", default=[], choices=["images", "video", "query"])
    a = ap.parse_args()
    faiss.omp_set_num_threads(1)
    print("(CPU time on one core: the machine is shared, so wall-clock figures are not per core)")
    with tempfile.TemporaryDirectory() as d:
        if "images" not in a.skip:
            images(a.images, Path(d))
        if "video" not in a.skip:
            videos(Path(d))
    if "query" not in a.skip:
        queries(a.hashes)


if __name__ == "__main__":
    main()
