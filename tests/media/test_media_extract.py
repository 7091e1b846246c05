"""extract() + normalise() end to end, on real media made by Pillow, ffmpeg and zipfile."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from dhakira.media import (
    ExifTool,
    Properties,
    ToolOutput,
    close_shared_exiftool,
    extract,
    normalise,
    shared_exiftool,
)
from dhakira.media.exiftool import INSTALL_HINT

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def run(path: Path, mime: str, et: ExifTool | None = None) -> tuple[list[ToolOutput], Properties]:
    outputs = extract(path, mime, et)
    for output in outputs:  # what the catalog stores: strict UTF-8 JSON
        json.dumps(output.as_dict(), ensure_ascii=False).encode("utf-8")
    stored = [ToolOutput.from_dict(json.loads(json.dumps(o.as_dict()))) for o in outputs]
    props = normalise(mime, outputs)
    assert normalise(mime, stored) == props  # rebuildable from stored raw output
    return outputs, props


def errors(outputs: list[ToolOutput]) -> dict[str, str | None]:
    return {o.tool: o.error for o in outputs}


def test_jpeg_with_exif(et: ExifTool, jpeg: Path) -> None:
    outputs, props = run(jpeg, "image/jpeg", et)
    assert errors(outputs) == {"exiftool": None, "pillow": None}
    assert (props.width, props.height, props.decodes) == (640, 480, True)
    assert props.captured_at == "2024-03-01T12:34:56.250000+03:00"
    assert (props.gps_lat, props.gps_lon, props.gps_alt) == (33.5731, 36.4045, 512.5)
    assert (props.make, props.model, props.serial) == ("Canon", "Canon EOS 5D", "SN-0042")
    assert props.software == "Firmware 1.1"
    assert (props.duration_s, props.video_codec, props.page_count) == (None, None, None)


def test_jpeg_south_west_without_offset(et: ExifTool, jpeg_south_west: Path) -> None:
    _, props = run(jpeg_south_west, "image/jpeg", et)
    assert props.captured_at == "2023-12-31T23:59:59.250000"  # local time, as recorded
    assert (props.gps_lat, props.gps_lon) == (-12.5, -45.25)


def test_truncated_jpeg(et: ExifTool, truncated_jpeg: Path) -> None:
    outputs, props = run(truncated_jpeg, "image/jpeg", et)
    errs = errors(outputs)
    assert errs["pillow"] is not None and "truncated" in errs["pillow"]
    assert props.decodes is False
    assert (props.width, props.height, props.make) == (640, 480, "Canon")  # headers survive


def test_mp4(et: ExifTool, mp4: Path) -> None:
    outputs, props = run(mp4, "video/mp4", et)
    assert errors(outputs) == {"ffprobe": None, "exiftool": None}
    assert (props.width, props.height) == (320, 240)
    assert props.duration_s == pytest.approx(2.0, abs=0.1)
    assert (props.video_codec, props.audio_codec, props.frame_rate) == ("h264", "aac", 25.0)
    assert props.bitrate is not None and props.bitrate > 0
    assert props.captured_at == "2024-03-01T10:20:30+00:00"
    assert (props.gps_lat, props.gps_lon) == (33.5731, 36.4045)
    assert (props.title, props.decodes) == ("Checkpoint", True)
    assert props.software is not None and props.software.startswith("Lavf")


def test_truncated_mp4(et: ExifTool, mp4: Path, tmp_path: Path) -> None:
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(mp4.read_bytes()[: mp4.stat().st_size // 2])  # the index (moov) is lost
    outputs, props = run(cut, "video/mp4", et)
    errs = errors(outputs)
    assert errs["ffprobe"] is not None and "moov atom not found" in errs["ffprobe"]
    assert props.decodes is False


def test_truncated_faststart_mp4(et: ExifTool, mp4_faststart: Path, tmp_path: Path) -> None:
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(mp4_faststart.read_bytes()[: mp4_faststart.stat().st_size // 2])
    outputs, props = run(cut, "video/mp4", et)
    assert errors(outputs)["ffprobe"] is None  # the index is intact, the data is not
    assert props.decodes is False
    assert (props.width, props.height) == (320, 240)


def test_audio_only(et: ExifTool, m4a: Path) -> None:
    outputs, props = run(m4a, "audio/mp4", et)
    assert errors(outputs) == {"ffprobe": None, "exiftool": None}
    assert (props.audio_codec, props.video_codec) == ("aac", None)
    assert (props.width, props.height, props.frame_rate) == (None, None, None)
    assert props.duration_s == pytest.approx(1.5, abs=0.1)
    assert (props.title, props.author, props.decodes) == ("Voice note", "Reem", True)


def test_pdf(et: ExifTool, pdf: Path) -> None:
    outputs, props = run(pdf, "application/pdf", et)
    assert errors(outputs) == {"pypdf": None, "exiftool": None}
    assert (props.title, props.author, props.software) == ("تقرير الحادثة", "Lina", "Writer")
    assert (props.page_count, props.decodes) == (1, True)
    assert props.captured_at == "2024-03-01T12:34:56+03:00"


def test_truncated_pdf(et: ExifTool, pdf: Path, tmp_path: Path) -> None:
    cut = tmp_path / "cut.pdf"
    cut.write_bytes(pdf.read_bytes()[:300])
    outputs, props = run(cut, "application/pdf", et)
    assert errors(outputs)["pypdf"]
    assert props.decodes is False


def test_office_document(et: ExifTool, docx: Path) -> None:
    outputs, props = run(docx, DOCX, et)
    assert [o.tool for o in outputs] == ["exiftool"]
    assert (props.title, props.author) == ("Witness statement", "Omar")
    assert props.captured_at == "2024-03-02T08:00:00+00:00"


def test_other_types_run_no_tools(jpeg: Path) -> None:
    assert extract(jpeg, "text/plain") == []
    assert extract(jpeg, "application/octet-stream") == []


@pytest.mark.parametrize("name", [b"\xd8\xb5\xff\xfe.jpg", b"two\nlines.jpg"])
def test_awkward_names_through_extract(
    et: ExifTool, jpeg: Path, tmp_path: Path, name: bytes
) -> None:
    path = Path(os.fsdecode(os.path.join(os.fsencode(tmp_path), name)))
    shutil.copyfile(jpeg, path)
    outputs, props = run(path, "image/jpeg", et)
    assert errors(outputs) == {"exiftool": None, "pillow": None}
    assert (props.make, props.decodes) == ("Canon", True)


def test_missing_file_never_raises(et: ExifTool, tmp_path: Path) -> None:
    for mime in ("image/jpeg", "video/mp4", "application/pdf", DOCX):
        outputs, props = run(tmp_path / "gone", mime, et)
        assert outputs and all(o.error for o in outputs)
        assert props.decodes is None  # missing is not corrupt


@pytest.fixture
def fresh_shared() -> Iterator[None]:
    close_shared_exiftool()
    yield
    close_shared_exiftool()


@pytest.mark.usefixtures("fresh_shared")
def test_shared_exiftool_by_default(need: Callable[[str], None], jpeg: Path) -> None:
    need("exiftool")
    outputs, props = run(jpeg, "image/jpeg")
    assert outputs[0].error is None and props.make == "Canon"
    instance = shared_exiftool()
    assert instance._proc is not None
    pid = instance._proc.pid
    run(jpeg, "image/jpeg")
    assert shared_exiftool() is instance and instance._proc.pid == pid  # one process, reused


@pytest.mark.usefixtures("fresh_shared")
def test_without_any_tools(
    jpeg: Path, mp4: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no exiftool, no ffprobe
    outputs, props = run(jpeg, "image/jpeg")
    assert errors(outputs) == {"exiftool": INSTALL_HINT, "pillow": None}
    assert (props.width, props.decodes, props.make) == (640, True, None)
    outputs, props = run(mp4, "video/mp4")
    assert errors(outputs) == {
        "ffprobe": "ffprobe not installed: apt-get install ffmpeg",
        "exiftool": INSTALL_HINT,
    }
    assert props == Properties()


def test_a_missing_tool_fails_in_ci(
    need: Callable[[str], None], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="not installed"):
        need("no-such-tool-for-dhakira")
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception, match="not installed"):
        need("no-such-tool-for-dhakira")
