"""PDQ and pHash for many regions of one picture at once, in numpy.

PDQ (Meta's algorithm, as ``pdqhash`` computes it) of a picture of at most 127 px a side is
simple: its Jarosz pre-filter has a window of one pixel (no blur), so the hash is the 16×16
lowest DCT-II coefficients (after the DC) of the 64×64 luma samples, each bit set where a
coefficient exceeds their median; its quality is the sum of quantised gradients of those
samples. Here every region is first reduced to 64×64 with Pillow's ``BILINEAR`` (a tent filter
as wide as the reduction: the low-pass that PDQ's Jarosz filter does on a big picture), and
all regions are then hashed in one batch of matrix products. Bits are packed as
``np.packbits`` of pdqhash's own vector: on the same 64×64 samples the hashes (and the eight
dihedral ones, and the quality) are bit-identical to ``pdqhash.compute``, so they compare with
external PDQ lists (distance to pdqhash on a full decode: docs/similar.md).

pHash (64 bits): the 8×8 lowest DCT-II coefficients (DC included) of the region reduced to
32×32 (2×2 means of the samples), each bit set where a coefficient exceeds their median:
imagehash's definition, on those means rather than a Lanczos resize.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence

import numpy as np
from PIL import Image

SAMPLES = 64  # PDQ's 64×64 luma samples
_TENT = Image.Resampling.BILINEAR  # a tent filter as wide as the reduction

Box = tuple[float, float, float, float]


def _dct(rows: int, n: int, first: int) -> np.ndarray:
    k = np.arange(first, first + rows, dtype=np.float64)[:, None]
    j = np.arange(n, dtype=np.float64)[None, :]
    return np.cos(math.pi / (2 * n) * k * (2 * j + 1)).astype(np.float32)


PDQ_DCT = _dct(16, SAMPLES, 1) * np.float32(math.sqrt(2 / SAMPLES))
# pHash's 8×32 DCT applied to the 2×2 means of the 64×64 samples, as one 8×64 matrix
PHASH_DCT = (_dct(8, 32, 0) @ np.repeat(np.eye(32, dtype=np.float32), 2, axis=1) / 2).astype(
    np.float32
)
# the dihedral variants of a 16×16 PDQ spectrum: (transpose, sign pattern), as pdqhash orders
# them (identity, rot90, rot180, rot270, flip x, flip y, flip +1, flip -1)
_I, _J = np.meshgrid(np.arange(16), np.arange(16), indexing="ij")
_ODD_I, _ODD_J, _ODD_IJ = (_I & 1) == 1, (_J & 1) == 1, ((_I + _J) & 1) == 1
_ONE = np.ones((16, 16), np.float32)
DIHEDRAL = [
    (False, _ONE),
    (True, np.where(_ODD_I, 1, -1).astype(np.float32)),
    (False, np.where(_ODD_IJ, -1, 1).astype(np.float32)),
    (True, np.where(_ODD_J, 1, -1).astype(np.float32)),
    (False, np.where(_ODD_I, 1, -1).astype(np.float32)),
    (False, np.where(_ODD_J, 1, -1).astype(np.float32)),
    (True, _ONE),
    (True, np.where(_ODD_IJ, -1, 1).astype(np.float32)),
]


def _pillow_orders() -> bool:
    """Whether this Pillow may resample columns before rows (Pillow 13 does when the height
    shrinks by more than twice as many pixels as the width; earlier ones never did): found by
    trying, on a picture where the two orders round differently."""
    grey = Image.fromarray(
        (np.arange(300 * 40) * 2654435761 % 251).astype(np.uint8).reshape(300, 40)
    )
    box = (1.5, 2.5, 38.5, 297.5)
    whole = grey.resize((SAMPLES, SAMPLES), _TENT, box=box)
    rows = grey.resize((SAMPLES, 300), _TENT, box=(box[0], 0, box[2], 300))
    return (
        whole.tobytes()
        != rows.resize((SAMPLES, SAMPLES), _TENT, box=(0, box[1], SAMPLES, box[3])).tobytes()
    )


_ORDERS = _pillow_orders()


def _columns_first(size: tuple[int, int]) -> bool:
    """Whether Pillow resamples a picture of ``size`` to 64×64 columns first."""
    shrink = size[1] - SAMPLES
    return _ORDERS and shrink > 0 and shrink > 2 * (size[0] - SAMPLES)


def samples(regions: Sequence[tuple[Image.Image, Box]]) -> np.ndarray:
    """(K, 64, 64) float32 luma samples of each (``L`` picture, box), exactly as Pillow's
    ``resize((64, 64), BILINEAR, box=box)`` gives them: by shared passes where this Pillow was
    found to follow the rule they assume (``SHARED``), else one resize per region."""
    if not SHARED:
        return _one_by_one(regions)
    return _shared(regions)


def _one_by_one(regions: Sequence[tuple[Image.Image, Box]]) -> np.ndarray:
    return np.stack(
        [np.asarray(g.resize((SAMPLES, SAMPLES), _TENT, box=b), np.float32) for g, b in regions]
    )


def _shared(regions: Sequence[tuple[Image.Image, Box]]) -> np.ndarray:
    """``samples``, for less. Pillow resamples in two
    passes, rows then columns (or columns first: ``_columns_first``), rounding to 8 bits in
    between, and each line on its own; so windows of one picture that share their first
    pass's span share that pass (over the whole picture), and windows that share their
    second pass's span take it side by side, in one call."""
    # every window's 64×64 samples are pasted side by side on one strip, read once
    strip = Image.new("L", (SAMPLES * len(regions), SAMPLES))
    order: list[int] = []  # which region lies at each place on the strip

    def put(samples: Image.Image, ks: list[int]) -> None:
        strip.paste(samples, (SAMPLES * len(order), 0))
        order.extend(ks)

    Key = tuple[int, bool, float, float]
    firsts: dict[Key, list[int]] = defaultdict(list)
    for k, (grey, box) in enumerate(regions):
        cols = _columns_first(grey.size)
        firsts[(id(grey), cols, *((box[1], box[3]) if cols else (box[0], box[2])))].append(k)
    passed: dict[Key, Image.Image] = {}
    seconds: dict[Key, list[tuple[int, Key]]] = defaultdict(list)
    for key, ks in firsts.items():
        grey, box = regions[ks[0]]
        if len(ks) == 1:
            put(grey.resize((SAMPLES, SAMPLES), _TENT, box=box), ks)
            continue
        w, h = grey.size
        cols = key[1]
        if cols:  # the columns of the whole width, over this span of rows
            passed[key] = grey.resize((w, SAMPLES), _TENT, box=(0, box[1], w, box[3]))
        else:  # the rows of the whole height, over this span of columns
            passed[key] = grey.resize((SAMPLES, h), _TENT, box=(box[0], 0, box[2], h))
        for k in ks:
            b = regions[k][1]
            seconds[(id(grey), cols, *((b[0], b[2]) if cols else (b[1], b[3])))].append((k, key))
    for (_, cols, lo, hi), items in seconds.items():
        n = len(items)
        first = passed[items[0][1]]
        if cols:  # first passes one above the other, then their rows in one call
            stack = Image.new("L", (first.width, SAMPLES * n))
            for i, (_, key) in enumerate(items):
                stack.paste(passed[key], (0, SAMPLES * i))
            done = stack.resize((SAMPLES, SAMPLES * n), _TENT, box=(lo, 0, hi, SAMPLES * n))
            for i, (k, _) in enumerate(items):
                put(done.crop((0, SAMPLES * i, SAMPLES, SAMPLES * (i + 1))), [k])
        else:  # side by side, then their columns in one call
            stack = Image.new("L", (SAMPLES * n, first.height))
            for i, (_, key) in enumerate(items):
                stack.paste(passed[key], (SAMPLES * i, 0))
            done = stack.resize((SAMPLES * n, SAMPLES), _TENT, box=(0, lo, SAMPLES * n, hi))
            put(done, [k for k, _ in items])
    out = np.empty((len(regions), SAMPLES, SAMPLES), np.float32)
    out[order] = np.asarray(strip).reshape(SAMPLES, len(regions), SAMPLES).transpose(1, 0, 2)
    return out


