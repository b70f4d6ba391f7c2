"""A tempo map whose beats, preferably downbeats, fall on the picture's cuts.

Film composers pick a tempo for the scene, then nudge it so the hits land: this does the same with
a piecewise-constant tempo that stays within a tolerance of the scene's base tempo.
"""

from __future__ import annotations

import math

from ..model import TempoChange, TempoMap

#: quarter notes per minute (slowest, fastest) for each emotion; more motion, faster
TEMPO_RANGES: dict[str, tuple[float, float]] = {
    "joyous": (108, 136), "heroic": (96, 126), "tense": (100, 140), "fear": (84, 120),
    "graceful": (76, 100), "calm": (64, 84), "dreamy": (60, 80), "sad": (56, 76), "dignified": (70, 92),
}
#: how far (fraction) the fitted tempo may stray from the scene's base tempo to land a cut on a beat
TEMPO_TOLERANCE = 0.12
#: emotions that sway rather than march
TRIPLE_METER = ("graceful", "dreamy")


def base_tempo(emotion: str, motion_speed: float, *,
               neutral_speed: float = 0.05) -> tuple[float, tuple[int, int]]:
    """(bpm, meter) for a scene: the emotion's range, placed within it by how much the picture moves.

    `motion_speed` is in frame widths per second; `neutral_speed` of it lands mid-range.
    """
    low, high = TEMPO_RANGES.get(emotion, (80, 110))
    level = motion_speed / (motion_speed + neutral_speed) if motion_speed > 0 else 0.0
    meter = (3, 4) if emotion in TRIPLE_METER else (4, 4)
    return float(round(low + (high - low) * level)), meter


def fit_tempo(cuts: list[float], bpm: float, meter: tuple[int, int] = (4, 4), *,
              tolerance: float = TEMPO_TOLERANCE) -> TempoMap:
    """Piecewise tempo that puts cuts on beats (on downbeats as often as it can) within `tolerance` of `bpm`.

    Each span from one anchored cut to the next gets a whole number of beats at a tempo within the
    tolerance; a cut no whole number of beats can reach stays off the grid. Which number each span
    gets decides where the later bar lines fall, so the choice is made for all spans together (a
    dynamic programme over the beat within the measure): the most cuts on downbeats, then the tempi
    nearest `bpm`. After the last anchor the base tempo resumes.
    """
    per_measure = meter[0] * 4.0 / meter[1]
    spans: list[tuple[float, float, list[int]]] = []  # (anchor, seconds to the next cut, beat counts)
    anchor = 0.0
    for cut in sorted(cuts):
        span = cut - anchor
        if span <= 0:
            continue
        low = max(1, math.ceil(span * bpm * (1 - tolerance) / 60.0 - 1e-9))
        high = math.floor(span * bpm * (1 + tolerance) / 60.0 + 1e-9)
        if low <= high:
            spans.append((anchor, span, list(range(low, high + 1))))
            anchor = cut
    # phase (beats past the last bar line) -> (downbeats hit, summed tempo deviation, beat counts so far)
    best: dict[float, tuple[int, float, tuple[int, ...]]] = {0.0: (0, 0.0, ())}
    for _anchor, span, counts in spans:
        reached: dict[float, tuple[int, float, tuple[int, ...]]] = {}
        for phase, (downbeats, deviation, chosen) in best.items():
            for n in counts:
                after = round((phase + n) % per_measure, 6)
                after = 0.0 if abs(after - per_measure) < 1e-6 else after
                option = (downbeats + (after == 0.0), deviation + abs(60.0 * n / span - bpm), (*chosen, n))
                held = reached.get(after)
                if held is None or (option[0], -option[1]) > (held[0], -held[1]):
                    reached[after] = option
        best = reached
    chosen = max(best.values(), key=lambda option: (option[0], -option[1]))[2]
    changes: list[TempoChange] = []
    for (start, span, _counts), n in zip(spans, chosen, strict=True):
        _append(changes, TempoChange(start, 60.0 * n / span))
    _append(changes, TempoChange(anchor, bpm))
    return TempoMap(changes, meter)


def _append(changes: list[TempoChange], change: TempoChange) -> None:
    """Add `change` unless the tempo already is that (a map without no-op changes)."""
    if not changes or abs(changes[-1].bpm - change.bpm) > 1e-9:
        changes.append(change)


def cut_errors(tempo_map: TempoMap, cuts: list[float]) -> list[float]:
    """Signed seconds from each cut's nearest beat to the cut (positive: the cut comes after it)."""
    errors = []
    for cut in cuts:
        beat = tempo_map.beat_at(cut)
        nearest = min((tempo_map.time_at(b) for b in (math.floor(beat), math.ceil(beat))),
                      key=lambda t: abs(cut - t))
        errors.append(cut - nearest)
    return errors
