"""End to end in a real browser (Debian's Chromium driven by Playwright): sign in, upload,
search in Arabic, play and seek a video, right-to-left layout. Screenshots are saved to
tests/web/screenshots/ (or $DHAKIRA_SCREENSHOTS) for people to look at."""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import threading
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from tests.conftest import missing
from tests.web.conftest import PASSWORD, World, make_video

from dhakira.web.app import create_app

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]  # fmt: skip
SHOTS = Path(os.environ.get("DHAKIRA_SCREENSHOTS", Path(__file__).parent / "screenshots"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def own_world(world: World, tmp_path_factory: pytest.TempPathFactory) -> World:
    """A copy of the shared world: these tests upload into it."""
    root = tmp_path_factory.mktemp("browser") / "world"
    shutil.copytree(world.root, root)
    return World(root, dict(world.shas))


@pytest.fixture(scope="module")
def server(own_world: World) -> Iterator[str]:
    port = _free_port()
    config = uvicorn.Config(
        create_app(own_world.root, secure_cookies=False), host="127.0.0.1", port=port,
        log_level="warning",
    )  # fmt: skip
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(10)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        missing("chromium is not installed: apt-get install -y chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield b
        b.close()


def shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_sign_in_upload_search_play_and_rtl(server: str, browser: Any, tmp_path: Path) -> None:
    context = browser.new_context(locale="en-GB", viewport={"width": 1100, "height": 800})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    ranges: list[int] = []
    page.on("response", lambda r: ranges.append(r.status) if "/media/" in r.url else None)

    # sign in
    page.goto(server + "/")
    assert page.url.startswith(server + "/login")
    shot(page, "01-sign-in")
    page.fill("input[name=name]", "inv")
    page.fill("input[name=password]", PASSWORD)
    page.click("button.primary")
    page.wait_for_url(server + "/")
    assert page.locator("#count-items").inner_text().isdigit()
    shot(page, "02-overview")

    # upload: a video and a zip holding an Arabic-named note, with a collection
    video = tmp_path / "مظاهرة حمص.mp4"
    make_video(video, seconds=6)
    bundle = tmp_path / "export.zip"
    with zipfile.ZipFile(bundle, "w") as z:
        z.writestr("ملاحظات/شهادة الحي.txt", "شهادة عن القصف في حي الخالدية بحمص okapiword")
    page.goto(server + "/upload")
    # small pieces, and the connection drops during the second one: the page must ask the
    # server where to go on and send the rest
    page.evaluate("() => { document.getElementById('upload').dataset.chunk = '32768'; }")
    patches: list[str] = []

    def flaky(route: Any) -> None:
        if route.request.method == "PATCH":
            patches.append(route.request.headers.get("upload-offset", ""))
            if len(patches) == 2:
                route.abort()
                return
        route.continue_()

    page.route("**/upload/files/*", flaky)
    page.set_input_files("#files", [str(video), str(bundle)])
    page.fill("#collection", "حمص")
    page.click("#send")
    page.wait_for_selector("#added li", timeout=120_000)
    status = page.locator("#status").inner_text()
    assert status.startswith("Done"), status
    assert page.locator("#queue progress").evaluate_all("bs => bs.every(b => b.value == b.max)")
    assert patches[:3] == ["0", "32768", "32768"], patches  # the lost piece, sent again
    page.unroute("**/upload/files/*")
    links = page.locator("#added a").evaluate_all("as => as.map(a => a.getAttribute('href'))")
    assert f"/items/{hashlib.sha256(video.read_bytes()).hexdigest()}" in links  # byte-exact
    shot(page, "03-upload-done")

    # search in Arabic: the uploaded note is found with its words highlighted
    page.goto(server + "/")
    page.fill("input[name=q]", "الخالدية")
    page.keyboard.press("Enter")
    page.wait_for_url("**/search?**")
    assert int(page.locator("#total").inner_text()) >= 1
    assert "الخالدية" in page.locator("mark").first.inner_text()
    assert "حمص" in page.locator("[data-facet=collection]").inner_text()
    shot(page, "04-search-arabic")

    # play and seek the uploaded video
    page.goto(server + "/search?q=" + "مظاهرة")
    page.locator("ol.hits a.name").first.click()
    page.wait_for_selector("#player")
    page.evaluate("() => { const v = document.getElementById('player'); v.muted = true; }")
    played = page.evaluate(
        """() => new Promise((ok, fail) => {
            const v = document.getElementById('player');
            setTimeout(() => fail('timed out: readyState ' + v.readyState), 20000);
            v.addEventListener('error', () => fail('media error ' + (v.error && v.error.code)));
            v.play().then(() => {
                v.addEventListener('seeked', () => ok({t: v.currentTime, d: v.duration}),
                                   {once: true});
                v.currentTime = 4.5;
            }, fail);
        })"""
    )
    assert abs(played["t"] - 4.5) < 0.6 and played["d"] > 5, played  # the resumed bytes are right
    assert 206 in ranges, ranges  # the player asked for byte ranges
    page.evaluate("() => document.getElementById('player').pause()")
    shot(page, "05-video-seeked")

    # Arabic, right to left
    page.goto(server + "/")
    page.click("button[name=lang][value=ar]")
    page.wait_for_load_state()
    assert page.evaluate("document.documentElement.dir") == "rtl"
    assert page.evaluate("document.documentElement.lang") == "ar"
    width = page.evaluate("window.innerWidth")
    brand = page.locator(".brand").bounding_box()
    tools = page.locator(".tools").bounding_box()
    assert brand["x"] > width / 2, brand  # the brand starts on the right…
    assert tools["x"] < width / 2, tools  # …the tools end on the left
    assert "نظرة عامة" in page.locator("nav").inner_text()
    shot(page, "06-overview-rtl")
    page.goto(server + "/search?q=دوما")
    shot(page, "07-search-rtl")
    page.click("button[name=lang][value=en]")  # leave the user with a language chosen
    assert not [e for e in errors if "Content Security Policy" in e], errors
    context.close()


def test_reading_works_without_javascript(server: str, browser: Any) -> None:
    context = browser.new_context(java_script_enabled=False, locale="ar")
    page = context.new_page()
    page.goto(server + "/")
    page.fill("input[name=name]", "view")
    page.fill("input[name=password]", PASSWORD)
    page.click("button.primary")
    page.wait_for_url(server + "/")
    page.fill("input[name=q]", "دوما")
    page.click("form.searchbar button")
    page.wait_for_url("**/search?**")
    assert int(page.locator("#total").inner_text()) >= 1
    page.locator("ol.hits a.name").first.click()
    page.wait_for_selector("h2")
    assert "دوما" in page.locator("main").inner_text()  # its name or its text
    assert page.locator("html").get_attribute("dir") == "rtl"
    shot(page, "08-no-javascript-item")
    context.close()
