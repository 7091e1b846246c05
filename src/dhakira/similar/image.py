"""Image signatures: PDQ on a draft decode of at most 512 px, plus variants that survive
borders, captions and crops, plus a 64-bit pHash as a second opinion.

Memory is bounded: Pillow refuses images over its decompression-bomb limit before decoding,
JPEGs are decoded at 1/2..1/8 scale (``draft``), and anything that would still decode to more
than ``MAX_DECODE_PIXELS`` is refused with a message instead of being decoded.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import imagehash
import numpy as np
from PIL import Image, ImageOps

from dhakira.similar.signature import (
    MIRROR,
    Hash,
    Signature,
    SignatureError,
    pdq,
    pdq_dihedral,
)

SIDE = 512  # decoded at most this size (JPEG: at the smallest DCT scale that reaches DRAFT)
DRAFT = 256
HASH_SIDE = 128  # every region is hashed at 128×128, as video frames are (PDQ reduces to 64²)
WORK_SIDE = 256  # regions are cut from a copy this size
MAX_DECODE_PIXELS = 40_000_000  # ~120 MB as RGB: the most one worker decodes at once
MIN_SIDE = 8  # smaller pictures hold too little to compare
BORDER_LEVELS = 12  # grey levels from the row's median that count as the same colour
BORDER_SHARE = 0.97  # a row or column with this share of one colour is border, not picture
CENTRE = 0.8  # the centre window keeps this share of width and height
CORNER = 0.85  # each corner window keeps this share
VARIANTS = ("trim", "centre", "corners")


def load(path: Path) -> tuple[Image.Image, int, int]:
    """The picture as RGB, at most ``SIDE`` px, EXIF orientation applied; its full size."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as src:
                width, height = src.size
                if width * height > 4 * MAX_DECODE_PIXELS:
                    raise SignatureError(
                        f"image of {width}×{height} px is too large to decode safely"
                        " (decompression-bomb guard): not compared"
                    )
                src.draft("RGB", (DRAFT, DRAFT))
                if src.size[0] * src.size[1] > MAX_DECODE_PIXELS:
                    raise SignatureError(
                        f"image of {width}×{height} px is too large to decode safely"
                        " (decompression-bomb guard): not compared"
                    )
                src.load()
                im: Image.Image = ImageOps.exif_transpose(src)  # a copy: src is closed below
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise SignatureError(
            f"image too large to decode safely (decompression-bomb guard): {exc}"
        ) from exc
    except (OSError, SyntaxError, ValueError, EOFError) as exc:  # Pillow's "cannot decode"
        raise SignatureError(f"cannot decode the image: {exc}") from exc
    if min(width, height) < MIN_SIDE:
        raise SignatureError(f"image of {width}×{height} px is too small to compare")
    if im.mode != "RGB":
        if im.mode in ("RGBA", "LA", "PA") or "transparency" in im.info:
            base = Image.new("RGB", im.size, (255, 255, 255))
            base.paste(im.convert("RGBA"), mask=im.convert("RGBA").getchannel("A"))
            im = base
        else:
            im = im.convert("RGB")
    im.thumbnail((SIDE, SIDE), Image.Resampling.BILINEAR, reducing_gap=2.0)
    return im, width, height


def _uniform(lines: np.ndarray) -> np.ndarray:
    """Which rows of ``lines`` are border: nearly all pixels within BORDER_LEVELS of the
    row's median (text or a logo over a bar does not stop it being a bar)."""
    med = np.median(lines, axis=1, keepdims=True)
    return np.asarray((np.abs(lines - med) <= BORDER_LEVELS).mean(axis=1) >= BORDER_SHARE)


def _longest_run(border: np.ndarray) -> tuple[int, int]:
    """[start, end) of the longest run of lines that are not border."""
    best, start = (0, len(border)), None
    best_len = -1
    for i, b in enumerate([*border.tolist(), True]):
        if not b and start is None:
            start = i
        elif b and start is not None:
            if i - start > best_len:
                best, best_len = (start, i), i - start
            start = None
    return best if best_len > 0 else (0, len(border))


Box = tuple[int, int, int, int]


def _edges(border: np.ndarray) -> tuple[int, int]:
    """[start, end) once the border lines touching either edge are removed."""
    start, end = 0, len(border)
    while start < end and border[start]:
        start += 1
    while end > start and border[end - 1]:
        end -= 1
    return (start, end) if end > start else (0, len(border))


