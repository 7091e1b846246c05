"""dhakira fsck"""

from __future__ import annotations

import click

from dhakira.cli.common import open_archive
from dhakira.cli.output import Bars, emit_json, human_bytes, json_option
from dhakira.fixity import fsck as run_fsck
from dhakira.progress import Quiet


@click.command()
@click.option(
    "--sample",
    type=click.FloatRange(0, 100),
    metavar="PERCENT",
    help="Check only this share of items, those checked longest ago first.",
)
@click.option("--workers", type=int, help="Parallel hashing threads (default: one per core).")
@json_option
@click.pass_context
def fsck(ctx: click.Context, sample: float | None, workers: int | None, as_json: bool) -> None:
    """Re-hash every original; report what is missing, damaged or unexpected.

    Exits 3 if anything is wrong.
    """
    with open_archive(ctx) as archive, archive.writing():  # no add half-way through
        report = run_fsck(archive, Quiet() if as_json else Bars(), sample=sample, workers=workers)
        archive.log.checkpoint()  # sign the tree that now holds the fixity results
    if as_json:
        emit_json(report.as_json())
    else:
        for d in report.problems:
            if d.status == "unexpected":
                click.echo(d.line(), err=True)
        scope = "sampled" if report.sampled else "all"
        click.echo(
            f"fsck ({scope}): {report.checked} items checked, {human_bytes(report.bytes)},"
            f" {report.ok} ok, {len(report.problems)} problems"
        )
        if report.problems:
            click.echo(
                "Damaged or missing originals: restore them from a backup or ask the"
                " contributors listed for their copy, then run fsck again.",
                err=True,
            )
    ctx.exit(0 if report.clean else 3)


COMMANDS = [fsck]
