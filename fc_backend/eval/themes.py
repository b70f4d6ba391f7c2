"""Is a returning theme recognisable? Two melodies compared on their notes alone.

A listener knows a theme again by its rhythm and its shape more than by its key: each melody becomes
a count of its bars' rhythms (note values in beats, on its own tempo map) and of its melodic 3-grams
of contour (each interval as down/same/up and step/leap). The similarity of two melodies is the
cosine of those counts: 1.0 for the same rhythms and shapes in the same proportions, near 0 for
melodies with nothing in common. A theme transposed to another key or mode keeps its contour, so it
stays close; a re-harmonised or re-orchestrated theme keeps both.
"""

from __future__ import annotations

import math
from collections import Counter

from ..model import Melody

#: rhythm values are compared on this grid (beats): a sixteenth
_GRID = 0.25
#: a melodic move of more than this many semitones is a leap
_STEP = 2


def theme_features(melody: Melody) -> Counter[tuple]:
    """Counts of ("rhythm", bar's values) and ("contour", three moves) over `melody`'s notes."""
    tm = melody.tempo_map
    notes = sorted(melody.notes, key=lambda n: (n.start, -n.pitch))
    bars: dict[int, list[float]] = {}
    for note in notes:
        beats = (tm.beat_at(note.end) - tm.beat_at(note.start)) / _GRID
        bars.setdefault(tm.measure_at(note.start + 1e-6), []).append(round(beats) * _GRID)
    features: Counter[tuple] = Counter(("rhythm", tuple(values)) for values in bars.values())
    moves = [_move(b.pitch - a.pitch) for a, b in zip(notes, notes[1:], strict=False)]
    features.update(("contour", tuple(moves[i:i + 3])) for i in range(len(moves) - 2))
    return features


def _move(interval: int) -> int:
    """-2 leap down, -1 step down, 0 repeat, 1 step up, 2 leap up."""
    size = 1 if abs(interval) <= _STEP else 2
    return 0 if interval == 0 else size * (1 if interval > 0 else -1)


def theme_similarity(a: Melody, b: Melody) -> float:
    """Cosine similarity (0..1) of the two melodies' `theme_features`."""
    fa, fb = theme_features(a), theme_features(b)
    dot = sum(v * fb[k] for k, v in fa.items())
    norm = math.sqrt(sum(v * v for v in fa.values())) * math.sqrt(sum(v * v for v in fb.values()))
    return dot / norm if norm else 0.0
