"""Restricting an archive file (zip) hides every file that came out of it, from every door."""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

from tests.conftest import run
from tests.web.conftest import PASSWORD, signed_in

from dhakira import access, accounts
from dhakira.archive import Archive


def test_members_of_a_restricted_zip_are_hidden(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    inner = "وثيقة سرية marmosetword من داخل الأرشيف".encode()
    with zipfile.ZipFile(folder / "export.zip", "w") as zf:
        zf.writestr("docs/secret.txt", inner)
    root = tmp_path / "archive"
    Archive.create(root).close()
    assert run("add", folder, "-c", "VDC", "--no-ocr", archive=root).exit_code == 0
    member = hashlib.sha256(inner).hexdigest()
    zip_sha = hashlib.sha256((folder / "export.zip").read_bytes()).hexdigest()
    with Archive(root) as a:
        accounts.add_user(a.catalog.conn, "view", PASSWORD, "viewer")
        accounts.add_user(a.catalog.conn, "boss", PASSWORD, "admin")
        access.restrict(a, item=zip_sha, to=["role:admin"])
    with signed_in(root, "view", "boss") as (viewer, admin):
        for url in (f"/items/{member}", f"/media/{member}", f"/api/items/{member}"):
            assert viewer.get(url).status_code == 404, url
            assert admin.get(url).status_code == 200, url
        found = viewer.get("/api/search", params={"q": "marmosetword"}).json()
        assert found["total"] == 0 and not found["hits"]
        assert admin.get("/api/search", params={"q": "marmosetword"}).json()["total"] == 1
