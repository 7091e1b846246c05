"""The court package: a BagIt bag (RFC 8493) anyone can check with the log's public key.

Layout (all under ``data/``, so that the payload manifests cover it)::

    index.html                 what is inside, readable offline in any browser
    README.txt                 how to check the package
    bagit-profile.json         the profile this bag follows (docs/bagit-profile.json)
    items.csv                  one row per item (docs/opendata.md columns)
    contributions.csv          one row per contribution
    items/<sha256>/original.<ext>     the original, byte for byte
    items/<sha256>/item.json          its metadata, tool output, fixity and contributions
    items/<sha256>/contributions.csv  its contributions
    items/<sha256>/custody.proof      every custody event about it, with inclusion proofs
    custody/checkpoint.txt     the signed checkpoint all proofs lead to (taken at export)
    custody/log.pub            the log's verifier key (check it against one you got separately)
    custody/timestamps/checkpoint.<n>.tsr      RFC 3161 tokens of that checkpoint, if any
    custody/checkpoints/<id>.txt, <id>.consistency, timestamps/<id>.<n>.tsr
                               earlier time-stamped checkpoints, with consistency proofs
                               showing the export checkpoint extends them

Each item's ``item.exported`` event (in its proof) records the SHA-256 of its metadata files,
so metadata cannot be changed even by someone who recomputes the manifests. The export is
recorded as ``export.finished`` with the SHA-256 of ``manifest-sha256.txt``.
"""

from __future__ import annotations

import json
import mimetypes
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import bagit

from dhakira import __version__
from dhakira.archive import Archive
from dhakira.custody.log import CheckpointRecord
from dhakira.errors import InputError, IntegrityError
from dhakira.export import html, opendata, record
from dhakira.export.selection import Selection, select
from dhakira.export.staging import Staging, io_error, staging
from dhakira.model import ItemDetail
from dhakira.progress import Progress, Quiet
from dhakira.timeutil import utcnow

PROFILE_ID = "urn:x-dhakira:bagit-profile:court-package:v1"
PROFILE_FILE = Path(__file__).with_name("bagit-profile.json")
ALGORITHMS = ("sha256", "sha512")
METADATA_FILES = ("item.json", "contributions.csv")
_SAFE_EXT = re.compile(r"\.[A-Za-z0-9]{1,10}")


@dataclass(frozen=True)
class BagInfo:
    organization: str
    description: str | None = None
    contact_name: str | None = None
    contact_email: str | None = None
    external_identifier: str | None = None
    recipient: str | None = None

    @classmethod
    def from_config(cls, config: dict[str, Any], **given: str | None) -> BagInfo:
        """Options given on the command line, else ``[export]`` in archive.toml."""
        section = config.get("export", {})
        values = {k: given.get(k) or section.get(k) for k in cls.__dataclass_fields__}
        if not values["organization"]:
            raise InputError(
                "a court package names its source organisation: pass --organization NAME"
                ' or set organization = "…" under [export] in archive.toml'
            )
        rest = {k: (str(v) if v else None) for k, v in values.items() if k != "organization"}
        return cls(str(values["organization"]), **rest)


@dataclass
class BagResult:
    export_id: str
    path: Path
    items: int
    bytes: int
    checkpoint_size: int
    manifest_sha256: str
    timestamps: int
    problems: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {**self.__dict__, "path": str(self.path)}


def original_name(d: ItemDetail) -> str:
    """``original`` plus an extension a viewer understands (never a contributor's name)."""
    for c in d.contributions:
        suffix = Path(c.original_name.decode("utf-8", "replace")).suffix
        if _SAFE_EXT.fullmatch(suffix):
            return "original" + suffix.lower()
    return "original" + (mimetypes.guess_extension(d.item.mime) or ".bin")


def write_bag(
    archive: Archive,
    sel: Selection,
    out: Path,
    info: BagInfo,
    *,
    tsa: Sequence[str] = (),
    progress: Progress | None = None,
) -> BagResult:
    progress = progress or Quiet()
    catalog, log = archive.catalog, archive.log
    with archive.writing():
        items = select(catalog, sel)
        destination = str(out.resolve())
        export_id = record.start(catalog, "bag", destination, sel, len(items))
        problems: list[str] = []
        with staging(out) as st:
            progress.begin("copying", len(items), sum(i.size for i in items))
            details: list[tuple[ItemDetail, str]] = []
            for d in opendata.details(catalog, items):
                name = original_name(d)
                details.append((d, name))
                _copy_original(archive, st, d.item.sha256, name)
                _write_metadata(st, d)
                progress.advance(1, d.item.size)
            progress.end()
            with catalog.transaction():
                for d, _name in details:
                    sha = d.item.sha256
                    files = {f: st.files[f"data/items/{sha}/{f}"].sha256 for f in METADATA_FILES}
                    catalog.event(
                        "item.exported",
                        sha,
                        export=export_id,
                        kind="bag",
                        destination=destination,
                        files=files,
                    )
            if tsa:
                cp, _tokens, problems = log.timestamp(tsa)
                for line in problems:
                    progress.problem(f"time-stamp: {line}", error=False)
            else:
                cp = log.checkpoint()
            progress.begin("proving", len(details))
            for d, _name in details:
                st.write(f"data/items/{d.item.sha256}/custody.proof", log.prove(d.item.sha256, cp))
                progress.advance()
            progress.end()
            stamps = _write_custody(archive, st, cp)
            _write_overview(st, details, export_id, cp, info, archive.config)
            manifest = _finish_bag(st, info, export_id, archive.config, cp)
        total = sum(d.item.size for d, _ in details)
        record.finish(
            catalog,
            export_id,
            manifest,
            checkpoint_size=cp.size,
            organization=info.organization,
            recipient=info.recipient,
        )
        log.checkpoint()
    return BagResult(export_id, out, len(details), total, cp.size, manifest, stamps, problems)


