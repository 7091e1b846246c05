"""The public release: only items marked public, only cleaned copies, only agreed names."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest
from tests.conftest import require_tool, run
from tests.export.conftest import SECRET_NAME, WITNESS, items

LEAKS = re.compile(
    r"GPS|Serial|Owner|Artist|Creator|By-line|^Make$|^Model$|ImageDescription|Location"
    r"|Comment|DateTimeOriginal",
    re.IGNORECASE,
)


def publish(archive: Path, *args: str) -> None:
    r = run("publish", *args, archive=archive)
    assert r.exit_code == 0, r.output


def release(archive: Path, out: Path, *selection: str) -> dict[str, object]:
    r = run("export", "public", *(selection or ("--all",)), str(out), "--json", archive=archive)
    assert r.exit_code == 0, r.output
    result: dict[str, object] = json.loads(r.stdout)
    return result


@pytest.fixture
def released(archive_path: Path, tmp_path: Path) -> tuple[Path, Path, dict[str, object]]:
    listed = items(archive_path)
    for name in ("دوما قصف.jpg", "VID_20180407.mp4", "voice-note.m4a", "testimony.txt"):
        publish(archive_path, str(listed[name]["short_id"]))
    r = run("publish", str(listed["restricted-photo.jpg"]["short_id"]), archive=archive_path)
    assert r.exit_code == 0 and "will still not be released" in r.output  # restricted
    out = tmp_path / "site"
    return archive_path, out, release(archive_path, out)


def tags(path: Path) -> dict[str, object]:
    out = subprocess.run(
        ["exiftool", "-j", "-a", "-G1", "-u", "-n", str(path)], capture_output=True, check=True
    )
    found: dict[str, object] = json.loads(out.stdout)[0]
    return found


def every_byte(root: Path) -> bytes:
    return b"\n".join(
        p.relative_to(root).as_posix().encode() + b"\n" + p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    )


def test_only_items_marked_public_and_unrestricted_reach_the_site(
    released: tuple[Path, Path, dict[str, object]],
) -> None:
    archive, out, result = released
    listed = items(archive)
    assert result["published"] == 3  # photo, video, audio
    why = result["left_out"]
    assert isinstance(why, dict)
    assert why[listed["restricted-photo.jpg"]["sha256"]] == "a contributor restricted sharing"
    assert why[listed[f"{SECRET_NAME}-door.jpg"]["sha256"]] == "not marked public"
    assert "text/plain files are not published" in why[listed["testimony.txt"]["sha256"]]
    index = json.loads((out / "index.json").read_text())
    assert sorted(e["mime"].split("/")[0] for e in index["items"]) == ["audio", "image", "video"]
    # grep the whole output: no name, path, original digest or contributor of anything
    blob = every_byte(out)
    for secret in (
        WITNESS, "Ahmad", "Layla", SECRET_NAME, "restricted-photo", "VID_20180407",
        "voice-note", "دوما قصف", "Douma 2018", "SN-4471", "BSN-99812", "Samsung", "SM-A520F",
        "home street", "recorded at home",
    ):  # fmt: skip
        assert secret.encode() not in blob, secret
    for i in listed.values():
        assert str(i["sha256"]).encode() not in blob  # originals' digests are not published


def test_no_identifying_tag_survives_in_the_public_copies(
    released: tuple[Path, Path, dict[str, object]],
) -> None:
    require_tool("exiftool")
    archive, out, _ = released
    media = sorted((out / "media").iterdir())
    assert len(media) == 3
    source = archive / "blobs" / "sha256"
    for m in media:
        found = tags(m)
        leaked = [k for k in found if LEAKS.search(k.split(":", 1)[-1])]
        assert leaked == [], (m.name, leaked)
        assert WITNESS not in json.dumps(found, ensure_ascii=False)
    photo = next(m for m in media if m.suffix == ".jpg")
    assert tags(photo)["IFD0:Orientation"] == 6  # kept: the picture still shows upright
    # the original really had them (the test would prove nothing otherwise)
    originals = [p for p in source.rglob("*") if p.is_file()]
    assert any("GPS:GPSLatitude" in tags(p) for p in originals)


def test_video_and_audio_are_remuxed_not_reencoded(
    released: tuple[Path, Path, dict[str, object]],
) -> None:
    require_tool("ffmpeg")
    archive, out, _ = released
    listed = items(archive)

    def packets(path: Path) -> str:
        r = subprocess.run(
            ["ffmpeg", "-v", "error", "-i", str(path), "-map", "0:v?", "-map", "0:a",
             "-c", "copy", "-f", "streamhash", "-hash", "sha256", "-"],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        return r.stdout

    for name, suffix in (("VID_20180407.mp4", ".mp4"), ("voice-note.m4a", ".m4a")):
        sha = str(listed[name]["sha256"])
        original = archive / "blobs" / "sha256" / sha[:2] / sha[2:4] / sha
        (copy,) = (out / "media").glob(f"*{suffix}")
        assert packets(original) == packets(copy)
        assert copy.read_bytes() != original.read_bytes()


def test_contributors_appear_only_as_they_agreed(archive_path: Path, tmp_path: Path) -> None:
    listed = items(archive_path)
    publish(archive_path, str(listed["VID_20180407.mp4"]["short_id"]))
    first = release(archive_path, tmp_path / "one")
    index = json.loads((tmp_path / "one" / "index.json").read_text())
    assert index["items"][0]["contributors"] == ["anonymous contributor"]
    r = run("contributor", "public-name", WITNESS, "أبو شهاب", archive=archive_path)
    assert r.exit_code == 0
    release(archive_path, tmp_path / "two")
    index = json.loads((tmp_path / "two" / "index.json").read_text())
    assert index["items"][0]["contributors"] == ["أبو شهاب"]
    page = (tmp_path / "two" / index["items"][0]["page"]).read_text()
    assert "أبو شهاب" in page and WITNESS not in page
    assert first["export_id"] != index["export"]


def test_publishing_a_collection_and_withdrawing_it(archive_path: Path, tmp_path: Path) -> None:
    r = run("export", "public", "--all", str(tmp_path / "none"), archive=archive_path)
    assert r.exit_code == 2 and "dhakira publish" in r.output
    publish(archive_path, "--collection", "Douma 2018")
    result = release(archive_path, tmp_path / "all")
    assert result["published"] == 4  # both photos, the video and the audio; not the text
    index = json.loads((tmp_path / "all" / "index.json").read_text())
    assert all(e["collections"] == ["Douma 2018"] for e in index["items"])
    publish(archive_path, "--collection", "Douma 2018", "--undo")
    r = run("export", "public", "--all", str(tmp_path / "after"), archive=archive_path)
    assert r.exit_code == 2 and not (tmp_path / "after").exists()


def test_public_copies_are_linked_to_originals_in_the_custody_log(
    released: tuple[Path, Path, dict[str, object]],
) -> None:
    archive, out, result = released
    conn = sqlite3.connect(archive / "catalog.sqlite")
    derived = [
        json.loads(b)
        for (b,) in conn.execute("SELECT body FROM events WHERE type = 'item.derived'")
    ]
    assert len(derived) == 3
    for ev in derived:
        p = ev["params"]
        copy = out / p["path"]
        assert hashlib.sha256(copy.read_bytes()).hexdigest() == p["public_sha256"]
        assert ev["item"] != p["public_sha256"] and p["export"] == result["export_id"]
        assert p["tool"].split()[0] in ("exiftool", "ffmpeg")
    types = [t for (t,) in conn.execute("SELECT type FROM events ORDER BY seq")]
    assert types.count("item.published") == 5 and "export.finished" in types


def test_the_site_is_static_relative_rtl_and_opens_offline(
    released: tuple[Path, Path, dict[str, object]],
) -> None:
    _, out, _ = released
    pages = sorted(out.rglob("*.html"))
    assert len(pages) == 4
    for page in pages:
        text = page.read_text()
        assert '<html lang="ar" dir="rtl">' in text
        assert "<script" not in text.lower() and "http://" not in text and "https://" not in text
        for link in re.findall(r'(?:href|src)="([^"]+)"', text):
            assert not link.startswith("/") and ":" not in link, link
            assert (page.parent / link).resolve().is_file(), (page, link)
    require_tool("chromium")
    chromium = shutil.which("chromium")
    assert chromium is not None
    dom = subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom",
         (out / "index.html").as_uri()],
        capture_output=True, text=True, timeout=120, check=False,
    ).stdout  # fmt: skip
    assert "index.json" in dom and dom.count("<tr>") == 4  # header + three items


def test_png_text_chunks_and_mkv_subtitles_attachments_and_tags_are_dropped(
    tmp_path: Path,
) -> None:
    require_tool("exiftool")
    require_tool("ffmpeg")
    from PIL import Image
    from PIL.PngImagePlugin import PngInfo

    from dhakira.export.strip import NotPublishable, public_copy

    info = PngInfo()
    info.add_text("Author", WITNESS)
    info.add_itxt("Comment", "في البيت في دوما")
    png = tmp_path / "p.png"
    Image.new("RGB", (32, 32), (1, 2, 3)).save(png, pnginfo=info)
    copy = public_copy(png, "image/png", tmp_path / "p.pub.png")
    assert (
        WITNESS.encode() not in copy.path.read_bytes() and tags(copy.path).get("PNG:Author") is None
    )
    srt = tmp_path / "s.srt"
    srt.write_text(f"1\n00:00:00,000 --> 00:00:00,500\n{WITNESS} speaking\n")
    mkv = tmp_path / "v.mkv"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc=size=64x48:rate=10:duration=1",
         "-i", str(srt), "-map", "0", "-map", "1", "-c:v", "libx264", "-c:s", "srt",
         "-metadata", f"title={WITNESS}", "-metadata:s:s:0", f"title={WITNESS}",
         "-attach", str(srt), "-metadata:s:t", "mimetype=text/plain", str(mkv)],
        check=True,
        timeout=60,
    )  # fmt: skip
    out = public_copy(mkv, "video/x-matroska", tmp_path / "v.pub.mkv")
    assert WITNESS.encode() not in out.path.read_bytes()
    probe = subprocess.run(
        ["ffprobe", "-v", "error", "-show_streams", "-of", "json", str(out.path)],
        capture_output=True, check=True,
    )  # fmt: skip
    assert [s["codec_type"] for s in json.loads(probe.stdout)["streams"]] == ["video"]
    with pytest.raises(NotPublishable, match="application/pdf files are not published"):
        public_copy(png, "application/pdf", tmp_path / "x.pdf")


def test_items_restricted_to_roles_never_reach_the_site(archive_path: Path, tmp_path: Path) -> None:
    listed = items(archive_path)
    video, photo = listed["VID_20180407.mp4"], listed["دوما قصف.jpg"]
    publish(archive_path, str(video["short_id"]), str(photo["short_id"]))
    r = run("restrict", str(video["short_id"]), "--to", "role:investigator", archive=archive_path)
    assert r.exit_code == 0, r.output
    result = release(archive_path, tmp_path / "one")
    assert result["published"] == 1  # the photo only
    why = result["left_out"]
    assert isinstance(why, dict)
    assert why[video["sha256"]] == "restricted to some roles or users (dhakira restrict)"
    # a whole collection restricted: nothing of it is released, even items marked public
    r = run("restrict", "--collection", "Douma 2018", "--to", "role:viewer", archive=archive_path)
    assert r.exit_code == 0, r.output
    r = run("export", "public", "--all", str(tmp_path / "two"), "--json", archive=archive_path)
    assert r.exit_code != 0, r.output  # nothing left to publish: a clear error, no site
    assert "restricted to some roles or users" in r.output, r.output
    assert not (tmp_path / "two").exists()


def test_a_public_collection_publishes_what_it_held_when_marked(
    archive_path: Path, tmp_path: Path
) -> None:
    """Files added to a collection after it was marked public are not published with it."""
    r = run("publish", "--collection", "Douma 2018", archive=archive_path)
    assert r.exit_code == 0, r.output
    before = release(archive_path, tmp_path / "one")["published"]
    later = tmp_path / "later"
    later.mkdir()
    img = later / "added-later.png"
    from PIL import Image

    Image.new("RGB", (64, 48), (10, 200, 30)).save(img)
    r = run("add", later, "-c", "Someone", "--collection", "Douma 2018", archive=archive_path)
    assert r.exit_code == 0, r.output
    result = release(archive_path, tmp_path / "two")
    assert result["published"] == before
    sha = hashlib.sha256(img.read_bytes()).hexdigest()
    assert result["left_out"][sha] == "not marked public"


@pytest.mark.parametrize(("fmt", "mime"), [("JPEG", "image/jpeg"), ("PNG", "image/png")])
def test_bytes_hidden_after_the_picture_do_not_survive(tmp_path: Path, fmt: str, mime: str) -> None:
    """Data appended after the image's end (a trailer, or something hidden there) is not
    carried into the public copy."""
    require_tool("exiftool")
    import io

    from PIL import Image

    from dhakira.export.strip import public_copy

    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 10, 10)).save(buf, fmt)
    src = tmp_path / "in.img"
    src.write_bytes(buf.getvalue() + WITNESS.encode() + b" hidden after the end")
    copy = public_copy(src, mime, tmp_path / "out.img")
    out = copy.path.read_bytes()
    assert WITNESS.encode() not in out and b"hidden after" not in out
    with Image.open(copy.path) as img:
        assert img.size == (64, 48)  # still the picture
