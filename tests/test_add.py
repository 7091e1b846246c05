"""`dhakira add` end to end on the demo collection, through the real CLI."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from tests.conftest import require_tool, run

from dhakira.demo import DemoCollection, build_demo


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoCollection:
    require_tool("ffmpeg")
    require_tool("exiftool")
    return build_demo(tmp_path_factory.mktemp("demo") / "material")


@pytest.fixture(scope="module")
def ingested(demo: DemoCollection, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("archive") / "a"
    assert run("init", root).exit_code == 0
    for s in demo.sources:
        args = ["add", os.fsencode(s.path), "--contributor", s.contributor, "--json"]
        if s.collection:
            args += ["--collection", s.collection]
        if s.note:
            args += ["--note", s.note]
        r = run(*args, archive=root)
        assert r.exit_code == 0, r.output
    return root


def listing(root: Path, *args: str) -> list[dict[str, object]]:
    r = run("ls", "--json", *args, archive=root)
    assert r.exit_code == 0, r.output
    out: list[dict[str, object]] = json.loads(r.stdout)
    return out


def test_every_distinct_content_is_one_item(demo: DemoCollection, ingested: Path) -> None:
    assert len(listing(ingested)) == demo.distinct_files
    stats = json.loads(run("stats", "--json", archive=ingested).stdout)
    assert stats["items"] == demo.distinct_files
    assert stats["items_with_several_contributions"] >= 3  # the video and shared photos
    assert set(stats["contributors"]) == {"Ahmad", "Layla", "VDC"}
    assert stats["metadata_pending"] == 0


def test_same_video_from_two_contributors_is_one_item_with_two_contributions(
    ingested: Path,
) -> None:
    videos = [i for i in listing(ingested, "--type", "video/mp4") if i["contributions"] == 2]
    assert len(videos) == 1
    detail = json.loads(run("show", str(videos[0]["short_id"]), "--json", archive=ingested).stdout)
    who = {c["contributor"]: c for c in detail["contributions"]}
    assert set(who) == {"Ahmad", "Layla"}
    assert who["Layla"]["original_name"] == "VID-20180407-WA0003.mp4"
    props = detail["properties"]
    assert props["width"] == 320 and props["height"] == 240
    assert abs(props["gps_lat"] - 33.5731) < 0.001
    assert props["captured_at"].startswith("2018-04-07")
    assert {o["tool"] for o in detail["tool_outputs"]} >= {"ffprobe", "exiftool"}


def test_non_utf8_and_arabic_names_are_kept_byte_exact(ingested: Path) -> None:
    items = listing(ingested, "--contributor", "Ahmad")
    paths = []
    for i in items:
        d = json.loads(run("show", str(i["sha256"]), "--json", archive=ingested).stdout)
        paths += [bytes.fromhex(c["source_path_hex"]) for c in d["contributions"]]
    assert any(p.endswith(b"/caf\xe9-latin1.jpg") for p in paths)
    assert any("دوما".encode() in p for p in paths)
    text = run("show", str(items[0]["sha256"]), archive=ingested).stdout
    assert "sha256" in text


def test_zip_is_an_item_and_members_say_where_they_came_from(ingested: Path) -> None:
    vdc = listing(ingested, "--contributor", "VDC")
    zips = [i for i in vdc if i["mime"] == "application/zip"]
    assert len(zips) == 1
    zip_detail = json.loads(
        run("show", str(zips[0]["short_id"]), "--json", archive=ingested).stdout
    )
    assert len(zip_detail["members"]) == len(vdc) - 1 >= 3
    member = json.loads(
        run("show", str(zip_detail["members"][0]["sha256"]), "--json", archive=ingested).stdout
    )
    mine = [c for c in member["contributions"] if c["contributor"] == "VDC"]
    assert mine[0]["parent_sha256"] == zips[0]["sha256"]
    assert "vdc-export.zip!/" in mine[0]["display_path"]
    assert mine[0]["member_path"].startswith("VDC-2018-04/")


def test_corrupt_video_is_kept_and_its_failure_recorded(
    demo: DemoCollection, ingested: Path
) -> None:
    broken = demo.corrupt[0]
    import hashlib

    digest = hashlib.sha256(broken.read_bytes()).hexdigest()
    detail = json.loads(run("show", digest, "--json", archive=ingested).stdout)
    assert detail["size"] == broken.stat().st_size
    assert detail["properties"].get("decodes") is not True


def test_adding_the_same_folder_again_adds_nothing_and_says_so(
    demo: DemoCollection, ingested: Path
) -> None:
    before = json.loads(run("stats", "--json", archive=ingested).stdout)
    src = demo.sources[0]
    args = ["add", os.fsencode(src.path), "--contributor", src.contributor]
    if src.collection:
        args += ["--collection", src.collection]
    r = run(*args, archive=ingested)
    assert r.exit_code == 0
    assert "0 new items" in r.stdout
    assert "already recorded from this contributor: nothing to do" in r.stdout
    after = json.loads(run("stats", "--json", archive=ingested).stdout)
    assert after["items"] == before["items"]
    assert after["contributions"] == before["contributions"]


def test_fsck_of_a_good_archive_is_clean(ingested: Path) -> None:
    r = run("fsck", "--json", archive=ingested)
    assert r.exit_code == 0, r.output
    report = json.loads(r.stdout)
    assert report["clean"] and report["checked"] == report["ok"] > 0


def test_rebuild_recomputes_the_same_properties(ingested: Path) -> None:
    before = [
        json.loads(run("show", str(i["sha256"]), "--json", archive=ingested).stdout)["properties"]
        for i in listing(ingested)
    ]
    r = run("rebuild", "--json", archive=ingested)
    assert r.exit_code == 0, r.output
    after = [
        json.loads(run("show", str(i["sha256"]), "--json", archive=ingested).stdout)["properties"]
        for i in listing(ingested)
    ]
    assert before == after


def test_commands_without_an_archive_say_what_to_do(tmp_path: Path) -> None:
    r = run("ls", archive=tmp_path / "nowhere")
    assert r.exit_code == 2
    assert "dhakira init" in r.stderr
    r = run("show", "abcdef", archive=tmp_path / "nowhere")
    assert r.exit_code == 2


def test_init_refuses_an_existing_archive(tmp_path: Path) -> None:
    assert run("init", tmp_path / "a").exit_code == 0
    r = run("init", tmp_path / "a")
    assert r.exit_code == 2 and "already a Dhakira archive" in r.stderr
