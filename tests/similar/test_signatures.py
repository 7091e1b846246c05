"""Image and video signatures on real files: copies are close, strangers far, bad input says
why."""

from __future__ import annotations

import itertools
import time
from pathlib import Path

import pytest
from tests.conftest import require_tool
from tests.similar.media import ffmpeg, photo, png_bomb, tiny, video

from dhakira.similar.derive import compute
from dhakira.similar.image import image_signature, trim_box
from dhakira.similar.signature import SignatureError, hamming
from dhakira.similar.video import video_signature


def best(a: list[bytes], b: list[bytes]) -> int:
    return min(hamming(x, y) for x in a for y in b)


def test_copies_are_close_and_strangers_far(tmp_path: Path) -> None:
    original = image_signature(photo(tmp_path / "a.png", 1))
    copy = image_signature(photo(tmp_path / "b.jpg", 1, "jpeg-q15", quality=30))
    stranger = image_signature(photo(tmp_path / "c.png", 2))
    assert original.kind == "image" and (original.width, original.height) == (640, 480)
    assert {h.variant for h in original.hashes} >= {"full", "centre", "tl", "br"}
    assert all(len(h.bits) == 32 and h.phash is not None for h in original.hashes)
    assert hamming(original.hashes[0].bits, copy.hashes[0].bits) <= 16
    assert hamming(original.hashes[0].bits, stranger.hashes[0].bits) >= 60


def test_letterbox_is_trimmed_back_to_the_picture(tmp_path: Path) -> None:
    original = image_signature(photo(tmp_path / "a.png", 3))
    boxed = image_signature(photo(tmp_path / "b.png", 3, "letterbox"))
    trims = [h.bits for h in boxed.hashes if h.variant == "trim"]
    assert trims, "the black bars were not found"
    assert best(trims, [h.bits for h in original.hashes]) <= 31


def test_trim_box_keeps_a_picture_without_borders() -> None:
    import numpy as np

    rng = np.random.default_rng(0)
    grey = rng.integers(0, 255, (100, 80)).astype(np.float32)
    assert trim_box(grey) == (0, 0, 80, 100)
    grey[:20] = 0
    grey[90:] = 255
    assert trim_box(grey) == (0, 20, 80, 90)


def test_mirror_is_found_at_query_time(tmp_path: Path) -> None:
    original = image_signature(photo(tmp_path / "a.png", 4))
    mirrored = image_signature(photo(tmp_path / "b.png", 4, "mirror"))
    assert hamming(original.hashes[0].bits, mirrored.hashes[0].bits) > 60
    assert best([h.bits for h in mirrored.query_only], [original.hashes[0].bits]) <= 31


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: tiny(p / "one.png"), "too small"),
        (lambda p: png_bomb(p / "bomb.png"), "too large to decode safely"),
        (lambda p: _write(p / "empty.jpg", b""), "cannot decode"),
        (lambda p: _write(p / "junk.jpg", b"\xff\xd8\xff" + bytes(500)), "cannot decode"),
    ],
)  # fmt: skip
def test_bad_images_say_why(tmp_path: Path, make: object, message: str) -> None:
    path = make(tmp_path)
    start = time.perf_counter()
    with pytest.raises(SignatureError, match=message):
        image_signature(path)
    assert time.perf_counter() - start < 5  # the bomb is refused, never decoded


