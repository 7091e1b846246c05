"""Restricting an archive file (zip) hides every file that came out of it, from every door."""

from __future__ import annotations

import asyncio
import hashlib
import zipfile
from pathlib import Path

from tests.conftest import run
from tests.web.conftest import PASSWORD, Client

from dhakira import access, accounts
from dhakira.archive import Archive
from dhakira.web.app import create_app


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
    loop = asyncio.new_event_loop()
    app = create_app(root, secure_cookies=False)
    viewer, admin = (Client(app, loop, "http://testserver") for _ in range(2))
    try:
        assert viewer.login("view").status_code == 303
        assert admin.login("boss").status_code == 303
        for url in (f"/items/{member}", f"/media/{member}", f"/api/items/{member}"):
            assert viewer.get(url).status_code == 404, url
            assert admin.get(url).status_code == 200, url
        found = viewer.get("/api/search", params={"q": "marmosetword"}).json()
        assert found["total"] == 0 and not found["hits"]
        assert admin.get("/api/search", params={"q": "marmosetword"}).json()["total"] == 1
    finally:
        viewer.close()
        admin.close()
        loop.close()
