"""SMPTE timecode: the one home of frame counting, drop-frame included.

Editors quote picture in timecode (HH:MM:SS:FF, or HH:MM:SS;FF when drop-frame), so every time a
person reads is given that way. Drop-frame (29.97 and 59.94 only) skips frame numbers 0 and 1 (0..3 at
59.94) at the start of every minute except each tenth, so the label stays within a frame of the wall
clock; no picture frame is dropped. 23.976 is always non-drop. A frame count is the frame's index
from 00:00:00:00, counted at the real rate (30000/1001 frames a second for 29.97).
"""

from __future__ import annotations

import json
import math
import re
import subprocess
from fractions import Fraction
from pathlib import Path

from .errors import InputError

#: the label of the first frame when a clip carries no timecode
ZERO = "00:00:00:00"
_PATTERN = re.compile(r"^(\d{1,2}):(\d{2}):(\d{2})([:;.,])(\d{2,3})$")


def nominal_fps(rate: Fraction) -> int:
    """Frames counted per timecode second: 24 for 23.976, 30 for 29.97, 60 for 59.94."""
    return max(1, round(rate))


def can_drop(rate: Fraction) -> bool:
    """Drop-frame exists only for the NTSC rates 29.97 and 59.94."""
    return nominal_fps(rate) in (30, 60) and rate.denominator != 1


def _dropped(nominal: int) -> int:
    return 2 * nominal // 30  # frame numbers skipped a minute: 2 at 29.97, 4 at 59.94


def frames_to_tc(frames: int, rate: Fraction, drop: bool = False) -> str:
    """The label of frame `frames` (from 00:00:00:00), wrapping at 24 hours."""
    nominal = nominal_fps(rate)
    drop = drop and can_drop(rate)
    if drop:
        skip = _dropped(nominal)
        per_ten = nominal * 600 - 9 * skip  # real frames in ten minutes
        per_minute = nominal * 60 - skip
        tens, rest = divmod(frames, per_ten)
        frames += 9 * skip * tens + (skip * ((rest - skip) // per_minute) if rest > skip else 0)
    frames %= nominal * 86400
    seconds, ff = divmod(frames, nominal)
    minutes, ss = divmod(seconds, 60)
    hh, mm = divmod(minutes, 60)
    return f"{hh:02d}:{mm:02d}:{ss:02d}{';' if drop else ':'}{ff:02d}"


def tc_to_frames(text: str, rate: Fraction, drop: bool | None = None) -> int:
    """Frame count of a label; `drop` None reads it from the separator (';' is drop-frame).

    Raises ValueError for a malformed label or one that names a skipped drop-frame number.
    """
    match = _PATTERN.match(text.strip())
    if not match:
        raise ValueError(f"timecode {text!r} is not HH:MM:SS:FF")
    hh, mm, ss, sep, ff = match.groups()
    h, m, s, f = int(hh), int(mm), int(ss), int(ff)
    nominal = nominal_fps(rate)
    if m > 59 or s > 59 or f >= nominal:
        raise ValueError(f"timecode {text!r} is out of range at {float(rate):.3f} fps")
    drop = (sep == ";") if drop is None else drop
    if drop and not can_drop(rate):
        raise ValueError(f"timecode {text!r} is drop-frame, which only 29.97 and 59.94 fps have")
    frames = ((h * 60 + m) * 60 + s) * nominal + f
    if drop:
        skip = _dropped(nominal)
        if s == 0 and f < skip and m % 10:
            raise ValueError(f"timecode {text!r} names a frame number drop-frame skips")
        total_minutes = h * 60 + m
        frames -= skip * (total_minutes - total_minutes // 10)
    return frames


def parse_rate(text: str) -> Fraction:
    """'30000/1001', '25/1', '29.97' or '23.976' as an exact rate (NTSC rates snapped to x000/1001)."""
    try:
        rate = Fraction(text.strip())
    except (ValueError, ZeroDivisionError):
        raise ValueError(f"frame rate {text!r} is not a number") from None
    if rate <= 0:
        raise ValueError(f"frame rate {text!r} must be positive")
    ntsc = Fraction(round(rate * Fraction(1001, 1000)) * 1000, 1001)
    if rate.denominator != 1 and rate != ntsc and abs(rate - ntsc) < Fraction(1, 500):
        return ntsc  # 29.97 or 23.976 typed as decimals
    return rate


def rate_from_fps(fps: float) -> Fraction:
    """An exact rate for a decoder's float fps (29.97002997 -> 30000/1001)."""
    return parse_rate(str(Fraction(fps).limit_denominator(1001)))


def probe(video: str | Path) -> tuple[Fraction | None, str | None]:
    """(frame rate, start timecode tag) of the first video stream, from ffprobe; None where absent.

    The tag sits on the video stream (MP4/MOV tmcd, MXF), else on the container (some MKV, DV).
    """
    from .tools import require

    try:
        done = subprocess.run(
            [require("ffprobe"), "-v", "error", "-select_streams", "v:0", "-show_entries",
             "stream=r_frame_rate,avg_frame_rate:stream_tags=timecode:format_tags=timecode", "-of", "json",
             str(video)], capture_output=True, text=True, timeout=60, check=False)
        data = json.loads(done.stdout or "{}")
    except (subprocess.TimeoutExpired, json.JSONDecodeError):
        return None, None
    streams = data.get("streams") or [{}]
    stream = streams[0]
    tag = ((stream.get("tags") or {}).get("timecode")
           or (data.get("format", {}).get("tags") or {}).get("timecode"))
    rate = None
    for key in ("r_frame_rate", "avg_frame_rate"):
        try:
            candidate = parse_rate(stream.get(key, ""))
        except ValueError:
            continue
        if math.isfinite(float(candidate)) and 1 <= candidate <= 240:
            rate = candidate
            break
    return rate, tag


def check_start(text: str, rate: Fraction, source: str | Path) -> str:
    """`text` as a valid label at `rate` (two digits a field), or an InputError naming `source`."""
    try:
        frames = tc_to_frames(text, rate)
    except ValueError as err:
        raise InputError(source, str(err)) from None
    return frames_to_tc(frames, rate, ";" in text)