def test_truncated_jpeg_says_why(tmp_path: Path) -> None:
    good = photo(tmp_path / "a.jpg", 5, quality=90).read_bytes()
    (tmp_path / "t.jpg").write_bytes(good[: len(good) // 3])
    with pytest.raises(SignatureError, match="cannot decode the image"):
        image_signature(tmp_path / "t.jpg")


def test_not_media_is_refused(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("hello")
    with pytest.raises(SignatureError, match="neither an image nor a video"):
        compute(tmp_path / "a.txt", "text/plain")


def test_video_excerpt_is_located(tmp_path: Path) -> None:
    require_tool("ffmpeg")
    src = video(tmp_path / "m.mp4", "mandelbrot=s=320x180:r=25", 12, "-c:v", "libx264", "-g", "250")
    ffmpeg("-i", str(src), "-ss", "4", "-t", "5", "-c:v", "libx264", "-g", "25", "-crf", "35",
           str(tmp_path / "cut.mp4"))  # fmt: skip
    long_ = video_signature(src)
    cut = video_signature(tmp_path / "cut.mp4")
    assert long_.kind == "video" and long_.duration_s == pytest.approx(12, abs=0.1)
    assert (long_.width, long_.height) == (320, 180)
    times = [h.t for h in long_.hashes if h.variant == "frame" and h.t is not None]
    assert max(b - a for a, b in itertools.pairwise(times)) <= 2.5  # beyond keyframes
    assert {h.variant for h in long_.hashes} == {"frame", "fcentre"}
    assert {h.variant for h in long_.query_only} == {"mirror"}
    close = [(h.t, g.t) for h in cut.hashes for g in long_.hashes if hamming(h.bits, g.bits) <= 40]
    assert len(close) >= 3
    offsets = sorted(g - h for h, g in close)
    assert offsets[len(offsets) // 2] == pytest.approx(4, abs=1.0)


def test_audio_only_and_broken_videos_say_why(tmp_path: Path) -> None:
    require_tool("ffmpeg")
    audio = tmp_path / "a.mp4"
    ffmpeg("-f", "lavfi", "-i", "sine=frequency=440", "-t", "2", "-c:a", "aac", str(audio))
    with pytest.raises(SignatureError, match="no video stream"):
        video_signature(audio)
    good = video(tmp_path / "g.mp4", "testsrc2=s=320x180:r=25", 4, "-c:v", "libx264")
    data = good.read_bytes()
    (tmp_path / "t.mp4").write_bytes(data[: len(data) // 4])
    with pytest.raises(SignatureError, match=r"cannot decode|no frame"):
        video_signature(tmp_path / "t.mp4")
    (tmp_path / "z.mp4").write_bytes(b"")
    with pytest.raises(SignatureError, match="cannot decode"):
        video_signature(tmp_path / "z.mp4")


def test_video_without_keyframes_is_still_sampled(tmp_path: Path) -> None:
    """Periodic intra refresh: no keyframe after the first, yet a frame every ~second."""
    require_tool("ffmpeg")
    path = video(tmp_path / "r.mp4", "mandelbrot=s=320x180:r=25", 6, "-c:v", "libx264",
                 "-x264-params", "intra-refresh=1:keyint=1000")  # fmt: skip
    sig = video_signature(path)
    assert len(sig.hashes) >= 4


def test_very_short_and_flat_videos(tmp_path: Path) -> None:
    require_tool("ffmpeg")
    short = video(tmp_path / "s.mp4", "testsrc2=s=320x180:r=25", 0.2, "-c:v", "libx264")
    sig = video_signature(short)
    assert sig.frames >= 1 and sig.note and "short or still" in sig.note
    black = video(tmp_path / "b.mp4", "color=c=black:s=320x180:r=25", 3, "-c:v", "libx264")
    with pytest.raises(SignatureError, match="flat"):
        video_signature(black)


def test_plain_line_test_matches_its_definition() -> None:
    """_uniform's one unsigned comparison is the two-sided range test, at the ends of the grey
    scale too (a median near 0 or 255 clips the range), along rows and columns."""
    import numpy as np

    from dhakira.similar.image import BORDER_LEVELS, BORDER_SHARE, _uniform

    rng = np.random.default_rng(3)
    counts = []
    for base in (0, 5, 12, 13, 128, 242, 243, 250, 255):
        grey = np.clip(base + rng.integers(-13, 14, (40, 90)) // 3, 0, 255).astype(np.uint8)
        for y, x in zip(rng.integers(0, 40, 60), rng.integers(0, 90, 60), strict=True):
            grey[y, x] = rng.integers(0, 256)  # outliers: some lines stay plain, some not
        for axis in (1, 0):
            lines = grey if axis else grey.T
            sub = lines[:, ::4] if lines.shape[1] >= 64 else lines
            med = np.sort(sub, axis=1)[:, sub.shape[1] // 2].astype(int)[:, None]
            near = (np.abs(lines.astype(int) - med) <= BORDER_LEVELS).sum(axis=1)
            plain, colour = _uniform(grey, axis)
            assert (colour == med[:, 0]).all()
            assert (plain == (near >= BORDER_SHARE * lines.shape[1])).all()
            counts.append(int(plain.sum()))
    assert 0 < sum(counts) < 9 * (40 + 90)  # both kinds of line were met
