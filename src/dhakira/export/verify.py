"""Check a court package as its recipient: ``dhakira verify-bag PATH --key KEY``.

Needs no archive, no database and not the ``bagit`` library: only the standard library,
``cryptography`` and Dhakira's custody verifiers (``custody/proofcheck.py``, ``note.py``,
``merkle.py``, ``consistency.py``; ``timestamp.py`` only when the bag holds time-stamps).

What is checked, and where a failure is reported:

- the bag (RFC 8493): ``bagit.txt``; both payload manifests (SHA-256 and SHA-512) list exactly
  the files under ``data/`` and each file has those digests; ``Payload-Oxum``; the tag
  manifests. A payload file that fails is reported on its item, others on the bag.
- ``data/custody/checkpoint.txt`` is signed by the key you give (and ``log.pub`` is that key).
- per item (``data/items/<sha256>/``): the original's SHA-256 is the item's id; the custody
  proof verifies against that same checkpoint and is about this item; its ``item.exported``
  event for this export records the SHA-256 of ``item.json`` and ``contributions.csv`` and the
  files match (so even a forger who recomputes every manifest cannot change the metadata).
- time-stamps: each token's imprint is the SHA-256 of the checkpoint it stamps and, with
  ``--tsa-cert``, its signature verifies with that certificate; an earlier checkpoint's
  consistency proof shows the export checkpoint extends it.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dhakira.custody import note as c2sp
from dhakira.custody.consistency import check_consistency
from dhakira.custody.proofcheck import check_proof
from dhakira.export.cells import cell

ALGORITHMS = ("sha256", "sha512")
METADATA_FILES = ("item.json", "contributions.csv")
_HEX = re.compile(r"[0-9a-f]{64}")
_TSR = re.compile(r"(checkpoint|[0-9]+)\.([0-9]+)\.tsr")
CHUNK = 1 << 20


@dataclass
class ItemReport:
    sha256: str
    events: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_json(self) -> dict[str, Any]:
        return {
            "sha256": self.sha256,
            "ok": self.ok,
            "events": self.events,
            "problems": self.problems,
        }


@dataclass
class BagReport:
    path: str
    items: list[ItemReport] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # about the bag as a whole
    notes: list[str] = field(default_factory=list)  # what was not checked, and why
    checkpoint_size: int | None = None
    timestamps: list[dict[str, Any]] = field(default_factory=list)
    export_id: str = ""

    @property
    def ok(self) -> bool:
        return not self.problems and all(i.ok for i in self.items)

    def as_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "path": self.path,
            "export_id": self.export_id,
            "checkpoint_size": self.checkpoint_size,
            "problems": self.problems,
            "notes": self.notes,
            "timestamps": self.timestamps,
            "items": [i.as_json() for i in self.items],
        }


def _hash_file(path: Path) -> tuple[int, dict[str, str]]:
    hs = {a: hashlib.new(a) for a in ALGORITHMS}
    size = 0
    view = memoryview(bytearray(CHUNK))
    with open(path, "rb", buffering=0) as f:
        while n := f.readinto(view):
            for h in hs.values():
                h.update(view[:n])
            size += n
    return size, {a: h.hexdigest() for a, h in hs.items()}


def _decode(path: str) -> str:
    return (
        path.replace("%0A", "\n")
        .replace("%0a", "\n")
        .replace("%0D", "\r")
        .replace("%0d", "\r")
        .replace("%25", "%")
    )


def _read_manifest(path: Path, problem: Callable[[str], None]) -> dict[str, str]:
    out: dict[str, str] = {}
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        problem(f"{path.name}: cannot be read ({exc})")
        return out
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        parts = line.split(maxsplit=1)
        if len(parts) != 2:
            problem(f"{path.name} line {n}: not 'checksum path'")
            continue
        digest, name = parts[0].lower(), _decode(parts[1].strip())
        if name.startswith("/") or ".." in name.split("/"):
            problem(f"{path.name} line {n}: unsafe path {name!r}")
            continue
        out[name] = digest
    return out


def _read_tags(path: Path) -> dict[str, str]:
    tags: dict[str, str] = {}
    key = None
    for line in path.read_text(encoding="utf-8").splitlines():
        if line[:1] in (" ", "\t") and key:
            tags[key] += " " + line.strip()
        elif ":" in line:
            key, value = line.split(":", 1)
            key = key.strip()
            tags[key] = value.strip()
    return tags


def verify_bag(root: Path, vkey: str, *, tsa_certificate_pem: bytes | None = None) -> BagReport:
    """Check the bag at ``root`` with the log's verifier key. Never raises on bad content."""
    report = BagReport(str(root))
    bag_problem = report.problems.append
    if not (root / "bagit.txt").is_file():
        bag_problem("bagit.txt: missing — this is not a BagIt bag")
        return report
    tags: dict[str, str] = {}
    try:
        bagit_tags = _read_tags(root / "bagit.txt")
        if bagit_tags.get("BagIt-Version") not in ("1.0", "0.97"):
            bag_problem(f"bagit.txt: unsupported BagIt-Version {bagit_tags.get('BagIt-Version')}")
        tags = _read_tags(root / "bag-info.txt")
    except (OSError, UnicodeDecodeError) as exc:
        bag_problem(f"bag-info.txt: cannot be read ({exc})")
    report.export_id = tags.get("Dhakira-Export-Id", "")

    # --- manifests ---------------------------------------------------------------------
    file_problems: dict[str, list[str]] = {}

    def on_file(name: str, text: str) -> None:
        file_problems.setdefault(name, []).append(text)

    manifests: dict[str, dict[str, str]] = {}
    for alg in ALGORITHMS:
        m = root / f"manifest-{alg}.txt"
        if not m.is_file():
            bag_problem(f"manifest-{alg}.txt: missing")
            continue
        manifests[alg] = _read_manifest(m, bag_problem)
    on_disk: dict[str, Path] = {}
    data = root / "data"
    for folder, dirs, names in os.walk(data):
        dirs.sort()
        for name in names:
            full = Path(folder) / name
            on_disk[full.relative_to(root).as_posix()] = full
    hashes: dict[str, dict[str, str]] = {}
    total = 0
    for rel in sorted(on_disk):
        absent = [f"manifest-{alg}.txt" for alg, m in manifests.items() if rel not in m]
        if absent:
            on_file(rel, f"{rel}: not in {' and '.join(absent)} (a file was added)")
        if on_disk[rel].is_symlink():
            on_file(rel, f"{rel}: is a symbolic link, not a file")
            continue
        try:
            size, hashes[rel] = _hash_file(on_disk[rel])
            total += size
        except OSError as exc:
            on_file(rel, f"{rel}: cannot be read ({exc.strerror})")
    for alg, entries in manifests.items():
        for rel, digest in entries.items():
            if rel not in on_disk:
                on_file(rel, f"{rel}: listed in manifest-{alg}.txt but missing")
            elif rel in hashes and hashes[rel][alg] != digest:
                on_file(rel, f"{rel}: {alg.upper()} differs from manifest-{alg}.txt (changed)")
    oxum = tags.get("Payload-Oxum")
    if oxum and oxum != f"{total}.{len(on_disk)}":
        bag_problem(f"bag-info.txt: Payload-Oxum {oxum} but the payload is {total}.{len(on_disk)}")
    for alg in ALGORITHMS:
        tm = root / f"tagmanifest-{alg}.txt"
        if not tm.is_file():
            bag_problem(f"tagmanifest-{alg}.txt: missing")
            continue
        tagged = _read_manifest(tm, bag_problem)
        for name in ("bagit.txt", "bag-info.txt", *(f"manifest-{a}.txt" for a in ALGORITHMS)):
            if name not in tagged:
                bag_problem(f"tagmanifest-{alg}.txt: does not list {name}")
        for rel, digest in tagged.items():
            p = root / rel
            if not p.is_file():
                bag_problem(f"{rel}: listed in tagmanifest-{alg}.txt but missing")
            elif _hash_file(p)[1][alg] != digest:
                bag_problem(f"{rel}: {alg.upper()} differs from tagmanifest-{alg}.txt (changed)")

    # --- the checkpoint ----------------------------------------------------------------
    custody = data / "custody"
    cp_note = _text(custody / "checkpoint.txt")
    cp: c2sp.Checkpoint | None = None
    if cp_note is None:
        bag_problem("data/custody/checkpoint.txt: missing or unreadable")
    else:
        try:
            cp = c2sp.Checkpoint.verify(cp_note, [vkey])
            report.checkpoint_size = cp.size
        except c2sp.NoteError as exc:
            bag_problem(
                f"data/custody/checkpoint.txt: the signed checkpoint does not verify"
                f" with the key given ({exc})"
            )
    pub = _text(custody / "log.pub")
    if pub is not None and pub.strip() != vkey:
        bag_problem("data/custody/log.pub: is not the key you gave: check which one is right")

    # --- items -------------------------------------------------------------------------
    items_dir = data / "items"
    names = sorted(p.name for p in items_dir.iterdir()) if items_dir.is_dir() else []
    if not names:
        bag_problem("data/items: no items in the bag")
    for sha in names:
        report.items.append(
            _check_item(
                root, sha, vkey, cp_note if cp else None, report.export_id, hashes, file_problems
            )
        )
    report.problems.extend(_check_tables(data, names))
    item_prefixes = tuple(f"data/items/{sha}/" for sha in names)
    for rel, lines in sorted(file_problems.items()):
        if not rel.startswith(item_prefixes):
            report.problems.extend(lines)

    # --- time-stamps ---------------------------------------------------------------------
    _check_timestamps(report, custody, vkey, cp_note if cp else None, tsa_certificate_pem)
    return report


