"""dhakira log … and dhakira verify-proof"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from dhakira.cli.common import open_archive
from dhakira.cli.output import Bars, emit_json, json_option
from dhakira.custody.audit import verify_log
from dhakira.custody.consistency import HEADER as CONSISTENCY_HEADER
from dhakira.custody.consistency import check_consistency
from dhakira.custody.log import verifier
from dhakira.custody.note import NoteError
from dhakira.custody.proofcheck import check_proof
from dhakira.progress import Quiet


@click.group()
def log() -> None:
    """The custody log: checkpoints, proofs, verification, keys."""


@log.command()
@json_option
@click.pass_context
def checkpoint(ctx: click.Context, as_json: bool) -> None:
    """Sign a checkpoint of the log as it stands (refused if inconsistent with an earlier one)."""
    with open_archive(ctx) as archive, archive.writing():
        cp = archive.log.checkpoint()
    if as_json:
        emit_json(cp.as_json())
    else:
        click.echo(cp.note, nl=False)
        click.echo(f"checkpoint #{cp.id}: {cp.size} events" + ("" if cp.new else " (unchanged)"))


@log.command()
@click.argument("item")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the proof here (default: ITEM.proof in the current folder).",
)
@json_option
@click.pass_context
def prove(ctx: click.Context, item: str, output: Path | None, as_json: bool) -> None:
    """Write a self-contained proof of ITEM's custody events, checkable offline."""
    with open_archive(ctx) as archive, archive.writing():
        sha = archive.catalog.resolve(item)["sha256"]
        text = archive.log.prove(sha)
    path = output or Path(f"{sha[:12]}.proof")
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    events = text.count("\nevent ")
    if as_json:
        emit_json({"item": sha, "proof": str(path), "events": events})
    else:
        click.echo(f"wrote {path}: {events} events of item {sha[:12]}")
        click.echo(f'check it with: dhakira verify-proof {path} --key "$(dhakira log key)"')


@log.command()
@json_option
@click.pass_context
def checkpoints(ctx: click.Context, as_json: bool) -> None:
    """List the signed checkpoints."""
    with open_archive(ctx, readonly=True) as archive:
        cps = archive.log.checkpoints()
    if as_json:
        emit_json([c.as_json() for c in cps])
        return
    for c in cps:
        click.echo(f"#{c.id:<5} {c.size:>10} events  {c.created_at}  {c.key.split('+')[1]}")


@log.command()
@click.argument("old", type=int, required=False)
@click.argument("new", type=int, required=False)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default="consistency.proof",
    show_default=True,
)
@click.pass_context
def consistency(ctx: click.Context, old: int | None, new: int | None, output: Path) -> None:
    """Prove that checkpoint NEW contains checkpoint OLD (default: the first and the latest)."""
    with open_archive(ctx, readonly=True) as archive:
        text = archive.log.consistency(old, new)
    output.write_text(text, encoding="utf-8")
    click.echo(f"wrote {output}: check it with dhakira verify-proof {output} --key PUBKEY")


@log.command(name="verify")
@json_option
@click.pass_context
def verify_cmd(ctx: click.Context, as_json: bool) -> None:
    """Recompute the whole log and check it against every checkpoint. Exits 3 on a problem."""
    with open_archive(ctx, readonly=True) as archive:
        report = verify_log(archive.catalog.conn, Quiet() if as_json else Bars())
    if as_json:
        emit_json(report.as_json())
    else:
        for line in report.problems:
            click.echo(line, err=True)
        if report.ok:
            click.echo(f"log OK: {report.events} events, {report.checkpoints} checkpoints")
        else:
            click.echo(f"log DAMAGED: first bad index {report.first_bad_index}", err=True)
    ctx.exit(0 if report.ok else 3)


@log.command()
@click.option("--all", "show_all", is_flag=True, help="Every key the log has used.")
@json_option
@click.pass_context
def key(ctx: click.Context, show_all: bool, as_json: bool) -> None:
    """Print the log's public (verifier) key — give it to whoever checks your proofs."""
    with open_archive(ctx, readonly=True) as archive:
        vkey = archive.log.vkey()
        keys = archive.log.keys()
    if as_json:
        emit_json(
            {
                "key": vkey,
                "keys": [{"key": k, "created_at": c, "retired_at": r} for k, c, r in keys],
            }
        )
    elif show_all:
        for k, c, r in keys:
            click.echo(f"{k}  created {c}" + (f"  retired {r}" if r else "  (current)"))
    else:
        click.echo(vkey)


