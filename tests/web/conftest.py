"""A small real archive for the web tests: generated media, two collections, four users, one
restricted collection and one restricted item; an in-process client over httpx's ASGI
transport."""

from __future__ import annotations

import asyncio
import contextlib
import random
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image, ImageDraw
from tests.conftest import require_tool, run

from dhakira import access, accounts
from dhakira.archive import Archive
from dhakira.web.app import create_app

PASSWORD = "correct horse battery"
USERS = {"admin": "admin", "inv": "investigator", "view": "viewer", "alice": "viewer"}


@dataclass
class World:
    root: Path
    shas: dict[str, str]  # file name → sha256


def make_video(path: Path, seconds: int = 4) -> None:
    require_tool("ffmpeg")
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i",
         f"testsrc=size=320x240:rate=25:duration={seconds}", "-f", "lavfi", "-i",
         f"sine=frequency=440:duration={seconds}", "-c:v", "libx264", "-pix_fmt", "yuv420p",
         "-g", "25", "-c:a", "aac", "-shortest", "-movflags", "+faststart", str(path)],
        check=True,
    )  # fmt: skip


def build_world(base: Path) -> World:
    public = base / "material" / "field"
    secret = base / "material" / "secret"
    public.mkdir(parents=True)
    secret.mkdir(parents=True)
    make_video(public / "قصف دوما.mp4")
    Image.new("RGB", (400, 300), (180, 90, 40)).save(public / "photo.jpg", quality=85)
    (public / "تقرير.txt").write_text("قصف على دوما في الغوطة الشرقية صباح اليوم", "utf-8")
    (public / "page.html").write_text(
        "<!doctype html><html><body><script>alert(1)</script>hello page</body></html>", "utf-8"
    )
    (public / "logo.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "utf-8"
    )
    (public / "zebracorn.txt").write_text("zebracorn sighting near the bakery, Douma", "utf-8")
    (secret / "شهادة.txt").write_text("شهادة سرية unicornfish عن مجزرة", "utf-8")
    root = base / "archive"
    Archive.create(root).close()
    for folder, contributor, collection in (
        (public, "مركز الغوطة", "public"),
        (secret, "Witness Group", "sensitive"),
    ):
        result = run("add", folder, "-c", contributor, "--collection", collection, "--no-ocr",
                     archive=root)  # fmt: skip
        assert result.exit_code == 0, result.output
    shas = shas_by_name(root)
    with Archive(root) as a:
        for name, role in USERS.items():
            accounts.add_user(a.catalog.conn, name, PASSWORD, role)
        access.restrict(a, collection="sensitive", to=["role:investigator"])
        access.restrict(a, item=shas["zebracorn.txt"], to=["user:alice"])
    return World(root, shas)


def shas_by_name(root: Path) -> dict[str, str]:
    """Each contributed file's name → its item's SHA-256."""
    with Archive(root) as a:
        return {
            bytes(r[0]).decode(): r[1]
            for r in a.catalog.conn.execute(
                "SELECT c.original_name, i.sha256 FROM contributions c"
                " JOIN items i ON i.id = c.item_id"
            )
        }


def busy_picture(rng: random.Random, background: tuple[int, int, int]) -> Image.Image:
    """A 640×480 picture of 60 random rectangles: enough detail for perceptual hashes."""
    img = Image.new("RGB", (640, 480), background)
    draw = ImageDraw.Draw(img)
    for _ in range(60):
        x, y = rng.randrange(600), rng.randrange(440)
        colour = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
        draw.rectangle((x, y, x + rng.randrange(20, 200), y + rng.randrange(20, 160)), colour)
    return img


@contextlib.contextmanager
def signed_in(root: Path, *names: str) -> Iterator[list[Client]]:
    """One client per user name, each signed in to its own app over ``root``."""
    loop = asyncio.new_event_loop()
    app = create_app(root, secure_cookies=False)
    clients = [Client(app, loop, "http://testserver") for _ in names]
    try:
        for client, name in zip(clients, names, strict=True):
            assert client.login(name).status_code == 303
        yield clients
    finally:
        for client in clients:
            client.close()
        loop.close()


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return build_world(tmp_path_factory.mktemp("web"))


class Client:
    """A synchronous face on an httpx.AsyncClient over the ASGI app (one event loop)."""

    def __init__(self, app: Any, loop: asyncio.AbstractEventLoop, base: str) -> None:
        self.loop = loop
        self.http = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url=base, follow_redirects=False
        )
        self.csrf = ""

    def request(self, method: str, url: str, **kw: Any) -> httpx.Response:
        r = self.loop.run_until_complete(self.http.request(method, url, **kw))
        found = (
            re.search(r'name="csrf" value="([^"]+)"', r.text)
            if "html" in r.headers.get("content-type", "")
            else None
        )
        if found:
            self.csrf = found.group(1)
        return r

    def get(self, url: str, **kw: Any) -> httpx.Response:
        return self.request("GET", url, **kw)

    def post(self, url: str, data: dict[str, str] | None = None, **kw: Any) -> httpx.Response:
        form = {"csrf": self.csrf, **(data or {})}
        return self.request("POST", url, data=form, **kw)

    def login(self, name: str, password: str = PASSWORD) -> httpx.Response:
        self.get("/login")
        return self.post("/login", {"name": name, "password": password})

    def close(self) -> None:
        self.loop.run_until_complete(self.http.aclose())


@pytest.fixture
def private_world(world: World, tmp_path: Path) -> World:
    """A copy of the shared world for a test that changes it (adds, uploads, restricts): the
    session's world stays as the other tests expect it, whichever of them a worker runs first."""
    root = tmp_path / "world"
    shutil.copytree(world.root, root)
    return World(root, dict(world.shas))


@pytest.fixture
def make_client(world: World) -> Iterator[Any]:
    yield from _clients(world.root)


@pytest.fixture
def make_private_client(private_world: World) -> Iterator[Any]:
    """make_client over ``private_world``."""
    yield from _clients(private_world.root)


def _clients(root: Path) -> Iterator[Any]:
    loop = asyncio.new_event_loop()
    app = create_app(root, secure_cookies=False)
    made: list[Client] = []

    def make(user: str | None = None, base: str = "http://testserver") -> Client:
        c = Client(app, loop, base)
        made.append(c)
        if user is not None:
            r = c.login(user)
            assert r.status_code == 303, r.text
            c.get("/")
        return c

    yield make
    for c in made:
        c.close()
    loop.close()
