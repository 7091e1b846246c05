"""dhakira similar · groups · link confirm|reject · derive"""

from __future__ import annotations

import os
from pathlib import Path

import click

from dhakira.cli.common import open_archive
from dhakira.cli.output import Bars, emit_json, json_option
from dhakira.ingest.derive import derive_all_pending
from dhakira.progress import Quiet
from dhakira.search.index import index_pending
from dhakira.similar import api
from dhakira.similar.groups import Group


def _where(n: api.Neighbour) -> str:
    if n.offset_s is None:
        return ""
    if n.method == "frame":
        return f"  frame at {n.offset_s:.1f} s"
    if n.offset_s >= 0:
        return f"  starts {n.offset_s:.1f} s into it"
    return f"  it starts {-n.offset_s:.1f} s into this"


@click.command()
@click.argument("target")
@json_option
@click.pass_context
def similar(ctx: click.Context, target: str, as_json: bool) -> None:
    """Near-duplicates of an ITEM (id or prefix), or of a FILE not in the archive.

    A file is compared without being added. Links are listed with how they were found, their
    score (1 = identical picture), and for video where one copy starts in the other.
    """
    with open_archive(ctx, readonly=True) as archive:
        state = None
        if os.path.isfile(target):
            sha, found = api.compare_file(archive, Path(target))
            if sha is not None:
                state = api.signature_state(archive, api.item_id(archive, sha))
        else:
            sha = archive.catalog.resolve(target)["sha256"]
            found = api.near_duplicates(archive, sha)
            state = api.signature_state(archive, api.item_id(archive, sha))
        short = {n.sha256: archive.catalog.short_id(n.sha256) for n in found}
    if as_json:
        emit_json(
            {
                "item": sha,
                "signature": state,
                "similar": [dict(n.as_json(), short_id=short[n.sha256]) for n in found],
            }
        )
        return
    if sha is not None and state is None:
        click.echo("no signature yet for this item: run `dhakira derive`")
    elif state is not None and state["error"]:
        click.echo(f"not compared: {state['error']}")
    elif state is not None and state["note"]:
        click.echo(f"note: {state['note']}")
    if not found:
        click.echo("no near-duplicates found")
    for n in found:
        score = f"{n.score:.2f}" if n.score is not None else "  - "
        click.echo(
            f"{short[n.sha256]:<10} {n.mime:<18} {n.method:<14} {score}  {n.status}{_where(n)}"
        )


def _show_group(number: int, g: Group, short: dict[str, str]) -> None:
    click.echo(f"group {number}: {len(g.members)} copies")
    for m in g.members:
        marks = []
        if m.sha256 == g.earliest.sha256:
            marks.append("earliest")
        if m.sha256 == g.best.sha256:
            marks.append("best quality")
        size = f"{m.width}×{m.height}" if m.width and m.height else ""
        when = (m.captured_at or m.first_seen or "")[:19]
        tag = f"  [{', '.join(marks)}]" if marks else ""
        click.echo(f"  {short[m.sha256]:<10} {m.mime:<16} {size:<11} {when:<19} {m.name}{tag}")


@click.command()
@json_option
@click.pass_context
def groups(ctx: click.Context, as_json: bool) -> None:
    """Groups of copies of the same picture or footage, each with its earliest and best copy."""
    with open_archive(ctx, readonly=True) as archive:
        found = api.groups(archive)
        short = {m.sha256: archive.catalog.short_id(m.sha256) for g in found for m in g.members}
    if as_json:
        emit_json({"groups": [g.as_json() for g in found]})
        return
    if not found:
        click.echo("no groups: no near-duplicates are linked (run `dhakira derive` first?)")
    for number, g in enumerate(found, 1):
        _show_group(number, g, short)


@click.group()
def link() -> None:
    """Confirm or reject the link between two items (kept through later runs)."""


def _decide(ctx: click.Context, a: str, b: str, status: str, as_json: bool) -> None:
    with open_archive(ctx) as archive, archive.writing():
        before = api.set_link(archive, a, b, status)
        archive.log.checkpoint()
    if as_json:
        emit_json({"a": a, "b": b, "status": status, "previous": before})
    else:
        click.echo(f"link {a} – {b}: {status} (was {before})")


@link.command()
@click.argument("a")
@click.argument("b")
@json_option
@click.pass_context
def confirm(ctx: click.Context, a: str, b: str, as_json: bool) -> None:
    """Confirm that items A and B are copies of the same picture or footage."""
    _decide(ctx, a, b, "confirmed", as_json)


@link.command()
@click.argument("a")
@click.argument("b")
@json_option
@click.pass_context
def reject(ctx: click.Context, a: str, b: str, as_json: bool) -> None:
    """Reject the link between items A and B: later runs will not link them again."""
    _decide(ctx, a, b, "rejected", as_json)


@click.command()
@json_option
@click.pass_context
def derive(ctx: click.Context, as_json: bool) -> None:
    """Compute what is missing for existing items: metadata, similarity signatures and links."""
    progress = Quiet() if as_json else Bars()
    with open_archive(ctx) as archive, archive.writing():
        metadata, summary = derive_all_pending(archive, progress)
        index_pending(archive.catalog.conn, progress)
        archive.log.checkpoint()
    if as_json:
        emit_json({"metadata": metadata, **summary.as_json()})
        return
    click.echo(
        f"metadata: {metadata} items; similarity: {summary.signed} signed,"
        f" {summary.failed} without signature, {summary.links} new links"
    )
    if summary.links:
        click.echo("see them with `dhakira groups`")


COMMANDS = [similar, groups, link, derive]
