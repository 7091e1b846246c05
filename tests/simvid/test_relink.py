"""Links are revisited when the [similar] settings change: automatic links not found again are
withdrawn (and come back when the settings do); confirmed and rejected links stay."""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from dataclasses import asdict
from pathlib import Path

from tests.conftest import run
from tests.similar.media import photo

from dhakira.similar import VERSION
from dhakira.similar.settings import Settings


def _links(root: Path) -> dict[frozenset[str], str]:
    out = {}
    for r in json.loads(run("ls", "--json", archive=root).output):
        for n in json.loads(run("similar", r["sha256"][:12], "--json", archive=root).output)[
            "similar"
        ]:
            out[frozenset((r["name"], _name(root, n["sha256"])))] = n["status"]
    return out


def _name(root: Path, sha: str) -> str:
    items = json.loads(run("ls", "--json", archive=root).output)
    return str(next(i["name"] for i in items if i["sha256"] == sha))


def _sha(root: Path, name: str) -> str:
    items = json.loads(run("ls", "--json", archive=root).output)
    return str(next(i["sha256"] for i in items if i["name"] == name))


def test_links_revisited_when_thresholds_change(tmp_path: Path) -> None:
    d = tmp_path / "in"
    d.mkdir()
    for seed, name in ((20, "x"), (21, "y"), (22, "z")):
        photo(d / f"{name}.png", seed)
        photo(d / f"{name}-copy.png", seed, "rotate-2°")  # 26-36 bits from the original
    root = tmp_path / "archive"
    assert run("init", root).exit_code == 0
    assert run("add", "-c", "c", "--no-ocr", d, archive=root).exit_code == 0
    pairs = {n: frozenset((f"{n}.png", f"{n}-copy.png")) for n in "xyz"}
    assert _links(root) == {pairs["x"]: "auto", pairs["y"]: "auto", pairs["z"]: "auto"}
    y, yc = _sha(root, "y.png"), _sha(root, "y-copy.png")
    z, zc = _sha(root, "z.png"), _sha(root, "z-copy.png")
    assert run("link", "confirm", y[:12], yc[:12], archive=root).exit_code == 0
    assert run("link", "reject", z[:12], zc[:12], archive=root).exit_code == 0
    toml = root / "archive.toml"
    before = toml.read_text()
    # thresholds under which no copy matches any more
    toml.write_text(before + "\n[similar]\nimage_distance = 16\nimage_distance_loose = 16\n")
    out = json.loads(run("derive", "--json", archive=root).output)
    assert out["signed"] == 6 and out["links"] == 0
    assert _links(root) == {
        pairs["x"]: "withdrawn",
        pairs["y"]: "confirmed",
        pairs["z"]: "rejected",
    }
    groups = json.loads(run("groups", "--json", archive=root).output)["groups"]
    assert [g["size"] for g in groups] == [2]  # only the confirmed pair
    assert json.loads(run("derive", "--json", archive=root).output)["signed"] == 0  # settled
    toml.write_text(before)  # back to the defaults: the withdrawn link is found again
    out = json.loads(run("derive", "--json", archive=root).output)
    assert out["signed"] == 6 and out["links"] == 1
    assert _links(root) == {pairs["x"]: "auto", pairs["y"]: "confirmed", pairs["z"]: "rejected"}
    with sqlite3.connect(root / "catalog.sqlite") as conn:  # each step is on the record
        kinds = Counter(t for (t,) in conn.execute("SELECT type FROM events"))
    assert kinds["link.withdrawn"] == 1 and kinds["similarity.relinked"] == 2
    assert kinds["link.confirmed"] == 1 and kinds["link.rejected"] == 1