@log.command(name="rotate-key")
@json_option
@click.pass_context
def rotate_key(ctx: click.Context, as_json: bool) -> None:
    """Replace the signing key; the old key endorses the new one in the log."""
    with open_archive(ctx) as archive, archive.writing():
        old, new = archive.log.rotate_key()
    if as_json:
        emit_json({"old": old, "new": new})
    else:
        click.echo(f"old key: {old}\nnew key: {new}\nGive the new key to those who check proofs.")


@log.command()
@click.option(
    "--tsa",
    "urls",
    multiple=True,
    metavar="URL",
    help="A time-stamp authority (RFC 3161); repeat for several."
    " Default: [custody] tsa in archive.toml.",
)
@click.option(
    "--verify",
    "cert",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Instead: check every stored time-stamp offline against this TSA certificate (PEM).",
)
@json_option
@click.pass_context
def timestamp(ctx: click.Context, urls: tuple[str, ...], cert: Path | None, as_json: bool) -> None:
    """Have the latest checkpoint time-stamped by trusted time-stamp authorities."""
    with open_archive(ctx) as archive, archive.writing():
        if cert is not None:
            results = archive.log.verify_timestamps(cert.read_bytes())
            bad = [r for r in results if r["error"]]
            if as_json:
                emit_json({"timestamps": results, "ok": not bad})
            else:
                for r in results:
                    state = r["error"] or f"OK, time {r['gen_time']}"
                    click.echo(f"checkpoint #{r['checkpoint']} {r['tsa_url']}: {state}")
            ctx.exit(3 if bad else 0)
        configured = archive.config.get("custody", {}).get("tsa", [])
        chosen = list(urls) or [str(u) for u in configured]
        if not chosen:
            raise click.UsageError(
                'no time-stamp authority: pass --tsa URL or set `tsa = ["https://…"]` under'
                " [custody] in archive.toml"
            )
        cp, tokens, errors = archive.log.timestamp(chosen)
    if as_json:
        emit_json(
            {
                "checkpoint": cp.id,
                "size": cp.size,
                "errors": errors,
                "tokens": [{"tsa_url": t.tsa_url, "gen_time": t.gen_time} for t in tokens],
            }
        )
    else:
        for t in tokens:
            click.echo(
                f"checkpoint #{cp.id} ({cp.size} events) time-stamped by {t.tsa_url}"
                f" at {t.gen_time}"
            )
        for e in errors:
            click.echo(f"error: {e}", err=True)
    ctx.exit(1 if errors else 0)


@click.command(name="verify-proof")
@click.argument("proof", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--key", "key_", required=True, help="The log's verifier key, or a file with it.")
@json_option
@click.pass_context
def verify_proof(ctx: click.Context, proof: Path, key_: str, as_json: bool) -> None:
    """Check a proof file offline, with nothing but the file and the log's key. Exits 3 if bad."""
    try:
        vkey = verifier(key_)
    except NoteError as exc:
        raise click.BadParameter(f"not a verifier key or a file holding one: {exc}") from exc
    try:
        text = proof.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise click.FileError(str(proof), f"cannot read it: {exc}") from exc
    if text.startswith(CONSISTENCY_HEADER):
        ok, problems, old, new = check_consistency(text, vkey)
        if as_json:
            emit_json({"ok": ok, "problems": problems, "old_size": old, "new_size": new})
        else:
            for p in problems:
                click.echo(p, err=True)
            if ok:
                click.echo(
                    f"VERIFIED: the log of {new} events contains the log of {old}, unchanged"
                )
            else:
                click.echo("NOT VERIFIED", err=True)
        ctx.exit(0 if ok else 3)
    report = check_proof(text, vkey)
    if as_json:
        emit_json(
            {
                "ok": report.ok,
                "item": report.item,
                "problems": report.problems,
                "checkpoint_size": report.checkpoint.size if report.checkpoint else None,
                "events": [
                    {"index": e.index, "type": e.type, "at": e.at, "ok": e.ok, "problem": e.problem}
                    for e in report.events
                ],
            }
        )
    else:
        for e in report.events:
            click.echo(
                f"  {'OK  ' if e.ok else 'FAIL'} event {e.index} {e.type} {e.at}"
                + (f" — {e.problem}" if e.problem else "")
            )
        for p in report.problems:
            click.echo(p, err=True)
        size = report.checkpoint.size if report.checkpoint else "?"
        verdict = "VERIFIED" if report.ok else "NOT VERIFIED"
        click.echo(
            f"{verdict}: item {report.item}, {len(report.events)} events,"
            f" checkpoint of {size} events"
        )
    sys.stdout.flush()
    ctx.exit(0 if report.ok else 3)


COMMANDS = [log, verify_proof]
