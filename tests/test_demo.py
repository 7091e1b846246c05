"""The demo collection: deterministic, honest about its contents, and realistic."""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from tests.conftest import missing, run

from dhakira.demo import DemoCollection, MissingToolError, build_demo

INSTALL = {
    "ffmpeg": "sudo apt-get install ffmpeg",
    "ffprobe": "sudo apt-get install ffmpeg",
    "exiftool": "sudo apt-get install libimage-exiftool-perl",
}


def require(tool: str) -> str:
    """The tool's path; a missing tool fails the test under CI=true and skips it otherwise."""
    path = shutil.which(tool)
    if path is None:
        missing(f"{tool} is not installed; install it with: {INSTALL[tool]}")
    assert path is not None
    return path


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoCollection:
    require("ffmpeg")
    return build_demo(tmp_path_factory.mktemp("demo") / "collection")


def tree(root: Path) -> dict[bytes, tuple[str, bytes, int]]:
    """Every entry under root, by relative bytes path: kind, contents and mtime."""
    base = os.fsencode(root)
    out: dict[bytes, tuple[str, bytes, int]] = {}
    for dirpath, dirnames, filenames in os.walk(base):
        for name in dirnames:
            path = os.path.join(dirpath, name)
            out[os.path.relpath(path, base)] = ("dir", b"", os.stat(path).st_mtime_ns)
        for name in filenames:
            path = os.path.join(dirpath, name)
            with open(path, "rb") as fh:
                out[os.path.relpath(path, base)] = ("file", fh.read(), os.stat(path).st_mtime_ns)
    return out


def files_in(demo: DemoCollection, suffix: str) -> list[Path]:
    return sorted(p for p in demo.root.rglob(f"*{suffix}") if p not in demo.corrupt)


def test_two_builds_are_byte_identical(demo: DemoCollection, tmp_path: Path) -> None:
    again = build_demo(tmp_path / "again")
    first, second = tree(demo.root), tree(again.root)
    assert sorted(first) == sorted(second)
    for rel in first:
        assert first[rel] == second[rel], rel
    assert again.distinct_files == demo.distinct_files
    assert [s.path.relative_to(again.root) for s in again.sources] == [
        s.path.relative_to(demo.root) for s in demo.sources
    ]


def test_sources(demo: DemoCollection) -> None:
    by_name = {s.contributor: s for s in demo.sources}
    assert set(by_name) == {"Ahmad", "Layla", "VDC"}
    assert by_name["Ahmad"].collection == by_name["Layla"].collection == "Eastern Ghouta 2018"
    assert by_name["VDC"].collection is None
    assert by_name["VDC"].note == "monthly export"
    assert by_name["Ahmad"].path.is_dir() and by_name["Layla"].path.is_dir()
    assert zipfile.is_zipfile(by_name["VDC"].path)
    for source in demo.sources:
        assert source.path.parent == demo.root


def test_name_that_is_not_utf8_exists_as_bytes(demo: DemoCollection) -> None:
    ahmad = os.fsencode(demo.root / "ahmad")
    assert b"caf\xe9-latin1.jpg" in os.listdir(ahmad)
    with pytest.raises(UnicodeDecodeError):
        b"caf\xe9-latin1.jpg".decode("utf-8")
    with open(os.path.join(ahmad, b"caf\xe9-latin1.jpg"), "rb") as fh:
        assert fh.read(3) == b"\xff\xd8\xff"


def test_arabic_names(demo: DemoCollection) -> None:
    assert (demo.root / "ahmad" / "فيديو").is_dir()
    assert (demo.root / "ahmad" / "دوما ٢٠١٨-٠٤-٠٧ قصف.jpg").is_file()
    testimony = next((demo.root / "layla").glob("*.txt"))
    assert "دوما" in testimony.read_text(encoding="utf-8")
    with zipfile.ZipFile(demo.root / "vdc-export.zip") as zf:
        arabic = [i for i in zf.infolist() if not i.filename.isascii()]
        assert arabic
        assert all(i.flag_bits & 0x800 for i in arabic)  # the UTF-8 name flag
        assert all(i.compress_type == zipfile.ZIP_DEFLATED for i in zf.infolist() if not i.is_dir())


def test_distinct_count_matches_an_independent_count(demo: DemoCollection) -> None:
    digests: set[bytes] = set()
    paths: list[bytes] = []
    for dirpath, _dirs, names in os.walk(os.fsencode(demo.root)):
        paths.extend(os.path.join(dirpath, n) for n in names)
    for path in paths:
        with open(path, "rb") as fh:
            data = fh.read()
        digests.add(hashlib.sha256(data).digest())
        if zipfile.is_zipfile(io.BytesIO(data)):
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                for info in zf.infolist():
                    if not info.is_dir():
                        digests.add(hashlib.sha256(zf.read(info)).digest())
    assert demo.distinct_files == len(digests)
    assert len(paths) > len(digests)  # there are duplicates to find


