"""Deciding which index hits are copies: pure functions, no I/O.

* image ↔ image: the smallest PDQ distance over the stored variants (full, borders trimmed,
  centre) and the query's rotations/mirrors. Within ``image_distance`` it is a match; up to
  ``image_distance_loose`` only if the pHash of the same variants agrees too. A low-quality
  hash (near-uniform picture) needs both.
* video ↔ video: frames within ``frame_distance`` vote for the time offset between the two
  videos; the largest set of frames that agree on it (± ``offset_tolerance_s``) must be at least
  ``min_frames`` and ``min_fraction`` of the shorter video. The agreed offset locates a clip in
  the longer video. Each frame votes with its whole picture and its centre (logos, bars);
  the query's mirrored frames vote separately (a mirrored copy).
  A shared intro or outro (a media centre's logo sequence on every video it publishes) makes
  frames of two different videos agree at one offset; so frames that look nothing like any
  frame of the other video near the same moment (≥ ``unrelated_distance`` bits, whole and
  centre alike) are unlike it. Agreeing frames that are only a short opening stretch (within
  ``same_moment_s``) or closing stretch (within ``outro_moment_s``: footage of other lengths
  is sampled at other moments), outnumbered by unlike frames after or before it, are set aside
  and the next offset is tried.
* image ↔ video frame: a still (screenshot, thumbnail) matched like an image against frames;
  the frame's time is reported.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from statistics import median
from typing import Any, Protocol

import numpy as np

from dhakira.similar.index import Hit
from dhakira.similar.settings import Settings
from dhakira.similar.signature import Hash, Signature


@dataclass(frozen=True)
class Match:
    item_id: int
    method: str  # image | video | video-mirrored | frame
    distance: int  # PDQ bits: the best (image, frame) or the median of matched frames (video)
    score: float  # 0..1, higher is closer
    frames: int = 0  # matched frames with agreeing offsets (video)
    offset_s: float | None = None  # video: where the query's 0 s falls in the other; frame: t
    detail: str = ""

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


class FrameStore(Protocol):
    """What a decision reads of the stored videos (``HashIndex`` is one)."""

    @property
    def frames(self) -> Mapping[int, int]:
        """Stored frames per item."""
        ...

    def item_frames(self, item_id: int, variant: str = "frame") -> tuple[np.ndarray, np.ndarray]:
        """An item's frames of one variant in time order: times, codes (rows of 32 bytes)."""
        ...


def query_hashes(sig: Signature) -> list[Hash]:
    return [*sig.hashes, *sig.query_only]


def radius(s: Settings) -> int:
    return max(s.image_distance_loose, s.frame_distance)


def _pbits(a: int | None, b: int | None) -> int | None:
    return None if a is None or b is None else (a ^ b).bit_count()


def image_pair_ok(d: int, qa: int, qb: int, p: int | None, s: Settings) -> bool:
    trusted = min(qa, qb) >= s.min_quality
    if trusted and d <= s.image_distance:
        return True
    limit = s.image_distance_loose if trusted else s.image_distance
    return d <= limit and p is not None and p <= s.phash_distance


def decide(sig: Signature, hits: list[Hit], store: FrameStore, s: Settings) -> list[Match]:
    """The matches among ``hits`` (of ``query_hashes(sig)``), best first."""
    queries = query_hashes(sig)
    by_item: dict[int, list[Hit]] = defaultdict(list)
    for h in hits:
        by_item[h.item_id].append(h)
    out: list[Match] = []
    for item_id, item_hits in by_item.items():
        m = _video(sig, queries, item_hits, item_id, store, s) if sig.kind == "video" else None
        m = m or _still(sig, queries, item_hits, s)
        if m is not None:
            out.append(Match(item_id, *m))
    return sorted(out, key=lambda m: (-m.score, m.distance, m.item_id))


def _rank(a: str, b: str) -> int:
    """How well a pair of regions places a still in a video, best first: 0, like scales (a
    whole picture against a whole frame, a middle against a middle); 1, one of the 85 %
    windows against a whole frame; 2, crossed (a middle against a whole or a window). In a
    zooming shot the middle of one frame is a later frame whole, so a crossed pair, or a
    window, can put a still at the wrong moment: they count only when no better pair does (a
    still that is the middle of a frame)."""
    middle_a, middle_b = _middle(a), _middle(b)
    if middle_a != middle_b:
        return 2
    return 0 if middle_a or (_whole(a) and _whole(b)) else 1


def _middle(v: str) -> bool:
    return v in ("centre", "fcentre") or v.startswith("turn")


def _whole(v: str) -> bool:
    """The whole picture: as stored, inside its bars, rotated or mirrored (``d1``..``d7``)."""
    return v in ("full", "trim", "bars", "frame", "mirror") or _turned_over(v)


