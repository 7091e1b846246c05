"""C2SP signed notes (https://c2sp.org/signed-note) and checkpoints (https://c2sp.org/tlog-checkpoint).

A signed note is a text, a blank line, and one signature line per key::

    example.org/log
    42
    <base64 of the 32-byte root hash>

    \u2014 example.org/log <base64 of key ID and signature>

Each signature line is an em dash (U+2014), a space, the key name, a space and
base64(4-byte key ID || Ed25519 signature of the text). The key ID is the first four bytes of
SHA-256(key name || 0x0A || 0x01 || 32-byte public key). Keys are written as in Go's
``golang.org/x/mod/sumdb/note``::

    verifier key:  <name>+<key ID, 8 hex digits>+base64(0x01 || public key)
    signer key:    PRIVATE+KEY+<name>+<key ID, 8 hex digits>+base64(0x01 || 32-byte seed)

Verification follows the specification (and Go's ``note.Open``): signatures from unknown keys
(name and key ID not both matching a given key) are ignored; a signature from a given key that
does not verify rejects the note; at least one signature from a given key must verify.

Depends only on the standard library and ``cryptography`` (for Ed25519).
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

__all__ = [
    "ALG_ED25519",
    "BadSignature",
    "Checkpoint",
    "MalformedNote",
    "NoteError",
    "Signer",
    "UnknownKey",
    "Verifier",
    "b64decode_strict",
    "key_id",
    "sign_note",
    "valid_name",
    "verify_note",
]

ALG_ED25519 = 0x01
SIG_PREFIX = "\u2014 "  # em dash, space
MAX_SIGNATURES = 100  # as Go's note.Open


class NoteError(ValueError):
    """A note, key or checkpoint that cannot be accepted; the message says why."""


class MalformedNote(NoteError):
    """The note (or key, or checkpoint) is not well-formed."""


class UnknownKey(NoteError):
    """No signature in the note is from any of the given keys."""


class BadSignature(NoteError):
    """A signature from one of the given keys does not verify."""


def b64decode_strict(text: str) -> bytes:
    """Standard base64 (RFC 4648 section 4) in its one canonical form, or MalformedNote."""
    try:
        raw = base64.b64decode(text, validate=True)
    except ValueError:  # includes binascii.Error and non-ASCII input
        raise MalformedNote("not base64") from None
    if base64.b64encode(raw).decode("ascii") != text:
        raise MalformedNote("not canonical base64")
    return raw


def _is_clean(text: str) -> bool:
    """Valid UTF-8 text without ASCII control characters other than newline."""
    if any(ord(c) < 0x20 and c != "\n" for c in text):
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates
        return False
    return True


def valid_name(name: str) -> bool:
    """A key name: non-empty, no Unicode space, no '+', no control character."""
    return (
        isinstance(name, str)
        and name != ""
        and "+" not in name
        and not any(c.isspace() for c in name)
        and _is_clean(name)
    )


def key_id(name: str, public_key: bytes) -> bytes:
    """The 4-byte key ID of an Ed25519 key: SHA-256(name || 0x0A || 0x01 || public key)[:4]."""
    data = name.encode("utf-8") + b"\n" + bytes([ALG_ED25519]) + public_key
    return hashlib.sha256(data).digest()[:4]


def _key_id_field(field: str) -> bytes:
    if not re.fullmatch(r"[0-9a-fA-F]{8}", field):
        raise MalformedNote("the key ID must be 8 hexadecimal digits")
    return bytes.fromhex(field)


def _typed_key(field: str) -> bytes:
    raw = b64decode_strict(field)
    if len(raw) != 33 or raw[0] != ALG_ED25519:
        raise MalformedNote("the key is not 0x01 followed by a 32-byte Ed25519 key")
    return raw[1:]


@dataclass(frozen=True)
class Verifier:
    """A public key that checks signatures: its name, key ID and 32-byte Ed25519 key."""

    name: str
    key_id: bytes
    public_key: bytes

    @classmethod
    def from_vkey(cls, vkey: str) -> Verifier:
        """Parse ``name+hexkeyid+base64(0x01 || public key)``; raises MalformedNote."""
        if not isinstance(vkey, str):
            raise MalformedNote("invalid verifier key: not a string")
        parts = vkey.split("+", 2)
        if len(parts) != 3:
            raise MalformedNote("invalid verifier key: expected name+keyid+key")
        name, id_field, key_field = parts
        if not valid_name(name):
            raise MalformedNote("invalid verifier key: invalid key name")
        try:
            kid = _key_id_field(id_field)
            public = _typed_key(key_field)
            Ed25519PublicKey.from_public_bytes(public)
        except ValueError as e:
            raise MalformedNote(f"invalid verifier key: {e}") from None
        if key_id(name, public) != kid:
            raise MalformedNote("invalid verifier key: the key ID does not match the key")
        return cls(name, kid, public)

    @property
    def vkey(self) -> str:
        """The verifier key string, ``name+keyid+base64(0x01 || public key)``."""
        typed = base64.b64encode(bytes([ALG_ED25519]) + self.public_key).decode("ascii")
        return f"{self.name}+{self.key_id.hex()}+{typed}"

    def verify(self, message: bytes, signature: bytes) -> bool:
        """Whether ``signature`` is this key's Ed25519 signature of ``message``."""
        if len(signature) != 64:
            return False
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key).verify(signature, message)
        except (InvalidSignature, ValueError):
            return False
        return True


