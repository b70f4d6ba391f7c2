"""A tempo map whose beats, preferably downbeats, fall on the picture's cuts.

Film composers pick a tempo for the scene, then nudge it so the hits land: this does the same with
a piecewise-constant tempo that stays within a tolerance of the scene's base tempo.
"""

from __future__ import annotations

import math
from itertools import pairwise

from ..model import TempoChange, TempoMap

#: quarter notes per minute (slowest, fastest) for each emotion; more motion, faster
TEMPO_RANGES: dict[str, tuple[float, float]] = {
    "joyous": (108, 136), "heroic": (96, 126), "tense": (100, 140), "fear": (84, 120),
    "graceful": (76, 100), "calm": (64, 84), "dreamy": (60, 80), "sad": (56, 76), "dignified": (70, 92),
}
#: how far (fraction) the fitted tempo may stray from the scene's base tempo to land a cut on a beat
TEMPO_TOLERANCE = 0.12
#: a tempo step at a cut larger than this fraction is heard as a jump: the fit avoids it where it can
STEP_LIMIT = 0.10
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
              tolerance: float = TEMPO_TOLERANCE, weights: list[float] | None = None,
              reach: int = 4, step_limit: float = STEP_LIMIT) -> TempoMap:
    """Piecewise tempo that puts cuts on beats, heavy ones on downbeats first, within `tolerance` of `bpm`.

    Each span from one anchored cut to the next gets a whole number of beats at a tempo within the
    tolerance; a cut no whole number of beats can reach stays off the grid. Which cuts anchor and how
    many beats each span gets decide where the later bar lines fall and how far the tempo steps at
    each cut, so the choice is made for all spans together (a dynamic programme over the last anchor,
    the beat within the measure and the tempo that reached it), in this order: the largest weight of
    cuts on beats; the fewest steps at a cut larger than `step_limit` (a listener hears a jump of
    more than about 10 %); the largest weight of cuts on downbeats; the most cuts on beats; the tempi
    nearest `bpm` and each other. A cut may be passed over (left off the grid) only for a heavier one,
    so with equal weights (`weights`, 1.0 each by default) every reachable cut anchors, and a heavy
    hit may leave a light one off the grid to land on a bar line. Up to `reach` reachable cuts ahead
    are tried from each anchor. After the last anchor the tempo returns to `bpm`, or as near it as a
    step within `step_limit` goes.
    """
    per_measure = meter[0] * 4.0 / meter[1]
    given = [1.0] * len(cuts) if weights is None else list(weights)
    hits = sorted((t, w) for t, w in zip(cuts, given, strict=True) if t > 0)
    times = [0.0] + [t for t, _ in hits]
    heft = [0.0] + [w for _, w in hits]

    def beat_counts(span: float) -> range:
        low = max(1, math.ceil(span * bpm * (1 - tolerance) / 60.0 - 1e-9))
        return range(low, math.floor(span * bpm * (1 + tolerance) / 60.0 + 1e-9) + 1)

    # per anchor: (phase: beats past its bar line, tempo that reached it) ->
    # (weight on beats, -big steps, weight on downbeats, anchors, -cost, chosen spans)
    Option = tuple[float, int, float, int, float, tuple[tuple[int, int], ...]]
    states: list[dict[tuple[float, float | None], Option]] = [{} for _ in times]
    states[0][(0.0, None)] = (0.0, 0, 0.0, 0, 0.0, ())
    for anchor in range(len(times)):
        here = list(states[anchor].items())
        tried, skipped = 0, 0.0  # reachable cuts passed over so far, and the heaviest of them
        for target in range(anchor + 1, len(times)):
            if tried == reach:
                break
            span = times[target] - times[anchor]
            counts = beat_counts(span) if span > 0 else range(0)
            if not counts:
                continue
            tried += 1
            if skipped >= heft[target]:  # only a heavier hit may leave a reachable cut off the grid
                skipped = max(skipped, heft[target])
                continue
            skipped = max(skipped, heft[target])
            for (phase, before), (on, big, down, anchors, cost, chosen) in here:
                for n in counts:
                    tempo = round(60.0 * n / span, 6)
                    step = 0.0 if before is None else abs(tempo - before) / before
                    after = round((phase + n) % per_measure, 6)
                    after = 0.0 if abs(after - per_measure) < 1e-6 else after
                    option = (on + heft[target], big - (step > step_limit + 1e-9),
                              down + (heft[target] if after == 0.0 else 0.0), anchors + 1,
                              cost - abs(tempo - bpm) - step * bpm, (*chosen, (target, n)))
                    held = states[target].get((after, tempo))
                    if held is None or _better(option, held):
                        states[target][(after, tempo)] = option
    best = max((o for reached in states for o in reached.values()), key=_rank)
    changes: list[TempoChange] = []
    start = 0
    for target, n in best[-1]:
        _append(changes, TempoChange(times[start], 60.0 * n / (times[target] - times[start])))
        start = target
    last = changes[-1].bpm if changes else bpm
    resume = min(max(bpm, last * (1 - step_limit)), last * (1 + step_limit))
    _append(changes, TempoChange(times[start], resume))
    return TempoMap(changes, meter)


def _rank(option: tuple) -> tuple:
    return (round(option[0], 9), option[1], round(option[2], 9), option[3], option[4])


def _better(option: tuple, held: tuple) -> bool:
    return _rank(option) > _rank(held)


def _append(changes: list[TempoChange], change: TempoChange) -> None:
    """Add `change` unless the tempo already is that (a map without no-op changes)."""
    if not changes or abs(changes[-1].bpm - change.bpm) > 1e-9:
        changes.append(change)


def tempo_steps(tempo_map: TempoMap) -> list[tuple[float, float]]:
    """(time, relative size) of each tempo change after the first: |new - old| / old."""
    return [(b.time, abs(b.bpm - a.bpm) / a.bpm) for a, b in pairwise(tempo_map.changes)]


def cut_errors(tempo_map: TempoMap, cuts: list[float]) -> list[float]:
    """Signed seconds from each cut's nearest beat to the cut (positive: the cut comes after it)."""
    errors = []
    for cut in cuts:
        beat = tempo_map.beat_at(cut)
        nearest = min((tempo_map.time_at(b) for b in (math.floor(beat), math.ceil(beat))),
                      key=lambda t: abs(cut - t))
        errors.append(cut - nearest)
    return errors
