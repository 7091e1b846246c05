"""Labelled evaluation of near-duplicate matching: precision and recall per transform.

Images: scikit-image's shipped photos (when installed) and generated scenes, each transformed
as re-uploads are (low-quality JPEG, resize, thumbnail, brightness, contrast, grayscale,
caption bar, logo, crops of 5-25 %, letterbox, pillarbox, small rotations, mirror). Video:
ffmpeg sources (mandelbrot, life, cellauto, testsrc2) and pans over photos, re-encoded to other
codecs and bitrates, resized, cut, at another frame rate, with a logo, mirrored, behind a
shared intro, and before a shared outro after footage of a length of its own.

Every original and every copy goes into one index, as in an archive; each is queried as it
would be at ingest, and the links made are compared with the labels (same source or not).
Dhakira is compared on the same set with plain pHash (64-bit, ≤ 10 bits) and plain PDQ
(full image or middle frame, ≤ 31 bits), and the smallest distance between unrelated items is
reported for each.

    .venv/bin/python bench/similar_eval.py [--images N] [--videos N] [--no-video] [--keep DIR]
"""

from __future__ import annotations

import argparse
import io
import itertools
import math
import random
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import imagehash
import numpy as np
from PIL import Image, ImageDraw, ImageEnhance, ImageOps

from dhakira.similar.image import load, signature_of
from dhakira.similar.index import HashIndex
from dhakira.similar.match import decide, query_hashes, radius
from dhakira.similar.settings import Settings
from dhakira.similar.signature import Hash, Signature, SignatureError, hamming, pdq
from dhakira.similar.video import video_signature

PHASH_T = 10
PDQ_T = 31

# -- image sources and transforms ----------------------------------------------------------------


def sample_photos() -> list[Image.Image]:
    try:
        from skimage import data
    except ImportError:
        return []
    names = [
        "astronaut", "coffee", "chelsea", "camera", "rocket", "hubble_deep_field",
        "immunohistochemistry", "coins", "moon", "retina", "brick", "grass", "gravel",
        "colorwheel", "page", "text", "horse", "clock", "logo",
    ]  # fmt: skip
    out = []
    for n in names:
        fn = getattr(data, n, None)
        if fn is None:
            continue
        try:
            arr = np.asarray(fn())
        except Exception:  # a sample that needs a download: skip it
            continue
        if arr.dtype == bool:
            arr = arr.astype(np.uint8) * 255
        if arr.dtype != np.uint8:
            arr = (255 * (arr - arr.min()) / max(1e-9, float(np.ptp(arr)))).astype(np.uint8)
        im = Image.fromarray(arr)
        out.append(im.convert("RGB"))
    return out


