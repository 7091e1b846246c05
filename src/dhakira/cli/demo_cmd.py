"""dhakira demo DEST"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from dhakira.archive import Archive
from dhakira.cli.add_cmd import print_summary
from dhakira.cli.items_cmd import stats
from dhakira.cli.output import Bars, emit_json, json_option
from dhakira.demo import build_demo
from dhakira.ingest.add import AddOptions, Ingest
from dhakira.ingest.derive import Deriver
from dhakira.ingest.settle import settle
from dhakira.progress import Quiet


@click.command()
@click.argument("dest", type=click.Path(file_okay=False, path_type=Path), default="demo")
@json_option
@click.pass_context
def demo(ctx: click.Context, dest: Path, as_json: bool) -> None:
    """Build a demo collection in DEST/material and ingest it into DEST/archive.

    The material is what a documentation group receives: two contributors' folders with the
    same photos and video under different names, Arabic and non-UTF-8 file names, a corrupt
    video and a zip export from a third group.
    """
    if dest.exists() and any(dest.iterdir()):
        raise click.UsageError(f"{dest} is not empty: remove it or give another folder")
    material = build_demo(dest / "material")
    progress = Quiet() if as_json else Bars()
    summaries = []
    with Archive.create(dest / "archive") as archive, archive.writing():
        deriver = Deriver(archive, progress)
        try:
            for source in material.sources:
                if not as_json:
                    click.echo(
                        f"\n$ dhakira add {source.path} --contributor {source.contributor!r}"
                    )
                options = AddOptions(source.contributor, source.collection, source.note)
                summary = Ingest(archive, options, progress, deriver).run(os.fsencode(source.path))
                summaries.append(summary)
                if not as_json:
                    print_summary(summary)
            settled = settle(archive, progress, deriver)
        finally:
            deriver.close()
    if as_json:
        emit_json(
            {
                "archive": str(dest / "archive"),
                "distinct_files": material.distinct_files,
                "batches": [s.as_json() for s in summaries],
                "similar_links": settled.links,
            }
        )
        return
    click.echo(f"\nnear-duplicates: {settled.links} links found (see `dhakira groups`)")
    click.echo(f"\n$ dhakira -A {dest / 'archive'} stats")
    ctx.find_root().obj = str(dest / "archive")
    ctx.invoke(stats, as_json=False)
    me = os.path.relpath(sys.argv[0]) if sys.argv and os.sep in sys.argv[0] else "dhakira"
    a = f"{me} -A {dest / 'archive'}"
    click.echo(
        f"\nThe demo archive is in {dest / 'archive'}. Try:\n"
        f"  {a} ls\n"
        f"  {a} show ITEM                 every contribution and all metadata\n"
        f"  {a} search دوما               also Douma, Duma, type:video, captured:2018-04\n"
        f"  {a} groups                    the same photo re-sent as another file, found\n"
        f"  {a} fsck                      re-hash every original\n"
        f"  {a} log prove ITEM -o item.proof   a proof anyone can check offline:\n"
        f"  {me} verify-proof item.proof --key {dest / 'archive' / 'keys' / 'log.pub'}"
    )


COMMANDS = [demo]