def _copy_original(archive: Archive, st: Staging, sha: str, name: str) -> None:
    src = archive.store.path(sha)
    try:
        digests = st.copy(f"data/items/{sha}/{name}", src)
    except FileNotFoundError as exc:  # only the source can be missing: the folder is ours
        raise IntegrityError(
            f"the original of item {sha[:12]} is missing from the archive: run `dhakira fsck`"
        ) from exc
    except OSError as exc:  # reading the original (writing errors are StoreErrors already)
        raise io_error(exc, f"reading the original of item {sha[:12]}") from exc
    if digests.sha256 != sha:
        raise IntegrityError(
            f"the original of item {sha[:12]} is damaged in the archive (its SHA-256 is now"
            f" {digests.sha256[:12]}…): run `dhakira fsck`; nothing was exported"
        )


def _write_metadata(st: Staging, d: ItemDetail) -> None:
    base = f"data/items/{d.item.sha256}"
    st.write(f"{base}/item.json", _json(d.as_json()))
    rows = [opendata.contribution_row(d.item.sha256, c) for c in d.contributions]
    st.write(f"{base}/contributions.csv", opendata.csv_text(opendata.CONTRIBUTION_COLUMNS, rows))


def _json(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def _write_custody(archive: Archive, st: Staging, cp: CheckpointRecord) -> int:
    """The checkpoint, the key, time-stamp tokens and earlier time-stamped checkpoints."""
    st.write("data/custody/checkpoint.txt", cp.note)
    st.write("data/custody/log.pub", cp.key + "\n")
    conn = archive.catalog.conn
    n = 0
    rows = conn.execute(
        "SELECT t.checkpoint_id, t.token, c.note, c.key, c.size FROM timestamps t"
        " JOIN checkpoints c ON c.id = t.checkpoint_id ORDER BY t.rowid"
    ).fetchall()
    count: dict[int, int] = {}
    for cid, token, note, key, size in rows:
        count[cid] = count.get(cid, 0) + 1
        if cid == cp.id:
            st.write(f"data/custody/timestamps/checkpoint.{count[cid]}.tsr", bytes(token))
        elif key == cp.key and size <= cp.size:  # provable: same key, an earlier tree
            st.write(f"data/custody/checkpoints/{cid}.txt", note)
            if f"data/custody/checkpoints/{cid}.consistency" not in st.files:
                proof = archive.log.consistency(cid, cp.id) if size < cp.size else ""
                st.write(f"data/custody/checkpoints/{cid}.consistency", proof)
            st.write(f"data/custody/timestamps/{cid}.{count[cid]}.tsr", bytes(token))
        else:
            continue
        n += 1
    return n


def _write_overview(
    st: Staging,
    details: list[tuple[ItemDetail, str]],
    export_id: str,
    cp: CheckpointRecord,
    info: BagInfo,
    config: dict[str, Any],
) -> None:
    st.write("data/bagit-profile.json", PROFILE_FILE.read_bytes())
    ds = [d for d, _ in details]
    st.write("data/items.csv", opendata.csv_text(opendata.ITEM_COLUMNS, map(opendata.item_row, ds)))
    st.write(
        "data/contributions.csv",
        opendata.csv_text(
            opendata.CONTRIBUTION_COLUMNS,
            (opendata.contribution_row(d.item.sha256, c) for d in ds for c in d.contributions),
        ),
    )
    st.write("data/README.txt", README.format(export=export_id, size=cp.size, key=cp.key))
    rows = []
    for d, name in details:
        sha = d.item.sha256
        contributors = ", ".join(sorted({c.contributor for c in d.contributions}))
        rows.append(
            [
                f'<a class="mono" href="items/{sha}/{name}">{sha[:12]}</a>',
                html.e(d.item.mime),
                html.e(f"{d.item.size:,}"),
                html.e(d.item.name),
                html.e(contributors),
                html.e(d.properties.get("captured_at", "")),
                f'<a href="items/{sha}/item.json">item.json</a> · '
                f'<a href="items/{sha}/contributions.csv">contributions.csv</a> · '
                f'<a href="items/{sha}/custody.proof">custody.proof</a>',
            ]
        )
    body = (
        f"<h1>Court package {html.e(info.external_identifier or export_id)}</h1>\n"
        f"<p>From {html.e(info.organization)}"
        + (f" for {html.e(info.recipient)}" if info.recipient else "")
        + f". {len(details)} items, exported {html.e(utcnow()[:19])} UTC from the Dhakira"
        f" archive <code>{html.attr(config.get('log_origin', ''))}</code>.</p>\n"
        + (f"<p>{html.e(info.description)}</p>\n" if info.description else "")
        + "<p class=note>Check this package with <code>dhakira verify-bag PATH --key KEY</code>"
        " (see README.txt); the key is in <code>custody/log.pub</code> — compare it with one"
        " you received separately.</p>\n"
        + html.table(["item", "type", "bytes", "name", "contributors", "captured", "files"], rows)
    )
    st.write("data/index.html", html.page("Court package", body))


def _finish_bag(
    st: Staging, info: BagInfo, export_id: str, config: dict[str, Any], cp: CheckpointRecord
) -> str:
    """Payload manifests from the hashes taken while writing; tag files with ``bagit``."""
    paths = sorted(st.files)
    for alg in ALGORITHMS:
        lines = "".join(f"{getattr(st.files[p], alg)}  {_encode(p)}\n" for p in paths)
        st.write(f"manifest-{alg}.txt", lines)
    manifest = st.files["manifest-sha256.txt"].sha256
    size = sum(st.files[p].size for p in paths)
    st.write("bagit.txt", "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n")
    tags = {
        "Source-Organization": info.organization,
        "Contact-Name": info.contact_name,
        "Contact-Email": info.contact_email,
        "External-Identifier": info.external_identifier or export_id,
        "External-Description": info.description
        or f"{len([p for p in paths if '/original' in p])} items with their custody proofs,"
        " exported from a Dhakira archive",
        "Bagging-Date": utcnow()[:10],
        "Bag-Software-Agent": f"dhakira {__version__}",
        "Payload-Oxum": f"{size}.{len(paths)}",
        "BagIt-Profile-Identifier": PROFILE_ID,
        "Dhakira-Export-Id": export_id,
        "Dhakira-Log-Origin": str(config.get("log_origin", "")),
        "Dhakira-Checkpoint-Size": str(cp.size),
        "Dhakira-Verifier-Key": cp.key,
        "Dhakira-Recipient": info.recipient,
    }
    # the library writes bag-info.txt and the tag manifests (its functions work in the bag's
    # folder; Bag.save would also re-read and re-check every manifest line: minutes at 10k)
    here = os.getcwd()
    os.chdir(st.tmp)
    try:
        bagit._make_tag_file("bag-info.txt", {k: v for k, v in tags.items() if v})
        for alg in ALGORITHMS:
            bagit._make_tagmanifest_file(alg, ".")
    finally:
        os.chdir(here)
    return manifest


def _encode(path: str) -> str:
    """RFC 8493 §2.1.3: percent-encode CR, LF and % in manifest paths."""
    return path.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


README = """\
This is a court package from a Dhakira evidence archive (export {export}).
It is a BagIt bag (RFC 8493) following the profile in bagit-profile.json.

What is inside
  items/<sha256>/original.*         each original file, byte for byte; <sha256> is its SHA-256
  items/<sha256>/item.json          metadata, tool output, fixity, every contribution
  items/<sha256>/contributions.csv  who handed it over, from where, when
  items/<sha256>/custody.proof      every custody event about the item, each with an inclusion
                                    proof (RFC 9162) against custody/checkpoint.txt
  custody/checkpoint.txt            the archive's signed checkpoint of its custody log
                                    ({size} events; C2SP signed note, Ed25519)
  custody/log.pub                   the log's verifier key: {key}
  custody/timestamps/*.tsr          RFC 3161 time-stamp tokens, if the archive had any

How to check it
  1. Obtain the archive's verifier key through a separate channel (not from this package) and
     compare it with custody/log.pub.
  2. dhakira verify-bag PATH-TO-THIS-BAG --key KEY [--tsa-cert TSA.pem]
     checks both payload manifests and the tag manifests, the checkpoint's signature, every
     item's proof, that each original's SHA-256 is its name, that each item's metadata files
     are those recorded in the signed log at export, and the time-stamps. It needs Python
     with the `cryptography` package and Dhakira's verifier only, no archive.
  3. Without Dhakira: any BagIt tool (e.g. `bagit.py --validate`) checks the manifests;
     `openssl ts -verify -data custody/checkpoint.txt -in custody/timestamps/checkpoint.1.tsr
     -CAfile TSA-CA.pem` checks a time-stamp.
"""
