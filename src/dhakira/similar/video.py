"""Video signatures: PDQ of sampled frames, each with its time.

Pass 1 decodes only keyframes (``-skip_frame nokey``: fast, and encoders put keyframes at scene
cuts, so copies share many of them). Where keyframes are sparser than ``frame_every_s``
(long GOPs), pass 2 decodes the reference frames and keeps one every ``frame_every_s``.
Frames are scaled to 128×128 by ffmpeg (PDQ works on a 64×64 reduction anyway, so the aspect
ratio does not matter), streamed through a pipe one at a time (bounded memory), hashed, and
dropped when flat (low PDQ quality) or a repeat of the frame kept just before.
"""

from __future__ import annotations

import itertools
import re
import subprocess
import tempfile
from pathlib import Path

import numpy as np

from dhakira.similar.settings import Settings
from dhakira.similar.signature import (
    MIRROR,
    Hash,
    Signature,
    SignatureError,
    hamming,
    pdq,
    pdq_dihedral,
)

SIDE = 128
CROP = 16  # the centre variant leaves out this many pixels (12.5 %) on each side: logos, bars
FRAME_BYTES = SIDE * SIDE * 3
TIMEOUT_S = 1800
_PTS = re.compile(rb"\bn:\s*(\d+)\s.*?\bpts_time:\s*(-?[0-9.]+)")
_DURATION = re.compile(rb"Duration: (\d+):(\d\d):(\d\d(?:\.\d+)?)")
_SIZE = re.compile(rb"Stream #\S+: Video: .*?, (\d{2,5})x(\d{2,5})")


def _frames(path: Path, *, keyframes: bool, every_s: float) -> tuple[list[Hash], bytes]:
    """Run ffmpeg once; the sampled frames' hashes and ffmpeg's log."""
    if keyframes:
        pre = ["-skip_frame", "nokey"]
        chain = f"scale={SIDE}:{SIDE}:flags=area,showinfo"
    else:
        pre = ["-skip_frame", "noref"]
        # the first frame of each every_s period of the timeline: two copies of a video are
        # sampled at the same moments (phase-aligned), whatever their frame rates and GOPs
        pick = f"select='isnan(prev_t)+gt(floor(t/{every_s:g})\\,floor(prev_t/{every_s:g}))'"
        chain = f"{pick},scale={SIDE}:{SIDE}:flags=area,showinfo"
    cmd = [
        "ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "info", "-threads", "1",
        *pre, "-skip_loop_filter", "all", "-i", str(path), "-map", "0:v:0", "-an", "-sn", "-dn",
        "-vf", chain, "-fps_mode", "passthrough", "-f", "rawvideo", "-pix_fmt", "rgb24", "-",
    ]  # fmt: skip
    hashes: list[tuple[bytes, int, bytes, bytes]] = []
    with tempfile.TemporaryFile() as log:
        try:
            proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=log)
        except FileNotFoundError as exc:
            raise SignatureError("ffmpeg is not installed: apt-get install -y ffmpeg") from exc
        with proc:
            assert proc.stdout is not None
            try:
                while True:
                    buf = proc.stdout.read(FRAME_BYTES)
                    if len(buf) < FRAME_BYTES:
                        break
                    frame = np.frombuffer(buf, np.uint8).reshape(SIDE, SIDE, 3)
                    d = pdq_dihedral(frame)
                    inner, _ = pdq(frame[CROP:-CROP, CROP:-CROP])
                    hashes.append((d[0][0], d[0][1], d[MIRROR][0], inner))
                proc.wait(timeout=TIMEOUT_S)
            finally:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
        log.seek(0)
        text = log.read()
    times = [float(m.group(2)) for m in _PTS.finditer(text)]
    if proc.returncode != 0 and not hashes:
        raise SignatureError(_why(text))
    out = []
    for i, (bits, quality, mirror, inner) in enumerate(hashes):
        t = times[i] if i < len(times) else float(i)
        out.append(Hash("frame", bits, quality, round(t, 3), None))
        out.append(Hash("mirror", mirror, quality, round(t, 3), None))
        out.append(Hash("fcentre", inner, quality, round(t, 3), None))
    return out, text