def test_duplicates_across_sources(demo: DemoCollection) -> None:
    def digest(p: Path) -> str:
        return hashlib.sha256(p.read_bytes()).hexdigest()

    ahmad, layla = demo.root / "ahmad", demo.root / "layla"
    assert digest(ahmad / "فيديو" / "VID_20180407_194500.mp4") == digest(
        layla / "VID-20180407-WA0003.mp4"
    )
    assert digest(ahmad / "دوما ٢٠١٨-٠٤-٠٧ قصف.jpg") == digest(layla / "IMG_0001.jpg")
    ahmad_digests = {digest(p) for p in ahmad.rglob("*") if p.is_file()}
    with zipfile.ZipFile(demo.root / "vdc-export.zip") as zf:
        members = {hashlib.sha256(zf.read(i)).hexdigest() for i in zf.infolist() if not i.is_dir()}
    assert len(members & ahmad_digests) == 2  # one photo and the PDF


def test_photo_exif_seen_by_exiftool(demo: DemoCollection) -> None:
    exiftool = require("exiftool")
    photo = demo.root / "ahmad" / "دوما ٢٠١٨-٠٤-٠٧ قصف.jpg"
    out = subprocess.run(
        [exiftool, "-json", "-n", str(photo)], capture_output=True, check=True, text=True
    )
    (meta,) = json.loads(out.stdout)
    assert meta["DateTimeOriginal"].startswith("2018:04:07 ")
    assert meta["OffsetTimeOriginal"] == "+03:00"
    assert meta["Make"] == "samsung"
    assert meta["Model"] == "SM-G930F"
    assert meta["SerialNumber"]
    assert meta["GPSLatitude"] == pytest.approx(33.5731, abs=0.01)
    assert meta["GPSLongitude"] == pytest.approx(36.4045, abs=0.01)
    assert meta["GPSAltitude"] > 0
    assert (meta["ImageWidth"], meta["ImageHeight"]) == (640, 480)


def test_video_tags_seen_by_ffprobe(demo: DemoCollection) -> None:
    ffprobe = require("ffprobe")
    video = demo.root / "ahmad" / "فيديو" / "VID_20180407_194500.mp4"
    out = subprocess.run(
        [ffprobe, "-v", "error", "-show_format", "-show_streams", "-of", "json", str(video)],
        capture_output=True,
        check=True,
        text=True,
    )
    probe = json.loads(out.stdout)
    tags = probe["format"]["tags"]
    assert tags["creation_time"].startswith("2018-04-07T19:45:00")
    assert tags["location"] == "+33.5731+036.4045/"
    codecs = {s["codec_type"]: s for s in probe["streams"]}
    assert codecs["video"]["codec_name"] == "h264"
    assert (codecs["video"]["width"], codecs["video"]["height"]) == (320, 240)
    assert codecs["audio"]["codec_name"] == "aac"
    assert float(probe["format"]["duration"]) == pytest.approx(3.0, abs=0.1)


def test_corrupt_file_fails_to_decode(demo: DemoCollection) -> None:
    ffmpeg = require("ffmpeg")
    assert len(demo.corrupt) == 1
    for path in demo.corrupt:
        assert path.is_file()
        out = subprocess.run(
            [ffmpeg, "-nostdin", "-v", "error", "-i", str(path), "-f", "null", "-"],
            capture_output=True,
            check=False,
            text=True,
        )
        assert out.returncode != 0 or out.stderr.strip(), "the corrupt file decoded cleanly"
    good = demo.root / "ahmad" / "فيديو" / "VID_20180407_194500.mp4"
    out = subprocess.run(
        [ffmpeg, "-nostdin", "-v", "error", "-i", str(good), "-f", "null", "-"],
        capture_output=True,
        check=False,
        text=True,
    )
    assert out.returncode == 0 and not out.stderr.strip()


def test_pdf_and_audio(demo: DemoCollection) -> None:
    (pdf,) = files_in(demo, ".pdf")
    head = pdf.read_bytes()
    assert head.startswith(b"%PDF-")
    assert b"/Title" in head and b"/Author" in head
    (m4a,) = files_in(demo, ".m4a")
    assert m4a.read_bytes()[4:8] == b"ftyp"


def test_refuses_a_non_empty_destination(tmp_path: Path) -> None:
    (tmp_path / "something").write_text("x")
    with pytest.raises(FileExistsError):
        build_demo(tmp_path)


def test_missing_ffmpeg_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    with pytest.raises(MissingToolError, match="apt-get install ffmpeg"):
        build_demo(tmp_path / "demo")
    assert not (tmp_path / "demo").exists()


def test_the_demo_command_finds_the_resent_photo_and_the_cut_video(tmp_path: Path) -> None:
    """The main job, end to end: the same settle step as `add` signs and links near-duplicates
    (the demo's re-sent photo, and the upload cut short, which is a clip of the video)."""
    result = run("demo", tmp_path / "demo", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["similar_links"] >= 2
    groups = run("groups", "--json", archive=tmp_path / "demo" / "archive")
    names = json.dumps(json.loads(groups.output), ensure_ascii=False)
    assert "نسخة معاد إرسالها" in names and "broken-upload.mp4" in names
