"""An item's custody events and proof do not name a near-duplicate the viewer may not see."""

from __future__ import annotations

import base64
import itertools
import random
from pathlib import Path

from PIL import Image
from tests.conftest import run
from tests.web.conftest import PASSWORD, busy_picture, shas_by_name, signed_in

from dhakira import access, accounts
from dhakira.archive import Archive


def picture() -> Image.Image:
    return busy_picture(random.Random(7), (30, 90, 140))


def event_bodies(proof: str) -> list[str]:
    lines = proof.splitlines()
    return [
        base64.b64decode(body).decode()
        for head, body in itertools.pairwise(lines)
        if head.startswith("event ")
    ]


def test_proof_and_events_leave_out_links_to_hidden_items(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    picture().save(folder / "a.jpg", quality=92)
    picture().resize((320, 240)).save(folder / "b.jpg", quality=40)
    root = tmp_path / "archive"
    Archive.create(root).close()
    assert run("add", folder, "-c", "Ahmad", "--no-ocr", archive=root).exit_code == 0
    shas = shas_by_name(root)
    with Archive(root) as a:
        conn = a.catalog.conn
        link_on = conn.execute(
            "SELECT item_sha256 FROM events WHERE type = 'link.created'"
        ).fetchone()[0]
        other = shas["b.jpg"] if link_on == shas["a.jpg"] else shas["a.jpg"]
        access.restrict(a, item=other, to=["role:admin"])
        accounts.add_user(conn, "view", PASSWORD, "viewer")
        accounts.add_user(conn, "boss", PASSWORD, "admin")
    with signed_in(root, "view", "boss") as (viewer, admin):
        for client, sees in ((viewer, False), (admin, True)):
            page = client.get(f"/items/{link_on}").text
            proof = client.get(f"/items/{link_on}/proof").text
            assert (other in page) is sees
            bodies = event_bodies(proof)
            assert bodies  # the rest of the item's record is still proved
            assert any(other in b for b in bodies) is sees
        # the viewer's proof, with the link left out, still verifies on its own
        (tmp_path / "p.proof").write_text(viewer.get(f"/items/{link_on}/proof").text)
        r = run("verify-proof", tmp_path / "p.proof", "--key", (root / "keys" / "log.pub"))
        assert r.exit_code == 0, r.output