def _csv_rows(path: Path) -> tuple[list[str], list[list[str]]] | None:
    text = _text(path)
    if text is None:
        return None
    rows = list(csv.reader(io.StringIO(text, newline="")))
    return (rows[0], rows[1:]) if rows else ([], [])


def _check_tables(data: Path, names: list[str]) -> list[str]:
    """The bag-wide tables are conveniences: each must say exactly what the per-item files
    (attested by the signed custody log) say, or it is named as changed."""
    problems: list[str] = []
    # contributions.csv: exactly the rows of the items' own contributions.csv
    whole = _csv_rows(data / "contributions.csv")
    parts = [_csv_rows(data / "items" / sha / "contributions.csv") for sha in names]
    if whole is None:
        problems.append("data/contributions.csv: missing or unreadable")
    elif any(p is None or p[0] != whole[0] for p in parts) or sorted(
        r for p in parts if p for r in p[1]
    ) != sorted(whole[1]):
        problems.append(
            "data/contributions.csv: differs from the items' own contributions.csv (changed)"
        )
    # items.csv: each row exactly as the item's own item.json says
    table = _csv_rows(data / "items.csv")
    if table is None:
        return [*problems, "data/items.csv: missing or unreadable"]
    header, rows = table
    seen = set()
    for row in rows:
        values = dict(zip(header, row, strict=False))
        sha = values.get("item_sha256", "")
        seen.add(sha)
        detail = _item_json(data / "items" / sha / "item.json") if _HEX.fullmatch(sha) else None
        if detail is None or _item_row(detail, header) != row:
            problems.append(f"data/items.csv: the row of {sha[:12]}… differs from its item.json")
    if seen != set(names):
        problems.append("data/items.csv: does not list exactly the items in the bag")
    return problems


