"""Byte-exact file names and how to show them to people.

Paths are kept as ``bytes`` exactly as the contributor's file system (or archive) gave them.
For display, undecodable bytes are shown as ``\\xNN`` and control characters (a newline in a
name) as ``\\n``/``\\xNN``, so one name is always one line.
"""

from __future__ import annotations

import os


def display(raw: bytes) -> str:
    text = raw.decode("utf-8", errors="backslashreplace")
    if any(ord(c) < 32 or ord(c) == 127 for c in text):
        text = "".join(
            c if ord(c) >= 32 and ord(c) != 127 else c.encode("unicode_escape").decode("ascii")
            for c in text
        )
    return text


def fs_bytes(path: str | os.PathLike[str] | bytes) -> bytes:
    return os.fsencode(path)


def basename(raw: bytes) -> bytes:
    return raw.rstrip(b"/").rsplit(b"/", 1)[-1]