def _turned_over(v: str) -> bool:
    """A mirrored or rotated copy's hash (``mirror``, ``d1``..``d7``)."""
    return v == "mirror" or (v[:1] == "d" and v[1:].isdigit())


def _still(
    sig: Signature, queries: list[Hash], hits: list[Hit], s: Settings
) -> tuple[str, int, float, int, float | None, str] | None:
    """An image against an image (the closest pair of regions), or a still against one frame
    (the closest pair of the best ``_rank``: a video's mirrored frames meet a stored image as
    a stored video's frames meet a new image's mirror, whichever came first)."""
    best: tuple[int, bool, int, Hit, Hash] | None = None
    for h in hits:
        q = queries[h.query]
        if sig.kind == "video" and h.t is not None:
            continue  # video ↔ video is decided by offsets, not one frame
        p = _pbits(q.phash, h.phash)
        if not image_pair_ok(h.distance, q.quality, h.quality, p, s):
            continue
        rank, flipped = 0, False
        if sig.kind == "video" or h.t is not None:  # the picture straight before its mirror
            rank = _rank(q.variant, h.variant)
            flipped = _turned_over(q.variant) or _turned_over(h.variant)
        if best is None or (rank, flipped, h.distance) < best[:3]:
            best = (rank, flipped, h.distance, h, q)
    if best is None:
        return None
    _, _, d, h, q = best
    t = h.t if h.t is not None else q.t
    method = "frame" if t is not None else "image"
    how = f"{q.variant}~{h.variant}"
    return method, d, round(1 - d / 128, 3), 0, t, how


def _video(
    sig: Signature, queries: list[Hash], hits: list[Hit], other: int, store: FrameStore, s: Settings
) -> tuple[str, int, float, int, float | None, str] | None:
    other_frames = store.frames.get(other, 0)
    if other_frames == 0:
        return None
    best: tuple[str, int, float, int, float | None, str] | None = None
    for family, method in ((("frame", "fcentre"), "video"), (("mirror",), "video-mirrored")):
        votes = [
            (h.t - q.t, q.t, h.t, h.distance)
            for h in hits
            if h.t is not None
            and (q := queries[h.query]).t is not None
            and q.variant in family
            and h.variant == ("frame" if q.variant == "mirror" else q.variant)  # a zoom's
            and h.distance <= s.frame_distance  # centre is its later whole frame: no crossing
        ]
        cand = _offset(votes, queries, family[0], method, other, other_frames, store, s)
        if cand is not None and (best is None or cand[2] > best[2]):
            best = cand
    return best


def _offset(
    votes: list[tuple[float, float, float, int]],
    queries: list[Hash],
    variant: str,
    method: str,
    other: int,
    other_frames: int,
    store: FrameStore,
    s: Settings,
) -> tuple[str, int, float, int, float | None, str] | None:
    """The best offset the votes agree on that makes a link: the largest agreeing set first;
    one that is only a shared intro or outro is set aside and the next is tried (two cuts of
    the same footage behind the same intro agree at offset 0 too, and at their own)."""
    mine = sum(1 for q in queries if q.variant == variant)
    shorter = max(1, min(mine, other_frames))
    need = min(s.min_frames, shorter)
    theirs: dict[str, tuple[np.ndarray, np.ndarray]] = {}  # the other's frames, read once

    def frames_of(v: str) -> tuple[np.ndarray, np.ndarray]:
        if v not in theirs:
            theirs[v] = store.item_frames(other, v)
        return theirs[v]

    found_unlike: dict[tuple[float, float], list[float]] = {}

    def unlike_at(offset: float, tol: float) -> list[float]:
        """The query frames unlike the other's within tol s, at this offset (computed once)."""
        if (offset, tol) not in found_unlike:
            found_unlike[offset, tol] = _disagreeing(queries, variant, frames_of, offset, tol, s)
        return found_unlike[offset, tol]

    while found := agree(votes, s.offset_tolerance_s):
        n, offset, dists = found
        fraction = n / shorter
        if n < need or fraction < s.min_fraction:
            return None  # the largest agreeing set is too small: the next ones are smaller
        if n < s.min_frames and min(dists) > s.image_distance:
            return None  # a short video with few frames must match them closely
        unlike = unlike_at(offset, s.same_moment_s)
        agreeing = [v[1] for v in votes if abs(v[0] - offset) <= s.offset_tolerance_s]
        # (the other's frames are read only for a candidate this large)
        ends = _ends(queries, variant, frames_of)
        if _boilerplate(agreeing, unlike_at, n, offset, ends, s):
            votes = [v for v in votes if abs(v[0] - offset) > s.offset_tolerance_s]
            continue
        d = int(median(dists))
        score = round(min(1.0, fraction) * (1 - d / 128), 3)
        detail = f"{n}/{shorter} frames" + (f", {len(unlike)} unlike" if unlike else "")
        return method, d, score, n, round(offset, 2), detail
    return None


