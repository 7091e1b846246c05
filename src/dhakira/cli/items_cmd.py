"""dhakira ls · show · stats"""

from __future__ import annotations

import click

from dhakira.cli.common import open_archive
from dhakira.cli.output import emit_json, human_bytes, json_option
from dhakira.model import ItemDetail


@click.command(name="ls")
@click.option("--contributor", help="Only items this contributor gave.")
@click.option("--collection", help="Only items in this collection.")
@click.option("--type", "mime", help="Only items whose type starts with this (image, video/mp4).")
@click.option("--limit", type=int, help="At most this many items.")
@json_option
@click.pass_context
def ls(
    ctx: click.Context,
    contributor: str | None,
    collection: str | None,
    mime: str | None,
    limit: int | None,
    as_json: bool,
) -> None:
    """List items: short id, type, size, number of contributions, a name."""
    with open_archive(ctx, readonly=True) as archive:
        items = archive.items(
            contributor=contributor, collection=collection, mime_prefix=mime, limit=limit
        )
    if as_json:
        emit_json([i.as_json() for i in items])
        return
    for i in items:
        click.echo(
            f"{i.short_id:<10} {i.mime:<28} {human_bytes(i.size):>9} {i.contributions:>3}× {i.name}"
        )


@click.command()
@click.argument("item")
@json_option
@click.pass_context
def show(ctx: click.Context, item: str, as_json: bool) -> None:
    """Everything known about ITEM (a short id or SHA-256): contributions and metadata."""
    with open_archive(ctx, readonly=True) as archive:
        detail = archive.show(item)
    if as_json:
        emit_json(detail.as_json())
    else:
        _print_detail(detail)


def _print_detail(d: ItemDetail) -> None:
    i = d.item
    click.echo(f"item      {i.short_id}")
    click.echo(f"sha256    {i.sha256}")
    click.echo(f"type      {i.mime}")
    click.echo(f"size      {i.size} bytes ({human_bytes(i.size)})")
    click.echo(f"added     {i.added_at}")
    if d.fixity:
        click.echo(
            f"fixity    {d.fixity['last_status']} at {d.fixity['last_checked_at']}"
            f" (last good: {d.fixity['last_ok_at'] or 'never'})"
        )
    click.echo(f"\ncontributions ({len(d.contributions)}):")
    for c in d.contributions:
        click.echo(f"  #{c.id} {c.contributor}" + (f" · {c.collection}" if c.collection else ""))
        click.echo(f"      path      {c.display_path}")
        click.echo(
            f"      modified  {c.mtime or '?'}   received {c.received_at}   batch {c.batch_id}"
        )
        if c.parent_sha256:
            click.echo(f"      inside    archive item {c.parent_sha256[:12]}")
        if c.note:
            click.echo(f"      note      {c.note}")
        if c.restriction:
            click.echo(f"      restricted {c.restriction}")
    if d.properties:
        click.echo("\nmetadata:")
        for key, value in d.properties.items():
            click.echo(f"  {key:<19} {value}")
    for out in d.tool_outputs:
        state = f"error: {out['error']}" if out["error"] else "ok"
        click.echo(f"  [{out['tool']} {out['version']}: {state}]")
    if d.members:
        click.echo(f"\nmembers ({len(d.members)}):")
        for m in d.members:
            click.echo(f"  {m.short_id:<10} {m.mime:<28} {m.name}")


@click.command()
@json_option
@click.pass_context
def stats(ctx: click.Context, as_json: bool) -> None:
    """Counts: items, bytes, types, contributors, collections, fixity."""
    with open_archive(ctx, readonly=True) as archive:
        s = archive.stats()
    if as_json:
        emit_json(s)
        return
    click.echo(
        f"{s['items']} items, {human_bytes(s['bytes'])}, {s['contributions']} contributions"
        f" ({s['items_with_several_contributions']} items given more than once)"
    )
    for t, v in s["by_type"].items():
        click.echo(f"  {t:<12} {v['items']:>7} items  {human_bytes(v['bytes']):>9}")
    click.echo("contributors:")
    for name, v in s["contributors"].items():
        click.echo(f"  {name:<24} {v['contributions']:>7} contributions  {v['items']:>7} items")
    if s["collections"]:
        click.echo("collections:")
        for name, n in s["collections"].items():
            click.echo(f"  {name:<24} {n:>7} items")
    click.echo(
        f"metadata: {s['metadata_failed']} items with tool errors, {s['undecodable']} that do not"
        f" decode fully (damaged or truncated?), {s['metadata_pending']} pending"
    )
    click.echo(
        f"fixity: {s['fixity_checked']} items checked, {s['fixity_problems']} with problems,"
        f" oldest good check {s['fixity_oldest_ok'] or 'never'}"
    )


COMMANDS = [ls, show, stats]