def _shared_is_exact() -> bool:
    """Whether the shared passes give exactly what one resize per region gives on this Pillow,
    tried on pictures on both sides of the column-first rule (and near it) with the windows a
    signature uses: a Pillow that resamples by another rule falls back to one resize per
    region, so stored hashes never depend on the Pillow installed."""
    rng = np.random.default_rng(7)
    for w, h in ((256, 144), (144, 256), (100, 230), (100, 240), (64, 256), (256, 64), (90, 91)):
        grey = Image.fromarray(rng.integers(0, 256, (h, w), dtype=np.uint8))
        boxes: list[Box] = [(0, 0, w, h), (0.1 * w, 0.1 * h, 0.9 * w, 0.9 * h)]
        boxes.append((0.125 * w, 0.125 * h, 0.875 * w, 0.875 * h))  # the centre window
        for fx in (0.0, 0.075, 0.15):
            for fy in (0.0, 0.075, 0.15):
                boxes.append((fx * w, fy * h, fx * w + 0.85 * w, fy * h + 0.85 * h))
        regions = [(grey, b) for b in boxes]
        if not np.array_equal(_shared(regions), _one_by_one(regions)):
            return False
    return True


SHARED = _shared_is_exact()


def spectra(a: np.ndarray) -> np.ndarray:
    """(K, 16, 16) PDQ DCT coefficients of (K, 64, 64) samples."""
    return np.asarray(PDQ_DCT @ a @ PDQ_DCT.T)


