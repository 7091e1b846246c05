"""The commands end to end on a real archive: add finds copies, groups name the earliest and
best copy, decisions survive re-runs, a file is compared without being added, bad input is
recorded on its item and the batch goes on."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from tests.conftest import require_tool, run
from tests.similar.media import ffmpeg, photo, png_bomb, tiny, video

from dhakira.archive import Archive
from dhakira.similar import api


def _ingest(tmp_path: Path, files: Path) -> Path:
    root = tmp_path / "archive"
    assert run("init", root).exit_code == 0
    res = run("add", "--contributor", "c", "--no-ocr", files, "--json", archive=root)
    assert res.exit_code in (0, 1), res.output
    return root


@pytest.fixture
def copies(tmp_path: Path) -> Path:
    d = tmp_path / "in"
    d.mkdir()
    photo(d / "big.png", 10)
    photo(d / "small.jpg", 10, "thumbnail-128", quality=70)
    photo(d / "boxed.png", 10, "letterbox")
    photo(d / "other.png", 11)
    photo(d / "other-logo.png", 11, "logo")
    photo(d / "stranger.png", 12)
    os.utime(d / "small.jpg", (1_500_000_000, 1_500_000_000))  # the earliest file time
    return d


def _sha(root: Path, name: str) -> str:
    out = json.loads(run("ls", "--json", archive=root).output)
    return next(i["sha256"] for i in out if i["name"] == name)


def test_add_links_copies_and_groups_them(tmp_path: Path, copies: Path) -> None:
    root = _ingest(tmp_path, copies)
    out = json.loads(run("groups", "--json", archive=root).output)
    groups = sorted(out["groups"], key=lambda g: -g["size"])
    assert [g["size"] for g in groups] == [3, 2]
    big, small = _sha(root, "big.png"), _sha(root, "small.jpg")
    assert {m["sha256"] for m in groups[0]["members"]} == {
        big, small, _sha(root, "boxed.png")
    }  # fmt: skip
    assert groups[0]["best"] == big  # 640×480 beats 128×96
    assert groups[0]["earliest"] == small  # no capture time: the earliest file time
    stranger = _sha(root, "stranger.png")
    assert all(stranger not in {m["sha256"] for m in g["members"]} for g in groups)
    sim = json.loads(run("similar", big[:10], "--json", archive=root).output)
    assert sim["signature"]["kind"] == "image"
    assert {n["sha256"] for n in sim["similar"]} == {small, _sha(root, "boxed.png")}
    assert all(n["status"] == "auto" and n["score"] > 0.5 for n in sim["similar"])
    text = run("groups", archive=root).output
    assert "earliest" in text and "best quality" in text
    with Archive.open(root) as a:
        types = [r[0] for r in a.catalog.conn.execute("SELECT type FROM events")]
        assert types.count("link.created") == 4
        assert types.count("similarity.signed") == 6
        group = api.group_of(a, big)
        assert group is not None and len(group.members) == 3


def test_rejected_link_stays_rejected_after_rerun(tmp_path: Path, copies: Path) -> None:
    root = _ingest(tmp_path, copies)
    a, b = _sha(root, "other.png"), _sha(root, "other-logo.png")
    res = run("link", "reject", a[:8], b[:8], "--json", archive=root)
    assert res.exit_code == 0, res.output
    assert json.loads(res.output) == {
        "a": a[:8],
        "b": b[:8],
        "status": "rejected",
        "previous": "auto",
    }
    # forget every signature: the next derive recomputes them all and matches again
    with Archive.open(root) as arc, arc.catalog.transaction():
        arc.catalog.conn.execute("DELETE FROM sim_hashes")
        arc.catalog.conn.execute("DELETE FROM sim_signatures")
    out = json.loads(run("derive", "--json", archive=root).output)
    assert out["signed"] == 6 and out["links"] == 0  # nothing new: every link was known
    groups = json.loads(run("groups", "--json", archive=root).output)["groups"]
    assert [g["size"] for g in groups] == [3]  # the rejected pair no longer forms a group
    sim = json.loads(run("similar", a[:8], "--json", archive=root).output)
    assert [n["status"] for n in sim["similar"]] == ["rejected"]


def test_confirm_links_what_no_run_found(tmp_path: Path, copies: Path) -> None:
    root = _ingest(tmp_path, copies)
    a, b = _sha(root, "stranger.png"), _sha(root, "big.png")
    res = run("link", "confirm", a[:8], b[:8], archive=root)
    assert res.exit_code == 0 and "confirmed (was none)" in res.output
    groups = json.loads(run("groups", "--json", archive=root).output)["groups"]
    assert sorted(g["size"] for g in groups) == [2, 4]
    with Archive.open(root) as arc:
        row = arc.catalog.conn.execute(
            "SELECT method, status, decided_by FROM sim_links WHERE status = 'confirmed'"
        ).fetchone()
        assert (row[0], row[1]) == ("manual", "confirmed") and "@" in row[2]
        assert (
            arc.catalog.conn.execute(
                "SELECT count(*) FROM events WHERE type = 'link.confirmed'"
            ).fetchone()[0]
            == 1
        )
    same = run("link", "confirm", a[:8], a[:8], archive=root)
    assert same.exit_code == 2 and "same item" in same.output


def test_file_compared_without_ingest(tmp_path: Path, copies: Path) -> None:
    root = _ingest(tmp_path, copies)
    probe = photo(tmp_path / "probe.jpg", 10, "caption-bar", quality=80)
    before = len(json.loads(run("ls", "--json", archive=root).output))
    out = json.loads(run("similar", probe, "--json", archive=root).output)
    assert out["item"] is None
    assert _sha(root, "big.png") in {n["sha256"] for n in out["similar"]}
    assert all(n["status"] == "unrecorded" for n in out["similar"])
    assert len(json.loads(run("ls", "--json", archive=root).output)) == before
    # a file that is in the archive already answers with its recorded links
    known = json.loads(run("similar", copies / "big.png", "--json", archive=root).output)
    assert known["item"] == _sha(root, "big.png") and len(known["similar"]) == 2
    text = run("similar", tmp_path / "nothing.txt", archive=root)
    assert text.exit_code == 2  # neither a file nor an item id
    (tmp_path / "notes.txt").write_text("hello")
    res = run("similar", tmp_path / "notes.txt", archive=root)
    assert res.exit_code == 1 and "not an image or a video" in res.output


def test_bad_input_is_recorded_and_the_batch_goes_on(tmp_path: Path) -> None:
    require_tool("ffmpeg")
    d = tmp_path / "in"
    d.mkdir()
    photo(d / "good.png", 20)
    photo(d / "good-copy.jpg", 20, "resize-50%", quality=80)
    tiny(d / "one-pixel.png")
    png_bomb(d / "bomb.png")
    good = photo(tmp_path / "t.jpg", 21, quality=90).read_bytes()
    (d / "truncated.jpg").write_bytes(good[: len(good) // 3])
    (d / "corrupt.jpg").write_bytes(b"\xff\xd8\xff\xe0" + os.urandom(2000))
    ffmpeg(
        "-f", "lavfi", "-i", "sine=frequency=300", "-t", "1", "-c:a", "aac", str(d / "voice.mp4")
    )
    v = video(tmp_path / "v.mp4", "testsrc2=s=320x180:r=25", 3, "-c:v", "libx264").read_bytes()
    (d / "broken.mp4").write_bytes(v[: len(v) // 5])
    root = _ingest(tmp_path, d)
    with Archive.open(root) as arc:
        rows = {
            r["name"]: (r["kind"], r["error"])
            for r in arc.catalog.conn.execute(
                "SELECT c.display_path AS name, s.kind, s.error FROM sim_signatures s"
                " JOIN contributions c ON c.item_id = s.item_id"
            )
        }
    errors = {os.path.basename(k): v[1] for k, v in rows.items()}
    assert errors["good.png"] is None and errors["good-copy.jpg"] is None
    assert "too small" in errors["one-pixel.png"]
    assert "too large to decode safely" in errors["bomb.png"]
    assert "cannot decode" in errors["truncated.jpg"]
    assert "cannot decode" in errors["corrupt.jpg"]
    if "voice.mp4" in errors:  # libmagic may call an audio-only MP4 audio/mp4: not compared
        assert "no video stream" in errors["voice.mp4"]
    assert "broken.mp4" not in errors or errors["broken.mp4"]
    groups = json.loads(run("groups", "--json", archive=root).output)["groups"]
    assert [g["size"] for g in groups] == [2]
    bomb = _sha(root, "bomb.png")
    shown = run("similar", bomb[:10], archive=root).output
    assert "not compared: image too large to decode safely" in shown
    assert "900000000 pixels" in shown


def test_videos_link_with_offset_and_screenshot(tmp_path: Path) -> None:
    require_tool("ffmpeg")
    d = tmp_path / "in"
    d.mkdir()
    src = video(d / "full.mp4", "mandelbrot=s=640x360:r=25", 14, "-c:v", "libx264")
    ffmpeg("-i", str(src), "-ss", "5", "-t", "6", "-vf", "scale=320:-2", "-c:v", "libx264",
           "-crf", "32", str(d / "clip.mp4"))  # fmt: skip
    ffmpeg("-ss", "8", "-i", str(src), "-frames:v", "1", str(d / "still.png"))
    video(d / "life.mp4", "life=s=320x240:r=25:seed=3:ratio=0.2", 8, "-c:v", "libx264")
    root = _ingest(tmp_path, d)
    full, clip = _sha(root, "full.mp4"), _sha(root, "clip.mp4")
    sim = json.loads(run("similar", clip[:10], "--json", archive=root).output)
    found = {n["sha256"]: n for n in sim["similar"]}
    assert full in found and found[full]["method"] == "video"
    assert found[full]["offset_s"] == pytest.approx(5, abs=1.0)
    assert found[full]["frames"] >= 3
    seen_from_full = json.loads(run("similar", full[:10], "--json", archive=root).output)
    back = {n["sha256"]: n for n in seen_from_full["similar"]}
    assert back[clip]["offset_s"] == pytest.approx(-5, abs=1.0)
    still = _sha(root, "still.png")
    assert still in back and back[still]["method"] == "frame"
    assert back[still]["offset_s"] == pytest.approx(8, abs=1.5)
    assert _sha(root, "life.mp4") not in back
    assert (
        "starts 5" in run("similar", clip[:10], archive=root).output
        or "starts 4" in run("similar", clip[:10], archive=root).output
    )


def test_videos_behind_the_same_intro_are_not_grouped(tmp_path: Path) -> None:
    """A media centre puts its logo sequence before every video: two different videos that
    share it are not copies (at the same moments afterwards they show other things), while
    its copy of a source (the intro, then 10 s of the source) still links to the source. (Cut
    at an even second: with keyframes every 2 s, both are sampled at the same moments.)"""
    require_tool("ffmpeg")
    d = tmp_path / "in"
    d.mkdir()
    x264 = ("-c:v", "libx264", "-g", "50")
    intro = video(tmp_path / "intro.mp4", "mandelbrot=s=640x360:r=25", 6, *x264)
    source = video(d / "source.mp4", "testsrc2=s=640x360:r=25", 20, *x264)
    other = video(tmp_path / "other.mp4", "life=s=640x360:r=25:seed=4:ratio=0.4", 10, *x264)
    for name, body, cut in (
        ("edited.mp4", source, ("-ss", "4", "-t", "10")),
        ("news.mp4", other, ()),
    ):
        ffmpeg("-i", str(intro), *cut, "-i", str(body), "-filter_complex",
               "[0:v][1:v]concat=n=2:v=1[v]", "-map", "[v]", *x264, "-pix_fmt", "yuv420p",
               str(d / name))  # fmt: skip
    root = _ingest(tmp_path, d)
    groups = json.loads(run("groups", "--json", archive=root).output)["groups"]
    names = [sorted(m["name"] for m in g["members"]) for g in groups]
    assert names == [["edited.mp4", "source.mp4"]]
    edited = json.loads(
        run("similar", _sha(root, "edited.mp4")[:10], "--json", archive=root).output
    )
    [link] = edited["similar"]
    assert link["sha256"] == _sha(root, "source.mp4") and link["method"] == "video"
    assert link["offset_s"] == pytest.approx(-2, abs=0.5)  # the source's 4 s is the edit's 6 s
