"""The third-party proof checker: a good proof passes, each kind of tampering is named."""

from __future__ import annotations

import ast
import base64
import hashlib
import json
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import dhakira.custody
from dhakira.custody.merkle import MemoryNodes, inclusion_proof, leaf_hash
from dhakira.custody.note import Checkpoint, Signer
from dhakira.custody.proofcheck import (
    EventCheck,
    ProofReport,
    canonical_json,
    check_proof,
    format_proof,
)

ORIGIN = "archive.example/custody"
SIGNER = Signer.from_seed(ORIGIN, bytes(range(32)))
VKEY = SIGNER.vkey
OTHER_SIGNER = Signer.from_seed(ORIGIN, bytes(range(1, 33)))  # same name, another key
ITEM = hashlib.sha256(b"the video").hexdigest()
OTHER_ITEM = hashlib.sha256(b"a photo").hexdigest()
SIZE = 20
AT = (2, 7, 13)


def event_body(i: int, item: str) -> bytes:
    kind = "ingest" if i == AT[0] else "access"
    return canonical_json({"at": f"2024-03-{i + 1:02d}T10:00:00Z", "item": item, "type": kind})


def build(
    size: int = SIZE, at: tuple[int, ...] = AT, signer: Signer = SIGNER
) -> tuple[str, Checkpoint]:
    nodes = MemoryNodes()
    bodies = [event_body(i, ITEM if i in at else OTHER_ITEM) for i in range(size)]
    for body in bodies:
        nodes.append(leaf_hash(body))
    cp = Checkpoint(ORIGIN, size, nodes.root())
    events = [(i, bodies[i], inclusion_proof(nodes, i, size)) for i in at]
    return format_proof(ITEM, signer.vkey, events, size, cp.sign([signer])), cp


GOOD, CP = build()
LINES = GOOD.split("\n")


def edit(line_no: int, new: str | None) -> str:
    """The good proof with one line replaced (or removed, for None)."""
    lines = list(LINES)
    if new is None:
        del lines[line_no]
    else:
        lines[line_no] = new
    return "\n".join(lines)


def line_of(prefix: str) -> int:
    return next(i for i, line in enumerate(LINES) if line.startswith(prefix))


def problems(text: str, vkey: str = VKEY) -> list[str]:
    report = check_proof(text, vkey)
    assert not report.ok
    return report.problems


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


E7, E13 = line_of("event 7 ") + 1, line_of("event 13 ") + 1  # line numbers, from 1
NOT_CHECKED = [f"event {i}: not checked: there is no valid checkpoint" for i in AT]


def test_a_good_proof() -> None:
    assert GOOD.startswith(f"dhakira-proof v1\nitem {ITEM}\nkey {VKEY}\n\nevent 2 20\n")
    assert "\n\ncheckpoint\narchive.example/custody\n20\n" in GOOD
    assert GOOD.endswith("\n") and GOOD.count("\n\u2014 ") == 1
    report = check_proof(GOOD, VKEY)
    assert report == ProofReport(
        ok=True,
        item=ITEM,
        checkpoint=CP,
        events=[
            EventCheck(2, "ingest", "2024-03-03T10:00:00Z", True, None),
            EventCheck(7, "access", "2024-03-08T10:00:00Z", True, None),
            EventCheck(13, "access", "2024-03-14T10:00:00Z", True, None),
        ],
        problems=[],
    )


def test_a_tree_of_one_leaf_has_empty_inclusion_proofs() -> None:
    text, _ = build(size=1, at=(0,))
    assert "event 0 1\n" + b64(event_body(0, ITEM)) + "\n\ncheckpoint\n" in text
    assert check_proof(text, VKEY).ok


def test_every_size_and_position() -> None:
    for size in range(1, 18):
        for at in [(0,), (size - 1,), tuple(range(0, size, 3))]:
            assert check_proof(build(size, at)[0], VKEY).ok


# --- each kind of tampering, named -------------------------------------------------------------


