"""Open data: CSV and JSON Lines with the documented, stable columns."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

from tests.conftest import run
from tests.export.conftest import WITNESS, items

from dhakira.export.opendata import CONTRIBUTION_COLUMNS, ITEM_COLUMNS

DOC = (Path(__file__).resolve().parents[2] / "docs" / "opendata.md").read_text()


def test_every_column_is_documented() -> None:
    documented = set(re.findall(r"^\| `([a-z0-9_]+)` \|", DOC, re.MULTILINE))
    assert set(ITEM_COLUMNS) <= documented
    assert set(CONTRIBUTION_COLUMNS) <= documented


def test_csv_of_items_and_of_contributions(archive_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "items.csv"
    r = run("export", "csv", "--collection", "Douma 2018", "-o", str(out), "--json",
            archive=archive_path)  # fmt: skip
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["rows"] == 5
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"), newline="")))
    assert list(rows[0]) == ITEM_COLUMNS and len(rows) == 5
    photo = next(r for r in rows if r["name"] == "دوما قصف.jpg")
    assert photo["contributors"] == WITNESS and photo["collections"] == "Douma 2018"
    assert abs(float(photo["gps_lat"]) - 33.5731) < 1e-3 and photo["serial"]
    r = run("export", "csv", "--all", "--table", "contributions", archive=archive_path)
    assert r.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert list(rows[0]) == CONTRIBUTION_COLUMNS and len(rows) == 6
    layla = next(r for r in rows if r["contributor"] == "Layla")
    assert layla["restriction"] == "no publication"
    assert bytes.fromhex(layla["original_name_hex"]) == b"restricted-photo.jpg"


def test_jsonl_has_items_with_contributions_and_properties(archive_path: Path) -> None:
    listed = items(archive_path)
    video = listed["VID_20180407.mp4"]
    r = run("export", "jsonl", str(video["short_id"]), archive=archive_path)
    assert r.exit_code == 0, r.output
    (line,) = r.stdout.splitlines()
    rec = json.loads(line)
    assert rec["item_sha256"] == video["sha256"] and set(ITEM_COLUMNS) <= set(rec)
    assert rec["properties"]["duration_s"] > 0
    assert [c["contributor"] for c in rec["contributions"]] == [WITNESS]
    assert set(rec["contributions"][0]) == set(CONTRIBUTION_COLUMNS)


def test_open_data_export_is_recorded(archive_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "x.jsonl"
    assert run("export", "jsonl", "--all", "-o", str(out), archive=archive_path).exit_code == 0
    r = run("log", "checkpoints", "--json", archive=archive_path)
    assert r.exit_code == 0
    import hashlib
    import sqlite3

    conn = sqlite3.connect(archive_path / "catalog.sqlite")
    body = conn.execute(
        "SELECT body FROM events WHERE type = 'export.finished' ORDER BY seq DESC"
    ).fetchone()[0]
    params = json.loads(body)["params"]
    assert params["kind"] == "jsonl" and params["rows"] == 6
    assert params["digest"] == hashlib.sha256(out.read_bytes()).hexdigest()
