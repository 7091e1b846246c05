"""Metadata extraction in parallel across cores: images/s and videos/s.

    python bench/metadata.py [--images 300] [--videos 30]

Generates real JPEG photos with EXIF (Pillow) and H.264+AAC videos (ffmpeg), ingests them
with `--no-metadata`, then times `derive_pending` (exiftool + Pillow for images; ffprobe +
exiftool for videos) with 1 worker and with one worker per core. OCR is off here: it is
text extraction, measured by tests/text and quoted per image in docs/search.md.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import time
from pathlib import Path

from PIL import Image

from _common import DHAKIRA, cleanup, workdir
from dhakira.archive import Archive
from dhakira.ingest.derive import derive_pending, forget_properties
from dhakira.progress import Quiet


def make_images(folder: Path, n: int) -> None:
    folder.mkdir(parents=True)
    rng = random.Random(3)
    for i in range(n):
        img = Image.effect_noise((1024, 768), 40 + i % 30).convert("RGB")
        exif = Image.Exif()
        exif[0x010F] = "samsung"
        exif[0x0110] = "SM-G930F"
        exif[0x8825] = {1: "N", 2: (33.0, 34.0, rng.random() * 60), 3: "E", 4: (36.0, 24.0, 16.0)}
        img.save(folder / f"IMG_{i:05d}.jpg", quality=85, exif=exif)


def make_videos(folder: Path, n: int) -> None:
    folder.mkdir(parents=True)
    for i in range(n):
        subprocess.run(
            [
                "ffmpeg",
                "-v",
                "error",
                "-f",
                "lavfi",
                "-i",
                "testsrc2=s=640x360:d=5:r=25",
                "-f",
                "lavfi",
                "-i",
                f"sine=f={200 + i}:d=5",
                "-c:v",
                "libx264",
                "-preset",
                "ultrafast",
                "-c:a",
                "aac",
                "-metadata",
                "creation_time=2018-04-07T19:45:00Z",
                "-shortest",
                str(folder / f"VID_{i:04d}.mp4"),
            ],
            check=True,
        )


def timed_derive(archive_path: Path, workers: int) -> float:
    with Archive.open(archive_path) as archive:
        forget_properties(archive)
        start = time.perf_counter()
        derive_pending(archive, Quiet(), workers=workers, ocr=False)
        return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--images", type=int, default=300)
    ap.add_argument("--videos", type=int, default=30)
    args = ap.parse_args()
    root = workdir("metadata")
    try:
        make_images(root / "images", args.images)
        make_videos(root / "videos", args.videos)
        cores = os.cpu_count() or 1
        for kind, n in (("images", args.images), ("videos", args.videos)):
            archive = root / f"archive-{kind}"
            subprocess.run([*DHAKIRA, "init", str(archive)], check=True, capture_output=True)
            subprocess.run(
                [*DHAKIRA, "-A", str(archive), "add", str(root / kind), "-c", "b", "--no-metadata"],
                check=True,
                capture_output=True,
            )
            one = timed_derive(archive, 1)
            many = timed_derive(archive, cores)
            print(
                f"{kind:<7} {n:>4} files: 1 worker {n / one:6.1f} {kind}/s;"
                f" {cores} workers {n / many:6.1f} {kind}/s (x{one / many:.2f})"
            )
    finally:
        cleanup(root)


if __name__ == "__main__":
    main()
