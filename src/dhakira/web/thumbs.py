"""Thumbnails and video posters: derived data, made on first request and kept under
``derived/thumbs-v1/ab/<sha256>.jpg`` (``.none`` when the item has none). Deleting the folder
loses nothing: they are made again from the originals.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import subprocess
import warnings
from pathlib import Path

from PIL import Image, ImageOps

VERSION = 1
SIZE = 320
TIMEOUT = 60


def folder(root: Path) -> Path:
    return root / "derived" / f"thumbs-v{VERSION}"


def thumbnail(root: Path, original: Path, sha256: str, mime: str) -> Path | None:
    """The thumbnail's path, made now if it is not there yet; None if there can be none."""
    out = folder(root) / sha256[:2] / f"{sha256}.jpg"
    if out.is_file():
        return out
    none = out.with_suffix(".none")
    if none.exists():
        return None
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{sha256}.{secrets.token_hex(4)}.tmp.jpg")
    try:
        made = _make(original, mime, tmp)
        if made:
            os.replace(tmp, out)
            return out
        none.touch()
        return None
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def possible(mime: str) -> bool:
    """Whether an item of this type can have a thumbnail."""
    return (mime.startswith(("image/", "video/")) and mime != "image/svg+xml") or (
        mime == "application/pdf"
    )


def _make(original: Path, mime: str, dest: Path) -> bool:
    if mime.startswith("image/") and mime != "image/svg+xml":
        return _image(original, dest)
    if mime.startswith("video/"):
        return _video(original, dest)
    if mime == "application/pdf":
        return _pdf(original, dest)
    return False


def _image(original: Path, dest: Path) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(original) as src:
                src.draft("RGB", (SIZE * 2, SIZE * 2))
                im = ImageOps.exif_transpose(src)
                im.thumbnail((SIZE, SIZE))
                im.convert("RGB").save(dest, "JPEG", quality=80)
        return True
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError, Warning):
        return False


def _run(args: list[str]) -> bool:
    try:
        done = subprocess.run(args, capture_output=True, timeout=TIMEOUT, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def _video(original: Path, dest: Path) -> bool:
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        return False
    for at in ("1", "0"):  # a frame one second in; a very short video: its first frame
        ok = _run(
            [ffmpeg, "-nostdin", "-v", "error", "-y", "-ss", at, "-i", str(original),
             "-frames:v", "1", "-vf", f"scale='min({SIZE},iw)':-2", "-f", "image2",
             "-c:v", "mjpeg", str(dest)]
        )  # fmt: skip
        if ok and dest.is_file() and dest.stat().st_size > 0:
            return True
    return False


def _pdf(original: Path, dest: Path) -> bool:
    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm is None:
        return False
    base = dest.with_suffix("")
    ok = _run(
        [pdftoppm, "-jpeg", "-singlefile", "-f", "1", "-l", "1", "-scale-to", str(SIZE),
         str(original), str(base)]
    )  # fmt: skip
    made = base.with_suffix(".jpg")
    if ok and made.is_file():
        os.replace(made, dest)
        return True
    return False