def _item_json(path: Path) -> dict[str, Any] | None:
    text = _text(path)
    try:
        found = json.loads(text) if text is not None else None
    except ValueError:
        return None
    return found if isinstance(found, dict) else None


def _item_row(d: dict[str, Any], header: list[str]) -> list[str]:
    """The items.csv row that export writes for this item.json (opendata.item_row)."""
    contributions = d.get("contributions") or []
    fixity = d.get("fixity") or {}
    properties = d.get("properties") or {}
    values: dict[str, Any] = {
        "item_sha256": d.get("sha256"),
        "short_id": d.get("short_id"),
        "mime": d.get("mime"),
        "size": d.get("size"),
        "added_at": d.get("added_at"),
        "name": d.get("name"),
        "contributions": len(contributions),
        "contributors": "; ".join(sorted({c.get("contributor") for c in contributions})),
        "collections": "; ".join(
            sorted({c["collection"] for c in contributions if c.get("collection")})
        ),
        "fixity_status": fixity.get("last_status"),
        "fixity_last_ok_at": fixity.get("last_ok_at"),
    }
    out = io.StringIO()
    csv.writer(out).writerow(
        [cell(values[k] if k in values else properties.get(k)) for k in header]
    )
    return next(csv.reader(io.StringIO(out.getvalue(), newline="")))


