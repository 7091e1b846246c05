"""The command line: thin adapters over :class:`dhakira.archive.Archive`.

Each command parses its options, calls the Archive, and prints text or ``--json``. Errors are
:class:`dhakira.errors.DhakiraError`; ``main`` turns each into one line and its exit code.
"""

from __future__ import annotations

import sqlite3
from typing import Any

import click

from dhakira import __version__
from dhakira.cli import (
    add_cmd,
    demo_cmd,
    export_cmd,
    fsck_cmd,
    init_cmd,
    items_cmd,
    log_cmd,
    rebuild_cmd,
    search_cmd,
    similar_cmd,
    web_cmd,
)
from dhakira.errors import DhakiraError


class DhakiraGroup(click.Group):
    """Turns every DhakiraError into one line on stderr and its exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except DhakiraError as exc:
            click.echo(f"error: {exc}", err=True)
            ctx.exit(exc.exit_code)
        except sqlite3.Error as exc:  # the catalog itself failed: one line, not a traceback
            full = "full" in str(exc)
            what = "the disk is full: free space, then" if full else "the catalog failed:"
            click.echo(f"error: {what} {exc}; run the same command again", err=True)
            ctx.exit(74)
        except KeyboardInterrupt:
            click.echo("interrupted: run the same command again to finish the job", err=True)
            ctx.exit(130)


@click.group(cls=DhakiraGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="dhakira")
@click.option(
    "-A",
    "--archive",
    "archive_path",
    envvar="DHAKIRA_ARCHIVE",
    type=click.Path(file_okay=False, path_type=str),
    help="The archive folder (default: the current folder or the nearest one above it).",
)
@click.pass_context
def cli(ctx: click.Context, archive_path: str | None) -> None:
    """Dhakira (ذاكرة): preserve, prove and find the documentation of a war."""
    ctx.obj = archive_path


for module in (
    init_cmd,
    add_cmd,
    items_cmd,
    search_cmd,
    similar_cmd,
    fsck_cmd,
    rebuild_cmd,
    log_cmd,
    export_cmd,
    web_cmd,
    demo_cmd,
):
    for command in module.COMMANDS:
        cli.add_command(command)


def main() -> None:
    cli(prog_name="dhakira")
