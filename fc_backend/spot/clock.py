"""The clip's timecode: its exact frame rate and the label of its first frame, as the editor has them."""

from __future__ import annotations

from pathlib import Path

from ..model import Timecode
from ..timecode import ZERO, can_drop, check_start, probe, rate_from_fps


def clip_timecode(video: str | Path, start_tc: str | None = None, *,
                  decoded_fps: float | None = None) -> Timecode | None:
    """The clip's Timecode: ffprobe's rate (else `decoded_fps`; None when neither is known), its
    `timecode` tag (else 00:00:00:00).

    `start_tc` overrides the tag. Drop-frame follows the label's separator (';'); a 29.97 or 59.94
    clip that says nothing counts drop-frame, as NTSC picture is delivered. A bad `start_tc` or tag
    is an InputError naming where it came from.
    """
    rate, tag = probe(video)
    if rate is None and decoded_fps is None:
        return None
    rate = rate or rate_from_fps(decoded_fps or 0.0)
    source: str | Path = "--start-tc" if start_tc else video
    label = start_tc or tag
    if not label:
        label = ZERO[:8] + ";00" if can_drop(rate) else ZERO
    label = check_start(label, rate, source)
    return Timecode(rate=f"{rate.numerator}/{rate.denominator}", drop_frame=";" in label, start=label)