def scene(seed: int, size: tuple[int, int] = (640, 480)) -> Image.Image:
    """A generated 'photo': gradient sky, ground, buildings, blobs and noise."""
    rng = random.Random(seed)
    w, h = size
    top = np.array([rng.randrange(256) for _ in range(3)], np.float32)
    bottom = np.array([rng.randrange(256) for _ in range(3)], np.float32)
    ramp = np.linspace(0, 1, h, dtype=np.float32)[:, None, None]
    arr = (top * (1 - ramp) + bottom * ramp) * np.ones((1, w, 1), np.float32)
    nrng = np.random.default_rng(seed)
    arr += nrng.normal(0, 6, arr.shape)
    im = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))
    d = ImageDraw.Draw(im)
    for _ in range(rng.randrange(6, 16)):
        x0, y0 = rng.randrange(w), rng.randrange(h // 3, h)
        bw, bh = rng.randrange(20, w // 3), rng.randrange(20, h // 2)
        colour = tuple(rng.randrange(256) for _ in range(3))
        if rng.random() < 0.5:
            d.rectangle((x0, y0 - bh, x0 + bw, y0), fill=colour)
        else:
            d.ellipse((x0, y0 - bh, x0 + bw, y0), fill=colour)
    for _ in range(rng.randrange(3, 10)):
        pts = [(rng.randrange(w), rng.randrange(h)) for _ in range(2)]
        d.line(pts, fill=tuple(rng.randrange(256) for _ in range(3)), width=rng.randrange(2, 9))
    return im


def _jpeg(im: Image.Image, q: int) -> Image.Image:
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=q)
    return Image.open(io.BytesIO(buf.getvalue())).convert("RGB")


def _crop(im: Image.Image, share: float, seed: int) -> Image.Image:
    """Remove ``share`` of the area: a random mix of sides."""
    w, h = im.size
    keep = math.sqrt(1 - share)
    nw, nh = round(w * keep), round(h * keep)
    rng = random.Random(seed)
    x, y = rng.randint(0, w - nw), rng.randint(0, h - nh)
    return im.crop((x, y, x + nw, y + nh))


def _bar(im: Image.Image, text: str = "قناة الشام  SHAM NEWS  خاص") -> Image.Image:
    w, h = im.size
    out = im.copy()
    d = ImageDraw.Draw(out)
    d.rectangle((0, int(h * 0.86), w, h), fill=(180, 20, 20))
    d.text((10, int(h * 0.89)), text, fill=(255, 255, 255))
    return out


def _logo(im: Image.Image) -> Image.Image:
    w, h = im.size
    out = im.copy()
    d = ImageDraw.Draw(out)
    s = int(min(w, h) * 0.14)
    d.ellipse((w - s - 8, 8, w - 8, 8 + s), fill=(255, 255, 255), outline=(0, 0, 0), width=3)
    d.text((w - s, 8 + s // 3), "TV", fill=(200, 0, 0))
    return out


def _box(im: Image.Image, aspect: float) -> Image.Image:
    """Letterbox (aspect > picture's) or pillarbox (aspect < picture's) into black."""
    w, h = im.size
    if aspect > w / h:
        nw, nh = round(h * aspect), h
    else:
        nw, nh = w, round(w / aspect)
    out = Image.new("RGB", (nw, nh), (0, 0, 0))
    out.paste(im, ((nw - w) // 2, (nh - h) // 2))
    return out


def _screenshot(im: Image.Image) -> Image.Image:
    """A phone screenshot: smaller, letterboxed in a portrait screen, a caption bar, JPEG."""
    small = im.resize((im.width * 3 // 4, im.height * 3 // 4))
    return _jpeg(_bar(_box(small, 9 / 16)), 60)


def _rotate(im: Image.Image, deg: float) -> Image.Image:
    return im.rotate(deg, resample=Image.Resampling.BILINEAR, expand=False, fillcolor=(0, 0, 0))


IMAGE_TRANSFORMS: dict[str, Callable[[Image.Image, int], Image.Image]] = {
    "jpeg-q15": lambda im, s: _jpeg(im, 15),
    "resize-50%": lambda im, s: im.resize((im.width // 2, im.height // 2)),
    "thumbnail-128": lambda im, s: ImageOps.contain(im, (128, 128)),
    "brighter": lambda im, s: ImageEnhance.Brightness(im).enhance(1.35),
    "darker": lambda im, s: ImageEnhance.Brightness(im).enhance(0.7),
    "contrast": lambda im, s: ImageEnhance.Contrast(im).enhance(1.5),
    "grayscale": lambda im, s: ImageOps.grayscale(im).convert("RGB"),
    "caption-bar": lambda im, s: _bar(im),
    "logo": lambda im, s: _logo(im),
    "crop-5%": lambda im, s: _crop(im, 0.05, s),
    "crop-10%": lambda im, s: _crop(im, 0.10, s),
    "crop-25%": lambda im, s: _crop(im, 0.25, s),
    "pillarbox": lambda im, s: _box(im, 16 / 9 * 1.4),
    "letterbox": lambda im, s: _box(im, 0.6),
    "rotate-2°": lambda im, s: _rotate(im, 2),
    "rotate-5°": lambda im, s: _rotate(im, 5),
    "mirror": lambda im, s: ImageOps.mirror(im),
    "screenshot": lambda im, s: _screenshot(im),
}  # fmt: skip


@dataclass(frozen=True)
class Entry:
    source: int
    transform: str  # "original" for the source itself
    sig: Signature
    phash: int
    pdq: bytes  # plain PDQ: full image (images), middle frame (video)


def image_entry(args: tuple[int, str, Image.Image, int]) -> Entry:
    source, name, im, seed = args
    im = im if name == "original" else IMAGE_TRANSFORMS[name](im, seed)
    buf = io.BytesIO()
    im.save(buf, "PNG" if name not in ("jpeg-q15", "screenshot") else "JPEG", quality=95)
    with tempfile.NamedTemporaryFile(suffix=".img") as f:
        f.write(buf.getvalue())
        f.flush()
        small, w, h = load(Path(f.name))
    sig = signature_of(small, w, h)
    plain = Image.open(io.BytesIO(buf.getvalue())).convert("RGB")
    bits, _ = pdq(np.asarray(plain))
    return Entry(source, name, sig, int(str(imagehash.phash(plain)), 16), bits)


# -- video sources and transforms -------------------------------------------------------------

VIDEO_SOURCES = [
    "mandelbrot=s=640x360:r=25:start_scale=3",
    "mandelbrot=s=640x360:r=25:start_x=-0.743643887037158:start_y=0.131825904205311:start_scale=0.5",
    "life=s=640x360:r=25:seed=1:ratio=0.1:mold=10:life_color=#00ff00:death_color=#aa0000",
    "life=s=640x360:r=25:seed=7:ratio=0.3:rule=B36/S23",
    "cellauto=s=640x360:r=25:rule=30:scroll=1:seed=3",
    "cellauto=s=640x360:r=25:rule=110:seed=5",
    "testsrc2=s=640x360:r=25",
    "life=s=640x360:r=25:seed=11:ratio=0.5:mold=25:life_color=#ffcc00",
]
PHOTO_PANS = 5
VIDEO_SECONDS = 24

VIDEO_TRANSFORMS: dict[str, list[str]] = {
    "h264-crf40": ["-c:v", "libx264", "-crf", "40", "-preset", "veryfast"],
    "mpeg4-300k": ["-c:v", "mpeg4", "-b:v", "300k"],
    "vp8-200k": ["-c:v", "libvpx", "-b:v", "200k", "-deadline", "realtime", "-cpu-used", "8"],
    "resize-320": ["-vf", "scale=320:-2", "-c:v", "libx264", "-preset", "veryfast"],
    "excerpt-7..17s": ["-ss", "7", "-t", "10", "-c:v", "libx264", "-preset", "veryfast"],
    "fps-12": ["-r", "12", "-c:v", "libx264", "-preset", "veryfast"],
    "logo": [
        "-vf",
        "drawbox=x=iw-90:y=10:w=80:h=50:color=white@0.8:t=fill,"
        "drawbox=x=10:y=ih-40:w=iw-20:h=30:color=red@0.7:t=fill",
        "-c:v", "libx264", "-preset", "veryfast",
    ],
    "mirror": ["-vf", "hflip", "-c:v", "libx264", "-preset", "veryfast"],
    "long-gop": ["-c:v", "libx264", "-g", "300", "-preset", "veryfast"],
}  # fmt: skip


def _ff(args: list[str]) -> None:
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", *args], check=True)


def make_video(args: tuple[int, str, Path]) -> Path:
    i, src, folder = args
    out = folder / f"src{i}.mp4"
    if out.exists():  # --keep: made by an earlier run
        return out
    if src.startswith("pan:"):
        photo = Path(src[4:])
        zoom = "zoompan=z='min(zoom+0.0015,1.5)':x='iw/2-(iw/zoom/2)+on':y='ih/2-(ih/zoom/2)'"
        _ff([
            "-loop", "1", "-i", str(photo), "-vf",
            f"scale=1280:-2,{zoom}:d={VIDEO_SECONDS * 25}:s=640x360:fps=25",
            "-t", str(VIDEO_SECONDS), "-c:v", "libx264", "-g", "50", "-pix_fmt", "yuv420p",
            str(out),
        ])  # fmt: skip
    else:
        _ff([
            "-f", "lavfi", "-i", src, "-t", str(VIDEO_SECONDS), "-c:v", "libx264", "-g", "50",
            "-pix_fmt", "yuv420p", str(out),
        ])  # fmt: skip
    return out


INTRO_SECONDS = 5
OUTRO_SECONDS = 6


def _card_clip(folder: Path, name: str, seed: int, caption: str, seconds: int) -> Path:
    """A media centre's logo sequence: a slow zoom over a captioned picture."""
    out = folder / f"{name}.mp4"
    if not out.exists():
        card = _bar(scene(seed, (1280, 720)), caption)
        card.save(folder / f"{name}.png")
        zoom = "zoompan=z='min(zoom+0.004,1.6)':x='iw/2-(iw/zoom/2)':y='ih/2-(ih/zoom/2)'"
        _ff([
            "-loop", "1", "-i", str(folder / f"{name}.png"), "-vf",
            f"{zoom}:d={seconds * 25}:s=640x360:fps=25", "-t", str(seconds),
            "-c:v", "libx264", "-pix_fmt", "yuv420p", str(out),
        ])  # fmt: skip
    return out


def make_intro(folder: Path) -> Path:
    """The 5 s intro that the "intro" copies of every source start with (then 10 s of the
    source, from 3 s in)."""
    return _card_clip(
        folder, "intro", 4242, "شبكة أخبار الغوطة  GHOUTA NEWS NETWORK", INTRO_SECONDS
    )


def make_outro(folder: Path) -> Path:
    """The 6 s outro that the "outro" copies of every source end with, after 10-12.5 s of the
    source (a length of its own per source: the copies are sampled at other moments)."""
    return _card_clip(folder, "outro", 4343, "تنسيقية دوما  DOUMA COORDINATION", OUTRO_SECONDS)


def outro_seconds(source: int) -> float:
    return 10 + 0.35 * (source % 8)


def copy_path(folder: Path, source: int, name: str) -> Path:
    if name == "original":
        return folder / f"src{source}.mp4"
    return folder / f"src{source}-{name}{'.webm' if name.startswith('vp8') else '.mp4'}"


def video_entry(args: tuple[int, str, Path, Path]) -> Entry:
    source, name, original, folder = args
    path = copy_path(folder, source, name)
    if name == "intro" and not path.exists():  # the shared intro, then 10 s of the source
        _ff([
            "-i", str(folder / "intro.mp4"), "-ss", "3", "-t", "10", "-i", str(original),
            "-filter_complex", "[0:v][1:v]concat=n=2:v=1[v]", "-map", "[v]", "-c:v",
            "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p", str(path),
        ])  # fmt: skip
    elif name == "outro" and not path.exists():  # some of the source, then the shared outro
        _ff([
            "-ss", "3", "-t", str(outro_seconds(source)), "-i", str(original),
            "-i", str(folder / "outro.mp4"),
            "-filter_complex", "[0:v][1:v]concat=n=2:v=1[v]", "-map", "[v]", "-c:v",
            "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p", str(path),
        ])  # fmt: skip
    elif name != "original" and not path.exists():
        _ff(["-i", str(original), *VIDEO_TRANSFORMS[name], "-an", str(path)])
    try:
        sig = video_signature(path)
    except SignatureError as exc:  # counted as a miss
        print(f"  {path.name}: {exc}", file=sys.stderr)
        sig = Signature("video", [])
    frames = [h for h in sig.hashes if h.variant == "frame"]
    mid = frames[len(frames) // 2] if frames else None
    return Entry(source, name, sig, 0, mid.bits if mid else bytes(32))


# -- evaluation ---------------------------------------------------------------------------------


def dhakira_links(entries: list[Entry], s: Settings) -> set[tuple[int, int]]:
    """Links made when the entries are ingested one after another (as in an archive)."""
    index = HashIndex()
    links = set()
    for i, e in enumerate(entries):
        hits = index.search(query_hashes(e.sig), radius(s), exclude=i)
        for m in decide(e.sig, hits, index, s):
            links.add((min(i, m.item_id), max(i, m.item_id)))
        index.add(i, e.sig.hashes)
    return links


def plain_links(
    entries: list[Entry], dist: Callable[[Entry, Entry], int], t: int
) -> set[tuple[int, int]]:
    return {
        (i, j)
        for i, j in itertools.combinations(range(len(entries)), 2)
        if dist(entries[i], entries[j]) <= t
    }


def closest_unrelated(entries: list[Entry], dist: Callable[[Entry, Entry], int]) -> int:
    return min(
        (dist(a, b) for a, b in itertools.combinations(entries, 2) if a.source != b.source),
        default=-1,
    )


def report(
    title: str, entries: list[Entry], methods: dict[str, set[tuple[int, int]]]
) -> dict[str, dict[str, tuple[float, float]]]:
    """Per transform and method: (recall of original↔copy, precision of the copy's links)."""
    transforms = sorted({e.transform for e in entries} - {"original"})
    originals = {e.source: i for i, e in enumerate(entries) if e.transform == "original"}
    out: dict[str, dict[str, tuple[float, float]]] = defaultdict(dict)
    print(f"\n{title}: {len(originals)} sources, {len(entries)} items")
    print(f"{'transform':<16}" + "".join(f"{m:>22}" for m in methods))
    print(f"{'':<16}" + "".join(f"{'recall  precision':>22}" for _ in methods))
    for t in [*transforms, "ALL"]:
        row = f"{t:<16}"
        for m, links in methods.items():
            tp = pos = good = made = 0
            for i, e in enumerate(entries):
                if e.transform == "original" or (t != "ALL" and e.transform != t):
                    continue
                pos += 1
                o = originals[e.source]
                tp += (min(i, o), max(i, o)) in links
                for a, b in links:
                    if i in (a, b):
                        made += 1
                        good += entries[a].source == entries[b].source
            recall = tp / pos if pos else 1.0
            precision = good / made if made else 1.0
            out[t][m] = (recall, precision)
            row += f"{recall:>12.3f} {precision:>9.3f}"
        print(row)
    return out


def overall(entries: list[Entry], links: set[tuple[int, int]]) -> tuple[float, float]:
    """Recall over original↔copy pairs; precision over every link made."""
    originals = {e.source: i for i, e in enumerate(entries) if e.transform == "original"}
    copies = [i for i, e in enumerate(entries) if e.transform != "original"]
    tp = sum(
        (min(i, originals[entries[i].source]), max(i, originals[entries[i].source])) in links
        for i in copies
    )
    good = sum(entries[a].source == entries[b].source for a, b in links)
    return tp / max(1, len(copies)), good / max(1, len(links))


def image_set(n_generated: int, photos: bool = True) -> list[tuple[int, str, Image.Image, int]]:
    sources = (sample_photos() if photos else []) + [scene(1000 + k) for k in range(n_generated)]
    jobs = []
    for k, im in enumerate(sources):
        im = ImageOps.contain(im, (800, 800)) if max(im.size) > 800 else im
        jobs.append((k, "original", im, k))
        jobs += [(k, name, im, k * 31 + 7) for name in IMAGE_TRANSFORMS]
    return jobs


def eval_images(n_generated: int, workers: int) -> None:
    jobs = image_set(n_generated)
    start = time.perf_counter()
    with ProcessPoolExecutor(workers) as pool:
        entries = list(pool.map(image_entry, jobs, chunksize=8))
    print(f"images: {len(entries)} signatures in {time.perf_counter() - start:.1f} s")
    s = Settings()
    ph, pq = _phash_distance, _pdq_distance

    def only(keep: tuple[str, ...], dihedral: bool = True, turns: bool = True) -> list[Entry]:
        def kept(h: Hash) -> bool:
            return turns if h.variant.startswith("turn") else dihedral

        return [
            replace(
                e,
                sig=replace(
                    e.sig,
                    hashes=[h for h in e.sig.hashes if h.variant in keep],
                    query_only=[h for h in e.sig.query_only if kept(h)],
                ),
            )
            for e in entries
        ]

    corners = ("tl", "tr", "bl", "br")
    sides = ("t", "b", "l", "r", "mid")
    every = ("full", "trim", "bars", "centre", *corners, *sides)
    methods = {
        "dhakira": dhakira_links(entries, s),
        "no sides": dhakira_links(only(("full", "trim", "bars", "centre", *corners)), s),
        "no turns": dhakira_links(only(every, turns=False), s),
        "no corners/sides": dhakira_links(only(("full", "trim", "bars", "centre")), s),
        "no trim": dhakira_links(only(("full", "centre", *corners, *sides)), s),
        "no mirrors": dhakira_links(only(every, False), s),
        f"phash<={PHASH_T}": plain_links(entries, ph, PHASH_T),
        f"pdq<={PDQ_T}": plain_links(entries, pq, PDQ_T),
    }
    report(
        "IMAGES (recall of original↔copy; precision of links touching the copy)", entries, methods
    )
    for m, links in methods.items():
        r, p = overall(entries, links)
        print(f"  {m:<20} overall recall {r:.3f} precision {p:.4f} ({len(links)} links)")
    print(
        f"  smallest unrelated distance: pHash {closest_unrelated(entries, ph)}/64,"
        f" PDQ full {closest_unrelated(entries, pq)}/256,"
        f" Dhakira best-variant {closest_dhakira(entries)}/256"
    )


def closest_dhakira(entries: list[Entry]) -> int:
    """Smallest PDQ distance between unrelated items over every variant pair Dhakira compares
    (each query hash against every stored hash of the other items, by faiss)."""
    import faiss

    stored = [(e.source, h.bits) for e in entries for h in e.sig.hashes]
    index = faiss.IndexBinaryFlat(256)
    index.add(np.frombuffer(b"".join(b for _, b in stored), np.uint8).reshape(-1, 32))
    sources = np.array([s for s, _ in stored])
    k = int(min(len(stored), 1 + np.bincount(sources).max()))  # more than one source holds
    best = 256
    for e in entries:
        q = [h.bits for h in query_hashes(e.sig)]
        dist, ids = index.search(np.frombuffer(b"".join(q), np.uint8).reshape(-1, 32), k)
        other = sources[ids] != e.source
        if other.any():
            best = min(best, int(dist[other].min()))
    return best


def mpeg7_pair(args: tuple[Path, Path]) -> bool:
    """Whether ffmpeg's MPEG-7 ``signature`` filter finds the two videos matching."""
    out = subprocess.run(
        ["ffmpeg", "-nostdin", "-hide_banner", "-nostats", "-threads", "1", "-i", str(args[0]),
         "-i", str(args[1]), "-filter_complex",
         "[0:v][1:v]signature=nb_inputs=2:detectmode=full", "-f", "null", "-"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    return "matching of video 0 at" in out.stderr or "whole video matching" in out.stderr


def eval_mpeg7(entries: list[Entry], folder: Path, workers: int) -> None:
    """ffmpeg's ``signature`` filter compares two videos at a time (it keeps no index), so it
    is run on each copy against its own original (recall) and against the next source's
    original (false matches), not on every pair."""
    sources = sorted({e.source for e in entries})
    pairs = []
    for e in entries:
        if e.transform != "original":
            other = sources[(sources.index(e.source) + 1) % len(sources)]
            copy = copy_path(folder, e.source, e.transform)
            pairs += [(copy, copy_path(folder, e.source, "original"))]
            pairs += [(copy, copy_path(folder, other, "original"))]
    start = time.perf_counter()
    with ProcessPoolExecutor(workers) as pool:
        found = list(pool.map(mpeg7_pair, pairs))
    print(f"\nffmpeg signature (MPEG-7): {len(pairs)} pairs in {time.perf_counter() - start:.0f} s")
    by: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    copies = [e for e in entries if e.transform != "original"]
    for k, e in enumerate(copies):
        by[e.transform][0] += found[2 * k]
        by[e.transform][1] += found[2 * k + 1]
        by[e.transform][2] += 1
    print(f"  {'transform':<22} {'recall':>7} {'false matches':>14}")
    for name, (tp, fp, n) in sorted(by.items()):
        print(f"  {name:<22} {tp / n:7.3f} {fp:>9} of {n}")
    tp, fp, n = (sum(v[i] for v in by.values()) for i in range(3))
    print(f"  {'ALL':<22} {tp / n:7.3f} {fp:>9} of {n}")


def eval_videos(
    n_sources: int,
    workers: int,
    pans: int = PHOTO_PANS,
    keep: Path | None = None,
    mpeg7: bool = False,
) -> None:
    folder = keep or Path(tempfile.mkdtemp(prefix="dhakira-eval-"))
    folder.mkdir(parents=True, exist_ok=True)
    sources: list[str] = VIDEO_SOURCES[:n_sources]
    photos = sample_photos() or [scene(2000 + k, (1024, 768)) for k in range(pans)]
    for k, im in enumerate(photos[:pans]):  # pans over photos (generated without scikit-image)
        p = folder / f"photo{k}.png"
        im.save(p)
        sources.append(f"pan:{p}")
    start = time.perf_counter()
    with ProcessPoolExecutor(workers) as pool:
        originals = list(pool.map(make_video, [(i, s, folder) for i, s in enumerate(sources)]))
        jobs = [(i, "original", o, folder) for i, o in enumerate(originals)]
        make_intro(folder)
        make_outro(folder)
        names = [*VIDEO_TRANSFORMS, "intro", "outro"]
        jobs += [(i, t, o, folder) for i, o in enumerate(originals) for t in names]
        entries = list(pool.map(video_entry, jobs))
    print(f"\nvideos: {len(entries)} made and signed in {time.perf_counter() - start:.1f} s")
    s = Settings()
    pq = _pdq_distance
    methods = {
        "dhakira": dhakira_links(entries, s),
        "no-unlike-check": dhakira_links(entries, replace(s, unrelated_distance=257)),
        f"pdq-middle<={PDQ_T}": plain_links(entries, pq, PDQ_T),
    }
    report("VIDEOS", entries, methods)
    shared = {b: {i for i, e in enumerate(entries) if e.transform == b} for b in BOILERPLATE}
    for m, links in methods.items():
        r, p = overall(entries, links)
        behind = "; ".join(
            f"{_different(entries, links, ks)} of {len(ks) * (len(ks) - 1) // 2} pairs of"
            f" different videos with the same {b} linked"
            for b, ks in shared.items()
        )
        print(f"  {m:<20} overall recall {r:.3f} precision {p:.4f} ({len(links)} links; {behind})")
    # (the intro and outro copies share seconds with each other by construction)
    frames = [(e, h.bits) for e in entries if e.transform not in BOILERPLATE for h in e.sig.hashes]
    rng = random.Random(0)
    pairs = [rng.sample(frames, 2) for _ in range(200_000)]
    d = min(hamming(a[1], b[1]) for a, b in pairs if a[0].source != b[0].source)
    print(
        f"  smallest unrelated frame distance (200k random frame pairs): {d}/256;"
        f" middle-frame PDQ: {closest_unrelated(entries, pq)}/256"
    )
    offsets = [
        (e.transform, m.offset_s)
        for i, e in enumerate(entries)
        if e.transform.startswith("excerpt")
        for m in [mm for mm in _matches_against_original(entries, i, s)]
    ]
    print(
        f"  excerpt offsets found (truth 7.0 s): {sorted(o for _, o in offsets if o is not None)}"
    )
    if mpeg7:
        eval_mpeg7(entries, folder, workers)


BOILERPLATE = ("intro", "outro")


def _different(entries: list[Entry], links: set[tuple[int, int]], ks: set[int]) -> int:
    """Links between copies in ``ks`` of different sources."""
    return sum(a in ks and b in ks and entries[a].source != entries[b].source for a, b in links)


def _phash_distance(a: Any, b: Any) -> int:
    return int((a.phash ^ b.phash).bit_count())


def _pdq_distance(a: Any, b: Any) -> int:
    return int(hamming(a.pdq, b.pdq))


def _matches_against_original(entries: list[Entry], i: int, s: Settings) -> list[Any]:
    o = next(
        k
        for k, e in enumerate(entries)
        if e.source == entries[i].source and e.transform == "original"
    )
    index = HashIndex()
    index.add(o, entries[o].sig.hashes)
    return decide(entries[i].sig, index.search(query_hashes(entries[i].sig), radius(s)), index, s)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--images", type=int, default=40, help="generated scenes (plus photos)")
    ap.add_argument("--videos", type=int, default=len(VIDEO_SOURCES))
    ap.add_argument("--no-video", action="store_true")
    ap.add_argument("--no-images", action="store_true")
    ap.add_argument("--pans", type=int, default=PHOTO_PANS, help="videos panning over photos")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument(
        "--keep", type=Path, help="make the videos in this folder, reuse those already there"
    )
    ap.add_argument(
        "--mpeg7", action="store_true", help="also ffmpeg's signature filter (pairs: minutes)"
    )
    a = ap.parse_args()
    if not a.no_images:
        eval_images(a.images, a.workers)
    if not a.no_video:
        eval_videos(a.videos, a.workers, a.pans, a.keep, a.mpeg7)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
