"""ffprobe: container, streams and tags of audio and video files.

Raw output is ffprobe's own JSON (``-show_format -show_streams -show_error``). When ffprobe
rejects a file (a truncated MP4 without its ``moov`` atom, say) the raw output is the JSON it
printed, usually ``{"error": {"code": ..., "string": ...}}``, and ``error`` says why.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

from dhakira.media.output import ToolOutput, one_line
from dhakira.media.tools import ffprobe_version

INSTALL_HINT = "ffprobe not installed: apt-get install ffmpeg"
TIMEOUT_S = 120.0
_ARGS = (
    "-hide_banner",
    "-v",
    "error",
    # Only local files: a playlist inside an untrusted file must not open network URLs.
    "-protocol_whitelist",
    "file",
    "-print_format",
    "json",
    "-show_format",
    "-show_streams",
    "-show_error",
)
_LOG_PREFIX = re.compile(r"^\[[^]]*@ 0x[0-9a-f]+\]\s*")


def probe(path: Path, timeout: float = TIMEOUT_S) -> ToolOutput:
    """Run ffprobe on ``path``; never raises for a bad or missing file."""
    version = ffprobe_version() or ""
    # "file:" keeps names such as "http:x.mp4" or "-y.mp4" from being read as URLs or options.
    target = b"file:" + os.path.abspath(os.fsencode(path))
    try:
        done = subprocess.run(
            [b"ffprobe", *(a.encode() for a in _ARGS), b"-i", target],
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except FileNotFoundError:
        return ToolOutput("ffprobe", version, None, INSTALL_HINT)
    except subprocess.TimeoutExpired:
        return ToolOutput("ffprobe", version, None, f"ffprobe timed out after {timeout:g} s")
    except OSError as exc:
        return ToolOutput("ffprobe", version, None, one_line(f"ffprobe could not run: {exc}"))
    raw: dict[str, Any] | None
    try:
        raw = json.loads(done.stdout.decode("utf-8", "replace"))
    except ValueError:
        raw = None
    if not isinstance(raw, dict):
        raw = None
    error = _error_line(raw, done.stderr.decode("utf-8", "replace"), done.returncode)
    return ToolOutput("ffprobe", version, raw, error)


def _error_line(raw: dict[str, Any] | None, stderr: str, returncode: int) -> str | None:
    """One line from ffprobe's JSON error and first log line; None if it succeeded."""
    reported = raw.get("error") if raw else None
    if returncode == 0 and raw is not None and not reported:
        return None
    parts = []
    if isinstance(reported, dict) and reported.get("string"):
        parts.append(str(reported["string"]))
    lines = [_LOG_PREFIX.sub("", line).strip() for line in stderr.splitlines()]
    detail = next((line for line in lines if line and not line.startswith("file:")), "")
    if detail and detail not in parts:
        parts.append(f"({detail})" if parts else detail)
    if not parts:
        parts.append(f"ffprobe failed (exit status {returncode})")
    return one_line(" ".join(parts))