def _above_median(x: np.ndarray) -> np.ndarray:
    """``x > np.median(x, axis=1, keepdims=True)`` for (K, n) float32, n even, for less: one
    partition, and the mean of the two middle values computed as np.median does."""
    h = x.shape[1] // 2
    part = np.partition(x, (h - 1, h), axis=1)
    return np.asarray(x > (part[:, h - 1 : h] + part[:, h : h + 1]) / 2)


def bits(spectrum: np.ndarray) -> list[bytes]:
    """Packed 256-bit hashes of (K, 16, 16) coefficients (pdqhash's bit order)."""
    flat = spectrum.reshape(len(spectrum), -1)
    return [r.tobytes() for r in np.packbits(_above_median(flat)[:, ::-1], axis=1)]


def quality(a: np.ndarray) -> list[int]:
    """PDQ's quality (0..100) of (K, 64, 64) samples: significant gradients, summed."""
    return [min(100, int(g) // 90) for g in _gradients(a).tolist()]


def _gradients(a: np.ndarray) -> np.ndarray:
    """PDQ's gradient sum: |trunc(100 (u - v) / 255)| over vertical and horizontal neighbours
    (the same as floor(|u - v| · k) in float32: the product's sign does not change its size;
    the float32 sums are exact, whole numbers below 2**24). In place, in one buffer: fresh
    temporaries of this size cost more in cache misses than the arithmetic (0.3 ms a
    signature, measured)."""
    k = np.float32(100 / 255)
    n = len(a)
    d = np.empty((n, SAMPLES - 1, SAMPLES), np.float32)
    total = np.zeros(n, np.float32)
    for diff, left, right in (
        (d, a[:, :-1, :], a[:, 1:, :]),
        (d.reshape(n, SAMPLES, SAMPLES - 1), a[:, :, :-1], a[:, :, 1:]),
    ):
        np.subtract(left, right, out=diff)
        np.abs(diff, out=diff)
        diff *= k
        np.floor(diff, out=diff)
        total += diff.sum(axis=(1, 2))
    return total


def dihedral_spectra(spectrum: np.ndarray) -> np.ndarray:
    """(8, 16, 16): the spectra of the 8 rotations/mirrors of one (16, 16) spectrum."""
    return np.stack([(spectrum.T if t else spectrum) * s for t, s in DIHEDRAL])


def phashes(a: np.ndarray, *, mirror_first: bool = False) -> list[int]:
    """64-bit pHashes of (K, 64, 64) samples; with ``mirror_first``, then one more: that of
    the first region's left-right mirror."""
    lows = [(PHASH_DCT @ a @ PHASH_DCT.T).reshape(len(a), 64)]
    if mirror_first:
        lows.append((PHASH_DCT @ a[:1, :, ::-1] @ PHASH_DCT.T).reshape(1, 64))
    on = _above_median(np.concatenate(lows) if mirror_first else lows[0])
    return [int.from_bytes(r.tobytes(), "big") for r in np.packbits(on, axis=1)]
