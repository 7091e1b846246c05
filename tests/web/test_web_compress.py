"""Compressed pages for slow connections, without BREACH's one weakness (a secret repeated in
a compressed page that also reflects what the user typed) and without touching the bytes of
originals or their ranges."""

from __future__ import annotations

import gzip
import re
from typing import Any

from tests.web.conftest import World

from dhakira.web.compress import mask_token, token_matches


def raw(c: Any, url: str, encoding: str = "gzip", **headers: str) -> Any:
    """The response as sent, not decoded by httpx."""
    request = c.http.build_request("GET", url, headers={"Accept-Encoding": encoding, **headers})
    response = c.loop.run_until_complete(c.http.send(request, stream=True))

    async def undecoded() -> bytes:
        return b"".join([chunk async for chunk in response.aiter_raw()])

    return response, c.loop.run_until_complete(undecoded())


def test_pages_and_json_are_gzipped_when_the_browser_accepts_it(
    make_client: Any, world: World
) -> None:
    c = make_client("view")
    r, body = raw(c, "/search?q=دوما")
    assert r.headers["content-encoding"] == "gzip"
    assert "accept-encoding" in r.headers["vary"].lower()
    page = gzip.decompress(body).decode()
    assert int(r.headers["content-length"]) == len(body) < len(page.encode())
    assert "<mark>دوما</mark>" in page
    plain, plain_body = raw(c, "/search?q=دوما", encoding="identity")
    assert "content-encoding" not in plain.headers and "<mark>دوما</mark>" in plain_body.decode()
    small, small_body = raw(c, "/api/search?q=دوما")  # under a packet: as it is
    assert "content-encoding" not in small.headers and b'"total"' in small_body
    api, api_body = raw(c, "/api/openapi.json")
    assert api.headers["content-encoding"] == "gzip"
    assert b'"openapi"' in gzip.decompress(api_body)
    css, css_body = raw(c, "/static/app.css")
    assert css.headers["content-encoding"] == "gzip" and b"{" in gzip.decompress(css_body)


def test_originals_and_ranges_go_as_stored(make_client: Any, world: World) -> None:
    c = make_client("view")
    for name in ("تقرير.txt", "page.html", "قصف دوما.mp4"):
        sha = world.shas[name]
        whole, body = raw(c, f"/media/{sha}")
        assert "content-encoding" not in whole.headers, name
        part, part_body = raw(c, f"/media/{sha}", Range="bytes=2-9")
        assert part.status_code == 206 and "content-encoding" not in part.headers
        assert part_body == body[2:10], name
    thumb, _ = raw(c, f"/thumb/{world.shas['photo.jpg']}.jpg")
    assert "content-encoding" not in thumb.headers


def test_csrf_token_never_repeats_in_pages_yet_every_copy_works(
    make_client: Any, world: World
) -> None:
    c = make_client("admin")
    seen = set()
    for _ in range(3):
        page = c.get("/search?q=csrf").text
        seen.update(re.findall(r'name="csrf" value="([^"]+)"', page))
    assert len(seen) == 3  # a fresh mask on every page
    for token in seen:  # each masked copy unmasks to the session's token
        r = c.request("POST", "/admin", data={"csrf": token, "action": "role", "name": "alice",
                                              "role": "viewer"})  # fmt: skip
        assert r.status_code in (200, 303), r.text
    forged = mask_token("not the session token at all, not at all")
    r = c.request("POST", "/admin", data={"csrf": forged, "action": "role", "name": "alice",
                                          "role": "admin"})  # fmt: skip
    assert r.status_code == 403


def test_token_matching() -> None:
    token = "Zm9vYmFyYmF6cXV1eDEyMzQ1Njc4OTAx"
    masked = {mask_token(token) for _ in range(20)}
    assert len(masked) == 20 and all(token_matches(m, token) for m in masked)
    assert token_matches(token, token)  # as it is, too (a script reading its own page)
    assert not token_matches(mask_token(token[:-1] + "y"), token)
    assert not token_matches("", token) and not token_matches(token, "")
    assert not token_matches("!!!not base64!!!" * 3, token)
    assert not token_matches(mask_token(token)[:-4], token)
