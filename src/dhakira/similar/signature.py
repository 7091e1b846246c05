"""What a signature is: perceptual hashes of an original, and why one could not be made."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pdqhash

from dhakira.errors import DhakiraError

HASH_BYTES = 32  # PDQ: 256 bits
MIRROR = 5  # the left-right mirror among pdqhash's 8 dihedral hashes


class SignatureError(DhakiraError):
    """This original gives no signature (corrupt, truncated, too large, no picture)."""

    exit_code = 1
    http_status = 422


@dataclass(frozen=True)
class Hash:
    variant: str  # image: full | trim | centre (stored); d1..d7 (query only); video: frame
    bits: bytes  # 32 bytes, np.packbits of pdqhash's 256-bit vector
    quality: int  # PDQ quality 0..100
    t: float | None = None  # the frame's time in seconds (video)
    phash: int | None = None  # 64-bit pHash of the same picture, where computed


@dataclass(frozen=True)
class Signature:
    kind: str  # image | video
    hashes: list[Hash]
    width: int | None = None
    height: int | None = None
    duration_s: float | None = None
    note: str | None = None  # e.g. "short video: 1 frame"
    picture: tuple[int, int] | None = None  # width, height inside uniform borders (images)
    query_only: list[Hash] = field(default_factory=list)  # mirrors/rotations: compared, not kept

    @property
    def frames(self) -> int:
        return sum(1 for h in self.hashes if h.variant == "frame")


def pdq(rgb: np.ndarray) -> tuple[bytes, int]:
    """PDQ hash (packed, 32 bytes) and quality of an RGB uint8 array."""
    vector, quality = pdqhash.compute(np.ascontiguousarray(rgb))
    return np.packbits(vector.astype(np.uint8)).tobytes(), int(quality)


def pdq_dihedral(rgb: np.ndarray) -> list[tuple[bytes, int]]:
    """The 8 rotations/mirrors' PDQ hashes (identity first), for the cost of about one."""
    vectors, quality = pdqhash.compute_dihedral(np.ascontiguousarray(rgb))
    return [(np.packbits(v.astype(np.uint8)).tobytes(), int(quality)) for v in vectors]


def hamming(a: bytes, b: bytes) -> int:
    return int.from_bytes(a, "big").__xor__(int.from_bytes(b, "big")).bit_count()
