"""The index finds exactly what brute force finds; matching rules; settings; groups."""

from __future__ import annotations

import random

import numpy as np
import pytest

from dhakira.errors import InputError
from dhakira.similar.groups import Member, components, quality_key
from dhakira.similar.index import HashIndex
from dhakira.similar.match import agree, decide, image_pair_ok, query_hashes, radius
from dhakira.similar.settings import Settings
from dhakira.similar.signature import Hash, Signature, hamming


def _bits(rng: random.Random) -> bytes:
    return rng.randbytes(32)


def _flip(bits: bytes, n: int, rng: random.Random) -> bytes:
    v = bytearray(bits)
    for i in rng.sample(range(256), n):
        v[i // 8] ^= 1 << (i % 8)
    return bytes(v)


def test_range_search_equals_brute_force() -> None:
    rng = random.Random(1)
    index = HashIndex()
    stored = []
    for item in range(200):
        base = _bits(rng)
        hashes = [
            Hash("frame", _flip(base, rng.randrange(0, 80), rng), 90, float(t)) for t in range(5)
        ]
        stored += [(item, h) for h in hashes]
        index.add(item, hashes)
    assert len(index) == 1000 and index.frames[0] == 5
    query = Hash("full", _flip(stored[17][1].bits, 20, rng), 100)
    hits = index.search([query], 60)
    want = {(i, h.t) for i, h in stored if hamming(h.bits, query.bits) <= 60}
    assert {(h.item_id, h.t) for h in hits} == want and want
    assert all(
        h.distance
        == hamming(query.bits, next(s.bits for i, s in stored if (i, s.t) == (h.item_id, h.t)))
        for h in hits
    )
    assert all(h.item_id != 3 for h in index.search([query], 256, exclude=3))


def _video(frames: list[tuple[float, bytes]]) -> Signature:
    return Signature("video", [Hash("frame", b, 100, t) for t, b in frames])


def test_videos_match_when_offsets_agree() -> None:
    rng = random.Random(2)
    s = Settings()
    long_frames = [(float(t), _bits(rng)) for t in range(30)]
    index = HashIndex()
    index.add(1, _video(long_frames).hashes)
    # a clip of seconds 10..19, re-encoded (a few bits flipped), with its own time from 0
    clip = _video([(t - 10.0 + 0.3, _flip(b, 12, rng)) for t, b in long_frames[10:20]])
    hits = index.search(query_hashes(clip), radius(s))
    [m] = decide(clip, hits, index, s)
    assert m.method == "video" and m.frames == 10
    assert m.offset_s == pytest.approx(9.7, abs=0.01)
    # the same frames in a shuffled order: neighbours, but few agree on one offset
    order = list(range(10, 20))
    random.Random(3).shuffle(order)
    shuffled = _video(
        [(float(k) * 3, _flip(long_frames[i][1], 12, rng)) for k, i in enumerate(order)]
    )
    strict = Settings(min_frames=5)
    hits = index.search(query_hashes(shuffled), radius(s))
    assert decide(shuffled, hits, index, strict) == []
    assert decide(clip, index.search(query_hashes(clip), radius(s)), index, strict)


def test_a_shared_intro_is_not_the_same_footage() -> None:
    """Two different videos that start with the same 3 frames (a media centre's logo
    sequence) agree at offset 0, and at the same moments afterwards show unrelated pictures:
    no link. The same first frames followed by near-misses (a copy under a heavy overlay),
    or by frames the other video has only at other moments (fast footage sampled elsewhere),
    stay a link."""
    rng = random.Random(5)
    s = Settings()
    intro = [(float(t), _bits(rng)) for t in (0, 2, 4)]
    mine = _video(intro + [(float(t), _bits(rng)) for t in range(6, 16, 2)])
    theirs = intro + [(float(t), _bits(rng)) for t in range(6, 16, 2)]
    index = HashIndex()
    index.add(1, _video(theirs).hashes)
    hits = index.search(query_hashes(mine), radius(s))
    assert decide(mine, hits, index, s) == []
    [m] = decide(mine, hits, index, Settings(unrelated_distance=257))  # without the check
    assert m.frames == 3 and m.offset_s == 0
    # the same intro, then what the other shows at those moments, 60 bits off: still a copy
    overlaid = _video(intro + [(t, _flip(b, 60, rng)) for t, b in theirs[3:]])
    [m] = decide(overlaid, index.search(query_hashes(overlaid), radius(s)), index, s)
    assert m.frames == 3 and "unlike" not in m.detail
    # the other's frames half a second away are other pictures, not evidence against
    elsewhere = _video(intro + [(t + 0.5, _bits(rng)) for t, _ in theirs[3:]])
    [m] = decide(elsewhere, index.search(query_hashes(elsewhere), radius(s)), index, s)
    assert m.frames == 3


def test_a_copy_sampled_at_other_moments_after_a_calm_opening_links() -> None:
    """A copy of a video whose first 6 s are calm (they agree) and whose fast footage after
    is sampled half a second out of phase (another encode's keyframes), each of its frames
    unrelated to the other's half a second away: it is the same video, not an intro (found by
    review: comparing frames a second apart, as outros need, set the opening aside)."""
    rng = random.Random(11)
    calm = [_bits(rng) for _ in range(6)]
    fast = {t / 2: _bits(rng) for t in range(12, 60)}  # another picture every half second
    original = [(float(t), _flip(calm[t], 4, rng)) for t in range(6)]
    original += [(float(t), fast[float(t)]) for t in range(6, 17)]
    copy = [(float(t), _flip(calm[t], 12, rng)) for t in range(6)]
    copy += [(t + 0.5, _flip(fast[t + 0.5], 12, rng)) for t in range(6, 16)]
    index = HashIndex()
    index.add(1, _video(original).hashes)
    q = _video(copy)
    s = Settings()
    [m] = decide(q, index.search(query_hashes(q), radius(s)), index, s)
    assert m.frames == 6 and m.offset_s == 0
    assert (
        decide(q, index.search(query_hashes(q), radius(s)), index, Settings(same_moment_s=1)) == []
    )


def test_a_shared_outro_is_not_the_same_footage_whatever_the_sampling_phase() -> None:
    """Two different videos, 10 s and 10.5 s of footage, then the same 6 s outro: aligned at
    their ends, their frames (a 1 s grid from each one's start) lie half a second apart, and
    each footage frame is unrelated to the other's nearest ones: no link. The same outro after
    the same footage, cut half a second later, links."""
    rng = random.Random(6)
    s = Settings()
    outro = [_bits(rng) for _ in range(6)]
    footage = [_bits(rng) for _ in range(11)]

    def video(length: float, frames: list[bytes], flip: int) -> Signature:
        times = [float(t) for t in range(int(length) + 1) if t < length]
        body = [(t, _flip(frames[int(t)], flip, rng)) for t in times]
        return _video(body + [(length + t, _flip(outro[t], 4, rng)) for t in range(6)])

    index = HashIndex()
    index.add(1, video(10.0, footage, 0).hashes)
    other = video(10.5, [_bits(rng) for _ in range(11)], 0)
    hits = index.search(query_hashes(other), radius(s))
    [m] = decide(other, hits, index, Settings(unrelated_distance=257))  # without the check
    assert m.frames == 6 and m.offset_s == pytest.approx(-0.5)
    assert decide(other, hits, index, s) == []
    assert decide(other, hits, index, Settings(outro_moment_s=0.25))  # the gap this closes
    # the same footage, cut 0.5 s later: its frames lie between the other's, near them
    later = _video(
        [(float(t), _flip(footage[t], 30, rng)) for t in range(10)]
        + [(9.5 + t, _flip(outro[t], 4, rng)) for t in range(6)]
    )
    [m] = decide(later, index.search(query_hashes(later), radius(s)), index, s)
    assert m.frames >= 6


def test_footage_behind_a_shared_intro_or_cut_in_pieces_still_links() -> None:
    """What only looks like boilerplate is kept: two cuts of the same footage behind the same
    intro link at the footage's offset (the intro's is set aside); a report that uses the
    footage in two pieces with other pictures between links although more of its frames are
    unlike than agree (they lie on both sides); a compilation that starts with 20 s of the
    footage is longer than any intro."""
    rng = random.Random(8)
    s = Settings()
    footage = [(float(t), _bits(rng)) for t in range(60)]
    intro = [(float(t), _bits(rng)) for t in range(6)]

    def cut(start: int, stop: int) -> list[tuple[float, bytes]]:
        return intro + [(6.0 + t - start, _flip(b, 8, rng)) for t, b in footage[start:stop]]

    index = HashIndex()
    index.add(1, _video(cut(0, 10)).hashes)  # footage 0..9 s at 6..15 s
    later = _video(cut(4, 14))  # footage 4..13 s at 6..15 s: 6 s shared, 2 s after the intro
    [m] = decide(later, index.search(query_hashes(later), radius(s)), index, s)
    assert m.offset_s == pytest.approx(4.0) and m.frames == 6 and "unlike" in m.detail

    index = HashIndex()
    index.add(2, _video(footage).hashes)
    studio = [(float(t), _bits(rng)) for t in range(40)]
    report = _video(
        studio[:6]
        + [(6.0 + t, _flip(b, 8, rng)) for t, b in footage[:12]]
        + [(18.0 + t, b) for t, b in studio[6:18]]
        + [(30.0 + t, _flip(b, 8, rng)) for t, b in footage[30:40]]  # at 0 s offset: 12..21 s
    )
    [m] = decide(report, index.search(query_hashes(report), radius(s)), index, s)
    assert m.frames == 12 and m.offset_s == pytest.approx(-6.0) and "unlike" in m.detail

    compilation = _video(
        [(t, _flip(b, 8, rng)) for t, b in footage[:20]] + [(20.0 + t, b) for t, b in studio[:25]]
    )
    [m] = decide(compilation, index.search(query_hashes(compilation), radius(s)), index, s)
    assert m.frames == 20 and m.offset_s == 0
    assert (
        decide(
            compilation,
            index.search(query_hashes(compilation), radius(s)),
            index,
            Settings(boilerplate_max_s=25),
        )
        == []
    )  # were 20 s an intro, it would be set aside


def test_agree_counts_each_frame_once() -> None:
    votes = [(5.0, 0, 5.0, 10), (5.1, 0, 5.1, 12), (5.2, 1, 6.2, 8), (9.0, 2, 11.0, 4)]
    n, offset, dists = agree(votes, 1.0)
    assert n == 2 and offset == pytest.approx(5.1) and sorted(dists) == [8, 10]


def test_image_rules() -> None:
    s = Settings()
    assert image_pair_ok(31, 100, 100, None, s)
    assert not image_pair_ok(32, 100, 100, None, s)
    assert image_pair_ok(70, 100, 100, 10, s)  # loose band: the pHash agrees
    assert not image_pair_ok(70, 100, 100, 11, s)
    assert not image_pair_ok(20, 10, 100, None, s)  # a flat picture alone is not trusted
    assert image_pair_ok(20, 10, 100, 3, s)


def test_settings_from_archive_toml() -> None:
    assert Settings.from_config({}).image_distance == 31
    assert Settings.from_config({"similar": {"image_distance": 24}}).image_distance == 24
    assert Settings.from_config({"similar": {"min_fraction": 1}}).min_fraction == 1.0
    with pytest.raises(InputError, match=r"unknown setting similar\.nope"):
        Settings.from_config({"similar": {"nope": 1}})
    with pytest.raises(InputError, match=r"must be a number"):
        Settings.from_config({"similar": {"image_distance": "x"}})


def test_components_and_quality() -> None:
    assert components([(1, 2), (3, 4), (2, 5)]) == [{1, 2, 5}, {3, 4}]

    def member(i: int, w: int, h: int, pic: int | None = None, br: int | None = None) -> Member:
        return Member(i, str(i), "image/png", "", None, None, w, h, br, None, pic)

    big, boxed = member(1, 640, 480, 640 * 470), member(2, 640, 1067, 640 * 476)
    assert max([big, boxed], key=quality_key) is big  # same picture, less padding
    assert max([member(3, 320, 240), big], key=quality_key) is big
    assert (
        max(
            [member(4, 640, 480, None, 900), member(5, 640, 480, None, 100)], key=quality_key
        ).item_id
        == 4
    )


def test_hash_bits_round_trip() -> None:
    v = np.zeros(256, np.uint8)
    v[[0, 9, 255]] = 1
    packed = np.packbits(v).tobytes()
    assert len(packed) == 32 and int.from_bytes(packed, "big").bit_count() == 3


def test_a_still_is_placed_by_like_regions_in_a_zooming_shot() -> None:
    """In a zoom, the middle of the frame at 6 s is the whole frame at 8 s: a still taken at
    8 s is nearer (10 bits) the middle at 6 s than the whole frame at 8 s (16 bits). It is
    placed at 8 s, whole against whole; a still that only the middle of a frame shows still
    matches, at that frame."""
    rng = random.Random(12)
    s = Settings()
    whole, centre8 = _bits(rng), _bits(rng)  # the still, whole and its middle
    frames = [Hash("frame", _bits(rng), 100, float(t)) for t in range(0, 14, 2) if t != 8]
    frames += [
        Hash("fcentre", _bits(rng), 100, float(t)) for t in range(0, 14, 2) if t not in (6, 8)
    ]
    frames += [
        Hash("frame", _flip(whole, 16, rng), 100, 8.0),
        Hash("fcentre", _flip(centre8, 20, rng), 100, 8.0),
        Hash("fcentre", _flip(whole, 10, rng), 100, 6.0),
    ]
    index = HashIndex()
    index.add(1, Signature("video", frames).hashes)
    still = Signature("image", [Hash("full", whole, 100), Hash("centre", centre8, 100)])
    [m] = decide(still, index.search(query_hashes(still), radius(s)), index, s)
    assert m.method == "frame" and m.offset_s == 8.0 and m.distance == 16
    middle = Signature("image", [Hash("full", _flip(centre8, 6, rng), 100)])  # only a middle
    [m] = decide(middle, index.search(query_hashes(middle), radius(s)), index, s)
    assert m.offset_s == 8.0 and m.detail == "full~fcentre"


def test_a_still_is_placed_by_its_whole_picture_before_a_window() -> None:
    """A still's 85 % middle window is the whole frame 2 s later in a zoom (10 bits) while its
    whole picture is 16 bits from the frame of its own moment: whole against whole wins (found
    by review)."""
    rng = random.Random(13)
    s = Settings()
    whole, mid = _bits(rng), _bits(rng)
    frames = [Hash("frame", _bits(rng), 100, float(t)) for t in (0, 2, 4, 6)]
    frames += [Hash("frame", _flip(whole, 16, rng), 100, 8.0)]
    frames += [Hash("frame", _flip(mid, 10, rng), 100, 10.0)]
    index = HashIndex()
    index.add(1, Signature("video", frames).hashes)
    still = Signature("image", [Hash("full", whole, 100), Hash("mid", mid, 100)])
    [m] = decide(still, index.search(query_hashes(still), radius(s)), index, s)
    assert m.offset_s == 8.0 and m.detail == "full~frame"


def test_a_mirrored_video_meets_a_stored_image_in_either_order() -> None:
    """A video whose frame at 4 s is an archived photo mirrored: found when the photo is
    queried against the video (its mirrored query hash) and when the video comes second (its
    mirrored frames, query only) — before, only the first order linked (found by review)."""
    rng = random.Random(14)
    s = Settings()
    photo, mirrored = _bits(rng), _bits(rng)  # a photo's PDQ and its mirror's
    image = Signature("image", [Hash("full", photo, 100)], query_only=[Hash("d5", mirrored, 100)])
    frames = [Hash("frame", _bits(rng), 100, float(t)) for t in (0, 2, 6)]
    frames += [Hash("frame", _flip(mirrored, 6, rng), 100, 4.0)]
    video = Signature("video", frames, query_only=[Hash("mirror", _flip(photo, 6, rng), 100, 4.0)])
    for stored, query in ((video, image), (image, video)):
        index = HashIndex()
        index.add(1, stored.hashes)
        [m] = decide(query, index.search(query_hashes(query), radius(s)), index, s)
        assert m.method == "frame" and m.offset_s == 4.0


def test_a_still_is_placed_where_it_shows_straight_before_where_it_shows_mirrored() -> None:
    """A video showing an archived photo at 2 s (12 bits) and mirrored at 4 s (its mirrored
    frame 8 bits from the photo): the photo is placed at 2 s, either way round (found by
    review)."""
    rng = random.Random(15)
    s = Settings()
    photo, mirrored = _bits(rng), _bits(rng)
    image = Signature("image", [Hash("full", photo, 100)], query_only=[Hash("d5", mirrored, 100)])
    frames = [Hash("frame", _bits(rng), 100, t) for t in (0.0, 6.0)]
    frames += [Hash("frame", _flip(photo, 12, rng), 100, 2.0)]
    frames += [Hash("frame", _flip(mirrored, 8, rng), 100, 4.0)]
    mirrors = [Hash("mirror", _bits(rng), 100, t) for t in (0.0, 2.0, 6.0)]
    mirrors += [Hash("mirror", _flip(photo, 8, rng), 100, 4.0)]
    video = Signature("video", frames, query_only=mirrors)
    for stored, query in ((video, image), (image, video)):
        index = HashIndex()
        index.add(1, stored.hashes)
        [m] = decide(query, index.search(query_hashes(query), radius(s)), index, s)
        assert m.offset_s == 2.0 and m.distance == 12, m
