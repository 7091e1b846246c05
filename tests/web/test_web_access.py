"""Restricted items are invisible through every door, to everyone but admins and grantees."""

from __future__ import annotations

import json
from typing import Any

import pytest
from tests.conftest import run
from tests.web.conftest import World

from dhakira import accounts
from dhakira.archive import Archive

SECRET = "شهادة.txt"  # in the collection "sensitive", restricted to role:investigator
ZEBRA = "zebracorn.txt"  # restricted to user:alice


def sees(client: Any, world: World, name: str) -> bool:
    """Whether the item is there for this client, asked at every door; all doors must agree."""
    sha = world.shas[name]
    word = {SECRET: "unicornfish", ZEBRA: "zebracorn"}.get(name, name)
    doors = {
        "item": client.get(f"/items/{sha}").status_code == 200,
        "short id": client.get(f"/items/{sha[:8]}").status_code in (200, 301),
        "media": client.get(f"/media/{sha}").status_code == 200,
        "download": client.get(f"/media/{sha}?download=1").status_code == 200,
        "thumbnail door": client.get(f"/thumb/{sha}.jpg").status_code != 404
        or client.get(f"/media/{sha}").status_code == 200,
        "proof": client.get(f"/items/{sha}/proof").status_code == 200,
        "search page": sha in client.get("/search", params={"q": word}).text,
        "api item": client.get(f"/api/items/{sha}").status_code == 200,
        "api search": sha in client.get("/api/search", params={"q": word}).text,
    }
    assert len(set(doors.values())) == 1, doors
    return doors["item"]


@pytest.mark.parametrize(
    ("user", "secret", "zebra"),
    [
        ("admin", True, True),
        ("inv", True, False),
        ("view", False, False),
        ("alice", False, True),
    ],
)
def test_each_door_agrees_on_who_sees_what(
    make_client: Any, world: World, user: str, secret: bool, zebra: bool
) -> None:
    c = make_client(user)
    assert sees(c, world, SECRET) is secret
    assert sees(c, world, ZEBRA) is zebra
    assert sees(c, world, "photo.jpg") is True


def test_hidden_items_answer_404_not_403(make_client: Any, world: World) -> None:
    c = make_client("view")
    sha = world.shas[SECRET]
    for url in (f"/items/{sha}", f"/media/{sha}", f"/thumb/{sha}.jpg", f"/items/{sha}/proof",
                f"/api/items/{sha}", f"/items/{sha[:6]}"):  # fmt: skip
        assert c.get(url).status_code == 404, url
    # the same answer as for an item that never existed
    assert c.get("/items/" + "0" * 64).status_code == 404


def test_counts_and_facets_leave_hidden_items_out(make_client: Any, world: World) -> None:
    admin, viewer = make_client("admin"), make_client("view")
    all_items = admin.get("/api/overview").json()["items"]
    assert viewer.get("/api/overview").json()["items"] == all_items - 2
    assert make_client("inv").get("/api/overview").json()["items"] == all_items - 1
    # overview page shows the same number
    assert f'id="count-items">{all_items - 2}<' in viewer.get("/").text
    # facets: the hidden collection and the contributor who only gave hidden items vanish
    facets = viewer.get("/api/search", params={"q": ""}).json()["facets"]
    assert "sensitive" not in facets["collection"]
    assert "Witness Group" not in facets["contributor"]
    admin_facets = admin.get("/api/search", params={"q": ""}).json()["facets"]
    public = admin_facets["collection"]["public"]
    assert facets["collection"]["public"] == public - 1  # zebracorn.txt is in "public"
    assert admin_facets["collection"]["sensitive"] == 1
    page = viewer.get("/search", params={"q": ""}).text
    assert "sensitive" not in page and "Witness Group" not in page
    # totals of a search that only hidden items match
    assert viewer.get("/api/search", params={"q": "unicornfish"}).json()["total"] == 0
    assert admin.get("/api/search", params={"q": "unicornfish"}).json()["total"] == 1


def test_collection_and_contributor_lists_leave_hidden_out(make_client: Any) -> None:
    viewer, inv = make_client("view"), make_client("inv")
    assert "sensitive" not in viewer.get("/collections").text
    assert "Witness Group" not in viewer.get("/contributors").text
    assert "sensitive" in inv.get("/collections").text
    assert [r["name"] for r in viewer.get("/api/collections").json()] == ["public"]


