"""dhakira rebuild"""

from __future__ import annotations

import click

from dhakira.cli.common import open_archive
from dhakira.cli.output import Bars, emit_json, json_option
from dhakira.ingest.derive import derive_pending, forget_properties, renormalise
from dhakira.progress import Quiet


@click.command()
@click.option(
    "--rerun-tools",
    is_flag=True,
    help="Run the metadata tools again on every original (slow; after a tool upgrade).",
)
@json_option
@click.pass_context
def rebuild(ctx: click.Context, rerun_tools: bool, as_json: bool) -> None:
    """Rebuild derived metadata: from the stored raw tool output, or from the originals."""
    progress = Quiet() if as_json else Bars()
    with open_archive(ctx) as archive, archive.writing():
        if rerun_tools:
            forget_properties(archive)
            n = derive_pending(archive, progress)
        else:
            n = renormalise(archive, progress) + derive_pending(archive, progress)
        archive.log.checkpoint()
    if as_json:
        emit_json({"items": n, "rerun_tools": rerun_tools})
    else:
        click.echo(f"rebuilt metadata for {n} items")


COMMANDS = [rebuild]