def test_changed_event_body() -> None:
    i = line_of("event 7 ") + 1
    body = base64.b64decode(LINES[i])
    forged = body.replace(b"2024-03-08", b"2024-03-09")
    assert forged != body and canonical_json(json.loads(forged)) == forged
    assert problems(edit(i, b64(forged))) == [
        "event 7: inclusion proof does not lead to the checkpoint root"
    ]
    flipped = bytes([body[0] ^ 0x80]) + body[1:]
    assert problems(edit(i, b64(flipped))) == ["event 7: the event is not base64 of canonical JSON"]
    spaced = body.replace(b",", b", ")
    assert problems(edit(i, b64(spaced))) == ["event 7: the event is not base64 of canonical JSON"]
    assert problems(edit(i, LINES[i] + "x")) == [
        "event 7: the event is not base64 of canonical JSON"
    ]
    other = event_body(7, OTHER_ITEM)
    assert problems(edit(i, b64(other))) == ["event 7: the event is not about this item"]


def test_changed_proof_hash() -> None:
    i = line_of("event 7 ") + 2
    forged = edit(i, b64(hashlib.sha256(b"forged").digest()))
    assert problems(forged) == ["event 7: inclusion proof does not lead to the checkpoint root"]
    assert problems(edit(i, None)) == [
        "event 7: inclusion proof does not lead to the checkpoint root"
    ]
    assert problems(edit(i, "AAAA")) == [
        "event 7: a line of the inclusion proof is not a base64 SHA-256 hash"
    ]
    raw = bytearray(base64.b64decode(LINES[i]))
    raw[31] ^= 1
    assert problems(edit(i, b64(bytes(raw)))) == [
        "event 7: inclusion proof does not lead to the checkpoint root"
    ]


def test_changed_checkpoint_root() -> None:
    i = line_of("checkpoint") + 3
    assert base64.b64decode(LINES[i]) == CP.root
    forged = edit(i, b64(hashlib.sha256(b"another tree").digest()))
    assert problems(forged) == [
        f"checkpoint: signature does not verify with key {VKEY}",
        *NOT_CHECKED,
    ]


def test_changed_checkpoint_size() -> None:
    i = line_of("checkpoint") + 2
    assert problems(edit(i, "21")) == [
        f"checkpoint: signature does not verify with key {VKEY}",
        *NOT_CHECKED,
    ]


def test_changed_signature() -> None:
    i = len(LINES) - 2
    dash_name, _, sig = LINES[i].rpartition(" ")
    raw = bytearray(base64.b64decode(sig))
    raw[40] ^= 4
    assert problems(edit(i, f"{dash_name} {b64(bytes(raw))}")) == [
        f"checkpoint: signature does not verify with key {VKEY}",
        *NOT_CHECKED,
    ]
    raw = bytearray(base64.b64decode(sig))
    raw[0] ^= 4  # the key ID: now a signature by some other key, which is ignored
    assert problems(edit(i, f"{dash_name} {b64(bytes(raw))}")) == [
        f"checkpoint: not signed by key {VKEY}",
        *NOT_CHECKED,
    ]
    assert problems(edit(i, f"{dash_name} {sig[:-2]}")) == [
        "checkpoint: malformed note: a signature is not base64",
        *NOT_CHECKED,
    ]


def test_changed_key_line() -> None:
    assert problems(edit(2, f"key {OTHER_SIGNER.vkey}")) == [
        f"key: the file names key {OTHER_SIGNER.vkey}, not the given key {VKEY}"
    ]
    assert problems(edit(2, "key not-a-key")) == [
        "key: the file's key line is not a valid verifier key"
    ]


def test_proof_signed_by_another_key() -> None:
    """A forger can make a consistent proof with their own key; the given key is what counts."""
    forged, _ = build(signer=OTHER_SIGNER)
    assert check_proof(forged, OTHER_SIGNER.vkey).ok
    assert problems(forged, VKEY) == [
        f"key: the file names key {OTHER_SIGNER.vkey}, not the given key {VKEY}",
        f"checkpoint: not signed by key {VKEY}",
        *NOT_CHECKED,
    ]
    assert problems(GOOD, OTHER_SIGNER.vkey) == [
        f"key: the file names key {VKEY}, not the given key {OTHER_SIGNER.vkey}",
        f"checkpoint: not signed by key {OTHER_SIGNER.vkey}",
        *NOT_CHECKED,
    ]
    assert problems(GOOD, "garbage") == [
        "key: the key given to check with is not a valid verifier key",
        *NOT_CHECKED,
    ]


