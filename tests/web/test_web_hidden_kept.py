"""The set of items a viewer may not see is kept per connection between requests; every
change to restrictions or contributions, made by any process, must reach the next request."""

from __future__ import annotations

import zipfile
from pathlib import Path

from tests.conftest import run
from tests.web.conftest import shas_by_name

from dhakira import access, accounts
from dhakira.archive import Archive


def test_kept_hidden_set_follows_every_change(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    for name in ("one", "two", "three"):
        (src / f"{name}.txt").write_text(f"kumquat report {name}", "utf-8")
    root = tmp_path / "a"
    Archive.create(root).close()
    added = run("add", src, "-c", "C", "--collection", "field", "--no-ocr", archive=root)
    assert added.exit_code == 0, added.output
    shas = shas_by_name(root)
    server = Archive(root)  # the web server's long-lived connection
    viewer = accounts.add_user(server.catalog.conn, "v", "a long password 1", "viewer")

    def seen() -> set[str]:
        view = access.View(server, viewer)
        found = {h.sha256 for h in view.search("kumquat", limit=50).hits}
        direct = {s for s in shas.values() if view.can_see(_id(server, s))}
        assert found == direct  # search and single-item doors agree
        return found

    everything = set(shas.values())
    assert seen() == everything
    with Archive(root) as other:  # another process restricts, unrestricts, restricts again
        access.restrict(other, item=shas["one.txt"], to=["role:investigator"])
    assert seen() == everything - {shas["one.txt"]}
    with Archive(root) as other:
        access.unrestrict(other, item=shas["one.txt"])
        access.restrict(other, item=shas["two.txt"], to=["role:investigator"])
    assert seen() == everything - {shas["two.txt"]}  # same row count, another item
    with Archive(root) as other:
        access.restrict(other, collection="field", to=["user:v"])  # granted to this user
    assert seen() == everything - {shas["two.txt"]}
    with Archive(root) as other:
        access.unrestrict(other, item=shas["two.txt"])
        access.restrict(other, collection="field", to=["role:admin"])
    assert seen() == everything  # a grant to the user by name still stands
    # a zip added later into a hidden collection hides its members as soon as it lands
    with Archive(root) as other:
        access.restrict(other, item=shas["three.txt"], to=["role:admin"])
    z = tmp_path / "more.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("inner.txt", "kumquat inside a zip")
    added = run("add", z, "-c", "D", "--collection", "closed", "--no-ocr", archive=root)
    assert added.exit_code == 0, added.output
    with Archive(root) as other:
        access.restrict(other, collection="closed", to=["role:admin"])
    assert "inner.txt" in shas_by_name(root)
    assert seen() == everything - {shas["three.txt"]}
    server.close()


def _id(archive: Archive, sha: str) -> int:
    return int(
        archive.catalog.conn.execute("SELECT id FROM items WHERE sha256 = ?", (sha,)).fetchone()[0]
    )
