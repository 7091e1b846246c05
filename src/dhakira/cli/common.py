"""What every command needs: the archive it works on."""

from __future__ import annotations

from pathlib import Path

import click

from dhakira.archive import Archive


def open_archive(ctx: click.Context, *, readonly: bool = False) -> Archive:
    path = ctx.find_root().obj
    return Archive.open(Path(path) if path else Path.cwd(), readonly=readonly)