def _why(log: bytes) -> str:
    text = log.decode("utf-8", "replace")
    if "matches no streams" in text:
        return "no video stream (audio only?): nothing to compare by picture"
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    useful = [ln for ln in lines if "rror" in ln or "nvalid" in ln or "not" in ln]
    last = (useful or lines or ["ffmpeg failed"])[-1]
    return f"cannot decode the video: {last[:200]}"


def _duration(log: bytes) -> float | None:
    m = _DURATION.search(log)
    if not m:
        return None
    return int(m.group(1)) * 3600 + int(m.group(2)) * 60 + float(m.group(3))


def video_signature(path: Path, settings: Settings | None = None) -> Signature:
    s = settings or Settings()
    hashes, log = _frames(path, keyframes=True, every_s=s.frame_every_s)
    duration = _duration(log)
    times = sorted({h.t for h in hashes if h.t is not None})
    edges = [0.0, *times, duration if duration is not None else (times[-1] if times else 0.0)]
    gap = max((b - a for a, b in itertools.pairwise(edges)), default=0.0)
    if not times or gap > s.frame_every_s * 1.5:
        every = min(s.decoded_every_s, s.frame_every_s)
        more, log2 = _frames(path, keyframes=False, every_s=every)
        hashes = _merge(hashes, more, every / 4)
        duration = duration or _duration(log2)
    size = _SIZE.search(log)
    width, height = (int(size.group(1)), int(size.group(2))) if size else (None, None)
    frames = [h for h in hashes if h.variant == "frame"]
    if not frames:
        raise SignatureError("the video has no frame that decodes: nothing to compare")
    kept = keep_frames(hashes, s)
    if not [h for h in kept if h.variant == "frame"]:
        # every frame flat (black, one colour): nothing that can be told apart from others
        raise SignatureError(
            f"all {len(frames)} sampled frames are flat (black or one colour): not compared"
        )
    stored = [h for h in kept if h.variant in ("frame", "fcentre")]
    note = None
    n = sum(1 for h in stored if h.variant == "frame")
    if n < s.min_frames:
        note = f"short or still video: {n} distinct frame(s) to compare"
    return Signature(
        "video",
        stored,
        width,
        height,
        duration,
        note,
        query_only=[h for h in kept if h.variant == "mirror"],
    )


def _merge(a: list[Hash], b: list[Hash], near_s: float) -> list[Hash]:
    """Frames of both passes in time order; b's frames within near_s of one of a's dropped."""
    have = sorted(h.t for h in a if h.t is not None and h.variant == "frame")
    out = list(a)
    for h in b:
        assert h.t is not None
        i = int(np.searchsorted(have, h.t))
        close = any(abs(have[j] - h.t) <= near_s for j in (i - 1, i) if 0 <= j < len(have))
        if not close:
            out.append(h)
    return sorted(out, key=lambda h: (h.t or 0.0, h.variant))


def keep_frames(hashes: list[Hash], s: Settings) -> list[Hash]:
    """Drop flat frames and repeats of the frame kept just before (with their mirrors and
    centres)."""
    out: list[Hash] = []
    last: Hash | None = None
    extra: dict[float | None, list[Hash]] = {}
    for h in hashes:
        if h.variant in ("mirror", "fcentre"):
            extra.setdefault(h.t, []).append(h)
    for h in hashes:
        if h.variant != "frame" or h.quality < s.frame_quality:
            continue
        assert h.t is not None
        if (
            last is not None
            and last.t is not None
            and h.t - last.t < s.repeat_span_s
            and hamming(h.bits, last.bits) <= s.repeat_distance
        ):
            continue
        out.append(h)
        out += extra.get(h.t, [])
        last = h
    return out
