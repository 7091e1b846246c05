"""Walking what a contributor handed over: files and folders, never following surprises.

Paths are bytes throughout, so names that are not valid UTF-8 survive byte-exact. Symbolic
links are not followed unless asked; when they are, a folder already visited (by device and
inode) is never entered twice, so link loops end. Anything that is not a regular file or a
folder (FIFO, socket, device) is reported and skipped, never opened.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass

from dhakira.names import display


@dataclass(frozen=True)
class Found:
    path: bytes
    size: int
    mtime_ns: int
    via_link: bool = False  # reached through a symbolic link the user asked to follow


@dataclass(frozen=True)
class Problem:
    path: bytes
    message: str
    error: bool = True  # False: a warning (skipped on purpose, nothing expected was lost)

    def line(self) -> str:
        kind = "error" if self.error else "skipped"
        return f"{kind}: {display(self.path)}: {self.message}"


_KINDS = {
    stat.S_IFIFO: "a FIFO (named pipe)",
    stat.S_IFSOCK: "a socket",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
}


def _not_regular(mode: int) -> str:
    return _KINDS.get(stat.S_IFMT(mode), "not a regular file")


def walk(root: bytes, *, follow_symlinks: bool = False) -> Iterator[Found | Problem]:
    """Yield every regular file under ``root`` (or ``root`` itself), in name order."""
    try:
        st = os.stat(root, follow_symlinks=False)
    except FileNotFoundError:
        yield Problem(root, "no such file or folder: check the path")
        return
    except OSError as exc:
        yield Problem(root, f"cannot read: {exc.strerror}")
        return
    linked = stat.S_ISLNK(st.st_mode)
    if linked:
        # The path the user typed is a link: that is an explicit request to follow it.
        try:
            st = os.stat(root)
        except OSError:
            yield Problem(root, "broken symbolic link: it points to nothing")
            return
    if stat.S_ISDIR(st.st_mode):
        yield from _walk_dir(root, follow_symlinks, {(st.st_dev, st.st_ino)})
    elif stat.S_ISREG(st.st_mode):
        yield Found(root, st.st_size, st.st_mtime_ns, linked)
    else:
        yield Problem(root, f"{_not_regular(st.st_mode)}: skipped", error=False)


def _walk_dir(
    folder: bytes, follow: bool, visited: set[tuple[int, int]]
) -> Iterator[Found | Problem]:
    try:
        with os.scandir(folder) as it:
            entries = sorted(it, key=lambda e: e.name)
    except OSError as exc:
        yield Problem(folder, f"cannot read folder: {exc.strerror}; its files were not added")
        return
    for entry in entries:
        path = entry.path
        try:
            st = entry.stat(follow_symlinks=False)
        except OSError as exc:
            yield Problem(path, f"cannot read: {exc.strerror}")
            continue
        if stat.S_ISLNK(st.st_mode):
            try:
                target = os.stat(path)
            except OSError:
                yield Problem(path, "broken symbolic link: it points to nothing")
                continue
            if not follow:
                yield Problem(
                    path,
                    f"symbolic link to {display(os.readlink(path))} not followed"
                    " (add --follow-symlinks to follow links)",
                    error=False,
                )
                continue
            st = target
        if stat.S_ISDIR(st.st_mode):
            key = (st.st_dev, st.st_ino)
            if key in visited:
                yield Problem(path, "folder already visited (a link loop): skipped", error=False)
                continue
            visited.add(key)
            yield from _walk_dir(path, follow, visited)
        elif stat.S_ISREG(st.st_mode):
            yield Found(path, st.st_size, st.st_mtime_ns, entry.is_symlink())
        else:
            yield Problem(path, f"{_not_regular(st.st_mode)}: skipped", error=False)
