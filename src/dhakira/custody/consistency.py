"""Consistency between two signed checkpoints: the log only grew in between.

A consistency file (``dhakira log consistency``) holds two checkpoints of the same log and the
RFC 9162 consistency proof between them::

    dhakira-consistency v1
    key <the log's verifier key>
    <base64 hash of the consistency proof, one per line>

    checkpoint
    <the older signed checkpoint note>

    checkpoint
    <the newer signed checkpoint note>

Anyone holding an older checkpoint can check that the log's newer state contains exactly the
same history, with the standard library, ``cryptography`` and the modules ``merkle``/``note``.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence

from dhakira.custody import note as c2sp
from dhakira.custody.merkle import verify_consistency

HEADER = "dhakira-consistency v1"
_SEP = "\ncheckpoint\n"


def format_consistency(vkey: str, proof: Sequence[bytes], old_note: str, new_note: str) -> str:
    hashes = "".join(base64.b64encode(h).decode("ascii") + "\n" for h in proof)
    return f"{HEADER}\nkey {vkey}\n{hashes}{_SEP}{old_note}{_SEP}{new_note}"


def check_consistency(text: str, vkey: str) -> tuple[bool, list[str], int, int]:
    """(ok, problems, old size, new size). Never raises on malformed input."""
    problems: list[str] = []
    try:
        head, old_note, new_note = text.split(_SEP)
        lines = head.split("\n")
        if lines[0] != HEADER or not lines[1].startswith("key "):
            return False, [f"file: not a Dhakira consistency proof ('{HEADER}')"], 0, 0
        proof = [base64.b64decode(x, validate=True) for x in lines[2:] if x]
    except (ValueError, IndexError, binascii.Error):
        return False, ["file: malformed consistency proof"], 0, 0
    if lines[1][4:] != vkey:
        problems.append("key: the file names another key than the one given")
    try:
        old = c2sp.Checkpoint.verify(old_note, [vkey])
        new = c2sp.Checkpoint.verify(new_note, [vkey])
    except c2sp.NoteError as exc:
        return False, [*problems, f"checkpoint: {exc}"], 0, 0
    if old.origin != new.origin:
        problems.append("checkpoint: the two checkpoints are of different logs")
    if not verify_consistency(old.size, new.size, old.root, new.root, proof):
        problems.append(
            f"the log of size {new.size} does not contain the log of size {old.size}:"
            " its history was changed"
        )
    return not problems, problems, old.size, new.size
