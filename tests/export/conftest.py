"""An archive with identifying media, two contributors, a collection and a restricted item.

Everything is generated here: photos with EXIF GPS, serial numbers and owner names (Pillow +
exiftool), a video and an audio note with location and artist tags (ffmpeg), a text file.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image
from tests.conftest import require_tool, run
from tests.custody import tsa as local

tsa_keys = local.tsa_keys
_tsa_server = local._tsa_server
tsa = local.tsa

WITNESS = "Ahmad Witness"  # a name that must never reach a public release
SECRET_NAME = "secret-safehouse"  # in file names of items that are not public
ORG = "Syrian Documentation Group"


def _photo(path: Path, colour: tuple[int, int, int], owner: str) -> None:
    Image.new("RGB", (96, 64), colour).save(path, quality=90)
    subprocess.run(
        [
            "exiftool", "-q", "-overwrite_original", "-n",
            "-GPSLatitude=33.5731", "-GPSLatitudeRef=N", "-GPSLongitude=36.4045",
            "-GPSLongitudeRef=E", "-SerialNumber=SN-4471-XYZ", "-BodySerialNumber=BSN-99812",
            f"-OwnerName={owner}", f"-Artist={owner}", "-Make=Samsung", "-Model=SM-A520F",
            f"-XMP:Creator={owner}", f"-IPTC:By-line={owner}", "-ImageDescription=home street",
            "-DateTimeOriginal=2018:04:07 19:38:44", "-Orientation=6", str(path),
        ],
        check=True,
    )  # fmt: skip


def _video(path: Path, owner: str) -> None:
    subprocess.run(
        [
            "ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc=size=96x64:rate=10",
            "-f", "lavfi", "-i", "sine=frequency=440", "-t", "1",
            "-metadata", "location=+33.5731+036.4045/", "-metadata", f"artist={owner}",
            "-metadata", "creation_time=2018-04-07T19:45:00Z",
            "-metadata:s:v", f"handler_name={owner} phone",
            "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", str(path),
        ],
        check=True,
    )  # fmt: skip


def _audio(path: Path, owner: str) -> None:
    subprocess.run(
        [
            "ffmpeg", "-v", "error", "-f", "lavfi", "-i", "sine=frequency=300", "-t", "1",
            "-metadata", f"artist={owner}", "-metadata", "comment=recorded at home",
            "-c:a", "aac", str(path),
        ],
        check=True,
    )  # fmt: skip


@pytest.fixture(scope="session")
def material(tmp_path_factory: pytest.TempPathFactory) -> Path:
    for tool in ("ffmpeg", "exiftool"):
        require_tool(tool)
    root = tmp_path_factory.mktemp("material")
    ahmad = root / "ahmad"
    (ahmad / "public").mkdir(parents=True)
    (ahmad / SECRET_NAME).mkdir()
    _photo(ahmad / "public" / "دوما قصف.jpg", (200, 30, 30), WITNESS)
    _video(ahmad / "public" / "VID_20180407.mp4", WITNESS)
    _audio(ahmad / "public" / "voice-note.m4a", WITNESS)
    _photo(ahmad / SECRET_NAME / f"{SECRET_NAME}-door.jpg", (30, 200, 30), WITNESS)
    (ahmad / "public" / "testimony.txt").write_text("شهادة: قصف في دوما\n", encoding="utf-8")
    layla = root / "layla"
    layla.mkdir()
    _photo(layla / "restricted-photo.jpg", (30, 30, 200), "Layla Q")
    return root


@pytest.fixture(scope="session")
def base_archive(material: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("base") / "archive"
    assert run("init", root).exit_code == 0
    r = run("add", material / "ahmad", "-c", WITNESS, "--collection", "Douma 2018", "--json",
            archive=root)  # fmt: skip
    assert r.exit_code == 0, r.output
    r = run("add", material / "layla", "-c", "Layla", "--restriction", "no publication",
            "--json", archive=root)  # fmt: skip
    assert r.exit_code == 0, r.output
    return root


@pytest.fixture
def archive_path(base_archive: Path, tmp_path: Path) -> Path:
    """A private copy of the session's archive, free to change."""
    dest = tmp_path / "archive"
    shutil.copytree(base_archive, dest)
    return dest


def items(root: Path) -> dict[str, dict[str, object]]:
    """Items by their first name."""
    r = run("ls", "--json", archive=root)
    return {str(i["name"]): i for i in json.loads(r.stdout)}


def key(root: Path) -> str:
    return (root / "keys" / "log.pub").read_text().strip()
