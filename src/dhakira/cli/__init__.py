"""The command line: thin adapters over :class:`dhakira.archive.Archive`.

Each command parses its options, calls the Archive, and prints text or ``--json``. Errors are
:class:`dhakira.errors.DhakiraError`; ``main`` turns each into one line and its exit code.
"""

from __future__ import annotations

import importlib
import sqlite3
from typing import Any

import click

from dhakira import __version__
from dhakira.errors import DhakiraError

# each command → the module of dhakira.cli that defines it (in its COMMANDS). A command's
# module is imported only when that command runs: `dhakira user list` need not load ingest,
# search and export (about 0.6 s of imports). tests/test_cli_lazy.py checks this table.
LAZY = {
    "init": "init_cmd",
    "add": "add_cmd",
    **dict.fromkeys(("ls", "show", "stats"), "items_cmd"),
    **dict.fromkeys(("search", "reindex", "embed"), "search_cmd"),
    **dict.fromkeys(("similar", "groups", "link", "derive"), "similar_cmd"),
    "fsck": "fsck_cmd",
    **dict.fromkeys(("rebuild", "extract"), "rebuild_cmd"),
    **dict.fromkeys(("log", "verify-proof"), "log_cmd"),
    **dict.fromkeys(("export", "verify-bag", "publish", "contributor"), "export_cmd"),
    **dict.fromkeys(("serve", "user", "token", "restrict", "unrestrict", "thumbnails"), "web_cmd"),
    "demo": "demo_cmd",
}


class DhakiraGroup(click.Group):
    """Loads each command's module when it is first asked for, and turns every DhakiraError
    into one line on stderr and its exit code."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*LAZY, *self.commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in LAZY:
            module = importlib.import_module(f"dhakira.cli.{LAZY[cmd_name]}")
            for command in module.COMMANDS:
                self.add_command(command)
        return self.commands.get(cmd_name)

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


def main() -> None:
    cli(prog_name="dhakira")
