"""Image signatures: PDQ of the picture's luma decoded small (JPEG: ``draft``, straight to
grey at the smallest DCT scale that keeps ``DRAFT`` px), plus variants that survive borders,
captions, crops and small rotations, each with a 64-bit pHash as a second opinion. Every hash
of one picture is computed in one numpy batch (``fasthash``).

Memory is bounded: Pillow refuses images over its decompression-bomb limit before decoding,
JPEGs are decoded at 1/2..1/8 scale (``draft``), and anything that would still decode to more
than ``MAX_DECODE_PIXELS`` is refused with a message instead of being decoded.
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from dhakira.similar import fasthash
from dhakira.similar.signature import MIRROR, Hash, Signature, SignatureError

DRAFT = 128  # JPEG: decoded at the smallest DCT scale that keeps both sides >= this
WORK_SIDE = 256  # regions are cut from a grey copy at most this size (PDQ samples 64²)
SAMPLE_SIDE = 80  # windows are sampled from a copy whose short side is at least this
REFINE_SIDE = 1024  # trimmed edges are placed again on the decode, kept up to about this size
MAX_DECODE_PIXELS = 40_000_000  # ~120 MB as RGB: the most one worker decodes at once
MIN_SIDE = 8  # smaller pictures hold too little to compare
BORDER_LEVELS = 12  # grey levels from the row's median that count as the same colour
DARK = 24  # inside a picture, plain lines this close to black or white are border too
BORDER_SHARE = 0.97  # a row or column with this share of one colour is border, not picture
CENTRE = 0.75  # the centre window keeps this share of width and height
CORNER = 0.85  # each corner window keeps this share
SIDE_WINDOW = 0.85  # the windows in the middle of each side, and the middle one, keep this share
TURNS = (4.0,)  # query only: the centre turned by ± these angles (degrees)
VARIANTS = ("trim", "centre", "corners", "sides", "turns")
_BILINEAR = Image.Resampling.BILINEAR


def load(path: Path) -> tuple[Image.Image, int, int]:
    """The picture's luma (``L``) as decoded (a JPEG at 1/2..1/8 scale; anything larger than
    2 × REFINE_SIDE reduced below it), EXIF orientation applied; its full size.
    ``signature_of`` works on a WORK_SIDE copy and refines trimmed edges on this one."""
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
                src.draft("L", (DRAFT, DRAFT))  # JPEG: Y only, chroma never converted
                if src.size[0] * src.size[1] > MAX_DECODE_PIXELS:
                    raise SignatureError(
                        f"image of {width}×{height} px is too large to decode safely"
                        " (decompression-bomb guard): not compared"
                    )
                src.load()
                ImageOps.exif_transpose(src, in_place=True)  # no copy: closing keeps the pixels
                im: Image.Image = src
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise SignatureError(
            f"image too large to decode safely (decompression-bomb guard): {exc}"
        ) from exc
    except (OSError, SyntaxError, ValueError, EOFError) as exc:  # Pillow's "cannot decode"
        raise SignatureError(f"cannot decode the image: {exc}") from exc
    if min(width, height) < MIN_SIDE:
        raise SignatureError(f"image of {width}×{height} px is too small to compare")
    if im.mode != "L":
        if im.mode in ("RGBA", "LA", "PA") or "transparency" in im.info:
            base = Image.new("RGB", im.size, (255, 255, 255))
            base.paste(im.convert("RGBA"), mask=im.convert("RGBA").getchannel("A"))
            im = base
        im = im.convert("L")  # ITU-R 601 luma, as PDQ's
    side = max(im.size)
    if side > 2 * REFINE_SIDE:  # what trims are refined on: no need for more
        im = im.reduce(side // REFINE_SIDE)
    return im, width, height


def small(im: Image.Image) -> Image.Image:
    """``im`` (``L``) at most WORK_SIDE px: an integer box reduction, then a BOX resize."""
    side = max(im.size)
    if side > 2 * WORK_SIDE:
        im = im.reduce(side // WORK_SIDE)
    if max(im.size) > WORK_SIDE:
        im = im.copy()
        im.thumbnail((WORK_SIDE, WORK_SIDE), Image.Resampling.BOX)
    return im


def _uniform(lines: np.ndarray, axis: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Which lines of ``lines`` (uint8; rows, or columns with ``axis=0``) are plain: nearly
    all pixels within BORDER_LEVELS of the line's median (text or a logo over a bar does not
    stop it being a bar); and that median, the line's colour. The median is taken over every
    4th pixel: a bar's median is its colour either way."""
    n = lines.shape[axis]
    sub = (lines[:, ::4] if axis else lines[::4]) if n >= 64 else lines
    m = sub.shape[axis]
    med = np.sort(sub, axis=axis, kind="stable").take(m // 2, axis=axis)  # radix: uint8
    lo = np.where(med > BORDER_LEVELS, med - BORDER_LEVELS, 0).astype(np.uint8)
    width = np.minimum(med, 255 - BORDER_LEVELS) + BORDER_LEVELS - lo  # hi - lo, as uint8
    if axis:
        lo, width = lo[:, None], width[:, None]
    # lo <= v <= hi as one unsigned test: below lo, v - lo wraps past hi - lo (<= 255 - lo)
    near = (lines - lo <= width).view(np.uint8).sum(axis=axis, dtype=np.int32)
    return np.asarray(near >= BORDER_SHARE * n), med.astype(np.int16)


Sides = tuple[int, int]  # the colours of the picture's two outermost lines along an axis


def _bar(plain: np.ndarray, colour: np.ndarray, c: int) -> np.ndarray:
    """Plain lines of colour ``c`` (± BORDER_LEVELS)."""
    return np.asarray(plain & (np.abs(colour - c) <= BORDER_LEVELS))


def _longest_run(plain: np.ndarray, colour: np.ndarray, sides: Sides) -> tuple[int, int]:
    """[start, end) of the longest run of lines that are not border: plain lines of black,
    white, or the colour of either edge of the picture (a bar's)."""
    dark = (colour <= DARK) | (colour >= 255 - DARK)
    border = _bar(plain, colour, sides[0]) | _bar(plain, colour, sides[1]) | (plain & dark)
    # runs of picture lines: where "not border" steps up (a start) and down (an end)
    picture = np.zeros(len(border) + 2, np.int8)
    picture[1:-1] = ~border
    steps = np.diff(picture)
    starts, ends = np.flatnonzero(steps == 1), np.flatnonzero(steps == -1)
    if not len(starts):
        return 0, len(border)
    k = int(np.argmax(ends - starts))  # the first of the longest
    return int(starts[k]), int(ends[k])


Box = tuple[int, int, int, int]


def _edges(plain: np.ndarray, colour: np.ndarray, sides: Sides) -> tuple[int, int]:
    """[start, end) once the bars at either edge are removed: plain lines of the colour of
    the picture's outermost line on that side (a black bar stops where a sky begins)."""
    first, last = _bar(plain, colour, sides[0]), _bar(plain, colour, sides[1])
    start, end = 0, len(plain)
    while start < end and first[start]:
        start += 1
    while end > start and last[end - 1]:
        end -= 1
    return (start, end) if end > start else (0, len(plain))


def _colours(grey: np.ndarray) -> tuple[Sides, Sides]:
    """The colours of the outermost rows (top, bottom) and columns (left, right)."""
    return _medians(grey[[0, -1]]), _medians(grey[:, [0, -1]].T)


def _medians(lines: np.ndarray) -> Sides:
    """int(np.median(line)) of each of two lines, for less: the mean of the two middle
    values of an even count, truncated."""
    n = lines.shape[1]
    part = np.partition(lines.astype(np.int32), ((n - 1) // 2, n // 2), axis=1)
    first, second = ((part[:, (n - 1) // 2] + part[:, n // 2]) // 2).tolist()
    return first, second


def trim_box(
    grey: np.ndarray,
    *,
    inner: bool = False,
    cache: dict[tuple[int, ...], tuple[np.ndarray, np.ndarray]] | None = None,
    colours: tuple[Sides, Sides] | None = None,
) -> tuple[int, int, int, int]:
    """(left, top, right, bottom) of the picture inside its bars, in ``grey``'s pixels: rows,
    then columns inside them, twice. A bar is made of plain lines (≥ 97 % one grey level)
    of the colour of the picture's outermost line on its side. ``inner=False``: the bars at
    the edges (letterbox, pillarbox). ``inner=True``: the longest run of lines that are not
    bars, black or white, which also steps over a caption bar lying inside a black border
    (screenshots). The whole image when it would leave < 30 % of a side. ``cache`` shares the
    line tests between the passes and the two kinds of trim of one picture; ``colours``, the
    edge colours (``_colours``), when already known."""
    h, w = grey.shape
    if grey.dtype != np.uint8:
        grey = np.clip(grey, 0, 255).astype(np.uint8)
    cache = {} if cache is None else cache
    colours = _colours(grey) if colours is None else colours
    cut = _longest_run if inner else _edges

    def lines(top: int, bottom: int, left: int, right: int, axis: int) -> tuple[int, int]:
        # a line's test depends only on its span across: rows on (left, right), columns on
        # (top, bottom); so every line is tested once per span, and sliced
        key = (axis, left, right) if axis == 0 else (axis, top, bottom)
        if key not in cache:
            cache[key] = (
                _uniform(grey[:, left:right], 1) if axis == 0 else _uniform(grey[top:bottom], 0)
            )
        start, end = (top, bottom) if axis == 0 else (left, right)
        plain, colour = cache[key]
        return cut(plain[start:end], colour[start:end], colours[axis])

    top, bottom, left, right = 0, h, 0, w
    for _ in range(2):
        before = (top, bottom, left, right)
        r0, r1 = lines(top, bottom, left, right, 0)
        top, bottom = top + r0, top + r1
        c0, c1 = lines(top, bottom, left, right, 1)
        left, right = left + c0, left + c1
        if (top, bottom, left, right) == before:
            break  # nothing more to trim
    if (bottom - top) < h * 0.3 or (right - left) < w * 0.3:
        return 0, 0, w, h
    return left, top, right, bottom


def _picture(
    box: fasthash.Box, colours: tuple[Sides, Sides], size: tuple[int, int], full: tuple[int, int]
) -> tuple[int, int]:
    """The size, in the original's pixels, of the picture inside its padding: the trimmed
    sides whose bar is black or white (a plain sky trimmed off is still picture)."""
    (top, bottom), (left, right) = colours

    def padding(c: int) -> bool:
        return c <= DARK or c >= 255 - DARK

    x0 = box[0] if padding(left) else 0
    x1 = box[2] if padding(right) else size[0]
    y0 = box[1] if padding(top) else 0
    y1 = box[3] if padding(bottom) else size[1]
    return round(full[0] * (x1 - x0) / size[0]), round(full[1] * (y1 - y0) / size[1])


def refine(big: Image.Image, box: Box, size: tuple[int, int]) -> fasthash.Box:
    """``box`` (found on the working copy of ``size``) with each trimmed edge placed again on
    the larger decode ``big``: one working-copy row is 0.4-0.9 % of a letterboxed picture,
    which PDQ notices (a window moved by 1 % is ~26 bits away). Near the coarse edge, the
    border is followed outside-in, line by line at full size, to the first line that is not
    plain. Edges of the whole picture, and pictures decoded no larger than ``size``, stay."""
    w, h = size
    fx, fy = big.size[0] / w, big.size[1] / h
    if min(fx, fy) < 1.5:
        return box
    grey = np.asarray(big)
    left, top, right, bottom = (float(v) for v in box)
    (c_top, c_bottom), (c_left, c_right) = _colours(grey)

    def edge(lines: np.ndarray, coarse: float, f: float, forward: bool, c: int) -> float:
        """The refined position (working-copy units) of an edge at ``coarse``; ``lines`` are
        the full-size lines, along the axis, of the span the box covers across it."""
        n = len(lines)
        if forward:  # the border lies before the edge: walk from 2 rows before it
            start = max(0, int((coarse - 2) * f))
            stop = min(n, math.ceil((coarse + 1) * f))
            plain = _bar(*_uniform(lines[start:stop]), c)
            if not len(plain) or not plain[0]:
                return coarse
            k = int(np.argmin(plain)) if not plain.all() else len(plain)
            return (start + k) / f
        start = max(0, int((coarse - 1) * f))
        stop = min(n, math.ceil((coarse + 2) * f))
        plain = _bar(*_uniform(lines[start:stop]), c)
        if not len(plain) or not plain[-1]:
            return coarse
        k = int(np.argmin(plain[::-1])) if not plain.all() else len(plain)
        return (stop - k) / f

    x0, x1 = int(left * fx), math.ceil(right * fx)
    if top > 0:
        top = edge(grey[:, x0:x1], top, fy, True, c_top)
    if bottom < h:
        bottom = edge(grey[:, x0:x1], bottom, fy, False, c_bottom)
    y0, y1 = int(top * fy), math.ceil(bottom * fy)
    if left > 0:
        left = edge(grey[y0:y1].T, left, fx, True, c_left)
    if right < w:
        right = edge(grey[y0:y1].T, right, fx, False, c_right)
    if right - left < 0.3 * w or bottom - top < 0.3 * h:
        return box
    return left, top, right, bottom


def image_signature(path: Path, *, variants: tuple[str, ...] = VARIANTS) -> Signature:
    im, width, height = load(path)
    return signature_of(im, width, height, variants=variants)


def windows(w: int, h: int, variants: tuple[str, ...]) -> list[tuple[str, Box]]:
    """Sub-windows hashed besides the whole picture: the centre, the four corners, and the
    middles of the four sides (with the corners, a 3×3 grid of crops of ~25 % of the area)."""
    out = []
    if "centre" in variants:
        mx, my = round(w * (1 - CENTRE) / 2), round(h * (1 - CENTRE) / 2)
        out.append(("centre", (mx, my, w - mx, h - my)))
    if "corners" in variants:
        cw, ch = round(w * CORNER), round(h * CORNER)
        for name, x, y in (("tl", 0, 0), ("tr", w - cw, 0), ("bl", 0, h - ch)):
            out.append((name, (x, y, x + cw, y + ch)))
        out.append(("br", (w - cw, h - ch, w, h)))
    if "sides" in variants:
        cw, ch = round(w * SIDE_WINDOW), round(h * SIDE_WINDOW)
        x, y = (w - cw) // 2, (h - ch) // 2
        for name, bx, by in (("t", x, 0), ("b", x, h - ch), ("l", 0, y), ("r", w - cw, y)):
            out.append((name, (bx, by, bx + cw, by + ch)))
        out.append(("mid", (x, y, x + cw, y + ch)))
    return out


def _same(a: Box, b: Box, w: int, h: int) -> bool:
    return all(
        abs(x - y) <= 0.02 * (w if i % 2 == 0 else h)
        for i, (x, y) in enumerate(zip(a, b, strict=True))
    )


def signature_of(
    im: Image.Image, width: int, height: int, *, variants: tuple[str, ...] = VARIANTS
) -> Signature:
    """The signature of a picture's luma ``im`` (from ``load``) of full size width × height."""
    if im.mode != "L":
        im = im.convert("L")
    big, im = im, small(im)
    w, h = im.size
    boxes: list[tuple[str, fasthash.Box]] = [("full", (0, 0, w, h))]
    picture = (width, height)
    if "trim" in variants:
        grey = np.asarray(im)
        cache: dict[tuple[int, ...], tuple[np.ndarray, np.ndarray]] = {}
        colours = _colours(grey)
        edge = trim_box(grey, cache=cache, colours=colours)
        inner = trim_box(grey, inner=True, cache=cache, colours=colours)
        for name, box in (("trim", edge), ("bars", inner)):
            area = (box[2] - box[0]) * (box[3] - box[1])
            if area >= 0.97 * w * h or (name == "bars" and _same(box, edge, w, h)):
                continue
            fine = refine(big, box, (w, h))
            boxes.append((name, fine))
            if name == "trim":
                picture = _picture(fine, colours, (w, h), (width, height))
    boxes += windows(w, h, variants)
    k = min(w, h) // SAMPLE_SIDE
    if k > 1:  # sampled from a k × k box reduction (its pixel i covers [ik, ik + k))
        im = im.reduce(k)
        boxes = [(n, (b[0] / k, b[1] / k, b[2] / k, b[3] / k)) for n, b in boxes]
    a = fasthash.samples([(im, b) for _, b in boxes])
    turns = _turned(im) if "turns" in variants else []
    if turns:
        a = np.concatenate([a, np.stack([t for _, t in turns])])
    spectra = fasthash.spectra(a)
    # every region's hash, then those of the full picture's 7 rotations/mirrors: one batch
    bits = fasthash.bits(np.concatenate([spectra, fasthash.dihedral_spectra(spectra[0])[1:]]))
    quality = fasthash.quality(a)
    phashes = fasthash.phashes(a, mirror_first=True)  # the last: the mirrored copy's
    n, d0 = len(boxes), len(a) - 1  # bits[d0 + i]: rotation/mirror i of the full picture
    hashes = [
        Hash(name, bits[k], quality[k], None, phashes[k]) for k, (name, _) in enumerate(boxes)
    ]
    query_only = [
        Hash(f"d{i}", bits[d0 + i], quality[0], None, phashes[-1] if i == MIRROR else None)
        for i in range(1, 8)
    ]
    query_only += [
        Hash(name, bits[n + k], quality[n + k], None, phashes[n + k])
        for k, (name, _) in enumerate(turns)
    ]
    return Signature("image", hashes, width, height, query_only=query_only, picture=picture)


def _turned(im: Image.Image) -> list[tuple[str, np.ndarray]]:
    """The centre window of the picture ``im`` turned by ± each of TURNS degrees (query
    only): a slightly rotated copy then meets the other's stored centre, whichever came first.
    The picture is first reduced (the windows' tent filter) to the scale of the centre's 64×64
    samples, R × R for the whole picture; each turn is then one bilinear affine map onto the
    samples, straight from that (beyond about 5:1, the turned window's corners fall outside
    the picture and are black)."""
    w, h = im.size
    side = fasthash.SAMPLES
    r = round(side / CENTRE)  # the whole picture, in samples of the centre window
    small = im.resize((r, r), _BILINEAR)
    fx, fy = r / w, r / h  # picture px -> reduced px
    cw, ch = w * CENTRE, h * CENTRE
    sx, sy = cw / side, ch / side  # output sample -> picture px
    turned = []
    for deg in TURNS:
        for sign in (1, -1):
            angle = -math.radians(sign * deg)  # as Image.rotate(sign * deg)
            cos, sin = math.cos(angle), math.sin(angle)
            # output (u, v) -> centred window point (px) -> turned about the picture's centre
            # -> the reduced picture
            matrix = (
                fx * cos * sx, fx * sin * sy, r / 2 - fx * (cos * cw / 2 + sin * ch / 2),
                -fy * sin * sx, fy * cos * sy, r / 2 + fy * (sin * cw / 2 - cos * ch / 2),
            )  # fmt: skip
            name = f"turn{'+' if sign > 0 else '-'}{deg:g}"
            out = small.transform((side, side), Image.Transform.AFFINE, matrix, _BILINEAR)
            turned.append((name, np.asarray(out, np.float32)))
    return turned