def _text(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def _check_item(
    root: Path,
    sha: str,
    vkey: str,
    cp_note: str | None,
    export_id: str,
    hashes: dict[str, dict[str, str]],
    file_problems: dict[str, list[str]],
) -> ItemReport:
    item = ItemReport(sha)
    problem = item.problems.append
    base = f"data/items/{sha}/"
    for rel, lines in sorted(file_problems.items()):
        if rel.startswith(base):
            item.problems.extend(line.removeprefix(base) for line in lines)
    if not _HEX.fullmatch(sha):
        problem("the folder name is not an item's SHA-256")
        return item
    folder = root / base
    if not folder.is_dir():
        problem("not a folder")
        return item
    entries = sorted(folder.iterdir())
    originals = [p for p in entries if p.name.startswith("original")]
    if len(originals) != 1:
        problem(f"expected one original file, found {len(originals)}")
    for p in originals:
        got = hashes.get(base + p.name, {}).get("sha256")
        if p.is_symlink() or not p.is_file():
            problem(f"{p.name}: not a regular file (the original must be the bytes themselves)")
        elif got is None:
            problem(f"{p.name}: its SHA-256 could not be checked (not in the payload manifests)")
        elif got != sha:
            problem(f"{p.name}: its SHA-256 is {got[:12]}…, not the item's id (the bytes changed)")
    for p in entries:  # nothing else may ride along in an item's folder
        if p not in originals and p.name not in (*METADATA_FILES, "custody.proof"):
            problem(f"{p.name}: not part of a package item (added after export?)")
    text = _text(folder / "custody.proof")
    if text is None:
        problem("custody.proof: missing or unreadable")
        return item
    proof = check_proof(text, vkey)
    item.events = len(proof.events)
    item.problems.extend(f"custody.proof: {p}" for p in proof.problems)
    if proof.item and proof.item != sha:
        problem(f"custody.proof: is about item {proof.item[:12]}…, not this one")
    if cp_note is not None and not text.endswith("\ncheckpoint\n" + cp_note):
        problem("custody.proof: is not against data/custody/checkpoint.txt")
    recorded = _exported_files(text, export_id)
    if recorded is None:
        problem(f"custody.proof: no item.exported event for export {export_id or '?'}")
        return item
    for name in METADATA_FILES:
        got = hashes.get(base + name, {}).get("sha256")
        if got is None:
            problem(f"{name}: missing")
        elif recorded.get(name) != got:
            problem(f"{name}: differs from what the signed custody log recorded at export")
    return item


def _exported_files(text: str, export_id: str) -> dict[str, str] | None:
    """The files recorded by this export's ``item.exported`` event in a proof, if any."""
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if line.startswith("event ") and i + 1 < len(lines):
            try:
                ev = json.loads(base64.b64decode(lines[i + 1], validate=True))
            except ValueError:
                continue
            params = ev.get("params") if isinstance(ev, dict) else None
            if (
                ev.get("type") == "item.exported"
                and isinstance(params, dict)
                and params.get("export") == export_id
                and isinstance(params.get("files"), dict)
            ):
                return {str(k): str(v) for k, v in params["files"].items()}
    return None


def _check_timestamps(
    report: BagReport, custody: Path, vkey: str, cp_note: str | None, pem: bytes | None
) -> None:
    folder = custody / "timestamps"
    tokens = sorted(folder.glob("*.tsr")) if folder.is_dir() else []
    if not tokens:
        report.notes.append("no RFC 3161 time-stamps in the bag")
        return
    from dhakira.custody.timestamp import TimestampError, TimestampToken, verify_timestamp

    if pem is None:
        report.notes.append(
            "time-stamp signatures not checked: pass --tsa-cert with the TSA's certificate"
        )
    consistent: dict[str, bool] = {}
    for tsr in tokens:
        rel = tsr.relative_to(custody.parent.parent).as_posix()
        m = _TSR.fullmatch(tsr.name)
        if not m:
            report.problems.append(f"{rel}: unexpected name")
            continue
        label = m[1]
        if label == "checkpoint":
            note = cp_note
        else:
            note = _text(custody / "checkpoints" / f"{label}.txt")
            if label not in consistent:
                consistent[label] = _check_earlier(report, custody, label, vkey, note)
            if not consistent[label]:
                note = None
        entry: dict[str, Any] = {"file": rel, "gen_time": None, "ok": False}
        report.timestamps.append(entry)
        if note is None:
            report.problems.append(f"{rel}: its checkpoint could not be verified")
            continue
        der = tsr.read_bytes()
        try:
            if pem is not None:
                entry["gen_time"] = verify_timestamp(der, note.encode(), tsa_certificate_pem=pem)
            else:
                tok = TimestampToken.from_der(der)
                if tok.digest != hashlib.sha256(note.encode()).digest():
                    raise TimestampError("the checkpoint differs from what was time-stamped")
                entry["gen_time"] = tok.gen_time
            entry["ok"] = True
        except TimestampError as exc:
            report.problems.append(f"{rel}: {exc}")


def _check_earlier(
    report: BagReport, custody: Path, label: str, vkey: str, note: str | None
) -> bool:
    rel = f"data/custody/checkpoints/{label}"
    if note is None:
        report.problems.append(f"{rel}.txt: missing or unreadable")
        return False
    try:
        old = c2sp.Checkpoint.verify(note, [vkey])
    except c2sp.NoteError as exc:
        report.problems.append(f"{rel}.txt: does not verify with the key given ({exc})")
        return False
    proof = _text(custody / "checkpoints" / f"{label}.consistency")
    if old.size == report.checkpoint_size:
        return True
    if proof is None:
        report.problems.append(f"{rel}.consistency: missing")
        return False
    ok, problems, _old, _new = check_consistency(proof, vkey)
    cp_note = _text(custody / "checkpoint.txt") or ""
    if not ok or not proof.endswith(cp_note) or note not in proof:
        why = "; ".join(problems) or "it is not between this checkpoint and the export's"
        report.problems.append(f"{rel}.consistency: {why}")
        return False
    return True
