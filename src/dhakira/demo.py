"""A small, realistic demo collection: what a documentation group really receives.

``build_demo(dest)`` writes three sources under ``dest``:

``ahmad/``
    A phone dump: three JPEG photos with camera EXIF (date, time-zone offset, make/model,
    serial number, GPS near Douma), an H.264/AAC video with ``creation_time`` and
    ``location`` tags, a PDF report, a voice recording, Arabic file and folder names, one
    file whose *name* is not valid UTF-8 and one truncated (corrupt) upload of the video.
``layla/``
    The same video and two of Ahmad's photos under WhatsApp-style names, one photo of her
    own and a short testimony in Arabic (UTF-8 plain text).
``vdc-export.zip``
    A deflated zip export with a folder holding one of the same photos under another name,
    a new photo (with an Arabic member name), and the same PDF report.

The output is byte-for-byte deterministic: images come from seeded generators, media is
encoded with ffmpeg's bit-exact flags and explicit metadata, and every timestamp (file
modification times, zip entry times, PDF dates) is fixed.  It is used by the README's
walk-through and by the test-suite as a fixture.
"""

from __future__ import annotations

import errno
import hashlib
import io
import math
import os
import random
import shutil
import subprocess
import tempfile
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter, ImageFont
from PIL.TiffImagePlugin import IFDRational

from dhakira.errors import DhakiraError

__all__ = ["DemoCollection", "DemoSource", "MissingToolError", "build_demo"]

FFMPEG_INSTALL_HINT = "sudo apt-get install ffmpeg"

# Douma, Eastern Ghouta.
_DOUMA_LAT = 33.5731
_DOUMA_LON = 36.4045
_DOUMA_ALT_M = 690

_VIDEO_CREATION_TIME = "2018-04-07T19:45:00.000000Z"
_VIDEO_LOCATION = "+33.5731+036.4045/"

_LOCAL_TZ = timezone(timedelta(hours=3))  # Syria, summer 2018

# Zip entry times are local "DOS" times without a zone.
_ZIP_TIME = (2018, 5, 1, 9, 30, 0)


class MissingToolError(DhakiraError, RuntimeError):
    """An external program the demo generator needs (ffmpeg) is not installed."""

    exit_code = 1
    http_status = 500


@dataclass(frozen=True)
class DemoSource:
    """One thing to give to ``dhakira add``: a folder or a zip file, and who it came from."""

    path: Path
    contributor: str
    collection: str | None
    note: str | None


@dataclass(frozen=True)
class DemoCollection:
    """What :func:`build_demo` wrote."""

    root: Path
    sources: tuple[DemoSource, ...]
    distinct_files: int
    """Distinct byte-contents across all sources: every file on disk (the zip itself
    included) and every member of the zip; identical bytes are counted once."""
    corrupt: tuple[Path, ...]
    """The deliberately corrupt files."""


@dataclass(frozen=True)
class _Camera:
    make: str
    model: str
    serial: str
    software: str


_AHMAD_PHONE = _Camera("samsung", "SM-G930F", "R58H41ABCDE", "G930FXXU2ERD5")
_LAYLA_PHONE = _Camera("HUAWEI", "VNS-L31", "4TE7N17A29004512", "VNS-L31C185B380")