def trim_box(grey: np.ndarray, *, inner: bool = False) -> tuple[int, int, int, int]:
    """(left, top, right, bottom) of the picture inside uniform borders, in ``grey``'s pixels:
    rows, then columns inside them, twice. ``inner=False``: the border lines touching the edges
    (letterbox, pillarbox, a plain sky trimmed the same way in every copy). ``inner=True``: the
    longest run of lines that are not border, which also steps over a caption bar lying inside
    a black border (screenshots). The whole image when it would leave < 30 % of a side."""
    h, w = grey.shape
    cut = _longest_run if inner else _edges
    top, bottom, left, right = 0, h, 0, w
    for _ in range(2):
        r0, r1 = cut(_uniform(grey[top:bottom, left:right]))
        top, bottom = top + r0, top + r1
        c0, c1 = cut(_uniform(grey[top:bottom, left:right].T))
        left, right = left + c0, left + c1
    if (bottom - top) < h * 0.3 or (right - left) < w * 0.3:
        return 0, 0, w, h
    return left, top, right, bottom


def image_signature(path: Path, *, variants: tuple[str, ...] = VARIANTS) -> Signature:
    im, width, height = load(path)
    return signature_of(im, width, height, variants=variants)


def _region(im: Image.Image, box: Box | None = None) -> Image.Image:
    """What every hash is computed on: a region resized to HASH_SIDE² (as video frames are)."""
    return im.resize((HASH_SIDE, HASH_SIDE), Image.Resampling.BILINEAR, box=box)


def _hash(variant: str, im: Image.Image, box: Box) -> Hash:
    region = _region(im, box)
    bits, quality = pdq(np.asarray(region))
    return Hash(variant, bits, quality, None, phash(region))


def phash(region: Image.Image) -> int:
    return int(str(imagehash.phash(region)), 16)


def windows(w: int, h: int, variants: tuple[str, ...]) -> list[tuple[str, Box]]:
    """Sub-windows hashed besides the whole picture: the centre, and the four corners."""
    out = []
    if "centre" in variants:
        mx, my = round(w * (1 - CENTRE) / 2), round(h * (1 - CENTRE) / 2)
        out.append(("centre", (mx, my, w - mx, h - my)))
    if "corners" in variants:
        cw, ch = round(w * CORNER), round(h * CORNER)
        for name, x, y in (("tl", 0, 0), ("tr", w - cw, 0), ("bl", 0, h - ch)):
            out.append((name, (x, y, x + cw, y + ch)))
        out.append(("br", (w - cw, h - ch, w, h)))
    return out


def _same(a: Box, b: Box, w: int, h: int) -> bool:
    return all(
        abs(x - y) <= 0.02 * (w if i % 2 == 0 else h)
        for i, (x, y) in enumerate(zip(a, b, strict=True))
    )


def signature_of(
    im: Image.Image, width: int, height: int, *, variants: tuple[str, ...] = VARIANTS
) -> Signature:
    if max(im.size) > WORK_SIDE:  # every region is reduced to 128² anyway
        im = im.copy()
        im.thumbnail((WORK_SIDE, WORK_SIDE), Image.Resampling.BILINEAR)
    w, h = im.size
    region = _region(im)
    dihedral = pdq_dihedral(np.asarray(region))
    full = Hash("full", dihedral[0][0], dihedral[0][1], None, phash(region))
    hashes = [full]
    picture = (width, height)
    if "trim" in variants:
        grey = np.asarray(im.convert("L"), dtype=np.float32)
        edge = trim_box(grey)
        for name, box in (("trim", edge), ("bars", trim_box(grey, inner=True))):
            area = (box[2] - box[0]) * (box[3] - box[1])
            if area >= 0.97 * w * h or (name == "bars" and _same(box, edge, w, h)):
                continue
            hashes.append(_hash(name, im, box))
            if name == "trim":
                picture = (
                    round(width * (box[2] - box[0]) / w),
                    round(height * (box[3] - box[1]) / h),
                )
    for name, box in windows(w, h, variants):
        hashes.append(_hash(name, im, box))
    mirror = phash(ImageOps.mirror(region))  # the second opinion for the mirrored copy
    query_only = [
        Hash(f"d{i}", bits, q, None, mirror if i == MIRROR else None)
        for i, (bits, q) in enumerate(dihedral)
        if i
    ]
    return Signature("image", hashes, width, height, query_only=query_only, picture=picture)