def test_changed_index() -> None:
    i = line_of("event 7 ")
    assert problems(edit(i, "event 8 20")) == [
        "event 8: inclusion proof does not lead to the checkpoint root"
    ]
    assert problems(edit(i, "event 6 20")) == [
        "event 6: inclusion proof does not lead to the checkpoint root"
    ]
    i = line_of("event 13 ")
    assert problems(edit(i, "event 25 20")) == ["event 25: index is outside the tree of size 20"]


def test_changed_size() -> None:
    i = line_of("event 7 ")
    assert problems(edit(i, "event 7 21")) == [
        "event 7: the proof is against tree size 21, the checkpoint's is 20"
    ]


def test_reordered_and_repeated_events() -> None:
    a, b, c = line_of("event 2 "), line_of("event 7 "), line_of("event 13 ")
    head, first, second, rest = LINES[:a], LINES[a:b], LINES[b:c], LINES[c:]
    swapped = "\n".join(head + second + first + rest)
    assert problems(swapped) == ["event 2: events are not in increasing index order"]
    repeated = "\n".join(head + first + second + second + rest)
    assert problems(repeated) == ["event 7: events are not in increasing index order"]


def test_changed_item() -> None:
    assert problems(edit(1, f"item {OTHER_ITEM}")) == [
        f"event {i}: the event is not about this item" for i in AT
    ]


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda t: "", "file: not a Dhakira proof (the first line must be 'dhakira-proof v1')"),
        (lambda t: t.replace("v1", "v2", 1), "file: not a Dhakira proof"),
        (lambda t: t.replace("item ", "item: ", 1), "file: lines 2 and 3 must be"),
        (lambda t: t.replace(ITEM, ITEM.upper(), 1), "file: line 2: the item must be 64"),
        (lambda t: t.replace(ITEM, ITEM[:-1], 1), "file: line 2: the item must be 64"),
        (lambda t: t.replace("\n\nevent 2", "\nevent 2", 1), "file: line 4 must be blank"),
        (lambda t: t.replace("event 7 20", "event 7", 1), f"file: line {E7}: expected 'event"),
        (lambda t: t.replace("event 7 20", "event 07 20", 1), f"file: line {E7}: expected 'ev"),
        (lambda t: t.replace("event 7 20", "event -7 20", 1), f"file: line {E7}: expected 'ev"),
        (lambda t: t.replace("event 7 20", "event 7 20 ", 1), f"file: line {E7}: expected 'ev"),
        (lambda t: t.replace("\ncheckpoint\n", "\ncheckpoints\n"), "file: line "),
        (lambda t: t.split("\ncheckpoint\n")[0], "file: no 'checkpoint' line"),
        (lambda t: t.split("\n\ncheckpoint\n")[0], f"file: line {E13}: an event needs a body"),
        (lambda t: t + "\n", "checkpoint: malformed note"),
        (lambda t: t + "trailing", "checkpoint: malformed note"),
        (lambda t: t.replace("\u2014", "-"), "checkpoint: malformed note"),
        (lambda t: t.replace("\n", "\r\n"), "file: not a Dhakira proof"),
    ],
)
def test_malformed_files(change: Callable[[str], str], problem: str) -> None:
    report = check_proof(change(GOOD), VKEY)
    assert not report.ok
    assert report.problems[0].startswith(problem), report.problems


def test_an_event_block_without_body() -> None:
    text = GOOD.replace("event 2 20\n", "event 2 20\n\n", 1)
    assert problems(text)[0] == "file: line 5: an event needs a body line and a blank line after"


