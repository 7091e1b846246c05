"""Fixtures for dhakira.media: real media made on the spot with Pillow, ffmpeg and zipfile.

A test that needs an external tool asks for the ``need`` fixture: without the tool it is
skipped with the install line, or fails when ``CI`` is set (CI must have every tool).
"""

from __future__ import annotations

import shutil
import subprocess
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PIL import Image
from tests.conftest import missing

from dhakira.media import ExifTool, close_shared_exiftool

INSTALL = {
    "exiftool": "apt-get install libimage-exiftool-perl",
    "ffmpeg": "apt-get install ffmpeg",
    "ffprobe": "apt-get install ffmpeg",
}
CLIP_LAT, CLIP_LON = 33.5731, 36.4045
CLIP_TIME = "2024-03-01T10:20:30Z"


def require(tool: str) -> None:
    """Skip (fail in CI) unless ``tool`` is on PATH."""
    if shutil.which(tool) is None:
        missing(f"{tool} not installed: {INSTALL.get(tool, 'install ' + tool)}")


@pytest.fixture
def need() -> Callable[[str], None]:
    """``need("ffmpeg")``: skip (fail in CI) unless the tool is installed."""
    return require


@pytest.fixture(scope="session", autouse=True)
def _stop_shared_exiftool() -> Iterator[None]:
    yield
    close_shared_exiftool()


@pytest.fixture(scope="session")
def et() -> Iterator[ExifTool]:
    require("exiftool")
    with ExifTool() as instance:
        yield instance


@pytest.fixture(scope="session")
def media(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("media")


def rational(value: float) -> tuple[float, float, float]:
    """Decimal degrees -> (degrees, minutes, seconds) for an EXIF GPS field."""
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    seconds = round((value - degrees - minutes / 60) * 3600, 4)
    return (float(degrees), float(minutes), seconds)


def make_jpeg(
    path: Path, *, lat: float, lon: float, when: str, offset: str | None, alt: float = 512.5
) -> Path:
    """A 640x480 JPEG with camera, time and GPS EXIF written through Pillow's Exif API."""
    exif = Image.Exif()
    exif[0x010F] = "Canon"  # Make
    exif[0x0110] = "Canon EOS 5D"  # Model
    exif[0x0131] = "Firmware 1.1"  # Software
    sub = exif.get_ifd(0x8769)  # Exif IFD
    sub[0x9003] = when  # DateTimeOriginal
    sub[0x9291] = "25"  # SubSecTimeOriginal
    sub[0xA431] = "SN-0042"  # BodySerialNumber
    if offset is not None:
        sub[0x9011] = offset  # OffsetTimeOriginal
    gps = exif.get_ifd(0x8825)  # GPS IFD
    gps[1] = "N" if lat >= 0 else "S"
    gps[2] = rational(abs(lat))
    gps[3] = "E" if lon >= 0 else "W"
    gps[4] = rational(abs(lon))
    gps[5] = b"\x00"  # above sea level
    gps[6] = alt
    image = Image.linear_gradient("L").resize((640, 480)).convert("RGB")
    image.save(path, "JPEG", exif=exif, quality=85)
    return path


@pytest.fixture(scope="session")
def jpeg(media: Path) -> Path:
    return make_jpeg(
        media / "photo.jpg", lat=CLIP_LAT, lon=CLIP_LON, when="2024:03:01 12:34:56", offset="+03:00"
    )


@pytest.fixture(scope="session")
def jpeg_south_west(media: Path) -> Path:
    return make_jpeg(
        media / "sw.jpg", lat=-12.5, lon=-45.25, when="2023:12:31 23:59:59", offset=None
    )


def truncate(source: Path, target: Path, keep: float = 0.5) -> Path:
    data = source.read_bytes()
    target.write_bytes(data[: int(len(data) * keep)])
    return target


@pytest.fixture(scope="session")
def truncated_jpeg(media: Path, jpeg: Path) -> Path:
    return truncate(jpeg, media / "cut.jpg")


def ffmpeg(*args: str) -> None:
    require("ffmpeg")
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", *args], check=True)


@pytest.fixture(scope="session")
def mp4(media: Path) -> Path:
    """2 s of 320x240 H.264 + AAC, with creation time and ISO 6709 location tags."""
    path = media / "clip.mp4"
    ffmpeg(
        *("-f", "lavfi", "-i", "testsrc=size=320x240:rate=25"),
        *("-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100"),
        *("-t", "2", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac"),
        *("-metadata", f"creation_time={CLIP_TIME}"),
        *("-metadata", f"location=+{CLIP_LAT:.4f}+0{CLIP_LON:.4f}/"),
        *("-metadata", "title=Checkpoint"),
        str(path),
    )
    return path


@pytest.fixture(scope="session")
def mp4_faststart(media: Path, mp4: Path) -> Path:
    path = media / "faststart.mp4"
    ffmpeg("-i", str(mp4), "-c", "copy", "-movflags", "+faststart", str(path))
    return path


@pytest.fixture(scope="session")
def m4a(media: Path) -> Path:
    """1.5 s of AAC audio only, with title and artist."""
    path = media / "voice.m4a"
    ffmpeg(
        *("-f", "lavfi", "-i", "sine=frequency=300:sample_rate=22050", "-t", "1.5"),
        *("-c:a", "aac", "-metadata", "title=Voice note", "-metadata", "artist=Reem"),
        str(path),
    )
    return path


@pytest.fixture(scope="session")
def pdf(media: Path) -> Path:
    path = media / "report.pdf"
    Image.new("RGB", (200, 100), "white").save(
        path,
        "PDF",
        title="تقرير الحادثة",
        author="Lina",
        creator="Writer",
        creationDate="D:20240301123456+03'00'",
    )
    return path


_DOCX_PARTS = {
    "[Content_Types].xml": (
        '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
        'package/2006/content-types"><Default Extension="rels" ContentType="application/'
        'vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" '
        'ContentType="application/xml"/></Types>'
    ),
    "_rels/.rels": (
        '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
        'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://'
        "schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties"
        '" Target="docProps/core.xml"/></Relationships>'
    ),
    "docProps/core.xml": (
        '<?xml version="1.0" encoding="UTF-8"?><cp:coreProperties xmlns:cp="http://schemas.'
        'openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/'
        'dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" xmlns:xsi="http://www.w3.'
        'org/2001/XMLSchema-instance"><dc:title>Witness statement</dc:title><dc:creator>Omar'
        '</dc:creator><dcterms:created xsi:type="dcterms:W3CDTF">2024-03-02T08:00:00Z'
        "</dcterms:created></cp:coreProperties>"
    ),
    "word/document.xml": "<w:document/>",
}


@pytest.fixture(scope="session")
def docx(media: Path) -> Path:
    path = media / "statement.docx"
    with zipfile.ZipFile(path, "w") as archive:
        for name, content in _DOCX_PARTS.items():
            archive.writestr(name, content)
    return path
