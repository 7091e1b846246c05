"""`dhakira search`, `reindex` and `extract` through the CLI, on a real archive."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageDraw, ImageFont
from tests.conftest import require_tool, run


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    root = tmp_path / "a"
    drive = tmp_path / "drive"
    drive.mkdir()
    (drive / "شهادة.txt").write_text("قصف مستشفى دوما في الغوطة الشرقية", encoding="utf-8")
    (drive / "report.txt").write_text("Shelling of the Douma hospital", encoding="utf-8")
    (drive / "weather.txt").write_text("Weather: rain on the coast", encoding="utf-8")
    assert run("init", root).exit_code == 0
    assert run("add", drive, "-c", "Ahmad", "--collection", "Ghouta", archive=root).exit_code == 0
    return root


def search(root: Path, *q: str) -> dict[str, Any]:
    r = run("search", *q, "--json", archive=root)
    assert r.exit_code == 0, r.output
    out: dict[str, Any] = json.loads(r.stdout)
    return out


def test_added_files_are_found_at_once_in_both_scripts(archive: Path) -> None:
    out = search(archive, "Duma")
    assert out["total"] == 2
    snippets = " ".join(h["snippet"] for h in out["hits"])
    assert "<mark>دوما</mark>" in snippets and "<mark>Douma</mark>" in snippets
    assert out["facets"]["contributor"] == {"Ahmad": 2}
    assert out["facets"]["collection"] == {"Ghouta": 2}


def test_exclusion_alone_and_filters(archive: Path) -> None:
    assert search(archive, "-Douma")["total"] == 1
    assert search(archive, "contributor:Nobody", "Douma")["total"] == 0
    assert search(archive, "type:text", "rain")["total"] == 1
    assert search(archive, "has:gps")["total"] == 0


def test_a_bad_query_says_what_to_do(archive: Path) -> None:
    r = run("search", "where:x", archive=archive)
    assert r.exit_code == 2
    assert "the filters are contributor:" in r.output


def test_new_contributions_are_indexed_and_reindex_rebuilds(archive: Path, tmp_path: Path) -> None:
    more = tmp_path / "more"
    more.mkdir()
    (more / "copy-of-report.txt").write_text("Shelling of the Douma hospital", encoding="utf-8")
    assert run("add", more, "-c", "Layla", archive=archive).exit_code == 0
    out = search(archive, "copy-of-report")  # the second name of a known item is searchable
    assert out["total"] == 1
    assert set(out["facets"]["contributor"]) == {"Ahmad", "Layla"}
    r = run("reindex", "--json", archive=archive)
    assert json.loads(r.stdout)["indexed"] == 3
    assert search(archive, "copy-of-report")["total"] == 1


def test_text_in_an_image_is_found_by_ocr(archive: Path, tmp_path: Path) -> None:
    require_tool("tesseract")
    img = Image.new("L", (1000, 200), 255)
    font = ImageFont.truetype("DejaVuSans.ttf", 48)
    ImageDraw.Draw(img).text((20, 60), "Douma field hospital", font=font, fill=0)
    drive = tmp_path / "photos"
    drive.mkdir()
    img.save(drive / "IMG_1.png")
    assert run("add", drive, "-c", "Ahmad", archive=archive).exit_code == 0
    assert search(archive, "field")["total"] == 1
    r = run("extract", "--again", "--json", archive=archive)
    assert r.exit_code == 0 and json.loads(r.stdout)["extracted"] >= 4
    assert search(archive, "field", "دوما")["total"] == 1  # the OCR'd name, from Arabic
