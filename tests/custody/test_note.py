"""C2SP signed notes and checkpoints: Go's and the specification's vectors, tampering, fuzzing."""

from __future__ import annotations

import base64
import contextlib
import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from dhakira.custody.note import (
    BadSignature,
    Checkpoint,
    MalformedNote,
    NoteError,
    Signer,
    UnknownKey,
    Verifier,
    b64decode_strict,
    key_id,
    sign_note,
    valid_name,
    verify_note,
)

EM = "\u2014"

# golang.org/x/mod/sumdb/note, note_test.go and example_test.go
GO_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
ENOCH_VKEY = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
GO_TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
PETER_SIG = (
    f"{EM} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZ"
    "SNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
)
ENOCH_SIG = (
    f"{EM} EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oO"
    "TGwnWLox33WWd1RvMc+QQ=\n"
)
# The example of c2sp.org/signed-note
SPEC_VKEY = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"
SPEC_NOTE = (
    "This is an example message.\n\n"
    f"{EM} example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYj"
    "OBH3mFXmRKuwHjG1Yu72IneyaQM=\n"
)

SEED = bytes(range(32))


def test_go_known_answers() -> None:
    signer = Signer.from_skey(GO_SKEY)
    assert signer.name == "PeterNeumann"
    assert signer.key_id.hex() == "c74f20a3"
    assert signer.vkey == GO_VKEY
    assert signer.skey == GO_SKEY
    assert sign_note(GO_TEXT, [signer]) == GO_TEXT + "\n" + PETER_SIG  # Ed25519 is deterministic
    assert verify_note(GO_TEXT + "\n" + PETER_SIG, [GO_VKEY]) == GO_TEXT
    both = GO_TEXT + "\n" + PETER_SIG + ENOCH_SIG
    assert verify_note(both, [ENOCH_VKEY]) == GO_TEXT
    assert verify_note(both, [GO_VKEY, ENOCH_VKEY]) == GO_TEXT
    assert Verifier.from_vkey(GO_VKEY).vkey == GO_VKEY


def test_spec_example() -> None:
    assert verify_note(SPEC_NOTE, [SPEC_VKEY]) == "This is an example message.\n"


def test_key_id_by_an_independent_computation() -> None:
    name = "dhakira.example/custody"
    signer = Signer.from_seed(name, SEED)
    public = Ed25519PrivateKey.from_private_bytes(SEED).public_key().public_bytes_raw()
    kid = hashlib.sha256(name.encode() + b"\x0a" + b"\x01" + public).digest()[:4]
    assert signer.key_id == kid == key_id(name, public)
    typed_public = base64.b64encode(b"\x01" + public).decode()
    typed_seed = base64.b64encode(b"\x01" + SEED).decode()
    assert signer.vkey == f"{name}+{kid.hex()}+{typed_public}"
    assert signer.skey == f"PRIVATE+KEY+{name}+{kid.hex()}+{typed_seed}"
    note = sign_note("hello\n", [signer])
    sig = base64.b64decode(note.split(" ")[-1])
    assert note.startswith(f"hello\n\n{EM} {name} ")
    assert sig[:4] == kid and len(sig) == 68
    Ed25519PrivateKey.from_private_bytes(SEED).public_key().verify(sig[4:], b"hello\n")
    assert Signer.from_skey(signer.skey).vkey == signer.vkey


def test_round_trip_and_keys() -> None:
    a, b, c = Signer.generate("a.example/log"), Signer.generate("b.example"), Signer.generate("c")
    text = "line one\n\nline three after an empty line\n"
    note = sign_note(text, [a, b])
    assert verify_note(note, [a.vkey]) == text
    assert verify_note(note, [b.vkey]) == text
    assert verify_note(note, [a.vkey, b.vkey, c.vkey]) == text
    assert verify_note(note, [a.verifier]) == text
    with pytest.raises(UnknownKey, match="no signature by c\\+"):
        verify_note(note, [c.vkey])
    # same name, another key: unknown, not a bad signature (the key ID differs)
    with pytest.raises(UnknownKey):
        verify_note(note, [Signer.generate("a.example/log").vkey])
    with pytest.raises(UnknownKey):
        verify_note(note, [])


def test_signature_from_known_key_that_fails_rejects_the_note() -> None:
    a, b = Signer.from_seed("a", SEED), Signer.generate("b")
    note = sign_note("text\n", [a, b])
    forged = sign_note("other\n", [a]).splitlines()[-1]
    lines = note.splitlines()
    bad = "\n".join([*lines[:2], forged, lines[3]]) + "\n"
    with pytest.raises(BadSignature, match="bad signature: the signature by a\\+"):
        verify_note(bad, [a.vkey, b.vkey])
    # unknown keys' signatures are ignored, even bad ones
    assert verify_note(bad, [b.vkey]) == "text\n"


