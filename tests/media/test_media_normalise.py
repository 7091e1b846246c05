"""normalise() on raw output shaped like the real tools' (pure: no tools needed)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dhakira.media import NORMALISER_VERSION, Properties, ToolOutput, normalise

FIELDS = [
    "width", "height", "duration_s", "video_codec", "audio_codec", "bitrate", "frame_rate",
    "captured_at", "gps_lat", "gps_lon", "gps_alt", "make", "model", "serial", "software",
    "title", "author", "page_count", "decodes",
]  # fmt: skip


def out(tool: str, raw: Any, error: str | None = None) -> ToolOutput:
    return ToolOutput(tool, "test", raw, error)


def ffprobe(tags: dict[str, str] | None = None, streams: list[dict[str, Any]] | None = None) -> Any:
    return out(
        "ffprobe",
        {
            "format": {"duration": "12.500000", "bit_rate": "2000000", "tags": tags or {}},
            "streams": streams
            if streams is not None
            else [
                {"codec_type": "video", "codec_name": "hevc", "width": 1920, "height": 1080,
                 "avg_frame_rate": "30000/1001", "r_frame_rate": "30/1"},
                {"codec_type": "audio", "codec_name": "aac"},
            ],
        },
    )  # fmt: skip


def test_fields_match_the_catalog_columns() -> None:
    assert list(Properties().as_dict()) == FIELDS
    assert all(v is None for v in Properties().as_dict().values())
    assert isinstance(NORMALISER_VERSION, int)
    assert normalise("image/jpeg", []) == Properties()
    assert normalise("text/plain", [out("exiftool", {"File:FileType": "TXT"})]) == Properties()


def test_exif_time_with_offset_beats_movie_and_document_times() -> None:
    exif = {
        "EXIF:DateTimeOriginal": "2024:03:01 12:34:56",
        "EXIF:SubSecTimeOriginal": "050",
        "EXIF:OffsetTimeOriginal": "+03:00",
        "EXIF:CreateDate": "2024:03:01 12:35:00",
        "QuickTime:CreationDate": "2020:01:01 00:00:00+01:00",
        "PDF:CreateDate": "2019:01:01 00:00:00Z",
    }
    props = normalise("image/jpeg", [out("exiftool", exif)])
    assert props.captured_at == "2024-03-01T12:34:56.050000+03:00"
    del exif["EXIF:DateTimeOriginal"]
    assert normalise("image/jpeg", [out("exiftool", exif)]).captured_at == "2024-03-01T12:35:00"


def test_iphone_video() -> None:
    exif = {
        "QuickTime:CreationDate": "2024:03:01 12:34:56+03:00",
        "QuickTime:CreateDate": "2024:03:01 09:34:58",
        "QuickTime:Make": "Apple",
        "QuickTime:Model": "iPhone 13",
        "QuickTime:Software": "17.1",
        "QuickTime:GPSCoordinates": "33.5131 36.2919 700.25",
    }
    tags = {"creation_time": "2024-03-01T09:34:58.000000Z"}
    props = normalise("video/quicktime", [ffprobe(tags), out("exiftool", exif)])
    assert props.captured_at == "2024-03-01T12:34:56+03:00"
    assert (props.gps_lat, props.gps_lon, props.gps_alt) == (33.5131, 36.2919, 700.25)
    assert (props.make, props.model, props.software) == ("Apple", "iPhone 13", "17.1")
    assert (props.width, props.height, props.frame_rate) == (1920, 1080, 29.97)
    assert (props.video_codec, props.audio_codec) == ("hevc", "aac")
    assert (props.duration_s, props.bitrate, props.decodes) == (12.5, 2000000, True)


def test_android_video_from_ffprobe_tags() -> None:
    tags = {
        "location": "-33.8688+151.2093/",
        "com.android.version": "13",
        "com.android.manufacturer": "samsung",
        "com.android.model": "SM-G991B",
        "creation_time": "2024-03-01T09:34:58.000000Z",
    }
    props = normalise("video/mp4", [ffprobe(tags)])
    assert (props.gps_lat, props.gps_lon, props.gps_alt) == (-33.8688, 151.2093, None)
    assert (props.make, props.model, props.software) == ("samsung", "SM-G991B", "Android 13")
    assert props.captured_at == "2024-03-01T09:34:58+00:00"


def test_exiftool_alone_covers_a_video_when_ffprobe_is_missing() -> None:
    exif = {
        "QuickTime:CreateDate": "2024:03:01 09:34:58",
        "QuickTime:ImageWidth": 1280,
        "QuickTime:ImageHeight": 720,
        "QuickTime:CompressorID": "avc1",
        "QuickTime:AudioFormat": "mp4a",
        "QuickTime:Duration": 3.5,
        "QuickTime:VideoFrameRate": 25,
    }
    outputs = [out("ffprobe", None, "ffprobe not installed: apt-get install ffmpeg")]
    props = normalise("video/mp4", [*outputs, out("exiftool", exif)])
    assert props.captured_at == "2024-03-01T09:34:58+00:00"  # movie header time is UTC
    assert (props.width, props.height, props.duration_s) == (1280, 720, 3.5)
    assert (props.video_codec, props.audio_codec, props.frame_rate) == ("h264", "aac", 25.0)
    assert props.decodes is None


def test_cover_art_is_not_a_video_stream() -> None:
    streams: list[dict[str, Any]] = [
        {"codec_type": "audio", "codec_name": "mp3"},
        {"codec_type": "video", "codec_name": "mjpeg", "width": 500, "height": 500,
         "disposition": {"attached_pic": 1}},
    ]  # fmt: skip
    props = normalise("audio/mpeg", [ffprobe({"title": "Song", "artist": "Band"}, streams)])
    assert (props.video_codec, props.audio_codec) == (None, "mp3")
    assert (props.width, props.height, props.frame_rate) == (None, None, None)
    assert (props.title, props.author) == ("Song", "Band")


def test_gps_refs_and_altitude_below_sea_level() -> None:
    exif = {
        "EXIF:GPSLatitude": 12.5,
        "EXIF:GPSLatitudeRef": "S",
        "EXIF:GPSLongitude": 45.25,
        "EXIF:GPSLongitudeRef": "W",
        "EXIF:GPSAltitude": 30,
        "EXIF:GPSAltitudeRef": 1,
    }
    props = normalise("image/jpeg", [out("exiftool", exif)])
    assert (props.gps_lat, props.gps_lon, props.gps_alt) == (-12.5, -45.25, -30.0)
    composite = {"Composite:GPSLatitude": -1.5, "Composite:GPSLongitude": 2.5}
    props = normalise("image/jpeg", [out("exiftool", composite)])
    assert (props.gps_lat, props.gps_lon) == (-1.5, 2.5)


@pytest.mark.parametrize(
    ("mime", "outputs", "decodes"),
    [
        ("image/jpeg", [out("pillow", {"opened": True, "decodes": True})], True),
        ("image/jpeg", [out("pillow", {"opened": True, "decodes": False}, "truncated")], False),
        ("image/jpeg", [out("pillow", {"opened": False, "error_type": "UnidentifiedImageError"})],
         False),
        ("image/heic", [out("pillow", {"opened": False, "error_type": "UnidentifiedImageError"})],
         None),
        ("image/png", [out("pillow", {"opened": False, "error_type": "FileNotFoundError"})], None),
        ("image/jpeg", [out("pillow", None, "pillow wrapper failed")], None),
        ("video/mp4", [out("ffprobe", {"error": {"code": -1094995529}}, "Invalid data")], False),
        ("video/mp4", [out("ffprobe", {"error": {"code": -2}}, "No such file")], None),
        ("video/mp4", [out("ffprobe", {"format": {}, "streams": []})], False),
        ("video/mp4", [out("exiftool", {"ExifTool:Warning": "Truncated 'mdat' data"})], False),
        ("application/pdf", [out("pypdf", {"failed": True}, "PdfReadError")], False),
        ("application/pdf", [out("pypdf", {"encrypted": True, "page_count": None})], None),
        ("application/pdf", [out("pypdf", {"encrypted": False, "page_count": 2})], True),
        ("application/msword", [out("exiftool", {"FlashPix:Title": "x"})], None),
    ],
)  # fmt: skip
def test_decodes(mime: str, outputs: list[ToolOutput], decodes: bool | None) -> None:
    assert normalise(mime, outputs).decodes is decodes


def test_pdf_fields_prefer_pypdf() -> None:
    pypdf_raw = {
        "page_count": 7,
        "info": {"/Title": "Report", "/Author": "Lina", "/Producer": "LibreOffice",
                 "/CreationDate": "D:20240301123456+03'00'"},
    }  # fmt: skip
    exif = {"PDF:Title": "Other", "PDF:PageCount": 9, "XMP:CreateDate": "2000:01:01 00:00:00"}
    props = normalise("application/pdf", [out("pypdf", pypdf_raw), out("exiftool", exif)])
    assert (props.title, props.author, props.software) == ("Report", "Lina", "LibreOffice")
    assert (props.page_count, props.captured_at) == (7, "2024-03-01T12:34:56+03:00")


def test_rebuilt_from_stored_json_is_identical() -> None:
    outputs = [ffprobe({"location": "+33.5731+036.4045/"}), out("exiftool", {"EXIF:Make": "X"})]
    stored = json.loads(json.dumps([o.as_dict() for o in outputs]))
    rebuilt = [ToolOutput.from_dict(d) for d in stored]
    assert rebuilt == outputs
    assert normalise("video/mp4", rebuilt) == normalise("video/mp4", outputs)


_KEYS = st.sampled_from(
    ["format", "streams", "tags", "duration", "codec_type", "width", "EXIF:Make",
     "EXIF:DateTimeOriginal", "QuickTime:GPSCoordinates", "location", "info", "/Title",
     "opened", "decodes", "page_count", "error", "ExifTool:Warning", "Composite:ImageSize"]
)  # fmt: skip
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_KEYS | st.text(), inner),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None)
@given(
    mime=st.sampled_from(["image/jpeg", "video/mp4", "audio/ogg", "application/pdf", "x/y"]),
    raws=st.lists(st.tuples(st.sampled_from(["exiftool", "ffprobe", "pillow", "pypdf"]), _JSON)),
)
def test_never_raises_on_any_stored_json(mime: str, raws: list[tuple[str, Any]]) -> None:
    props = normalise(mime, [out(tool, raw) for tool, raw in raws])
    json.dumps(props.as_dict())
