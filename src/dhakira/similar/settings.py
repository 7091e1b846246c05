"""Thresholds for near-duplicate matching: defaults measured by bench/similar_eval.py.

An archive overrides any of them in an ``[similar]`` table of ``archive.toml``; each default
is justified, with the figures, in docs/similar.md.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from dhakira.errors import InputError


@dataclass(frozen=True)
class Settings:
    image_distance: int = 31
    """PDQ bits (of 256) within which two images (any stored variant) are the same picture."""
    image_distance_loose: int = 80
    """Up to this PDQ distance, an image pair still matches if the pHash agrees too."""
    phash_distance: int = 10
    """pHash bits (of 64) that count as agreement (second opinion)."""
    min_quality: int = 50
    """PDQ quality below which a hash is not trusted on its own (pHash must agree as well)."""
    frame_distance: int = 48
    """PDQ bits within which two video frames are neighbours."""
    frame_quality: int = 30
    """Video frames with a lower PDQ quality (black, flat, faded) are dropped."""
    repeat_distance: int = 12
    """A frame this close to the last kept one (and < repeat_span_s after it) is dropped."""
    repeat_span_s: float = 6.0
    """A still scene keeps one frame at least this often."""
    frame_every_s: float = 2.0
    """At least one frame this often: decoded beyond the keyframes when keyframes are sparser."""
    decoded_every_s: float = 1.0
    """When frames are decoded beyond the keyframes, one is kept this often (the decoding costs
    the same; hashing more frames is cheap, and a denser sampling meets more copies in phase)."""
    offset_tolerance_s: float = 1.5
    """Matched frames agree on the time offset between two videos within this many seconds."""
    min_frames: int = 3
    """Matched frames with agreeing offsets needed to link two videos (fewer if one is short)."""
    min_fraction: float = 0.3
    """...and that share of the shorter video's frames."""
    unrelated_distance: int = 96
    """A frame this far (PDQ bits) from every frame of another video at the same moment
    shows something else there; more such frames than agreeing ones: not the same footage."""
    boilerplate_max_s: float = 15.0
    """A shared opening or closing stretch up to this long, and no more, may be an intro or
    outro (media centres' logo sequences run 3-10 s; a longer shared start is footage)."""
    same_moment_s: float = 0.25
    """Behind a shared intro (offset about 0), a query frame is compared with the other video's
    frames this close in time (after the agreed offset): the same moment, whatever the frame
    rates. Fast footage a second away is another picture under PDQ, so a true copy sampled at
    other moments (another encode's keyframes) is not taken for a different video."""
    outro_moment_s: float = 1.0
    """Before a shared outro (both videos end together), with the other's frames this close:
    footage of another length before the outro is sampled at other moments (the sampling
    steps are 1-2 s), so only the nearest frames can say that it differs."""

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Settings:
        table = config.get("similar", {})
        if not isinstance(table, dict):
            raise InputError("archive.toml: [similar] must be a table of settings")
        known = {f.name: f.type for f in fields(cls)}
        values: dict[str, Any] = {}
        for key, value in table.items():
            if key not in known:
                raise InputError(
                    f"archive.toml: unknown setting similar.{key} (known: {', '.join(known)})"
                )
            want = float if "float" in str(known[key]) else int
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise InputError(f"archive.toml: similar.{key} must be a number")
            values[key] = want(value)
        return cls(**values)
