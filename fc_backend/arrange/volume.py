"""Volume (paper table 2, role 4): a per-measure level for every track that follows intensity."""

from __future__ import annotations

from ..model import MeasureLevels, SchemeTrack
from .analyze import CueAnalysis

#: how present each role sits in the balance at full intensity (levels are linear gains 0..2)
ROLE_LEVEL = {"melody": 1.0, "doubling": 0.7, "counter": 0.7, "harmony": 0.65, "bass": 0.75,
              "ostinato": 0.6, "percussion": 0.75}
#: a new envelope key is written only when the level moves at least this much
STEP = 0.03


def write_volume(tracks: list[SchemeTrack], analysis: CueAnalysis) -> None:
    """Set each track's `volume_envelope` (level by measure) at measure 1 and at every change."""
    for track in tracks:
        base = ROLE_LEVEL.get(track.role, 0.7)
        envelope = MeasureLevels()
        last: float | None = None
        for m, intensity in enumerate(analysis.intensity, start=1):
            curve = intensity ** 1.5 if track.role == "percussion" else intensity
            level = round(min(2.0, max(0.05, base * (0.35 + 0.95 * curve))), 2)
            if last is None or abs(level - last) >= STEP:
                envelope[m] = level
                last = level
        track.volume_envelope = envelope
