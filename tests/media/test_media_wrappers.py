"""The one-tool wrappers: ffprobe, Pillow and pypdf, on good and broken files."""

from __future__ import annotations

import json
import os
import zlib
from pathlib import Path

import PIL
import pypdf
import pytest
from PIL import Image
from pypdf import PdfWriter

from dhakira.media import ToolOutput, inspect_image, inspect_pdf, probe, tool_versions
from dhakira.media.ffprobe import INSTALL_HINT as FFPROBE_HINT


def assert_plain(output: ToolOutput) -> None:
    """Raw output must survive strict UTF-8 JSON (what the catalog stores)."""
    json.dumps(output.as_dict(), ensure_ascii=False).encode("utf-8")
    assert output.error is None or "\n" not in output.error


def test_ffprobe_reads_streams_and_tags(mp4: Path) -> None:
    output = probe(mp4)
    assert_plain(output)
    assert (output.tool, output.error) == ("ffprobe", None)
    assert output.version == tool_versions()["ffprobe"]
    streams = {s["codec_type"]: s for s in output.raw["streams"]}
    assert streams["video"]["codec_name"] == "h264"
    assert streams["audio"]["codec_name"] == "aac"
    assert output.raw["format"]["tags"]["location"] == "+33.5731+036.4045/"


def test_ffprobe_on_a_truncated_mp4(mp4: Path, tmp_path: Path) -> None:
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(mp4.read_bytes()[:8000])
    output = probe(cut)
    assert_plain(output)
    assert output.error is not None and "moov atom not found" in output.error
    assert "code" in output.raw["error"]


def test_ffprobe_names_that_look_like_urls_or_options(mp4: Path, tmp_path: Path) -> None:
    for name in (b"http:example.mp4", b"-y.mp4", b"new\nline \xff.mp4"):
        path = Path(os.fsdecode(os.path.join(os.fsencode(tmp_path), name)))
        path.write_bytes(mp4.read_bytes())
        output = probe(path)
        assert output.error is None, output.error
        assert output.raw["format"]["nb_streams"] == 2


def test_ffprobe_missing(mp4: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    output = probe(mp4)
    assert (output.raw, output.error) == (None, FFPROBE_HINT)
    assert FFPROBE_HINT == "ffprobe not installed: apt-get install ffmpeg"


def test_pillow_good_and_truncated(jpeg: Path, truncated_jpeg: Path) -> None:
    good = inspect_image(jpeg)
    assert_plain(good)
    assert good.version == PIL.__version__
    assert good.error is None
    assert good.raw == {
        "opened": True, "format": "JPEG", "width": 640, "height": 480, "mode": "RGB",
        "frames": 1, "animated": False, "decodes": True, "decode_error": None,
    }  # fmt: skip
    cut = inspect_image(truncated_jpeg)
    assert_plain(cut)
    assert cut.raw["decodes"] is False
    assert cut.error is not None and "truncated" in cut.error


def test_pillow_catches_a_png_crc_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.png"
    Image.new("RGB", (64, 64), "red").save(path)
    data = bytearray(path.read_bytes())
    idat = data.index(b"IDAT")
    length = int.from_bytes(data[idat - 4 : idat], "big")
    data[idat + 4 + length] ^= 0xFF  # corrupt the IDAT chunk's CRC
    assert zlib.crc32(bytes(data[idat : idat + 4 + length])) != int.from_bytes(
        data[idat + 4 + length : idat + 8 + length], "big"
    )
    path.write_bytes(bytes(data))
    output = inspect_image(path)
    assert output.raw["opened"] is True
    assert output.raw["decodes"] is False


def test_pillow_on_bytes_that_are_no_image(tmp_path: Path) -> None:
    path = tmp_path / "noise.jpg"
    path.write_bytes(os.urandom(2048))
    output = inspect_image(path)
    assert output.raw == {"opened": False, "error_type": "UnidentifiedImageError"}
    assert output.error is not None and output.error.startswith("UnidentifiedImageError")


def test_pypdf_reads_info(pdf: Path) -> None:
    output = inspect_pdf(pdf)
    assert_plain(output)
    assert output.version == pypdf.__version__
    assert output.error is None
    assert output.raw["page_count"] == 1
    assert output.raw["encrypted"] is False
    assert output.raw["info"]["/Title"] == "تقرير الحادثة"
    assert output.raw["info"]["/CreationDate"] == "D:20240301123456+03'00'"


def test_pypdf_on_a_truncated_pdf(pdf: Path, tmp_path: Path) -> None:
    cut = tmp_path / "cut.pdf"
    cut.write_bytes(pdf.read_bytes()[:300])
    output = inspect_pdf(cut)
    assert_plain(output)
    assert output.raw["failed"] is True
    assert output.error


@pytest.mark.parametrize(("user_password", "opens"), [("secret", False), ("", True)])
def test_pypdf_encrypted(tmp_path: Path, user_password: str, opens: bool) -> None:
    writer = PdfWriter()
    writer.add_blank_page(72, 72)
    writer.add_metadata({"/Title": "Locked"})
    writer.encrypt(user_password=user_password, owner_password="owner", algorithm="RC4-128")
    path = tmp_path / "locked.pdf"
    with open(path, "wb") as fh:
        writer.write(fh)
    output = inspect_pdf(path)
    assert_plain(output)
    assert output.error is None
    assert output.raw["encrypted"] is True
    assert output.raw["decrypted"] is opens
    assert output.raw["page_count"] == (1 if opens else None)
    assert (output.raw["info"] or {}).get("/Title") == ("Locked" if opens else None)


def test_tool_versions_are_cached_strings() -> None:
    versions = tool_versions()
    assert set(versions) == {"exiftool", "ffprobe", "pillow", "pypdf"}
    assert versions["pillow"] == PIL.__version__
    assert versions["pypdf"] == pypdf.__version__
    assert tool_versions() == versions
