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

from dhakira.similar.signature import Hash, Signature, SignatureError, pdq, pdq_dihedral

SIDE = 512  # PDQ's own downsampling makes larger inputs cost time without changing much
MAX_DECODE_PIXELS = 40_000_000  # ~120 MB as RGB: the most one worker decodes at once
MIN_SIDE = 8  # smaller pictures hold too little to compare
BORDER_STD = 6.0  # a row or column this uniform (grey levels) is border, not picture
CENTRE = 0.8  # the centre crop keeps this share of width and height


def load(path: Path) -> tuple[Image.Image, int, int]:
    """The picture as RGB, at most ``SIDE`` px, EXIF orientation applied; its full size."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            im: Image.Image = Image.open(path)
            width, height = im.size
            if width * height > 4 * MAX_DECODE_PIXELS:
                raise SignatureError(
                    f"image of {width}×{height} px is too large to decode safely"
                    " (decompression-bomb guard): not compared"
                )
            im.draft("RGB", (SIDE, SIDE))
            if im.size[0] * im.size[1] > MAX_DECODE_PIXELS:
                raise SignatureError(
                    f"image of {width}×{height} px is too large to decode safely"
                    " (decompression-bomb guard): not compared"
                )
            im.load()
            im = ImageOps.exif_transpose(im)
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


def trim_box(grey: np.ndarray) -> tuple[int, int, int, int]:
    """(left, top, right, bottom) of the picture inside uniform borders (letterbox, pillarbox,
    bars of one colour); the whole image when there are none or when they would eat it."""
    h, w = grey.shape
    rows, cols = grey.std(axis=1), grey.std(axis=0)
    top = 0
    while top < h // 2 and rows[top] < BORDER_STD:
        top += 1
    bottom = h
    while bottom > h // 2 and rows[bottom - 1] < BORDER_STD:
        bottom -= 1
    left = 0
    while left < w // 2 and cols[left] < BORDER_STD:
        left += 1
    right = w
    while right > w // 2 and cols[right - 1] < BORDER_STD:
        right -= 1
    if (bottom - top) < h * 0.3 or (right - left) < w * 0.3:
        return 0, 0, w, h
    return left, top, right, bottom


def image_signature(path: Path, *, variants: tuple[str, ...] = ("trim", "centre")) -> Signature:
    im, width, height = load(path)
    return signature_of(im, width, height, variants=variants)


def _hash(variant: str, im: Image.Image) -> Hash:
    bits, quality = pdq(np.asarray(im))
    return Hash(variant, bits, quality, None, int(str(imagehash.phash(im)), 16))


def signature_of(
    im: Image.Image, width: int, height: int, *, variants: tuple[str, ...] = ("trim", "centre")
) -> Signature:
    arr = np.asarray(im)
    dihedral = pdq_dihedral(arr)
    full = Hash("full", dihedral[0][0], dihedral[0][1], None, int(str(imagehash.phash(im)), 16))
    hashes = [full]
    w, h = im.size
    if "trim" in variants:
        box = trim_box(np.asarray(im.convert("L"), dtype=np.float32))
        if box != (0, 0, w, h) and (box[2] - box[0]) * (box[3] - box[1]) < 0.97 * w * h:
            hashes.append(_hash("trim", im.crop(box)))
    if "centre" in variants:
        mx, my = round(w * (1 - CENTRE) / 2), round(h * (1 - CENTRE) / 2)
        hashes.append(_hash("centre", im.crop((mx, my, w - mx, h - my))))
    query_only = [Hash(f"d{i}", bits, q) for i, (bits, q) in enumerate(dihedral) if i]
    return Signature("image", hashes, width, height, query_only=query_only)
