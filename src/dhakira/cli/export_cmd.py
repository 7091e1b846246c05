"""dhakira export bag|public|csv|jsonl · verify-bag · publish · contributor public-name"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from dhakira.cli.common import open_archive
from dhakira.cli.output import Bars, emit_json, human_bytes, json_option
from dhakira.custody.log import verifier
from dhakira.custody.note import NoteError
from dhakira.export import opendata, record
from dhakira.export.bag import BagInfo, write_bag
from dhakira.export.public import ANONYMOUS, mark_public, publishable, set_public_name
from dhakira.export.selection import Selection, select
from dhakira.export.site import write_public
from dhakira.export.staging import check_destination, io_error
from dhakira.export.verify import verify_bag
from dhakira.progress import Quiet

F = TypeVar("F", bound=Callable[..., Any])


def selection_options(f: F) -> F:
    f = click.option("--all", "everything", is_flag=True, help="Every item.")(f)
    f = click.option("--contributor", help="Items this contributor gave.")(f)
    f = click.option("--collection", help="Items in this collection.")(f)
    f = click.option(
        "-q", "--query", help="Items matching this search (the language of `dhakira search`)."
    )(f)
    return f


def _selection(items: tuple[str, ...], kw: dict[str, Any]) -> Selection:
    return Selection(
        ids=items,
        query=kw.pop("query"),
        collection=kw.pop("collection"),
        contributor=kw.pop("contributor"),
        everything=kw.pop("everything"),
    )


@click.group()
def export() -> None:
    """Hand items over: a court package, a public website, open data.

    SELECTION is item ids and/or --query, --collection, --contributor (all must match), or --all.
    """


@export.command()
@click.argument("items", nargs=-1)
@click.argument("out", type=click.Path(path_type=Path))
@selection_options
@click.option("--organization", help="Source-Organization (default: [export] in archive.toml).")
@click.option("--contact-name", help="Contact-Name for bag-info.txt.")
@click.option("--contact-email", help="Contact-Email for bag-info.txt.")
@click.option("--external-identifier", help="Your reference for this package.")
@click.option("--description", help="External-Description: what the package holds and why.")
@click.option("--recipient", help="Who receives it (recorded in the package and the log).")
@click.option("--tsa", multiple=True, help="Time-stamp the export's checkpoint with this TSA.")
@json_option
@click.pass_context
def bag(ctx: click.Context, /, items: tuple[str, ...], out: Path, as_json: bool, **kw: Any) -> None:
    """Write a court package (BagIt) of SELECTION to OUT, checkable with verify-bag."""
    sel = _selection(items, kw)
    tsa = kw.pop("tsa")
    with open_archive(ctx) as archive:
        info = BagInfo.from_config(archive.config, **kw)
        result = write_bag(
            archive, sel, out, info, tsa=tsa, progress=Quiet() if as_json else Bars()
        )
        key = archive.log.vkey()
    if as_json:
        emit_json(result.as_json())
        return
    click.echo(
        f"wrote {out}: {result.items} items ({human_bytes(result.bytes)}), proofs against a"
        f" checkpoint of {result.checkpoint_size} events, {result.timestamps} time-stamps"
    )
    click.echo(f"manifest-sha256.txt SHA-256 {result.manifest_sha256} (export {result.export_id})")
    click.echo(f'the recipient checks it with: dhakira verify-bag {out} --key "{key}"')


@export.command()
@click.argument("items", nargs=-1)
@click.argument("out", type=click.Path(path_type=Path))
@selection_options
@click.option("--title", default="أرشيف — Archive", show_default=True, help="The site's title.")
@json_option
@click.pass_context
def public(
    ctx: click.Context, /, items: tuple[str, ...], out: Path, title: str, as_json: bool, **kw: Any
) -> None:
    """Write a static website of the items of SELECTION marked public, metadata removed."""
    sel = _selection(items, kw)
    with open_archive(ctx) as archive:
        result = write_public(
            archive, sel, out, title=title, progress=Quiet() if as_json else Bars()
        )
    if as_json:
        emit_json(result.as_json())
        return
    click.echo(f"wrote {out}: {result.published} items; open {out / 'index.html'}")
    reasons: dict[str, list[str]] = {}
    for sha, why in result.left_out.items():
        reasons.setdefault(why, []).append(sha[:12])
    for why, shas in reasons.items():
        more = f" and {len(shas) - 10} more" if len(shas) > 10 else ""
        click.echo(f"  left out ({why}): {', '.join(shas[:10])}{more}", err=True)


def _table_command(fmt: str) -> click.Command:
    @click.argument("items", nargs=-1)
    @selection_options
    @click.option(
        "-o", "--output", type=click.Path(path_type=Path), help="Write here (default: stdout)."
    )
    @json_option
    @click.pass_context
    def command(
        ctx: click.Context,
        /,
        items: tuple[str, ...],
        output: Path | None,
        as_json: bool,
        table: str = "items",
        **kw: Any,
    ) -> None:
        sel = _selection(items, kw)
        with open_archive(ctx) as archive, archive.writing():
            chosen = select(archive.catalog, sel)
            dest = str(output.resolve()) if output else "stdout"
            export_id = record.start(archive.catalog, fmt, dest, sel, len(chosen))
            if output is None:
                rows = opendata.write_table(archive.catalog, chosen, sys.stdout, fmt, table)
                digest = None
            else:
                rows, digest = _write_file(archive, chosen, output, fmt, table)
            record.finish(archive.catalog, export_id, digest, rows=rows, table=table)
        if as_json and output is not None:
            emit_json({"export_id": export_id, "path": str(output), "rows": rows})
        elif output is not None:
            click.echo(f"wrote {output}: {rows} rows")

    if fmt == "csv":
        command = click.option(
            "--table",
            type=click.Choice(["items", "contributions"]),
            default="items",
            show_default=True,
            help="One row per item (with its metadata) or per contribution.",
        )(command)
    command.__doc__ = (
        f"Write SELECTION as {'CSV' if fmt == 'csv' else 'JSON Lines'} (columns: docs/opendata.md)."
    )
    return click.command(name=fmt)(command)


def _write_file(archive: Any, chosen: Any, output: Path, fmt: str, table: str) -> tuple[int, str]:
    import hashlib

    check_destination(output)
    fd, tmp = tempfile.mkstemp(prefix=output.name + ".partial-", dir=output.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            rows = opendata.write_table(archive.catalog, chosen, f, fmt, table)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.rename(tmp, output)
    except OSError as exc:
        os.unlink(tmp)
        raise io_error(exc, f"writing {output}") from exc
    except BaseException:
        os.unlink(tmp)
        raise
    return rows, hashlib.sha256(output.read_bytes()).hexdigest()


export.add_command(_table_command("csv"))
export.add_command(_table_command("jsonl"))


@click.command(name="verify-bag")
@click.argument("path", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--key", "key_", required=True, help="The log's verifier key, or a file with it.")
@click.option(
    "--tsa-cert",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The time-stamp authority's certificate (PEM), to check time-stamp signatures.",
)
@json_option
@click.pass_context
def verify_bag_cmd(
    ctx: click.Context, path: Path, key_: str, tsa_cert: Path | None, as_json: bool
) -> None:
    """Check a court package offline with the log's key: per item OK or what failed. Exits 3
    if anything is wrong. Needs no archive."""
    try:
        vkey = verifier(key_)
    except NoteError as exc:
        raise click.BadParameter(f"not a verifier key or a file holding one: {exc}") from exc
    pem = tsa_cert.read_bytes() if tsa_cert else None
    report = verify_bag(path, vkey, tsa_certificate_pem=pem)
    if as_json:
        emit_json(report.as_json())
        ctx.exit(0 if report.ok else 3)
    for item in report.items:
        if item.ok:
            click.echo(f"  OK    {item.sha256[:16]}  {item.events} events")
        else:
            click.echo(f"  FAIL  {item.sha256[:16]}  " + "; ".join(item.problems))
    for t in report.timestamps:
        click.echo(f"  {'OK  ' if t['ok'] else 'FAIL'}  time-stamp {t['file']} {t['gen_time']}")
    for p in report.problems:
        click.echo(f"  FAIL  {p}")
    for n in report.notes:
        click.echo(f"  note: {n}")
    bad = sum(1 for i in report.items if not i.ok)
    if report.ok:
        click.echo(
            f"VERIFIED: {len(report.items)} items, checkpoint of {report.checkpoint_size} events"
        )
    else:
        click.echo(
            f"NOT VERIFIED: {bad} of {len(report.items)} items failed,"
            f" {len(report.problems)} problems with the bag as a whole"
        )
    sys.stdout.flush()
    ctx.exit(0 if report.ok else 3)


@click.command()
@click.argument("items", nargs=-1)
@click.option("--collection", help="Mark a whole collection (its items, now and later).")
@click.option("--undo", is_flag=True, help="Withdraw the mark instead.")
@json_option
@click.pass_context
def publish(
    ctx: click.Context, items: tuple[str, ...], collection: str | None, undo: bool, as_json: bool
) -> None:
    """Mark ITEMS (or a --collection) as public: only these can be released publicly."""
    with open_archive(ctx) as archive, archive.writing():
        changes = mark_public(archive.catalog, items, collection, undo=undo)
        archive.log.checkpoint()
        ids = [int(archive.catalog.resolve(i)["id"]) for i in items]
        _, refused = publishable(archive.catalog, ids)
    if not undo and refused:
        click.echo(
            f"note: {len(refused)} of these items will still not be released:"
            " a contributor restricted sharing",
            err=True,
        )
    if as_json:
        emit_json([c.as_json() for c in changes])
        return
    verb = "withdrawn from public" if undo else "marked public"
    for c in changes:
        name = c.name[:12] if c.what == "item" else c.name
        click.echo(f"{c.what} {name}: {verb if c.changed else 'unchanged'}")


@click.group()
def contributor() -> None:
    """Contributors: what each agreed to have shown publicly."""


@contributor.command(name="public-name")
@click.argument("name")
@click.argument("shown", required=False)
@click.option("--clear", is_flag=True, help=f'Show no name ("{ANONYMOUS}").')
@json_option
@click.pass_context
def public_name(
    ctx: click.Context, name: str, shown: str | None, clear: bool, as_json: bool
) -> None:
    """Set the name NAME agreed to have shown in public releases (SHOWN), or --clear it."""
    if (shown is None) == (not clear):
        raise click.UsageError("give the name to show, or --clear (not both)")
    with open_archive(ctx) as archive, archive.writing():
        set_public_name(archive.catalog, name, None if clear else shown)
        archive.log.checkpoint()
    if as_json:
        emit_json({"contributor": name, "public_name": None if clear else shown})
    else:
        click.echo(f"{name} is shown publicly as: {shown if shown else ANONYMOUS}")


COMMANDS = [export, verify_bag_cmd, publish, contributor]