def test_no_events() -> None:
    text = format_proof(ITEM, VKEY, [], SIZE, CP.sign([SIGNER]))
    assert text == f"dhakira-proof v1\nitem {ITEM}\nkey {VKEY}\n\ncheckpoint\n{CP.sign([SIGNER])}"
    report = check_proof(text, VKEY)
    assert report.problems == ["file: the proof contains no events"]
    assert report.checkpoint == CP


def test_format_proof_refuses_bad_input() -> None:
    note = CP.sign([SIGNER])
    proof = [b"h" * 32]
    for item, events, size, n in [
        (ITEM.upper(), [], SIZE, note),
        (ITEM, [], SIZE, note.rstrip("\n")),
        (ITEM, [(3, b"{}", proof), (3, b"{}", proof)], SIZE, note),
        (ITEM, [(4, b"{}", proof), (3, b"{}", proof)], SIZE, note),
        (ITEM, [(20, b"{}", proof)], SIZE, note),
        (ITEM, [(-1, b"{}", proof)], SIZE, note),
        (ITEM, [(1, b"{}", [b"short"])], SIZE, note),
    ]:
        with pytest.raises(ValueError):
            format_proof(item, VKEY, events, size, n)


def test_canonical_json() -> None:
    assert canonical_json({"b": 1, "a": ["\u00e9", None]}) == '{"a":["é",null],"b":1}'.encode()
    with pytest.raises(ValueError):
        canonical_json({"x": float("nan")})


def test_the_checker_depends_on_the_standard_library_and_cryptography_only() -> None:
    here = Path(dhakira.custody.__file__).parent
    allowed = {"cryptography", "dhakira.custody.merkle", "dhakira.custody.note"}
    for name in ("proofcheck.py", "merkle.py", "note.py"):
        tree = ast.parse((here / name).read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                modules = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module == "dhakira.custody":
                modules = [f"dhakira.custody.{a.name}" for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                modules = [node.module or ""]
            else:
                continue
            for module in modules:
                top = module.split(".")[0]
                ok = top in sys.stdlib_module_names or top == "cryptography" or module in allowed
                assert ok, f"{name} imports {module}"


# --- fuzzing: a report, never an exception -----------------------------------------------------


def _never_raises(text: str, vkey: str = VKEY) -> ProofReport:
    report = check_proof(text, vkey)
    assert isinstance(report, ProofReport)
    assert report.ok == (not report.problems)
    if report.ok:
        assert report.checkpoint is not None and report.events
        assert all(ev.ok for ev in report.events)
    return report


@settings(max_examples=300, deadline=None)
@given(st.text(), st.text(max_size=80))
def test_fuzz_arbitrary_text(text: str, vkey: str) -> None:
    _never_raises(text, vkey)
    _never_raises("dhakira-proof v1\n" + text)
    _never_raises(f"dhakira-proof v1\nitem {ITEM}\nkey {VKEY}\n\n" + text)


@settings(max_examples=300, deadline=None)
@given(st.integers(0, len(GOOD)), st.integers(0, 8), st.text(max_size=4))
def test_fuzz_character_mutations(at: int, cut: int, insert: str) -> None:
    mutated = GOOD[:at] + insert + GOOD[at + cut :]
    report = _never_raises(mutated)
    if report.ok:  # only a change that leaves every checked fact intact can pass
        assert report.checkpoint == CP and [e.index for e in report.events] == list(AT)


line_pieces = st.sampled_from(
    [
        "",
        "event 7 20",
        "event 99999999999999999999 20",
        "event 0 0",
        "checkpoint",
        "AAAA",
        "e30=",  # {}
        b64(b'{"item":"' + ITEM.encode() + b'"}'),
        b64(b"[" * 5000),
        b64(b"1" * 5000),
        b64(b'"\\ud800"'),
        b64(b'{"item":1e400}'),
        "\u2014 x AAAAAAAA",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(0, len(LINES)), line_pieces), max_size=4))
def test_fuzz_line_mutations(changes: list[tuple[int, str]]) -> None:
    lines = list(LINES)
    for at, piece in changes:
        lines.insert(at, piece)
    _never_raises("\n".join(lines))
