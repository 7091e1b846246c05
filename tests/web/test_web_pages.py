"""Pages, sign-in, security headers, media ranges and safe types, uploads, languages."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from tests.web.conftest import World

from dhakira.archive import Archive
from dhakira.web import media


def test_signed_out_sees_only_the_sign_in_page(make_client: Any, world: World) -> None:
    c = make_client()
    for url in ("/", "/search?q=x", f"/items/{world.shas['photo.jpg']}", "/collections"):
        r = c.get(url)
        assert r.status_code == 303 and r.headers["location"].startswith("/login?next="), url
    assert c.get(f"/media/{world.shas['photo.jpg']}").status_code == 303
    assert c.get("/api/search").status_code == 401


def test_sign_in_sets_a_safe_cookie_and_sign_out_ends_the_session(make_client: Any) -> None:
    c = make_client()
    r = c.login("view")
    assert r.status_code == 303
    cookie = r.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie
    assert c.get("/").status_code == 200
    assert c.post("/logout").status_code == 303
    assert c.get("/").status_code == 303


def test_secure_cookies_when_served_over_https(world: World) -> None:
    import asyncio

    from tests.web.conftest import Client

    from dhakira.web.app import create_app

    loop = asyncio.new_event_loop()
    c = Client(create_app(world.root, secure_cookies=True), loop, "https://testserver")
    try:
        c.get("/login")
        r = c.post("/login", {"name": "view", "password": "correct horse battery"})
        cookie = r.headers["set-cookie"]
        assert cookie.startswith("__Host-dhakira_session=") and "Secure" in cookie
    finally:
        c.close()
        loop.close()


def test_open_redirect_after_sign_in_is_refused(make_client: Any) -> None:
    c = make_client()
    c.get("/login")
    r = c.post("/login", {"name": "view", "password": "correct horse battery",
                          "next": "//evil.example/"})  # fmt: skip
    assert r.headers["location"] == "/"
    for evil in ("/\t/evil.example/", "/\\evil.example", "https://evil.example/"):
        c.post("/logout")
        c.get("/login")
        r = c.post("/login", {"name": "view", "password": "correct horse battery", "next": evil})
        assert r.headers["location"] == "/", evil


def test_forms_without_the_csrf_token_are_refused(make_client: Any) -> None:
    c = make_client("admin")
    r = c.request("POST", "/admin", data={"action": "add", "name": "x", "password": "y" * 12,
                                          "role": "viewer"})  # fmt: skip
    assert r.status_code == 403
    r = c.request("POST", "/admin", data={"csrf": "forged", "action": "role", "name": "view",
                                          "role": "admin"})  # fmt: skip
    assert r.status_code == 403
    assert "role_admin" not in r.text
    # sign-in itself needs the cookie's token (no login CSRF)
    fresh = make_client()
    assert (
        fresh.request("POST", "/login", data={"name": "view", "password": "x"}).status_code == 403
    )


def test_login_is_rate_limited(make_client: Any, world: World) -> None:
    with Archive(world.root) as a:
        from dhakira import accounts

        accounts.add_user(a.catalog.conn, "target", "right password 1", "viewer")
    c = make_client()
    for _ in range(5):
        assert c.login("target", "wrong password").status_code == 401
    r = c.login("target", "right password 1")
    assert r.status_code == 429  # even the right password, for a while
    assert make_client().login("view").status_code == 303  # others are not locked out


def test_pages_carry_security_headers(make_client: Any, world: World) -> None:
    c = make_client("view")
    r = c.get("/")
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert r.headers["x-content-type-options"] == "nosniff"
    assert "<script>" not in r.text.replace('<script src="/static/app.js" defer></script>', "")
    assert ' style="' not in r.text


def test_media_ranges(make_client: Any, world: World) -> None:
    c = make_client("view")
    sha = world.shas["قصف دوما.mp4"]
    whole = c.get(f"/media/{sha}")
    size = len(whole.content)
    assert whole.status_code == 200 and whole.headers["accept-ranges"] == "bytes"
    assert whole.headers["content-type"] == "video/mp4"
    part = c.get(f"/media/{sha}", headers={"Range": "bytes=100-199"})
    assert part.status_code == 206
    assert part.headers["content-range"] == f"bytes 100-199/{size}"
    assert part.content == whole.content[100:200]
    tail = c.get(f"/media/{sha}", headers={"Range": "bytes=-10"})
    assert tail.content == whole.content[-10:] and tail.headers["content-length"] == "10"
    open_end = c.get(f"/media/{sha}", headers={"Range": f"bytes={size - 5}-"})
    assert open_end.content == whole.content[-5:]
    bad = c.get(f"/media/{sha}", headers={"Range": f"bytes={size}-"})
    assert bad.status_code == 416 and bad.headers["content-range"] == f"bytes */{size}"


def test_seeking_far_into_a_2_gb_file_reads_only_the_range(tmp_path: Path) -> None:
    big = tmp_path / "big.mp4"
    size = 2 * 1024**3 + 12345
    with open(big, "wb") as f:  # sparse: 2 GB on paper, nothing on disk
        f.truncate(size)
        f.seek(size - 4)
        f.write(b"TAIL")
    started = time.monotonic()
    r = media.file_response(big, size, "video/mp4", name="big.mp4", etag="x",
                            range_header=f"bytes={size - 1024}-")  # fmt: skip
    body = b"".join(media._read(big, size - 1024, 1024))
    assert time.monotonic() - started < 1.0
    assert r.status_code == 206
    assert r.headers["content-range"] == f"bytes {size - 1024}-{size - 1}/{size}"
    assert r.headers["content-length"] == "1024"
    assert body.endswith(b"TAIL") and len(body) == 1024


def test_active_content_is_never_served_inline(make_client: Any, world: World) -> None:
    c = make_client("view")
    for name in ("page.html", "logo.svg"):
        r = c.get(f"/media/{world.shas[name]}")
        assert r.status_code == 200
        assert r.headers["content-type"] == "application/octet-stream", name
        assert r.headers["content-disposition"].startswith("attachment")
        assert "sandbox" in r.headers["content-security-policy"]
        assert r.headers["x-content-type-options"] == "nosniff"
        assert c.get(f"/thumb/{world.shas[name]}.jpg").status_code == 404
    photo = c.get(f"/media/{world.shas['photo.jpg']}")
    assert photo.headers["content-type"] == "image/jpeg"
    assert photo.headers["content-disposition"].startswith("inline")


def test_thumbnails_and_posters_are_cached_derived_data(make_client: Any, world: World) -> None:
    c = make_client("view")
    for name in ("قصف دوما.mp4", "photo.jpg"):
        sha = world.shas[name]
        r = c.get(f"/thumb/{sha}.jpg")
        assert r.status_code == 200 and r.content[:3] == b"\xff\xd8\xff", name
        assert (world.root / "derived" / "thumbs-v1" / sha[:2] / f"{sha}.jpg").is_file()


def test_item_page_shows_player_provenance_events_and_proof(make_client: Any, world: World) -> None:
    c = make_client("view")
    sha = world.shas["قصف دوما.mp4"]
    page = c.get(f"/items/{sha}").text
    assert f'<video id="player" controls preload="metadata" src="/media/{sha}"' in page
    assert "مركز الغوطة" in page and "blob.stored" in page and "contribution.recorded" in page
    assert "duration_s" in page  # metadata
    assert 'id="near"' in page  # dhakira.similar is here (its content: test_web_similar.py)
    proof = c.get(f"/items/{sha}/proof")
    assert proof.status_code == 200 and "attachment" in proof.headers["content-disposition"]
    assert sha in proof.text
    short = c.get(f"/items/{sha[:10]}")
    assert short.status_code == 301 and short.headers["location"] == f"/items/{sha}"


def test_search_page_highlights_arabic_and_links_facets(make_client: Any, world: World) -> None:
    c = make_client("view")
    page = c.get("/search", params={"q": "دوما"}).text
    assert "<mark>" in page
    assert world.shas["تقرير.txt"] in page
    assert "q=%D8%AF%D9%88%D9%85%D8%A7+collection%3Apublic" in page  # a facet narrows the query


def test_language_from_browser_and_choice(make_client: Any, world: World) -> None:
    c = make_client("view")
    c.http.cookies.clear()
    c.login("view")
    ar = c.get("/", headers={"Accept-Language": "ar-SY,ar;q=0.9,en;q=0.5"}).text
    # this user has chosen nothing: the browser decides
    assert '<html lang="ar" dir="rtl">' in ar and "نظرة عامة" in ar
    en = c.get("/", headers={"Accept-Language": "en-GB"}).text
    assert '<html lang="en" dir="ltr">' in en
    assert c.post("/language", {"lang": "ar", "next": "/"}).status_code == 303
    assert 'dir="rtl"' in c.get("/", headers={"Accept-Language": "en"}).text  # per user now
    with Archive(world.root) as a:  # as it was: no choice, the browser decides
        from dhakira import accounts

        accounts.set_language(a.catalog.conn, accounts.user(a.catalog.conn, "view").user_id, None)


def test_resumable_upload_then_ingest_as_the_user(
    make_private_client: Any, private_world: World
) -> None:
    make_client, world = make_private_client, private_world
    c = make_client("inv")
    h = {"X-CSRF-Token": c.csrf, "Content-Type": "application/json"}
    data = ("تقرير مرفوع عن pangolinword " + os.urandom(4).hex() + "\n").encode() * 8000
    made = c.request("POST", "/upload/files", content=json.dumps(
        {"name": "../../تقرير مرفوع.txt", "size": len(data)}), headers=h)  # fmt: skip
    assert made.status_code == 201, made.text
    url = made.headers["location"]
    patch = {"X-CSRF-Token": c.csrf, "Content-Type": "application/offset+octet-stream"}
    r = c.request("PATCH", url, content=data[:100_000], headers={**patch, "Upload-Offset": "0"})
    assert r.status_code == 204 and r.headers["upload-offset"] == "100000"
    # the connection dropped: ask where to go on
    assert c.request("HEAD", url, headers=patch).headers["upload-offset"] == "100000"
    stale = c.request("PATCH", url, content=data[:10], headers={**patch, "Upload-Offset": "0"})
    assert stale.status_code == 409 and stale.headers["upload-offset"] == "100000"
    assert c.request("PATCH", url, content=data[100_000:], headers={**patch,
                     "Upload-Offset": "100000"}).status_code == 204  # fmt: skip
    # nobody else can see or continue it
    other = make_client("admin")
    assert other.request("HEAD", url, headers={"X-CSRF-Token": other.csrf}).status_code == 404
    # without the CSRF header, nothing
    assert c.request("PATCH", url, content=b"x", headers={"Upload-Offset": "0"}).status_code == 403
    done = c.request("POST", "/upload/finish", content=json.dumps(
        {"ids": [url.rsplit("/", 1)[1]], "collection": "uploads"}), headers=h)  # fmt: skip
    assert done.status_code == 200, done.text
    out = done.json()
    assert out["summary"]["new_items"] == 1
    sha = out["items"][0]["sha256"]
    assert out["items"][0]["name"] == "تقرير مرفوع.txt"
    with Archive(world.root) as a:
        blob = a.store.path(sha).read_bytes()
        who = a.catalog.conn.execute(
            "SELECT p.name, k.name FROM contributions c JOIN contributors p"
            " ON p.id = c.contributor_id JOIN collections k ON k.id = c.collection_id"
            " JOIN items i ON i.id = c.item_id WHERE i.sha256 = ?",
            (sha,),
        ).fetchone()
        actors = {json.loads(b[0])["actor"] for b in a.catalog.conn.execute(
            "SELECT body FROM events WHERE item_sha256 = ?", (sha,))}  # fmt: skip
    assert blob == data
    assert tuple(who) == ("inv", "uploads")
    assert actors == {"web:inv"}
    assert not list((world.root / "uploads").iterdir())  # nothing left behind
    viewer = make_client("view")
    assert viewer.get("/api/search", params={"q": "pangolinword"}).json()["total"] == 1
    # viewers cannot upload
    assert viewer.get("/upload").status_code == 403
    vh = {"X-CSRF-Token": viewer.csrf, "Content-Type": "application/json"}
    assert viewer.request("POST", "/upload/files", content=b'{"name":"a","size":1}',
                          headers=vh).status_code == 403  # fmt: skip


def test_admin_page_adds_users_and_changes_roles(make_client: Any) -> None:
    c = make_client("admin")
    c.get("/admin")
    r = c.post("/admin", {"action": "add", "name": "سلمى", "password": "long enough pw",
                          "role": "investigator"})  # fmt: skip
    assert r.status_code == 200 and "سلمى" in r.text
    assert make_client("view").get("/admin").status_code == 403
    assert make_client().login("سلمى", "long enough pw").status_code == 303
    r = c.post("/admin", {"action": "disable", "name": "سلمى"})
    assert r.status_code == 200 and "disabled" in r.text
    assert make_client().login("سلمى", "long enough pw").status_code == 401
    r = c.post("/admin", {"action": "disable", "name": "admin"})
    assert r.status_code == 400 and "your own account" in r.text  # no locking oneself out
    r = c.post("/admin", {"action": "disable", "name": "ADMIN"})  # names ignore case
    assert r.status_code == 400 and "your own account" in r.text
    assert c.post("/admin", {"action": "enable", "name": "سلمى"}).status_code == 200
    assert make_client().login("سلمى", "long enough pw").status_code == 303


def test_openapi_describes_the_api(make_client: Any) -> None:
    spec = make_client().get("/api/openapi.json").json()
    assert spec["openapi"].startswith("3.")
    assert {"/api/search", "/api/items/{sha}", "/api/overview"} <= set(spec["paths"])
    assert spec["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"


def test_long_arabic_names_fit_and_abandoned_uploads_are_given_up(
    make_client: Any, world: World
) -> None:
    from dhakira.web import upload

    long_name = "شهادة " * 80 + ".txt"  # 484 characters, ~900 bytes of UTF-8
    cleaned = upload._clean_name("C:\\\\Users\\\\x\\\\" + long_name)
    assert len(cleaned.encode()) <= 200 and cleaned.startswith("شهادة")
    c = make_client("inv")
    h = {"X-CSRF-Token": c.csrf, "Content-Type": "application/json"}
    old = c.request("POST", "/upload/files", content=b'{"name": "old.txt", "size": 5}', headers=h)
    folder = world.root / "uploads" / old.json()["id"]
    week_ago = time.time() - 8 * 86400
    os.utime(folder / "data", (week_ago, week_ago))
    c.request("POST", "/upload/files", content=b'{"name": "new.txt", "size": 5}', headers=h)
    assert not folder.exists()


def test_a_refused_finish_loses_no_upload(make_client: Any, world: World) -> None:
    """Finishing a complete upload together with an incomplete one is refused, and the
    complete one is still there, whole, to be finished on its own."""
    c = make_client("inv")
    h = {"X-CSRF-Token": c.csrf, "Content-Type": "application/json"}
    patch = {"X-CSRF-Token": c.csrf, "Content-Type": "application/offset+octet-stream"}
    data = os.urandom(5000)
    urls = []
    for name, size in (("whole.bin", len(data)), ("half.bin", 2 * len(data))):
        made = c.request("POST", "/upload/files", headers=h,
                         content=json.dumps({"name": name, "size": size}))  # fmt: skip
        assert made.status_code == 201, made.text
        urls.append(made.headers["location"])
        r = c.request("PATCH", urls[-1], content=data, headers={**patch, "Upload-Offset": "0"})
        assert r.status_code == 204
    ids = [u.rsplit("/", 1)[1] for u in urls]
    refused = c.request("POST", "/upload/finish", content=json.dumps({"ids": ids}), headers=h)
    assert refused.status_code == 400 and "half.bin" in refused.text
    assert c.request("HEAD", urls[0], headers=patch).headers["upload-offset"] == str(len(data))
    done = c.request("POST", "/upload/finish", content=json.dumps({"ids": ids[:1]}), headers=h)
    assert done.status_code == 200, done.text
    with Archive(world.root) as a:
        assert a.store.path(done.json()["items"][0]["sha256"]).read_bytes() == data


def test_uploading_a_hidden_items_bytes_does_not_reveal_it(make_client: Any, world: World) -> None:
    """The same bytes as an item restricted to someone else: received, but the reply neither
    names the item nor says whether the archive already had it."""
    c = make_client("inv")  # zebracorn.txt is restricted to alice
    h = {"X-CSRF-Token": c.csrf, "Content-Type": "application/json"}
    patch = {"X-CSRF-Token": c.csrf, "Content-Type": "application/offset+octet-stream"}
    data = b"zebracorn sighting near the bakery, Douma"
    made = c.request("POST", "/upload/files", headers=h,
                     content=json.dumps({"name": "z.txt", "size": len(data)}))  # fmt: skip
    url = made.headers["location"]
    assert c.request("PATCH", url, content=data, headers={**patch, "Upload-Offset": "0"}).is_success
    done = c.request("POST", "/upload/finish", headers=h,
                     content=json.dumps({"ids": [url.rsplit("/", 1)[1]]}))  # fmt: skip
    assert done.status_code == 200, done.text
    out = done.json()
    assert world.shas["zebracorn.txt"] not in done.text
    assert out["items"] == [] and out["summary"]["files"] == 1
    assert "known_items" not in out["summary"] and "new_items" not in out["summary"]
