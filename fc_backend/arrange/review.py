"""Reviewer (paper table 2, role 6): the scheme must validate and every part must be playable.

A part whose instrument cannot hold it (a melody wider than the range, a bass line on a piccolo,
a kit on a pitched part) gets a wide-ranged replacement; then the schema and library have the last word.
"""

from __future__ import annotations

from ..model import Scheme
from ..schemes import Instrument, validate_scheme
from .analyze import CueAnalysis
from .instrument import FALLBACK, articulation, fits, melody_transpose


def review(scheme: Scheme, analysis: CueAnalysis, library: dict[str, Instrument]) -> list[str]:
    """Fix unplayable parts in place, validate the scheme, and return what was changed."""
    fixes: list[str] = []
    used = {t.instrument for t in scheme.tracks}
    for track in scheme.tracks:
        instrument = library.get(track.instrument)
        bad = (instrument is None or (instrument.is_drum and track.role != "percussion")
               or not fits(track, instrument, analysis))
        if not bad:
            continue
        options = [k for k in FALLBACK if k in library and k not in used and not library[k].is_drum]
        replacement = next((k for k in options if fits(track, library[k], analysis)), None)
        if replacement is None:
            continue
        fixes.append(f"track {track.track_index} ({track.role}): {track.instrument} -> {replacement}")
        used.add(replacement)
        new = library[replacement]
        track.instrument, track.name = replacement, new.name
        track.transpose = melody_transpose(analysis, new) if track.source == "melody" else 0
        track.articulation = articulation(track.role, new, analysis)
        track.panning = new.pan
    validate_scheme(scheme.to_dict(), "arrange", instruments=library)
    return fixes
