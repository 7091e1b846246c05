"""dhakira add PATH… --contributor NAME"""

from __future__ import annotations

import os

import click

from dhakira.cli.common import open_archive
from dhakira.cli.output import Bars, emit_json, human_bytes, json_option
from dhakira.ingest.add import AddOptions, AddSummary, Ingest
from dhakira.ingest.containers import Limits
from dhakira.ingest.derive import Deriver
from dhakira.ingest.settle import settle
from dhakira.progress import Quiet


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=bytes))
@click.option("-c", "--contributor", required=True, help="Who handed this material over.")
@click.option("--collection", help="The collection it belongs to.")
@click.option("--note", help="A note kept with each contribution.")
@click.option("--restriction", help="The contributor's sharing restriction, kept as given.")
@click.option("--follow-symlinks", is_flag=True, help="Follow symbolic links (never in a loop).")
@click.option(
    "--max-expanded",
    type=int,
    default=Limits.max_expanded,
    show_default=True,
    help="Largest total size a zip/tar may expand to, in bytes.",
)
@click.option(
    "--max-ratio",
    type=float,
    default=Limits.max_ratio,
    show_default=True,
    help="Largest compression ratio accepted for a member over 1 MiB.",
)
@click.option("--no-metadata", is_flag=True, help="Skip metadata extraction (run it later).")
@click.option(
    "--no-ocr",
    is_flag=True,
    help="Do not OCR images and scans now (about 0.5 s each); `dhakira extract --again` can later.",
)
@json_option
@click.pass_context
def add(
    ctx: click.Context,
    paths: tuple[bytes, ...],
    contributor: str,
    collection: str | None,
    note: str | None,
    restriction: str | None,
    follow_symlinks: bool,
    max_expanded: int,
    max_ratio: float,
    no_metadata: bool,
    no_ocr: bool,
    as_json: bool,
) -> None:
    """Preserve files, folders (recursively) and zip/tar archives from one contributor.

    Each distinct content is stored once; every file is recorded as a contribution with its
    exact path. Running the same command again adds nothing and finishes interrupted work.
    """
    options = AddOptions(
        contributor=contributor,
        collection=collection,
        note=note,
        restriction=restriction,
        follow_symlinks=follow_symlinks,
        limits=Limits(max_expanded=max_expanded, max_ratio=max_ratio),
    )
    progress = Quiet() if as_json else Bars()
    summaries: list[AddSummary] = []
    with open_archive(ctx) as archive, archive.writing():
        deriver = None if no_metadata else Deriver(archive, progress, ocr=not no_ocr)
        try:
            for path in paths:
                ingest = Ingest(archive, options, progress, deriver)
                summaries.append(ingest.run(os.path.abspath(path)))
            settled = settle(archive, progress, deriver, ocr=not no_ocr)
            derived, linked = settled.derived, settled.links
        finally:
            if deriver is not None:
                deriver.close()
    failed = any(s.errors for s in summaries)
    if as_json:
        emit_json(
            {
                "batches": [s.as_json() for s in summaries],
                "metadata_derived": derived,
                "similar_links": linked,
            }
        )
    else:
        for s in summaries:
            print_summary(s)
        if derived:
            click.echo(f"metadata: recorded for {derived} new items")
        if linked:
            click.echo(f"near-duplicates: {linked} new links (`dhakira groups` shows them)")
        if failed:
            click.echo(
                "Some files could not be added (lines marked error above). Fix what they"
                " say, then run the same command again: nothing is added twice.",
                err=True,
            )
    ctx.exit(1 if failed else 0)


def print_summary(s: AddSummary) -> None:
    rate = s.bytes / s.seconds if s.seconds else 0.0
    click.echo(f"batch {s.batch}: {s.source}")
    click.echo(
        f"  read {s.files} files ({s.members} from inside archives), {human_bytes(s.bytes)}"
        f" in {s.seconds:.1f} s ({human_bytes(rate)}/s)"
    )
    click.echo(
        f"  {s.new_items} new items, {s.known_items} already in the archive from elsewhere,"
        f" {s.new_contributions} contributions recorded"
    )
    if s.already_recorded:
        click.echo(f"  {s.already_recorded} already recorded from this contributor: nothing to do")
    if s.errors or s.warnings:
        click.echo(f"  {len(s.errors)} errors, {len(s.warnings)} skipped (listed above)")


COMMANDS = [add]
