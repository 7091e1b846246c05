"""Check a Dhakira custody proof: the verifier for anyone outside the archive.

A proof file shows that events about one item (its SHA-256) are in the archive's custody log,
a Merkle tree (RFC 9162) whose root at some size the log signed (a C2SP checkpoint)::

    dhakira-proof v1
    item <SHA-256 of the item, 64 hex digits>
    key <the log's verifier key: name+keyid+base64(0x01 || Ed25519 public key)>

    event <index of the event in the log, from 0> <tree size, the checkpoint's>
    <base64 of the event: canonical JSON, exactly the bytes hashed as its leaf>
    <base64 of one hash of the inclusion proof, one per line (none when the tree has 1 leaf)>

    event ...

    checkpoint
    <the signed checkpoint note, verbatim, up to the end of the file>

Checks: the checkpoint is signed by the log key you were given (get it from the archive by
another channel: it is the only thing you have to trust), and the file names that same key;
each event is canonical JSON about the item; each inclusion proof leads from the event's leaf
hash SHA-256(0x00 || event) to the checkpoint's root hash. Uses only the Python standard library,
``cryptography`` (Ed25519), and the two small modules ``merkle`` and ``note`` next to this one.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from dhakira.custody import note as c2sp  # C2SP signed notes and checkpoints
from dhakira.custody.merkle import leaf_hash, verify_inclusion

HEADER = "dhakira-proof v1"
_EVENT = re.compile(r"event (0|[1-9][0-9]{0,19}) (0|[1-9][0-9]{0,19})")
_ITEM = re.compile(r"[0-9a-f]{64}")


def canonical_json(value: object) -> bytes:
    """The canonical form of an event: sorted keys, no spaces, UTF-8, no NaN."""
    text = json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )
    return text.encode("utf-8")


@dataclass
class EventCheck:
    index: int  # position of the event in the log, from 0
    type: str = ""  # the event's "type" field, if it has one
    at: str = ""  # the event's "at" field (when it was logged), if it has one
    ok: bool = False
    problem: str | None = None


@dataclass
class ProofReport:
    ok: bool = False  # True only if there is no problem at all
    item: str = ""
    checkpoint: c2sp.Checkpoint | None = None  # set only if its signature verified
    events: list[EventCheck] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # one line each


@dataclass
class _Block:
    index: int
    size: int
    body: str
    proof: list[str]


class _Malformed(Exception): ...


def _parse(text: str) -> tuple[str, str, list[_Block], str]:
    """Split the file into item, key, event blocks and the checkpoint note."""
    lines = text.split("\n") if isinstance(text, str) else []
    if not lines or lines[0] != HEADER:
        raise _Malformed(f"not a Dhakira proof (the first line must be '{HEADER}')")
    if len(lines) < 4 or not lines[1].startswith("item ") or not lines[2].startswith("key "):
        raise _Malformed("lines 2 and 3 must be 'item <sha256 hex>' and 'key <verifier key>'")
    item, key = lines[1][5:], lines[2][4:]
    if not _ITEM.fullmatch(item):
        raise _Malformed("line 2: the item must be 64 lowercase hex digits")
    if lines[3] != "":
        raise _Malformed("line 4 must be blank")
    blocks: list[_Block] = []
    i = 4
    while i < len(lines):
        if lines[i] == "checkpoint":
            return item, key, blocks, "\n".join(lines[i + 1 :])
        m = _EVENT.fullmatch(lines[i])
        if not m:
            raise _Malformed(f"line {i + 1}: expected 'event <index> <size>' or 'checkpoint'")
        end = lines.index("", i) if "" in lines[i:] else -1
        if end < i + 2:
            raise _Malformed(f"line {i + 1}: an event needs a body line and a blank line after")
        blocks.append(_Block(int(m[1]), int(m[2]), lines[i + 1], lines[i + 2 : end]))
        i = end + 1
    raise _Malformed("no 'checkpoint' line")


def _check_event(b: _Block, item: str, cp: c2sp.Checkpoint | None, after: int) -> EventCheck:
    ev, body = EventCheck(b.index), b""
    event: dict[str, object] | None = None
    try:
        body = c2sp.b64decode_strict(b.body)
        parsed = json.loads(body.decode("utf-8"))
        if isinstance(parsed, dict) and canonical_json(parsed) == body:
            event = parsed
            ev.type = parsed["type"] if isinstance(parsed.get("type"), str) else ""
            ev.at = parsed["at"] if isinstance(parsed.get("at"), str) else ""
    except (ValueError, RecursionError):  # not base64, not UTF-8, not JSON, too deep
        pass
    try:
        proof = [c2sp.b64decode_strict(h) for h in b.proof]
    except c2sp.NoteError:
        proof = []
    if b.index <= after:
        ev.problem = "events are not in increasing index order"
    elif event is None:
        ev.problem = "the event is not base64 of canonical JSON"
    elif event.get("item") != item:
        ev.problem = "the event is not about this item"
    elif len(proof) != len(b.proof) or any(len(h) != 32 for h in proof):
        ev.problem = "a line of the inclusion proof is not a base64 SHA-256 hash"
    elif cp is None:
        ev.problem = "not checked: there is no valid checkpoint"
    elif b.size != cp.size:
        ev.problem = f"the proof is against tree size {b.size}, the checkpoint's is {cp.size}"
    elif b.index >= b.size:
        ev.problem = f"index is outside the tree of size {b.size}"
    elif not verify_inclusion(leaf_hash(body), b.index, b.size, proof, cp.root):
        ev.problem = "inclusion proof does not lead to the checkpoint root"
    ev.ok = ev.problem is None
    return ev


def check_proof(text: str, vkey: str) -> ProofReport:
    """Check a proof file against the log's verifier key. Never raises: read the report."""
    report = ProofReport()
    problem = report.problems.append
    try:
        report.item, named_key, blocks, signed = _parse(text)
    except _Malformed as e:
        problem(f"file: {e}")
        return report
    given: c2sp.Verifier | None = None
    named: c2sp.Verifier | None = None
    try:
        given = c2sp.Verifier.from_vkey(vkey)
    except c2sp.NoteError:
        problem("key: the key given to check with is not a valid verifier key")
    try:
        named = c2sp.Verifier.from_vkey(named_key)
    except c2sp.NoteError:
        problem("key: the file's key line is not a valid verifier key")
    if given and named and named != given:
        problem(f"key: the file names key {named_key}, not the given key {vkey}")
    if given:
        try:
            report.checkpoint = c2sp.Checkpoint.parse(c2sp.verify_note(signed, [given]))
        except c2sp.UnknownKey:
            problem(f"checkpoint: not signed by key {given.vkey}")
        except c2sp.BadSignature:
            problem(f"checkpoint: signature does not verify with key {given.vkey}")
        except c2sp.NoteError as e:
            problem(f"checkpoint: {e}")
    if not blocks:
        problem("file: the proof contains no events")
    after = -1
    for b in blocks:
        ev = _check_event(b, report.item, report.checkpoint, after)
        after = max(after, b.index)
        report.events.append(ev)
        if ev.problem:
            problem(f"event {b.index}: {ev.problem}")
    report.ok = not report.problems
    return report


def format_proof(
    item: str, vkey: str, events: Sequence[tuple[int, bytes, list[bytes]]], size: int, note: str
) -> str:
    """Write a proof file: ``events`` are (index, canonical JSON body, inclusion proof)."""
    if not _ITEM.fullmatch(item) or not note.endswith("\n"):
        raise ValueError("the item must be 64 lowercase hex digits and the note end in newline")
    lines = [HEADER, f"item {item}", f"key {vkey}", ""]
    after = -1
    for index, body, proof in events:
        if not after < index < size or any(len(h) != 32 for h in proof):
            raise ValueError(f"event {index}: bad index (after {after}, size {size}) or proof")
        after = index
        lines.append(f"event {index} {size}")
        lines += [base64.b64encode(x).decode("ascii") for x in (body, *proof)]
        lines.append("")
    return "\n".join(lines) + "\ncheckpoint\n" + note