class Signer:
    """A named Ed25519 private key that signs notes."""

    def __init__(self, name: str, private_key: Ed25519PrivateKey) -> None:
        if not valid_name(name):
            raise NoteError(f"invalid key name {name!r}: it must be non-empty, without spaces or +")
        self.name = name
        self._key = private_key
        self.public_key = private_key.public_key().public_bytes_raw()
        self.key_id = key_id(name, self.public_key)

    @classmethod
    def generate(cls, name: str) -> Signer:
        """A new random key."""
        return cls(name, Ed25519PrivateKey.generate())

    @classmethod
    def from_seed(cls, name: str, seed: bytes) -> Signer:
        """The key with the given 32-byte RFC 8032 seed (private key)."""
        if len(seed) != 32:
            raise NoteError("an Ed25519 seed is 32 bytes")
        return cls(name, Ed25519PrivateKey.from_private_bytes(seed))

    @classmethod
    def from_skey(cls, skey: str) -> Signer:
        """Parse ``PRIVATE+KEY+name+hexkeyid+base64(0x01 || seed)``; raises MalformedNote."""
        parts = skey.split("+", 4) if isinstance(skey, str) else []
        if len(parts) != 5 or parts[0] != "PRIVATE" or parts[1] != "KEY":
            raise MalformedNote("invalid signer key: expected PRIVATE+KEY+name+keyid+key")
        _, _, name, id_field, key_field = parts
        if not valid_name(name):
            raise MalformedNote("invalid signer key: invalid key name")
        try:
            kid = _key_id_field(id_field)
            signer = cls.from_seed(name, _typed_key(key_field))
        except ValueError as e:
            raise MalformedNote(f"invalid signer key: {e}") from None
        if signer.key_id != kid:
            raise MalformedNote("invalid signer key: the key ID does not match the key")
        return signer

    @property
    def seed(self) -> bytes:
        return self._key.private_bytes_raw()

    @property
    def skey(self) -> str:
        """The signer key string (secret!), ``PRIVATE+KEY+name+keyid+base64(0x01 || seed)``."""
        typed = base64.b64encode(bytes([ALG_ED25519]) + self.seed).decode("ascii")
        return f"PRIVATE+KEY+{self.name}+{self.key_id.hex()}+{typed}"

    @property
    def verifier(self) -> Verifier:
        return Verifier(self.name, self.key_id, self.public_key)

    @property
    def vkey(self) -> str:
        """The verifier key string, ``name+keyid+base64(0x01 || public key)``."""
        return self.verifier.vkey

    def sign(self, message: bytes) -> bytes:
        return self._key.sign(message)


def _check_text(text: str) -> None:
    if not isinstance(text, str) or not text.endswith("\n"):
        raise MalformedNote("malformed note: the text must end with a newline")
    if not _is_clean(text):
        raise MalformedNote("malformed note: control character or invalid UTF-8")


def sign_note(text: str, signers: Sequence[Signer]) -> str:
    """The signed note: ``text``, a blank line, then one signature line per signer."""
    _check_text(text)
    if not signers:
        raise NoteError("a note needs at least one signer")
    message = text.encode("utf-8")
    lines = []
    for s in signers:
        sig = base64.b64encode(s.key_id + s.sign(message)).decode("ascii")
        lines.append(f"{SIG_PREFIX}{s.name} {sig}\n")
    return text + "\n" + "".join(lines)


