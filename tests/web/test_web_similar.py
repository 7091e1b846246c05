"""The item page shows the near-duplicates dhakira.similar really found (not a stand-in)."""

from __future__ import annotations

import random
from pathlib import Path

from PIL import Image
from tests.conftest import run
from tests.web.conftest import PASSWORD, busy_picture, shas_by_name, signed_in

from dhakira import accounts
from dhakira.archive import Archive


def picture(seed: int) -> Image.Image:
    rng = random.Random(seed)
    return busy_picture(rng, (rng.randrange(256), 90, 40))


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
    shas = shas_by_name(root)
    with Archive(root) as a:
        accounts.add_user(a.catalog.conn, "admin", PASSWORD, "admin")
    with signed_in(root, "admin") as (client,):
        page = client.get(f"/items/{shas['original.jpg']}").text
        near = page.split('id="near"', 1)[1].split("</section>", 1)[0]
        assert shas["reupload.jpg"] in near
        assert shas["other.jpg"] not in near
        assert "image" in near  # the method that linked them
