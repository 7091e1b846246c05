"""The version of an external tool, asked once per process (derived data is keyed by it)."""

from __future__ import annotations

import re
import subprocess

_versions: dict[str, str] = {}


def probe(tool: str, command: list[str], pattern: str) -> str | None:
    """The first group of ``pattern`` in the tool's output, or None if it is not installed."""
    found = _versions.get(tool)
    if found is not None:
        return found
    try:
        done = subprocess.run(command, capture_output=True, timeout=30, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    output = (done.stdout + b"\n" + done.stderr).decode("utf-8", "replace")
    match = re.search(pattern, output)
    if done.returncode != 0 or match is None:
        return None
    _versions[tool] = match.group(1)
    return match.group(1)