def verify_note(note: str, verifiers: Sequence[str | Verifier]) -> str:
    """Check a signed note against the given keys and return its text (ending in newline).

    Raises MalformedNote, UnknownKey (no signature from any given key) or BadSignature.
    An invalid verifier key string raises MalformedNote too.
    """
    keys = [v if isinstance(v, Verifier) else Verifier.from_vkey(v) for v in verifiers]
    if not isinstance(note, str) or not _is_clean(note):
        raise MalformedNote("malformed note: control character or invalid UTF-8")
    split = note.rfind("\n\n")
    if split < 0:
        raise MalformedNote("malformed note: no blank line before the signatures")
    text, block = note[: split + 1], note[split + 2 :]
    if not block.endswith("\n"):
        raise MalformedNote("malformed note: no signature line, or it does not end in newline")
    lines = block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise MalformedNote(f"malformed note: more than {MAX_SIGNATURES} signatures")
    message = text.encode("utf-8")
    seen: set[tuple[str, bytes]] = set()
    verified = 0
    for line in lines:
        if not line.startswith(SIG_PREFIX):
            raise MalformedNote("malformed note: a signature line must start with an em dash")
        name, _, b64 = line[len(SIG_PREFIX) :].partition(" ")
        if not valid_name(name):
            raise MalformedNote("malformed note: invalid key name in a signature line")
        try:
            sig = b64decode_strict(b64)
        except MalformedNote:
            raise MalformedNote("malformed note: a signature is not base64") from None
        if len(sig) < 5:
            raise MalformedNote("malformed note: a signature is too short")
        kid, sig = sig[:4], sig[4:]
        key = next((k for k in keys if k.name == name and k.key_id == kid), None)
        if key is None or (name, kid) in seen:
            continue  # unknown key (ignored), or a repeated signature by one key (as Go)
        seen.add((name, kid))
        if not key.verify(message, sig):
            raise BadSignature(
                f"bad signature: the signature by {name}+{kid.hex()} does not verify"
            )
        verified += 1
    if not verified:
        names = ", ".join(f"{k.name}+{k.key_id.hex()}" for k in keys) or "no keys given"
        raise UnknownKey(f"unknown key: the note has no signature by {names}")
    return text


_SIZE = re.compile(r"0|[1-9][0-9]{0,19}")


@dataclass(frozen=True)
class Checkpoint:
    """A C2SP tlog-checkpoint: the log's origin, tree size and RFC 9162 root hash."""

    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.origin or "\n" in self.origin or not _is_clean(self.origin):
            raise MalformedNote("malformed checkpoint: invalid origin")
        if type(self.size) is not int or not 0 <= self.size < 2**64:
            raise MalformedNote("malformed checkpoint: invalid tree size")
        if not isinstance(self.root, bytes) or len(self.root) != 32:
            raise MalformedNote("malformed checkpoint: the root hash must be 32 bytes")
        for ext in self.extensions:
            if not ext or "\n" in ext or not _is_clean(ext):
                raise MalformedNote("malformed checkpoint: invalid extension line")

    def body(self) -> str:
        """The note text: origin, size, base64 root hash, extension lines; each ends in \\n."""
        root = base64.b64encode(self.root).decode("ascii")
        return "".join(
            f"{line}\n" for line in (self.origin, str(self.size), root, *self.extensions)
        )

    @classmethod
    def parse(cls, text: str) -> Checkpoint:
        """Parse a checkpoint body (a verified note's text); raises MalformedNote."""
        if not isinstance(text, str) or not text.endswith("\n"):
            raise MalformedNote("malformed checkpoint: it must end with a newline")
        lines = text[:-1].split("\n")
        if len(lines) < 3:
            raise MalformedNote("malformed checkpoint: fewer than three lines")
        origin, size, root, *extensions = lines
        if not _SIZE.fullmatch(size):
            raise MalformedNote("malformed checkpoint: the size is not a decimal number")
        try:
            root_hash = b64decode_strict(root)
        except MalformedNote:
            raise MalformedNote("malformed checkpoint: the root hash is not base64") from None
        return cls(origin, int(size), root_hash, tuple(extensions))

    def sign(self, signers: Sequence[Signer]) -> str:
        """This checkpoint as a signed note."""
        return sign_note(self.body(), signers)

    @classmethod
    def verify(cls, note: str, verifiers: Sequence[str | Verifier]) -> Checkpoint:
        """Verify a signed checkpoint note and parse it; raises NoteError."""
        return cls.parse(verify_note(note, verifiers))
