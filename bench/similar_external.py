"""How far is Dhakira's `full` image hash from plain PDQ (``pdqhash`` on the full-size RGB
decode), the hash external PDQ lists hold? Dhakira hashes a small luma decode for speed; this
says whether its hash can still be looked up in such a list (PDQ's own match threshold is 31).

Files: generated 1920×1080 scenes saved as JPEG q88 and (when scikit-image is installed)
its sample photos saved as JPEG q90. Prints the distances' median, mean, p90 and max, and the
largest few with their files.

    .venv/bin/python bench/similar_external.py [--scenes 20]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np
import pdqhash
from PIL import Image

from dhakira.similar.image import image_signature
from dhakira.similar.signature import hamming
from similar_eval import sample_photos, scene


def plain_pdq(path: Path) -> bytes:
    """pdqhash on the full-size RGB decode, packed as Dhakira packs its hashes."""
    with Image.open(path) as im:
        vector, _ = pdqhash.compute(np.asarray(im.convert("RGB")))
    return np.packbits(vector.astype(np.uint8)).tobytes()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--scenes", type=int, default=20)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        paths = []
        for i in range(a.scenes):
            p = folder / f"scene{i}-1920x1080.jpg"
            scene(i, (1920, 1080)).save(p, quality=88)
            paths.append(p)
        photos = sample_photos()
        for k, im in enumerate(photos):
            p = folder / f"photo{k}-{im.width}x{im.height}.jpg"
            im.convert("RGB").save(p, quality=90)
            paths.append(p)
        d = np.array([hamming(image_signature(p).hashes[0].bits, plain_pdq(p)) for p in paths])
    print(
        f"{len(paths)} JPEGs ({a.scenes} generated 1920×1080, {len(photos)} scikit-image photos):"
        f" Dhakira's `full` hash against pdqhash on the full decode, bits of 256: median"
        f" {np.median(d):.0f}, mean {d.mean():.1f}, p90 {np.percentile(d, 90):.0f},"
        f" max {d.max()}"
    )
    if a.scenes:
        print(f"  the 1920×1080 scenes alone: {d[: a.scenes].min()}–{d[: a.scenes].max()}")
    worst = np.argsort(d)[::-1][:3]
    print("  largest:", ", ".join(f"{paths[i].name} {d[i]}" for i in worst))


if __name__ == "__main__":
    main()