def test_every_changed_character_is_rejected() -> None:
    signer = Signer.from_seed("log.example", SEED)
    note = sign_note("log.example\n7\nq83vEjRWeJA=\n", [signer])
    for i, ch in enumerate(note):
        for replacement in {"x", "A", "\n", " "} - {ch}:
            changed = note[:i] + replacement + note[i + 1 :]
            with pytest.raises(NoteError):
                verify_note(changed, [signer.vkey])
        with pytest.raises(NoteError):
            verify_note(note[:i] + note[i + 1 :], [signer.vkey])


def test_every_changed_signature_bit_is_rejected() -> None:
    signer = Signer.from_seed("log.example", SEED)
    note = sign_note("some text\n", [signer])
    head, _, b64 = note.rstrip("\n").rpartition(" ")
    raw = base64.b64decode(b64)
    for bit in range(len(raw) * 8):
        flipped = bytearray(raw)
        flipped[bit // 8] ^= 1 << (bit % 8)
        changed = f"{head} {base64.b64encode(bytes(flipped)).decode()}\n"
        with pytest.raises(BadSignature if bit >= 32 else UnknownKey):
            verify_note(changed, [signer.vkey])


@pytest.mark.parametrize(
    "note",
    [
        "",
        "no signature\n",
        "text\n\n",
        "text\n\nnot a signature line\n",
        f"text\n\n{EM} name\n",
        f"text\n\n{EM} name !!!!\n",
        f"text\n\n{EM} name AAAA\n",  # fewer than 5 bytes
        f"text\n\n{EM} name AAAAAAB=\n",  # not canonical base64 (nonzero unused bits)
        f"text\n\n{EM} na+me AAAAAAAA\n",
        f"text\n\n{EM}  AAAAAAAA\n",
        f"text\n\n{EM} name AAAAAAAA",  # no final newline
        f"te\txt\n\n{EM} name AAAAAAAA\n",  # control character
        f"te\ud800xt\n\n{EM} name AAAAAAAA\n",  # not UTF-8
        "text\n\n-- name AAAAAAAA\n",
        "text\n\n" + f"{EM} name AAAAAAAA\n" * 101,
    ],
)
def test_malformed_notes(note: str) -> None:
    with pytest.raises(MalformedNote, match="malformed note"):
        verify_note(note, [GO_VKEY])


def test_sign_note_checks_its_input() -> None:
    signer = Signer.from_seed("n", SEED)
    for text in ["", "no newline", "a\tb\n", "\x00\n"]:
        with pytest.raises(MalformedNote):
            sign_note(text, [signer])
    with pytest.raises(NoteError):
        sign_note("text\n", [])


def test_key_names() -> None:
    for name in ["example.com/log", "PeterNeumann", "\u0630\u0627\u0643\u0631\u0629", "a-b_c"]:
        assert valid_name(name)
    for name in ["", "a b", "a+b", "a\tb", "a\u00a0b", "a\u3000b", "a\nb", "a\x01b", "\ud800"]:
        assert not valid_name(name)
        with pytest.raises(NoteError):
            Signer.from_seed(name, SEED)


def test_mangled_verifier_keys_are_rejected() -> None:
    """As Go's TestNewVerifier: every proper substring and every character changed."""
    Verifier.from_vkey(GO_VKEY)
    for i in range(len(GO_VKEY)):
        for j in range(i + 1, len(GO_VKEY) + 1):
            if (i, j) != (0, len(GO_VKEY)):
                with pytest.raises(MalformedNote):
                    Verifier.from_vkey(GO_VKEY[i:j])
        changed = GO_VKEY[:i] + chr(ord(GO_VKEY[i]) + 1) + GO_VKEY[i + 1 :]
        with pytest.raises(MalformedNote):
            Verifier.from_vkey(changed)
    with pytest.raises(MalformedNote):  # a bad verifier key given to verify_note
        verify_note(GO_TEXT + "\n" + PETER_SIG, ["PeterNeumann+c74f20a3+AAAA"])


def test_mangled_signer_keys_are_rejected() -> None:
    for i in range(len(GO_SKEY)):
        changed = GO_SKEY[:i] + chr(ord(GO_SKEY[i]) + 1) + GO_SKEY[i + 1 :]
        with pytest.raises(MalformedNote):
            Signer.from_skey(changed)
    for skey in ["", GO_SKEY[:-4], "PRIVATE+KEY+a+00000000", GO_VKEY]:
        with pytest.raises(MalformedNote):
            Signer.from_skey(skey)
    with pytest.raises(NoteError):
        Signer.from_seed("a", b"short")


def test_b64decode_strict() -> None:
    assert b64decode_strict("AAEC") == b"\x00\x01\x02"
    assert b64decode_strict("") == b""
    for bad in ["AAE", "AA=C", "AAF=", "AA EC", "AAEC\n", "\u0660AAA", "AB==", "===="]:
        with pytest.raises(MalformedNote):
            b64decode_strict(bad)


# --- checkpoints -------------------------------------------------------------------------------

ROOT = hashlib.sha256(b"root").digest()


def test_checkpoint_body_and_parse() -> None:
    cp = Checkpoint("example.com/log", 20852163, ROOT)
    assert cp.body() == f"example.com/log\n20852163\n{base64.b64encode(ROOT).decode()}\n"
    assert Checkpoint.parse(cp.body()) == cp
    ext = Checkpoint("o", 0, ROOT, ("ext one", "ext two"))
    assert ext.body().endswith("\next one\next two\n")
    assert Checkpoint.parse(ext.body()) == ext
    signer = Signer.from_seed("o", SEED)
    assert Checkpoint.verify(ext.sign([signer]), [signer.vkey]) == ext


@pytest.mark.parametrize(
    "text",
    [
        "",
        "o\n1\n",
        "o\n1\n{root}",
        "\n1\n{root}\n",
        "o\n01\n{root}\n",
        "o\n+1\n{root}\n",
        "o\n 1\n{root}\n",
        "o\n-1\n{root}\n",
        "o\n1_0\n{root}\n",
        "o\n\u0661\n{root}\n",
        "o\n18446744073709551616\n{root}\n",
        "o\n123456789012345678901\n{root}\n",
        "o\n1\nAAAA\n",
        "o\n1\n{root}x\n",
        "o\n1\n{root}\n\n",
        "o\n1\n{root}\next\n\n",
        "o\x01\n1\n{root}\n",
    ],
)
def test_malformed_checkpoints(text: str) -> None:
    with pytest.raises(MalformedNote, match="malformed checkpoint"):
        Checkpoint.parse(text.format(root=base64.b64encode(ROOT).decode()))


def test_checkpoint_fields_are_checked() -> None:
    for args in [("", 1, ROOT), ("a\nb", 1, ROOT), ("o", -1, ROOT), ("o", 2**64, ROOT)]:
        with pytest.raises(MalformedNote):
            Checkpoint(*args)
    with pytest.raises(MalformedNote):
        Checkpoint("o", 1, ROOT[:31])
    with pytest.raises(MalformedNote):
        Checkpoint("o", 1, ROOT, ("",))
    with pytest.raises(MalformedNote):
        Checkpoint("o", True, ROOT)


printable = st.text(
    st.characters(exclude_categories=["Cs"], exclude_characters="\n", min_codepoint=0x20),
    min_size=1,
)


@settings(max_examples=200, deadline=None)
@given(
    printable, st.integers(0, 2**64 - 1), st.binary(min_size=32, max_size=32), st.lists(printable)
)
def test_checkpoint_round_trip(origin: str, size: int, root: bytes, ext: list[str]) -> None:
    cp = Checkpoint(origin, size, root, tuple(ext))
    assert Checkpoint.parse(cp.body()) == cp


# --- fuzzing: NoteError or nothing -------------------------------------------------------------

SIGNER = Signer.from_seed("fuzz.example/log", SEED)
VALID = sign_note(Checkpoint("fuzz.example/log", 5, ROOT).body(), [SIGNER])


def _only_note_errors(note: str) -> None:
    try:
        text = verify_note(note, [SIGNER.vkey, GO_VKEY])
    except NoteError:
        return
    assert note.startswith(text)
    with contextlib.suppress(NoteError):
        Checkpoint.parse(text)


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_fuzz_arbitrary_text(note: str) -> None:
    _only_note_errors(note)
    with contextlib.suppress(NoteError):
        Checkpoint.parse(note)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(f"{EM} \nAa+/=0x\u00e9.-"), max_size=80))
def test_fuzz_note_like_text(tail: str) -> None:
    _only_note_errors(VALID[:30] + tail)
    _only_note_errors("text\n\n" + tail)


@settings(max_examples=300, deadline=None)
@given(st.integers(0, len(VALID)), st.integers(0, 5), st.text(max_size=3))
def test_fuzz_mutations_of_a_valid_note(at: int, cut: int, insert: str) -> None:
    mutated = VALID[:at] + insert + VALID[at + cut :]
    if mutated == VALID:
        assert verify_note(mutated, [SIGNER.vkey])
        return
    with pytest.raises(NoteError):
        verify_note(mutated, [SIGNER.vkey])


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_fuzz_keys(key: str) -> None:
    for parse in (Verifier.from_vkey, Signer.from_skey):
        with contextlib.suppress(NoteError):
            parse(key)
