"""Images through tesseract: Arabic + English, transparency, TIFF pages, hostile images."""

from __future__ import annotations

import struct
import subprocess
import sys
import time
import zlib
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont, features
from tests.conftest import missing
from tests.text.samples import KEY_WORDS, normalise, render_page

from dhakira.text import Extracted, extract_text


def ocr(path: Path, mime: str = "image/png") -> Extracted:
    found = extract_text(path, mime)
    assert found is not None
    return found


def english_image(latin_font: str, words: str, mode: str = "L") -> Image.Image:
    """Black words on white, or on a fully transparent background for ``"RGBA"``."""
    font = ImageFont.truetype(latin_font, 40)
    transparent = mode == "RGBA"
    image = Image.new(mode, (900, 160), (0, 0, 0, 0) if transparent else 255)
    ink = (0, 0, 0, 255) if transparent else 0
    ImageDraw.Draw(image).text((40, 50), words, font=font, fill=ink)
    return image


@pytest.mark.usefixtures("tesseract")
@pytest.mark.parametrize("raqm", [True, False], ids=["raqm", "preshaped"])
def test_arabic_and_english_words_are_read(
    tmp_path: Path, arabic_font: str, latin_font: str, raqm: bool
) -> None:
    if raqm and not features.check("raqm"):
        missing("Pillow without raqm: apt-get install -y libfribidi0")
    path = render_page(tmp_path / "page.png", arabic_font, latin_font, raqm=raqm)
    started = time.monotonic()
    found = ocr(path)
    elapsed = time.monotonic() - started
    assert found.error is None
    assert found.tool == "tesseract"
    assert found.version[0].isdigit()
    assert found.ocr is True
    assert found.pages == 1
    assert set(found.languages) == {"ar", "en"}
    text = normalise(found.text)
    assert [word for word in KEY_WORDS if word not in text] == []
    assert "\u200e" not in found.text and "\u200f" not in found.text  # tesseract adds them
    assert elapsed < 15


@pytest.mark.usefixtures("tesseract")
def test_transparent_background_is_flattened(tmp_path: Path, latin_font: str) -> None:
    path = tmp_path / "clear.png"
    english_image(latin_font, "Douma hospital", mode="RGBA").save(path)
    assert "douma hospital" in normalise(ocr(path).text)


@pytest.mark.usefixtures("tesseract")
def test_exif_orientation_is_applied(tmp_path: Path, latin_font: str) -> None:
    upright = english_image(latin_font, "Douma hospital")
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to view": stored turned counter-clockwise
    path = tmp_path / "phone.jpg"
    upright.rotate(90, expand=True).save(path, exif=exif, quality=95)
    assert "douma hospital" in normalise(ocr(path, "image/jpeg").text)


@pytest.mark.usefixtures("tesseract")
def test_sixteen_bit_grayscale(tmp_path: Path, latin_font: str) -> None:
    eight = english_image(latin_font, "Douma hospital")
    path = tmp_path / "deep.png"
    eight.convert("I").point(lambda value: value * 256).convert("I;16").save(path)
    with Image.open(path) as check:
        assert check.mode == "I;16"
    assert "douma hospital" in normalise(ocr(path).text)


@pytest.mark.usefixtures("tesseract")
def test_multipage_tiff(tmp_path: Path, latin_font: str) -> None:
    first = english_image(latin_font, "Douma hospital")
    second = english_image(latin_font, "Ghouta shelter")
    path = tmp_path / "scan.tiff"
    first.save(path, save_all=True, append_images=[second])
    found = ocr(path, "image/tiff")
    assert found.pages == 2
    pages = [normalise(page) for page in found.text.split("\f")]
    assert pages == ["douma hospital", "ghouta shelter"]


@pytest.mark.usefixtures("tesseract")
def test_huge_jpeg_is_decoded_scaled_down(tmp_path: Path, latin_font: str) -> None:
    # 90 megapixels: past Pillow's bomb warning (an error under pytest) and past our limit
    # for full decoding, but a JPEG is decoded at 1/2 scale, so it is read.
    path = tmp_path / "huge.jpg"
    image = Image.new("L", (10_000, 9_000), 255)
    font = ImageFont.truetype(latin_font, 160)
    ImageDraw.Draw(image).text((400, 4000), "Douma hospital", font=font, fill=0)
    image.save(path, quality=80)
    del image
    found = ocr(path, "image/jpeg")
    assert found.error is None
    assert "douma hospital" in normalise(found.text)


def test_tiny_image_is_not_ocrd(tmp_path: Path) -> None:
    path = tmp_path / "icon.png"
    Image.new("L", (16, 16), 0).save(path)
    found = ocr(path)
    assert found.error is None
    assert (found.text, found.ocr) == ("", False)
    assert found.notes == ("image too small to OCR (16x16 px)",)


def test_no_ocr_means_no_text_for_images(tmp_path: Path) -> None:
    path = tmp_path / "x.png"
    Image.new("L", (64, 64), 255).save(path)
    assert extract_text(path, "image/png", ocr=False) is None


def test_truncated_png_is_an_error(tmp_path: Path) -> None:
    full = tmp_path / "full.png"
    Image.effect_noise((400, 400), 64).save(full)
    path = tmp_path / "cut.png"
    path.write_bytes(full.read_bytes()[:3000])
    found = ocr(path)
    assert found.error is not None
    assert found.error.startswith("unreadable image")
    assert found.text == ""


def test_not_an_image_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "junk.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 50)
    found = ocr(path)
    assert found.error is not None and found.error.startswith("unreadable image")


def png_header_only(path: Path, width: int, height: int) -> Path:
    """A small PNG whose header claims ``width`` x ``height`` pixels (a decompression bomb)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit grayscale
    rows = zlib.compress(b"\x00" * (width + 1) * 4, 9)  # the first rows; the rest "follow"
    data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")
    path.write_bytes(data)
    return path


# VmHWM, not ru_maxrss: Linux carries the parent's peak into ru_maxrss across exec.
PEAK_SCRIPT = """
import re, sys
from pathlib import Path
from dhakira.text import extract_text
found = extract_text(Path(sys.argv[1]), "image/png")
print(found.error)
status = Path("/proc/self/status").read_text()
print(int(re.search(r"VmHWM:\\s+(\\d+) kB", status).group(1)) // 1024)
"""


@pytest.mark.parametrize("size", [(30_000, 30_000), (10_000, 9_000)])
def test_decompression_bomb_is_refused_without_decoding(
    tmp_path: Path, size: tuple[int, int]
) -> None:
    if not Path("/proc/self/status").exists():
        missing("needs Linux /proc to measure peak memory")
    path = png_header_only(tmp_path / "bomb.png", *size)
    assert path.stat().st_size < 2000
    # In a fresh process, so that its peak memory is this file's alone.
    done = subprocess.run(
        [sys.executable, "-c", PEAK_SCRIPT, str(path)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    error, peak_mib = done.stdout.strip().split("\n")
    assert error.startswith("image too large to decode safely")
    assert int(peak_mib) < 150  # decoding would take 90-900 MB

    found = ocr(path)  # and here: no exception, no warning, one clear line
    assert found.error == error