def test_a_new_signature_version_relinks_the_archive(tmp_path: Path) -> None:
    """An archive signed and linked by an older signature version (its settings recorded as
    an older Dhakira did): the next derive signs every item with the current version and
    relinks, and a link that only the older signature made is withdrawn, not left behind."""
    d = tmp_path / "in"
    d.mkdir()
    photo(d / "x.png", 40)
    photo(d / "x-copy.png", 40, "rotate-2°")
    photo(d / "y.png", 41)
    photo(d / "z.png", 42)
    root = tmp_path / "archive"
    assert run("init", root).exit_code == 0
    assert run("add", "-c", "c", "--no-ocr", d, archive=root).exit_code == 0
    y, z = (_sha(root, n) for n in ("y.png", "z.png"))
    with sqlite3.connect(root / "catalog.sqlite") as conn:
        conn.execute("UPDATE sim_signatures SET version = ?", (VERSION - 1,))
        conn.execute("UPDATE sim_hashes SET version = ?", (VERSION - 1,))
        a, b = sorted(
            conn.execute("SELECT id FROM items WHERE sha256 = ?", (s,)).fetchone()[0]
            for s in (y, z)
        )
        conn.execute(
            "INSERT INTO sim_links(a, b, method, score, distance, status, created_at,"
            " updated_at) VALUES (?, ?, 'image', 0.8, 20, 'auto', ?, ?)",
            (a, b, "2026-01-01T00:00:00.000000Z", "2026-01-01T00:00:00.000000Z"),
        )
        conn.execute(
            "UPDATE sim_index_state SET link_settings = ?",
            (json.dumps(asdict(Settings()), sort_keys=True),),
        )
    pairs = {n: frozenset((f"{n}.png", f"{m}.png")) for n, m in (("x", "x-copy"), ("y", "z"))}
    assert _links(root) == {pairs["x"]: "auto", pairs["y"]: "auto"}
    out = json.loads(run("derive", "--json", archive=root).output)
    assert out["signed"] == 4
    assert _links(root) == {pairs["x"]: "auto", pairs["y"]: "withdrawn"}
    with sqlite3.connect(root / "catalog.sqlite") as conn:
        versions = {v for (v,) in conn.execute("SELECT version FROM sim_signatures")}
        kinds = Counter(t for (t,) in conn.execute("SELECT type FROM events"))
    assert versions == {VERSION - 1, VERSION}  # the old rows stay beside the new
    assert kinds["similarity.relinked"] == 1 and kinds["link.withdrawn"] == 1
    assert json.loads(run("derive", "--json", archive=root).output)["signed"] == 0  # settled


def test_relinking_keeps_a_link_whose_item_is_re_signed_first(tmp_path: Path) -> None:
    """The item holding the newest hash rows is re-signed first when the settings change: its
    new rows must get new ids (never the deleted ones), or the index skips them, the link is
    withdrawn and the saved index forgets the item (found by review)."""
    first, second = tmp_path / "w", tmp_path / "v"
    first.mkdir()
    second.mkdir()
    photo(first / "w.png", 31)
    photo(second / "v.png", 31, "rotate-2°")
    root = tmp_path / "archive"
    assert run("init", root).exit_code == 0
    # w is item 1 but is signed after v (its metadata waits for the second add), so item 1
    # holds the newest rows and is the first to be re-signed
    assert run("add", "-c", "a", "--no-metadata", first, archive=root).exit_code == 0
    assert run("add", "-c", "a", "--no-ocr", second, archive=root).exit_code == 0
    with sqlite3.connect(root / "catalog.sqlite") as conn:
        newest = conn.execute("SELECT item_id FROM sim_hashes ORDER BY rowid DESC").fetchone()
    assert newest == (1,)
    pair = frozenset(("w.png", "v.png"))
    assert _links(root) == {pair: "auto"}
    toml = root / "archive.toml"
    toml.write_text(toml.read_text() + "\n[similar]\nimage_distance = 30\n")
    out = json.loads(run("derive", "--json", archive=root).output)
    assert out["signed"] == 2
    assert _links(root) == {pair: "auto"}  # found again, not withdrawn
    with sqlite3.connect(root / "catalog.sqlite") as conn:
        kinds = Counter(t for (t,) in conn.execute("SELECT type FROM events"))
    assert kinds["link.withdrawn"] == 0
    # a third copy added later still finds both through the saved index
    third = tmp_path / "u"
    third.mkdir()
    photo(third / "u.jpg", 31, quality=80)  # the original, recompressed
    assert run("add", "-c", "a", "--no-ocr", third, archive=root).exit_code == 0
    linked = {frozenset(p) for p in _links(root)}
    assert frozenset(("u.jpg", "w.png")) in linked
