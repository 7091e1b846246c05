"""Are image signatures bit-identical to those of another commit? (Speed work must not change
stored hashes without a new signature VERSION.)

Signs the same files with this checkout's ``src`` and with ``src`` of REV (``git archive``),
each in its own process, and compares every stored hash (bits, quality, pHash), the picture
sizes or the error message; query-only hashes (rotations, turned centres: compared at ingest,
never kept) are reported apart, with their distance. Files: generated scenes in the sizes
the speed bench uses (messaging copy, 1080p, 12 MP), every transform of ``similar_eval`` on
scenes and (when scikit-image is installed) its sample photos, and odd inputs (PNG with alpha,
palette GIF, WebP, grey and CMYK JPEG, EXIF-rotated, 16-bit, tiny, long and thin).

    .venv/bin/python bench/similar_compat.py [REV] [--scenes 12]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent


def make_files(folder: Path, scenes: int) -> list[Path]:
    from similar_eval import IMAGE_TRANSFORMS, sample_photos, scene

    out: list[Path] = []

    def save(im: Image.Image, name: str, **kw: object) -> None:
        path = folder / name
        im.save(path, **kw)
        out.append(path)

    for i in range(scenes):
        save(scene(i, (1280, 960)), f"msg{i}.jpg", quality=80)
        save(scene(100 + i, (1920, 1080)), f"hd{i}.jpg", quality=88)
        save(scene(300 + i, (1080, 1920)), f"portrait{i}.jpg", quality=85)
    for i in range(3):
        save(scene(200 + i, (4032, 3024)), f"mp12_{i}.jpg", quality=90)
    sources = [scene(400 + i, (640, 480)) for i in range(4)] + [scene(500, (1920, 1080))]
    sources += sample_photos()
    for k, src in enumerate(sources):
        for name, fn in {"original": lambda im, s: im, **IMAGE_TRANSFORMS}.items():
            im = fn(src, k * 31 + 7)
            save(im, f"t{k}_{name}.png")
            save(im, f"t{k}_{name}.jpg", quality=90)
    base = scene(600, (800, 600))
    rgba = base.convert("RGBA")
    rgba.putalpha(Image.linear_gradient("L").resize(base.size))
    save(rgba, "alpha.png")
    save(base.convert("P", palette=Image.Palette.ADAPTIVE), "palette.gif")
    save(base, "lossy.webp", quality=80)
    save(base, "lossless.webp", lossless=True)
    save(base.convert("L"), "grey.jpg", quality=85)
    save(base.convert("CMYK"), "cmyk.jpg", quality=85)
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: turned 90°
    save(base, "exif6.jpg", quality=85, exif=exif.tobytes())
    wide = np.asarray(base.convert("L")).astype(np.uint16) * 257
    save(Image.fromarray(wide), "sixteen.png")
    save(base.resize((8, 9)), "tiny.png")
    save(base.resize((1001, 77)), "thin.png")
    save(base.resize((77, 1001)), "tall.jpg", quality=85)
    save(base.resize((130, 129)), "small.jpg", quality=85)
    return out


def dump(files: list[str], to: str) -> None:
    """Sign ``files`` with whichever dhakira is on the path; write the hashes as JSON."""
    from dhakira.similar.image import image_signature
    from dhakira.similar.signature import SignatureError

    result = {}
    for f in files:
        try:
            sig = image_signature(Path(f))
        except SignatureError as exc:
            result[f] = str(exc)
            continue
        result[f] = {
            "size": [sig.width, sig.height],
            "picture": list(sig.picture) if sig.picture else None,
            "hashes": [[h.variant, h.bits.hex(), h.quality, h.phash] for h in sig.hashes],
            "query_only": [[h.variant, h.bits.hex(), h.quality, h.phash] for h in sig.query_only],
        }
    Path(to).write_text(json.dumps(result))


def sign_with(src: Path, files: list[Path], folder: Path, tag: str) -> dict[str, object]:
    listing, to = folder / f"{tag}.files", folder / f"{tag}.json"
    listing.write_text("\n".join(map(str, files)))
    env = {**os.environ, "PYTHONPATH": str(src)}
    subprocess.run([sys.executable, __file__, "--dump", str(listing), str(to)], check=True, env=env)
    return dict(json.loads(to.read_text()))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("rev", nargs="?", default="HEAD", help="the commit to compare with")
    ap.add_argument("--scenes", type=int, default=12)
    ap.add_argument("--dump", nargs=2, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.dump:
        dump(Path(a.dump[0]).read_text().splitlines(), a.dump[1])
        return
    with tempfile.TemporaryDirectory() as d:
        folder = Path(d)
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", a.rev, "src"], check=True, capture_output=True
        ).stdout
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(folder / "old", filter="data")
        (folder / "files").mkdir()
        files = make_files(folder / "files", a.scenes)
        old = sign_with(folder / "old" / "src", files, folder, "old")
        new = sign_with(ROOT / "src", files, folder, "new")
    stored = [f for f in old if _stored(old[f]) == _stored(new[f])]
    same = [f for f in old if old[f] == new[f]]
    hashes = sum(len(v["hashes"]) for v in old.values() if isinstance(v, dict))
    print(
        f"{len(stored)} of {len(old)} files give identical stored hashes ({hashes} hashes),"
        f" sizes or errors to {a.rev}; {len(same)} identical query-only hashes too"
    )
    for f in old:
        if _stored(old[f]) != _stored(new[f]):
            print(f"  stored differ: {Path(f).name}: {old[f]!r:.200} -> {new[f]!r:.200}")
    apart: dict[str, list[int]] = {}
    for f in set(old) - set(same) - (set(old) - set(stored)):
        for (v, b, q, p), (_, b2, q2, p2) in zip(
            old[f]["query_only"], new[f]["query_only"], strict=True
        ):
            d = (int(b, 16) ^ int(b2, 16)).bit_count()
            if d or q != q2 or p != p2:
                apart.setdefault(v, []).append(d)
    for v, ds in sorted(apart.items()):
        ds.sort()
        print(
            f"  query-only {v} differs in {len(ds)} files: median {ds[len(ds) // 2]},"
            f" max {ds[-1]} bits from {a.rev}'s"
        )
    sys.exit(0 if len(stored) == len(old) else 1)


def _stored(sig: object) -> object:
    """What an archive keeps of a signature: all but the query-only hashes."""
    return {k: v for k, v in sig.items() if k != "query_only"} if isinstance(sig, dict) else sig


if __name__ == "__main__":
    main()
