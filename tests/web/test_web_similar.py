"""The item page shows the near-duplicates dhakira.similar really found (not a stand-in)."""

from __future__ import annotations

import asyncio
import random
from pathlib import Path

from PIL import Image, ImageDraw
from tests.conftest import run
from tests.web.conftest import PASSWORD, Client

from dhakira import accounts
from dhakira.archive import Archive
from dhakira.web.app import create_app


def picture(seed: int) -> Image.Image:
    rng = random.Random(seed)
    img = Image.new("RGB", (640, 480), (rng.randrange(256), 90, 40))
    draw = ImageDraw.Draw(img)
    for _ in range(60):
        x, y = rng.randrange(600), rng.randrange(440)
        colour = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
        draw.rectangle((x, y, x + rng.randrange(20, 200), y + rng.randrange(20, 160)), colour)
    return img


def test_item_page_lists_real_near_duplicates(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    original = picture(1)
    original.save(folder / "original.jpg", quality=92)
    original.resize((320, 240)).save(folder / "reupload.jpg", quality=40)  # the same, smaller
    picture(2).save(folder / "other.jpg", quality=92)  # unrelated
    root = tmp_path / "archive"
    Archive.create(root).close()
    result = run("add", folder, "-c", "Ahmad", "--no-ocr", archive=root)
    assert result.exit_code == 0, result.output
    with Archive(root) as a:
        shas = {
            bytes(r[0]).decode(): r[1]
            for r in a.catalog.conn.execute(
                "SELECT c.original_name, i.sha256 FROM contributions c"
                " JOIN items i ON i.id = c.item_id"
            )
        }
        accounts.add_user(a.catalog.conn, "admin", PASSWORD, "admin")
    loop = asyncio.new_event_loop()
    client = Client(create_app(root, secure_cookies=False), loop, "http://testserver")
    try:
        assert client.login("admin").status_code == 303
        page = client.get(f"/items/{shas['original.jpg']}").text
        near = page.split('id="near"', 1)[1].split("</section>", 1)[0]
        assert shas["reupload.jpg"] in near
        assert shas["other.jpg"] not in near
        assert "image" in near  # the method that linked them
    finally:
        client.close()
        loop.close()
