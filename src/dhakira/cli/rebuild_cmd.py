"""dhakira rebuild"""

from __future__ import annotations

import click

from dhakira.cli.common import open_archive
from dhakira.cli.output import Bars, emit_json, json_option
from dhakira.ingest.derive import (
    derive_pending,
    extract_pending,
    forget_properties,
    renormalise,
)
from dhakira.progress import Quiet
from dhakira.search.index import index_pending


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
        index_pending(archive.catalog.conn, progress)
        archive.log.checkpoint()
    if as_json:
        emit_json({"items": n, "rerun_tools": rerun_tools})
    else:
        click.echo(f"rebuilt metadata for {n} items")


@click.command()
@click.option("--again", is_flag=True, help="Extract the text of every item again (slow).")
@json_option
@click.pass_context
def extract(ctx: click.Context, again: bool, as_json: bool) -> None:
    """Extract text (PDF text layer, OCR of images and scans, HTML, DOCX) for search."""
    progress = Quiet() if as_json else Bars()
    with open_archive(ctx) as archive, archive.writing():
        n = extract_pending(archive, progress, again=again)
        indexed = index_pending(archive.catalog.conn, progress)
        archive.log.checkpoint()
    if as_json:
        emit_json({"extracted": n, "indexed": indexed})
    else:
        click.echo(f"extracted text from {n} items; {indexed} items re-indexed")


COMMANDS = [rebuild, extract]
