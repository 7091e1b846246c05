"""Public copies: the same pictures and sound, without what could identify or locate a person.

- Images (``image/*``): ``exiftool -all=`` removes EXIF (GPS, make, model, serial numbers,
  owner and artist), XMP, IPTC, maker notes and comments; only the orientation and the ICC
  colour profile are copied back. The pixels are not re-encoded.
- Video and audio: ``ffmpeg`` re-muxes without re-encoding (``-c copy``), keeping only the
  video and audio streams (no data streams — some cameras record GPS tracks there — no
  subtitles, attachments or cover pictures), with global, per-stream and chapter metadata
  dropped and ``bitexact`` muxing (no encoder tag, zero creation times).
- Anything else (PDF, office documents, text, archives) is left out of public releases: their
  metadata and content can identify people in too many places to clean automatically.

Every copy is then read back with exiftool; if any tag that could identify or locate someone
remains (:data:`IDENTIFYING`), the copy is refused and the item left out.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from dhakira.media.tools import exiftool_version, ffprobe_version

IDENTIFYING = re.compile(
    r"GPS|Serial|Owner|Artist|Author|Creator|Copyright|By-?line|Credit|Contact|^Make$|Model"
    r"|Software|Lens|UserComment|Comment|HostComputer|Location|Description|Title|Keywords"
    r"|Subject|Caption|Writer|Headline|City|Country|Province|State|Sub-?location|UniqueID"
    r"|DocumentID|InstanceID|DeviceID|ContentIdentifier|MakerNote|Encoder|Handler(Description)?$"
    r"|Name$|Email|Phone|Address|Face|Region|PersonInImage|History",
    re.IGNORECASE,
)
# tags every file has, or that exiftool computes: not metadata of the source
_HARMLESS = re.compile(
    r"^(ExifTool|File|System|Composite):|^[A-Za-z0-9]+:(ProfileDescription|ProfileCopyright"
    r"|DeviceModel|DeviceManufacturer|DeviceModelDesc|DeviceMfgDesc"
    r"|SampleGroupDescription|SampleDescription)$"
)
_HANDLERS = {"VideoHandler", "SoundHandler", "Video Track", "Audio Track"}
VIDEO_EXT = {".mp4", ".m4v", ".mov", ".webm", ".mkv"}
AUDIO_EXT = {".mp3", ".m4a", ".ogg", ".oga", ".opus", ".wav", ".flac", ".aac"}
TIMEOUT = 600


@dataclass(frozen=True)
class PublicCopy:
    path: Path
    sha256: str
    size: int
    tool: str  # "exiftool 12.57" / "ffmpeg 5.1.6"


class NotPublishable(Exception):
    """Why an item cannot get a public copy (one line)."""


def kind(mime: str) -> str | None:
    if mime.startswith("image/"):
        return "image"
    if mime.startswith("video/"):
        return "video"
    if mime.startswith("audio/"):
        return "audio"
    return None


def extension(mime: str, name_suffix: str) -> str:
    k = kind(mime)
    suffix = name_suffix.lower()
    if k == "video":
        return suffix if suffix in VIDEO_EXT else ".mkv"
    if k == "audio":
        return suffix if suffix in AUDIO_EXT else ".mka"
    return suffix if re.fullmatch(r"\.[a-z0-9]{1,5}", suffix) else ".img"


def public_copy(src: Path, mime: str, dest: Path) -> PublicCopy:
    """Write a cleaned copy of ``src`` to ``dest``; raise :class:`NotPublishable` if unsafe."""
    k = kind(mime)
    if k is None:
        raise NotPublishable(f"{mime} files are not published (only images, video and audio)")
    try:
        if k == "image":
            shutil.copyfile(src, dest)  # exiftool needs the file's type in its name
            _run(
                [
                    "exiftool",
                    "-q",
                    "-q",
                    "-all=",
                    "-tagsfromfile",
                    "@",
                    "-Orientation",
                    "-ICC_Profile",
                    "-overwrite_original",
                    str(dest),
                ]
            )
            tool = f"exiftool {exiftool_version() or '?'}"
        else:
            streams = ["-map", "0:V?", "-map", "0:a?"] if k == "video" else ["-map", "0:a"]
            _run(
                [
                    "ffmpeg",
                    "-v",
                    "error",
                    "-nostdin",
                    "-i",
                    str(src),
                    *streams,
                    "-map_metadata",
                    "-1",
                    "-map_metadata:s:v",
                    "-1",
                    "-map_metadata:s:a",
                    "-1",
                    "-map_chapters",
                    "-1",
                    "-c",
                    "copy",
                    "-fflags",
                    "+bitexact",
                    "-flags:v",
                    "+bitexact",
                    "-flags:a",
                    "+bitexact",
                    str(dest),
                ]
            )
            tool = f"ffmpeg {ffprobe_version() or '?'}"
        left = identifying_tags(dest)
    except NotPublishable:
        dest.unlink(missing_ok=True)
        raise
    if left:
        dest.unlink(missing_ok=True)
        raise NotPublishable(f"identifying metadata could not be removed: {', '.join(left)}")
    data = dest.read_bytes()
    return PublicCopy(dest, hashlib.sha256(data).hexdigest(), len(data), tool)


def identifying_tags(path: Path) -> list[str]:
    """Tags in ``path`` (as exiftool reads them, all groups) that could identify someone."""
    out = _run(["exiftool", "-j", "-a", "-G1", "-n", "-u", str(path)])
    try:
        tags = json.loads(out)[0]
    except (ValueError, IndexError) as exc:
        raise NotPublishable(f"exiftool cannot read the public copy: {exc}") from exc
    found = []
    for key, value in tags.items():
        name = key.split(":", 1)[-1]
        if key == "SourceFile" or _HARMLESS.search(key):
            continue
        if name.startswith("Handler") and str(value) in _HANDLERS:
            continue
        if IDENTIFYING.search(name):
            found.append(key)
    return found


def _run(argv: list[str]) -> bytes:
    try:
        r = subprocess.run(argv, capture_output=True, timeout=TIMEOUT, check=False)
    except FileNotFoundError as exc:
        raise NotPublishable(f"{argv[0]} is not installed") from exc
    except subprocess.TimeoutExpired as exc:
        raise NotPublishable(f"{argv[0]} took longer than {TIMEOUT} s") from exc
    if r.returncode != 0:
        why = r.stderr.decode("utf-8", "replace").strip().splitlines()
        raise NotPublishable(f"{argv[0]} failed: {why[-1] if why else r.returncode}")
    return r.stdout
