"""Pillow: format, size and mode of an image, and whether its pixels decode to the end.

A truncated or corrupt image gives ``raw["decodes"] = False`` and a one-line ``error``.
JPEGs are decoded at 1/8 scale (libjpeg's DCT scaling): every byte of the entropy-coded
data is still read, so truncation is caught, at a fraction of the cost of a full decode.
Only the first frame of an animation or multi-page file is decoded.

Raw output when the image opens::

    {"opened": True, "format": "JPEG", "width": 640, "height": 480, "mode": "RGB",
     "frames": 1, "animated": False, "decodes": True, "decode_error": None}

and when Pillow cannot open it at all (an unknown format, or bytes that are no image)::

    {"opened": False, "error_type": "UnidentifiedImageError"}
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import PIL
from PIL import Image, ImageFile

from dhakira.media.output import ToolOutput, describe


def inspect_image(path: Path) -> ToolOutput:
    """Open ``path`` with Pillow and decode it; never raises for a bad file."""
    version = PIL.__version__
    try:
        with Image.open(path) as im:
            raw: dict[str, Any] = {
                "opened": True,
                "format": im.format,
                "width": im.width,
                "height": im.height,
                "mode": im.mode,
                "frames": int(getattr(im, "n_frames", 1)),
                "animated": bool(getattr(im, "is_animated", False)),
            }
            problem = _decode_problem(im, path)
    except Exception as exc:  # Pillow raises many kinds for a broken file
        return ToolOutput(
            "pillow", version, {"opened": False, "error_type": type(exc).__name__}, describe(exc)
        )
    raw["decodes"] = problem is None
    raw["decode_error"] = problem
    return ToolOutput("pillow", version, raw, problem)


def _decode_problem(im: Image.Image, path: Path) -> str | None:
    """None if the image decodes completely, else a one-line reason."""
    try:
        if type(im).verify is ImageFile.ImageFile.verify:
            _load(im)
        else:  # e.g. PNG: verify() checks every chunk's CRC, then the image must be reopened
            im.verify()
            with Image.open(path) as again:
                _load(again)
    except Exception as exc:  # truncated data, bad codes, CRC errors...
        return describe(exc)
    return None


def _load(im: Image.Image) -> None:
    if im.format == "JPEG":
        im.draft(im.mode, (max(1, im.width // 8), max(1, im.height // 8)))
    im.load()
