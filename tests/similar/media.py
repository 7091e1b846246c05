"""Media for the similarity tests, made with Pillow and ffmpeg."""

from __future__ import annotations

import struct
import subprocess
import zlib
from pathlib import Path

from bench.similar_eval import IMAGE_TRANSFORMS, scene
from PIL import Image


def photo(path: Path, seed: int, transform: str | None = None, **save: object) -> Path:
    im = scene(seed)
    if transform:
        im = IMAGE_TRANSFORMS[transform](im, seed)
    im.save(path, **save)
    return path


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", *args], check=True)


def video(path: Path, source: str, seconds: float, *extra: str) -> Path:
    ffmpeg(
        "-f", "lavfi", "-i", source, "-t", str(seconds), *extra, "-pix_fmt", "yuv420p", str(path)
    )
    return path


def png_bomb(path: Path, side: int = 30_000) -> Path:
    """A PNG that claims side×side pixels (1-bit grey) with a tiny, valid-looking body."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    ihdr = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    idat = zlib.compress(b"\0" * ((side + 7) // 8 + 1) * 64)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
    )
    return path


def tiny(path: Path) -> Path:
    Image.new("RGB", (1, 1), (200, 10, 10)).save(path)
    return path
