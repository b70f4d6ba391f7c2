"""Mixing (paper table 2, role 5): pans from orchestral seating, reverb from the picture's space.

Wide, dark shots sound like a hall; close, bright ones like a dry room; open air (no walls to
reflect) drier than a room.
"""

from __future__ import annotations

from ..model import SchemeTrack
from ..schemes import Instrument
from .analyze import CueAnalysis

REVERB_BASE = 0.3
BRIGHTNESS_REVERB = {"dark": 0.15, "dim": 0.08, "normal": 0.0, "bright": -0.05}
SCALE_REVERB = {"extreme long shot": 0.2, "long shot": 0.12, "medium shot": 0.0, "close-up": -0.06,
                "extreme close-up": -0.1}
EMOTION_REVERB = {"dreamy": 0.12, "sad": 0.08, "calm": 0.06, "fear": 0.05, "heroic": -0.04, "joyous": -0.03}
SETTING_REVERB = {"indoor": 0.05, "outdoor": -0.05, "nature": -0.05, "water": -0.03}
FAMILY_REVERB = {"choir": 0.08, "synth": 0.08, "strings": 0.04, "plucked": 0.04, "percussion": -0.05}


def mix(tracks: list[SchemeTrack], analysis: CueAnalysis, library: dict[str, Instrument]) -> None:
    """Set `panning` and `reverb_space` on every track, in place."""
    attrs = analysis.attributes
    space = (REVERB_BASE + BRIGHTNESS_REVERB.get(attrs.get("brightness") or "", 0.0)
             + SCALE_REVERB.get(attrs.get("view_scale") or "", 0.0)
             + EMOTION_REVERB.get(analysis.emotion, 0.0)
             + SETTING_REVERB.get(attrs.get("setting") or "", 0.0)
             - 0.15 * max(0.0, analysis.mean_intensity - 0.5))
    taken: list[float] = []
    for track in tracks:
        instrument = library[track.instrument]
        pan = instrument.pan
        step = 0.12 if pan <= 0 else -0.12
        while any(abs(pan - other) < 0.05 for other in taken) and abs(pan + step) <= 1:
            pan += step
        taken.append(pan)
        track.panning = round(pan, 2)
        track.reverb_space = round(min(1.0, max(0.0, space + FAMILY_REVERB.get(instrument.family, 0.0))), 2)