FramesOf = Callable[[str], tuple[np.ndarray, np.ndarray]]  # the other video's, by variant


def _ends(queries: list[Hash], variant: str, frames_of: FramesOf) -> tuple[float, float]:
    """The last frame time of the query and of the other video."""
    mine = max((q.t for q in queries if q.variant == variant and q.t is not None), default=0.0)
    times, _ = frames_of("frame")
    return mine, float(times[-1]) if len(times) else 0.0


def _boilerplate(
    agreeing: list[float],
    unlike_at: Callable[[float, float], list[float]],
    n: int,
    offset: float,
    ends: tuple[float, float],
    s: Settings,
) -> bool:
    """Whether frames that agree are only a shared opening or closing stretch, outnumbered
    by unlike frames: an intro (at the start of both: offset about 0, every unlike frame
    after it, unlike at the same moment) or an outro (both end together, every unlike frame
    before it, unlike the other's frames within ``outro_moment_s``), at most
    ``boilerplate_max_s`` long. An edit that keeps pieces of the footage agrees elsewhere or
    between unlike stretches; a copy under overlays has few unlike frames."""
    if not agreeing or max(agreeing) - min(agreeing) > s.boilerplate_max_s:
        return False
    if abs(offset) <= s.offset_tolerance_s:
        unlike = unlike_at(offset, s.same_moment_s)
        if len(unlike) > n and max(agreeing) < min(unlike):
            return True
    near = 2 * s.offset_tolerance_s  # the last frames sampled may lie a GOP apart
    if abs(ends[0] + offset - ends[1]) <= near:
        unlike = unlike_at(offset, s.outro_moment_s)
        if len(unlike) > n and min(agreeing) > max(unlike):
            return True
    return False


def _disagreeing(
    queries: list[Hash], variant: str, frames_of: FramesOf, offset: float, tol: float, s: Settings
) -> list[float]:
    """Times of the query frames that, moved by ``offset``, meet the other video where it has
    frames within ``tol`` seconds and are ≥ ``unrelated_distance`` bits from every one of
    them, whole frame and centre alike (``variant`` "mirror": the mirrored frames against
    whole frames); a frame that meets none is not counted. A frame a second away in fast
    footage can be another picture under PDQ: unlike frames only ever set aside the agreeing
    frames of an intro or outro shape (``_boilerplate``), never footage agreeing elsewhere."""
    pairs = (
        (("mirror", "frame"),)
        if variant == "mirror"
        else (("frame", "frame"), ("fcentre", "fcentre"))
    )
    nearest: dict[float, int] = {}
    for mine, theirs in pairs:
        times, codes = frames_of(theirs)
        mine_q = [q for q in queries if q.variant == mine and q.t is not None]
        if not len(times) or not mine_q:
            continue
        at = np.array([q.t for q in mine_q]) + offset
        qbits = np.frombuffer(b"".join(q.bits for q in mine_q), np.uint8).reshape(len(mine_q), -1)
        lo = np.searchsorted(times, at - tol, side="left")
        hi = np.searchsorted(times, at + tol, side="right")
        best = np.full(len(mine_q), 1 << 16)
        for k in range(int((hi - lo).max(initial=0))):  # the other's frames in each window
            inside = lo + k < hi
            d = np.bitwise_count(codes[(lo + k)[inside]] ^ qbits[inside]).sum(axis=1)
            best[inside] = np.minimum(best[inside], d)
        for q, d in zip(mine_q, best.tolist(), strict=True):
            if d < 1 << 16:
                assert q.t is not None
                nearest[q.t] = min(nearest.get(q.t, d), d)
    return sorted(t for t, d in nearest.items() if d >= s.unrelated_distance)


def agree(
    votes: list[tuple[float, float, float, int]], tolerance: float
) -> tuple[int, float, list[int]] | None:
    """The largest set of votes (offset, query frame time, other frame time, distance) whose offsets
    lie within ``tolerance`` of their median; each query frame and each other frame counted
    once. Returns (count, median offset, distances)."""
    if not votes:
        return None
    votes = sorted(votes)
    best: tuple[int, float, list[int]] | None = None
    j = 0
    for i in range(len(votes)):
        while votes[i][0] - votes[j][0] > 2 * tolerance:
            j += 1
        window = votes[j : i + 1]
        # one vote per query frame and per other frame: keep the closest
        seen_q: set[float] = set()
        seen_t: set[float] = set()
        chosen = []
        for v in sorted(window, key=lambda v: v[3]):
            if v[1] in seen_q or v[2] in seen_t:
                continue
            seen_q.add(v[1])
            seen_t.add(v[2])
            chosen.append(v)
        if best is None or len(chosen) > best[0]:
            best = (len(chosen), median(v[0] for v in chosen), [v[3] for v in chosen])
    return best