def test_api_tokens_obey_the_same_rules(make_client: Any, world: World) -> None:
    with Archive(world.root) as a:
        token = accounts.create_token(a.catalog.conn, "view", "test")
        inv_token = accounts.create_token(a.catalog.conn, "inv", "test")
    c = make_client()
    sha = world.shas[SECRET]
    assert c.get("/api/overview").status_code == 401
    assert c.get("/api/overview", headers={"Authorization": "Bearer dk_wrong"}).status_code == 401
    auth = {"Authorization": f"Bearer {token}"}
    assert c.get("/api/me", headers=auth).json()["name"] == "view"
    assert c.get(f"/api/items/{sha}", headers=auth).status_code == 404
    assert c.get(f"/media/{sha}", headers=auth).status_code == 404
    inv = {"Authorization": f"Bearer {inv_token}"}
    assert c.get(f"/api/items/{sha}", headers=inv).json()["sha256"] == sha
    with Archive(world.root) as a:
        stored = [r[0] for r in a.catalog.conn.execute("SELECT token_hash FROM api_tokens")]
    assert token not in stored and all(len(h) == 64 for h in stored)  # only hashes


def test_parent_archive_and_members_are_filtered(
    make_private_client: Any, private_world: World, tmp_path: Any
) -> None:
    """What came out of a restricted zip is as hidden as the zip (it is the zip's content)."""
    import zipfile

    z = tmp_path / "bundle.zip"
    with zipfile.ZipFile(z, "w") as f:
        f.writestr("inner-note.txt", "a note about the checkpoint in Harasta, glassfrog")
    assert run("add", z, "-c", "Zip Group", "--no-ocr", archive=private_world.root).exit_code == 0
    with Archive(private_world.root) as a:
        zip_sha = a.catalog.conn.execute(
            "SELECT i.sha256 FROM items i JOIN contributions c ON c.item_id = i.id"
            " WHERE c.original_name = ?",
            (b"bundle.zip",),
        ).fetchone()[0]
    assert run("restrict", zip_sha, "--to", "role:admin", archive=private_world.root).exit_code == 0
    viewer, admin = make_private_client("view"), make_private_client("admin")
    assert viewer.get("/api/search", params={"q": "glassfrog"}).json()["total"] == 0
    hit = admin.get("/api/search", params={"q": "glassfrog"}).json()["hits"][0]
    assert viewer.get(f"/items/{hit['sha256']}").status_code == 404
    assert viewer.get(f"/api/items/{hit['sha256']}").status_code == 404
    assert zip_sha in admin.get(f"/items/{hit['sha256']}").text


def test_restrict_and_unrestrict_are_custody_events(private_world: World) -> None:
    world = private_world
    sha = world.shas["photo.jpg"]
    r = run("restrict", sha[:10], "--to", "user:alice", "--to", "role:investigator", "--json",
            archive=world.root)  # fmt: skip
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["visible_to"] == ["role:investigator", "user:alice"]
    assert run("unrestrict", sha, archive=world.root).exit_code == 0
    with Archive(world.root) as a:
        types = [
            (row[0], json.loads(row[1])["params"]["visible_to"])
            for row in a.catalog.conn.execute(
                "SELECT type, body FROM events WHERE item_sha256 = ? AND type LIKE 'item.%'", (sha,)
            )
        ]
    assert types[-2:] == [
        ("item.restricted", ["role:investigator", "user:alice"]),
        ("item.unrestricted", []),
    ]
    bad = run("restrict", sha, "--to", "role:king", archive=world.root)
    assert bad.exit_code == 1 and "role:investigator" in bad.output


def test_near_duplicates_hook_is_filtered_like_everything_else(
    make_client: Any, world: World, monkeypatch: Any
) -> None:
    """When dhakira.similar is there, its near-duplicates appear on the item page, except the
    ones the viewer may not see."""
    import sys
    import types

    asked: list[int] = []

    def near_duplicates(archive: Any, item_id: int) -> list[dict[str, Any]]:
        asked.append(item_id)
        return [{"sha256": world.shas[SECRET], "distance": 3},
                {"sha256": world.shas["photo.jpg"], "distance": 5}]  # fmt: skip

    fake = types.ModuleType("dhakira.similar.api")
    fake.near_duplicates = near_duplicates
    monkeypatch.setitem(sys.modules, "dhakira.similar.api", fake)
    sha = world.shas["قصف دوما.mp4"]
    viewer_page = make_client("view").get(f"/items/{sha}").text
    assert 'id="near"' in viewer_page and asked
    assert world.shas["photo.jpg"] in viewer_page and world.shas[SECRET] not in viewer_page
    assert world.shas[SECRET] in make_client("inv").get(f"/items/{sha}").text