def build_demo(dest: Path) -> DemoCollection:
    """Write the demo collection under ``dest`` (which must not exist, or be empty).

    Raises :class:`MissingToolError` when ffmpeg is not installed, and
    :class:`FileExistsError` when ``dest`` exists and is not an empty folder.
    """
    dest = Path(dest)
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise FileExistsError(
            f"{dest} already exists and is not an empty folder; "
            "choose a new path for the demo collection"
        )
    ffmpeg = _find_ffmpeg()
    dest.mkdir(parents=True, exist_ok=True)

    ahmad = dest / "ahmad"
    ahmad_video_dir = ahmad / "فيديو"
    layla = dest / "layla"
    for folder in (ahmad, ahmad_video_dir, layla):
        folder.mkdir(parents=True, exist_ok=True)

    # --- the raw material -------------------------------------------------------------
    photo_bombing = _photo(
        seed=1101,
        camera=_AHMAD_PHONE,
        taken="2018:04:07 19:31:08",
        offset=(0.00012, -0.00008),
    )
    photo_street = _photo(
        seed=1102,
        camera=_AHMAD_PHONE,
        taken="2018:04:07 19:38:44",
        offset=(-0.00021, 0.00017),
    )
    photo_shelter = _photo(
        seed=1103,
        camera=_AHMAD_PHONE,
        taken="2018:04:07 20:02:15",
        offset=(0.00034, 0.00029),
    )
    photo_latin1 = _photo(
        seed=1104,
        camera=_AHMAD_PHONE,
        taken="2018:04:08 08:12:50",
        offset=(-0.00040, -0.00011),
    )
    photo_layla = _photo(
        seed=2201,
        camera=_LAYLA_PHONE,
        taken="2018:04:08 10:15:03",
        offset=(0.00105, -0.00062),
    )
    photo_vdc_new = _photo(
        seed=3301,
        camera=_LAYLA_PHONE,
        taken="2018:04:09 07:55:41",
        offset=(-0.00093, 0.00121),
    )
    with tempfile.TemporaryDirectory(prefix="dhakira-demo-") as work:
        video = _video(ffmpeg, Path(work))
        audio = _audio(ffmpeg, Path(work))
    report = _pdf_report()
    testimony = _TESTIMONY.encode("utf-8")

    # --- Ahmad: a phone dump ----------------------------------------------------------
    t_ahmad = _ts(2018, 4, 9, 11, 0)
    _write(ahmad / "دوما ٢٠١٨-٠٤-٠٧ قصف.jpg", photo_bombing, _ts(2018, 4, 7, 16, 31))
    _write(ahmad / "IMG_20180407_193844.jpg", photo_street, _ts(2018, 4, 7, 16, 38))
    _write(ahmad / "IMG_20180407_200215.jpg", photo_shelter, _ts(2018, 4, 7, 17, 2))
    _write(ahmad / "تقرير أولي - دوما.pdf", report, _ts(2018, 4, 8, 21, 10))
    _write(ahmad / "تسجيل صوتي ٠٠١.m4a", audio, _ts(2018, 4, 7, 17, 50))
    _write(ahmad_video_dir / "VID_20180407_194500.mp4", video, _ts(2018, 4, 7, 16, 45))
    broken = ahmad_video_dir / "broken-upload.mp4"
    _write(broken, video[: len(video) * 40 // 100], _ts(2018, 4, 8, 9, 3))
    _write_bytes_name(
        os.fsencode(ahmad) + b"/caf\xe9-latin1.jpg", photo_latin1, _ts(2018, 4, 8, 5, 12)
    )
    _set_mtime(ahmad_video_dir, t_ahmad)
    _set_mtime(ahmad, t_ahmad)

    # --- Layla: forwarded copies, one photo of her own, a testimony -------------------
    t_layla = _ts(2018, 4, 10, 14, 20)
    _write(layla / "VID-20180407-WA0003.mp4", video, _ts(2018, 4, 7, 18, 2))
    _write(layla / "IMG_0001.jpg", photo_bombing, _ts(2018, 4, 7, 18, 3))
    _write(layla / "IMG_0002.jpg", photo_street, _ts(2018, 4, 7, 18, 3))
    _write(layla / "IMG_20180408_101503.jpg", photo_layla, _ts(2018, 4, 8, 7, 15))
    _write(layla / "شهادة ليلى.txt", testimony, _ts(2018, 4, 10, 13, 55))
    _set_mtime(layla, t_layla)

    # --- VDC: a monthly zip export ----------------------------------------------------
    top = "VDC-2018-04/"
    zip_bytes = _zip(
        [
            (top, None),
            (top + "douma-20180407-0012.jpg", photo_shelter),
            (top + "دوما - صورة جديدة.jpg", photo_vdc_new),
            (top + "report-douma-initial.pdf", report),
            # the bombing photo again, as a messaging app re-sends it: smaller, recompressed,
            # no metadata — a different file that `dhakira groups` finds as the same picture
            (top + "دوما - نسخة معاد إرسالها.jpg", _resent(photo_bombing)),
        ]
    )
    vdc_zip = dest / "vdc-export.zip"
    _write(vdc_zip, zip_bytes, _ts(2018, 5, 1, 9, 31))
    _set_mtime(dest, _ts(2018, 5, 1, 9, 32))

    group = "Eastern Ghouta 2018"
    sources = (
        DemoSource(ahmad, "Ahmad", group, "phone dump, handed over on a USB stick"),
        DemoSource(layla, "Layla", group, "forwarded over WhatsApp"),
        DemoSource(vdc_zip, "VDC", None, "monthly export"),
    )
    return DemoCollection(
        root=dest,
        sources=sources,
        distinct_files=len(_distinct_digests(dest)),
        corrupt=(broken,),
    )


# --- tools --------------------------------------------------------------------------------


def _find_ffmpeg() -> str:
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        raise MissingToolError(
            "ffmpeg is needed to build the demo collection but was not found on PATH; "
            f"install it with: {FFMPEG_INSTALL_HINT}"
        )
    return ffmpeg


def _run_ffmpeg(ffmpeg: str, args: list[str], work: Path, name: str) -> bytes:
    """Run ffmpeg writing ``work/name``, return the bytes written and remove the file."""
    out = work / name
    cmd = [ffmpeg, "-nostdin", "-hide_banner", "-v", "error", "-y", *args, str(out)]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        out.unlink(missing_ok=True)
        detail = proc.stderr.strip().splitlines()
        last = detail[-1] if detail else f"exit status {proc.returncode}"
        raise MissingToolError(
            f"ffmpeg could not encode the demo {name} ({last}); it needs the libx264 and "
            f"aac encoders: {FFMPEG_INSTALL_HINT}"
        )
    data = out.read_bytes()
    out.unlink()
    return data


_BITEXACT = [
    "-map_metadata",
    "-1",
    "-fflags",
    "+bitexact",
    "-flags:v",
    "+bitexact",
    "-flags:a",
    "+bitexact",
    "-threads",
    "1",
]


def _video(ffmpeg: str, work: Path) -> bytes:
    """A 3 s 320x240 H.264 + AAC phone-style video with date and place tags."""
    return _run_ffmpeg(
        ffmpeg,
        [
            "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=3",
            "-f", "lavfi", "-i", "sine=frequency=440:beep_factor=4:sample_rate=44100:duration=3",
            "-map", "0:v", "-map", "1:a",
            "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p", "-g", "25",
            "-c:a", "aac", "-b:a", "64k", "-ac", "1",
            *_BITEXACT,
            "-metadata", f"creation_time={_VIDEO_CREATION_TIME}",
            "-metadata", f"location={_VIDEO_LOCATION}",
            "-metadata", "location-eng=" + _VIDEO_LOCATION,
            "-metadata:s", f"creation_time={_VIDEO_CREATION_TIME}",
            "-movflags", "+faststart",
            "-f", "mp4",
        ],
        work,
        "video.mp4",
    )  # fmt: skip


def _audio(ffmpeg: str, work: Path) -> bytes:
    """A 2 s AAC voice-memo style recording."""
    return _run_ffmpeg(
        ffmpeg,
        [
            "-f", "lavfi", "-i", "sine=frequency=220:beep_factor=2:sample_rate=44100:duration=2",
            "-c:a", "aac", "-b:a", "48k", "-ac", "1",
            *_BITEXACT,
            "-metadata", "creation_time=2018-04-07T20:50:00.000000Z",
            "-metadata", "title=تسجيل صوتي ٠٠١",
            "-metadata:s", "creation_time=2018-04-07T20:50:00.000000Z",
            "-f", "ipod",
        ],
        work,
        "audio.m4a",
    )  # fmt: skip


# --- images -------------------------------------------------------------------------------


def _scene(seed: int, size: tuple[int, int] = (640, 480)) -> Image.Image:
    """A seeded street scene: sky gradient, ground, buildings with windows, rubble, smoke."""
    rng = random.Random(seed)
    w, h = size

    def colour(lo: int, hi: int) -> tuple[int, int, int]:
        return (rng.randint(lo, hi), rng.randint(lo, hi), rng.randint(lo, hi))

    def dusty(lo: int, hi: int) -> tuple[int, int, int]:  # concrete, sand, dust
        g = rng.randint(lo, hi)
        return (g + rng.randint(0, 20), g + rng.randint(-5, 10), g - rng.randint(0, 25))

    sky_top, sky_low = colour(40, 120), colour(150, 230)
    horizon = rng.randint(h * 5 // 10, h * 7 // 10)
    mask = Image.linear_gradient("L").resize((w, h))
    img = Image.composite(Image.new("RGB", size, sky_low), Image.new("RGB", size, sky_top), mask)
    draw = ImageDraw.Draw(img)

    ground = dusty(80, 140)
    draw.rectangle((0, horizon, w, h), fill=ground)
    for _ in range(40):  # road texture
        x, y = rng.randrange(w), rng.randrange(horizon, h)
        shade = tuple(max(0, c - rng.randint(5, 35)) for c in ground)
        draw.ellipse((x, y, x + rng.randint(8, 60), y + rng.randint(2, 10)), fill=shade)

    x = -rng.randint(0, 40)
    while x < w:  # buildings
        bw, bh = rng.randint(50, 130), rng.randint(60, horizon - 20)
        wall = dusty(110, 200)
        draw.rectangle((x, horizon - bh, x + bw, horizon), fill=wall, outline=(40, 40, 40))
        for wy in range(horizon - bh + 10, horizon - 20, 22):
            for wx in range(x + 8, x + bw - 14, 20):
                lit = rng.random() < 0.15
                broken = rng.random() < 0.25
                fill = (230, 200, 120) if lit else (20, 20, 25) if broken else (60, 70, 80)
                draw.rectangle((wx, wy, wx + 10, wy + 12), fill=fill)
        if rng.random() < 0.5:  # a shell hole
            cx, cy = x + rng.randint(10, bw), horizon - rng.randint(10, bh)
            r = rng.randint(8, 25)
            draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=(25, 22, 20))
        x += bw + rng.randint(0, 12)

    for _ in range(60):  # rubble
        cx, cy = rng.randrange(w), rng.randrange(horizon - 5, h)
        r = rng.randint(2, 12)
        pts = [
            (cx + r * math.cos(a) * rng.uniform(0.5, 1.2), cy + r * math.sin(a) * 0.6)
            for a in (i * 2 * math.pi / 5 for i in range(5))
        ]
        draw.polygon(pts, fill=dusty(50, 170))

    smoke = Image.new("L", size, 0)
    sdraw = ImageDraw.Draw(smoke)
    sx, sy = rng.randrange(w // 5, 4 * w // 5), horizon - rng.randint(20, 80)
    for i in range(14):  # a rising plume
        r = 20 + i * 6
        sx += rng.randint(-15, 25)
        sy -= rng.randint(10, 25)
        sdraw.ellipse((sx - r, sy - r, sx + r, sy + r), fill=rng.randint(170, 240))
    smoke = smoke.filter(ImageFilter.GaussianBlur(10))
    grey = Image.new("RGB", size, dusty(60, 100))
    return Image.composite(grey, img, smoke).filter(ImageFilter.SMOOTH)


def _rational(value: float, denominator: int) -> IFDRational:
    return IFDRational(round(value * denominator), denominator)


def _dms(value: float) -> tuple[IFDRational, IFDRational, IFDRational]:
    value = abs(value)
    degrees = int(value)
    minutes_f = (value - degrees) * 60
    minutes = int(minutes_f)
    seconds = (minutes_f - minutes) * 60
    return (IFDRational(degrees, 1), IFDRational(minutes, 1), _rational(seconds, 100))


def _photo(seed: int, camera: _Camera, taken: str, offset: tuple[float, float]) -> bytes:
    """A 640x480 JPEG with the EXIF a phone camera writes (local time UTC+03:00)."""
    image = _scene(seed)
    lat, lon = _DOUMA_LAT + offset[0], _DOUMA_LON + offset[1]
    local = datetime.strptime(taken, "%Y:%m:%d %H:%M:%S").replace(tzinfo=_LOCAL_TZ)
    utc_dt = local.astimezone(UTC)

    exif = Image.Exif()
    exif[0x010F] = camera.make  # Make
    exif[0x0110] = camera.model  # Model
    exif[0x0112] = 1  # Orientation
    exif[0x0131] = camera.software  # Software
    exif[0x0132] = taken  # DateTime
    exif_ifd = exif.get_ifd(0x8769)
    exif_ifd[0x9003] = taken  # DateTimeOriginal
    exif_ifd[0x9004] = taken  # DateTimeDigitized
    exif_ifd[0x9010] = "+03:00"  # OffsetTime
    exif_ifd[0x9011] = "+03:00"  # OffsetTimeOriginal
    exif_ifd[0xA002] = image.width  # PixelXDimension
    exif_ifd[0xA003] = image.height  # PixelYDimension
    exif_ifd[0xA431] = camera.serial  # BodySerialNumber
    gps = exif.get_ifd(0x8825)
    gps[0x0000] = b"\x02\x02\x00\x00"  # GPSVersionID
    gps[0x0001] = "N" if lat >= 0 else "S"
    gps[0x0002] = _dms(lat)
    gps[0x0003] = "E" if lon >= 0 else "W"
    gps[0x0004] = _dms(lon)
    gps[0x0005] = b"\x00"  # GPSAltitudeRef: above sea level
    gps[0x0006] = IFDRational(_DOUMA_ALT_M + seed % 7, 1)
    gps[0x0007] = (
        IFDRational(utc_dt.hour, 1),
        IFDRational(utc_dt.minute, 1),
        IFDRational(utc_dt.second, 1),
    )
    gps[0x001D] = utc_dt.strftime("%Y:%m:%d")  # GPSDateStamp

    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=85, exif=exif.tobytes())
    return buf.getvalue()


def _resent(photo: bytes) -> bytes:
    """A photo as a messaging app forwards it: half size, heavy JPEG compression, no EXIF."""
    with Image.open(io.BytesIO(photo)) as img:
        half = (img.width // 2, img.height // 2)
        small = img.convert("RGB").resize(half, Image.Resampling.LANCZOS)
    out = io.BytesIO()
    small.save(out, "JPEG", quality=45)
    return out.getvalue()


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """Pillow's built-in font at ``size`` (the fixed-size bitmap font without FreeType)."""
    try:
        return ImageFont.load_default(size=size)
    except (ImportError, OSError, TypeError):
        return ImageFont.load_default()


def _pdf_report() -> bytes:
    """A one-page PDF report (title and author set, fixed dates)."""
    page = Image.new("RGB", (595, 842), "white")  # A4 at 72 dpi
    draw = ImageDraw.Draw(page)
    title_font = _font(22)
    body_font = _font(13)
    draw.text((50, 50), "Initial incident report: Douma, 7 April 2018", fill="black",
              font=title_font)  # fmt: skip
    draw.line((50, 85, 545, 85), fill=(120, 0, 0), width=2)
    lines = [
        "Location: Douma, Eastern Ghouta (33.5731 N, 36.4045 E)",
        "Date and time: 2018-04-07, around 19:30 local time (UTC+03:00)",
        "Sources: 2 witnesses, 4 photographs, 1 video (3 s)",
        "",
        "Summary",
        "Residents report an attack on a residential block near the main",
        "square in the evening. Witnesses describe people sheltering in",
        "basements. Photographs show damaged buildings and smoke.",
        "",
        "Attachments",
        "  - VID_20180407_194500.mp4",
        "  - IMG_20180407_193844.jpg, IMG_20180407_200215.jpg",
        "",
        "Status: preliminary; to be verified against other sources.",
    ]
    for i, line in enumerate(lines):
        draw.text((50, 110 + i * 22), line, fill="black", font=body_font)
    thumb = _scene(1101, (240, 180))
    page.paste(thumb, (50, 460))
    draw.rectangle((50, 460, 290, 640), outline="black")

    fixed = time.gmtime(_ts(2018, 4, 8, 21, 5))
    buf = io.BytesIO()
    page.save(
        buf,
        "PDF",
        resolution=72.0,
        title="Initial incident report: Douma, 7 April 2018",
        author="Ahmad (field documenter)",
        subject="Eastern Ghouta 2018",
        keywords="Douma, 2018-04-07",
        creator="Dhakira demo",
        producer="Dhakira demo",
        creationDate=fixed,
        modDate=fixed,
    )
    return buf.getvalue()


_TESTIMONY = """\
شهادة ليلى — دوما، ٧ نيسان ٢٠١٨

كنت في بيت أهلي قرب الساحة الرئيسية عندما بدأ القصف حوالي الساعة السابعة والنصف مساءً.
نزلنا إلى القبو مع الجيران. بعد قليل شممنا رائحة غريبة وبدأ بعض الأطفال يسعلون.
صعدنا إلى الطوابق العليا وبقينا هناك حتى الصباح.

أرسلت الصور والفيديو إلى المجموعة في تلك الليلة. الفيديو صوّره أحمد من الشرفة.
"""


# --- files --------------------------------------------------------------------------------


def _ts(year: int, month: int, day: int, hour: int, minute: int) -> float:
    """A fixed POSIX time (given in UTC) for file modification times."""
    return datetime(year, month, day, hour, minute, tzinfo=UTC).timestamp()


def _set_mtime(path: Path | bytes, when: float) -> None:
    os.utime(path, (when, when))


def _write(path: Path, data: bytes, mtime: float) -> None:
    path.write_bytes(data)
    _set_mtime(path, mtime)


def _write_bytes_name(path: bytes, data: bytes, mtime: float) -> None:
    """Write a file whose name is not valid UTF-8 (skipped where the file system refuses)."""
    try:
        with open(path, "wb") as fh:
            fh.write(data)
    except OSError as err:  # e.g. APFS or a UTF-8-only mount: EILSEQ
        if err.errno in (errno.EILSEQ, errno.EINVAL):
            return
        raise
    _set_mtime(path, mtime)


def _zip(members: list[tuple[str, bytes | None]]) -> bytes:
    """A deflated zip with fixed entry times and permissions (``None`` marks a folder)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in members:
            info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
            info.create_system = 3  # Unix, whatever platform builds it
            if data is None:
                info.external_attr = (0o40755 << 16) | 0x10
                zf.writestr(info, b"")
            else:
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o100644 << 16
                zf.writestr(info, data, compresslevel=6)
    return buf.getvalue()


def _walk_files(root: bytes) -> Iterator[bytes]:
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(filenames):
            yield os.path.join(dirpath, name)


def _distinct_digests(root: Path) -> set[str]:
    """sha256 of every file under ``root`` and of every member of every zip among them."""
    digests: set[str] = set()
    for path in _walk_files(os.fsencode(root)):
        with open(path, "rb") as fh:
            data = fh.read()
        digests.add(hashlib.sha256(data).hexdigest())
        if path.endswith(b".zip"):
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                for info in zf.infolist():
                    if not info.is_dir():
                        digests.add(hashlib.sha256(zf.read(info)).hexdigest())
    return digests
