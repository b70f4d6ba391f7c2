"""The rule-based composer: a theme in the clip's key and tempo built from one or two rhythmic cells.

One way through: sections and harmony (harmony.py) -> rhythmic cells (cells.py) -> development bar by
bar (development.py) -> the line over the chords (line.py) -> onsets on the grid position of every cut
(align.py); the orchestra's re-strikes and hits mark the cuts' exact times (plan/). Everything is
decided in beats on the spotting's tempo map and converted to video seconds at the end. A re-rolled
region takes the same path (reroll.py).
"""

from __future__ import annotations

import math
import random

from ..config import Config
from ..errors import InputError
from ..model import Chord, Melody, Note, Spotting, Theme
from ..progress import Progress, no_progress
from ..theory import Key
from .align import HIT_GRID, BeatNote, restrike_on_cuts
from .cells import choose_cells, fit_cells, pulse_of
from .development import contour, develop
from .harmony import plan_sections, progression
from .line import breathe, write_line
from .tonality import choose_key, is_dark, is_sunny

#: rhythm spots at least this strong get a note onset, like every cut
STRONG_SPOT = 0.7


def compose_symbolic(spotting: Spotting, config: Config | None = None, *, description: str = "",
                     seed: int | None = None, progress: Progress = no_progress,
                     theme: Theme | None = None) -> Melody:
    """Compose the main theme for `spotting` by rule; the same seed gives the same melody.

    With `theme` (an earlier cue's `Melody.theme`), its cells and contour are developed instead of
    new ones drawn: the seed still picks this cue's key, harmony and devices, so it comes back varied.
    """
    config = config or Config()
    seed = config.seed if seed is None else int(seed)
    if not spotting.duration > 0:
        raise InputError(spotting.video, "the clip has no duration to score")
    rng = random.Random(seed)
    tm = spotting.tempo_map
    per = tm.beats_per_measure
    key = choose_key(spotting.emotion, rng, sunny=is_sunny(spotting.shots), dark=is_dark(spotting.shots))
    end_beat = tm.beat_at(spotting.duration)
    measures = musical_measures(end_beat, per)
    final_beat = float(max(math.ceil(end_beat - 1e-6), 1))

    # one way: sections and harmony -> rhythmic cells -> development -> line -> onsets on the cuts
    sections = plan_sections(spotting, measures)
    triads = progression(key, sections, rng)
    if theme is None:
        cells = choose_cells(rng, tm.meter, per)
        statement = contour(rng, len(cells.a.values))
    else:  # an earlier cue's theme: its cells and contour, developed over this cue's harmony and key
        cells = fit_cells(theme.statement, theme.answer, per)
        statement = tuple(theme.contour[:len(cells.a.values)])
        statement += (statement[-1],) * (len(cells.a.values) - len(statement))
    levels = _measure_levels(spotting, measures)
    bars = develop(sections, cells, levels, rng, statement=statement)
    progress(0.3)
    line = write_line(bars, key, triads, per, _strong_offsets(tm.meter, per), levels,
                      home=theme_home(spotting))
    line[-1].end = max(final_beat, line[-1].start + 0.25)  # the closing tonic holds to the clip's end
    marks = [tm.beat_at(t) for t in _spot_times(spotting)]
    breathe(line, bars, per, [round(b / HIT_GRID) * HIT_GRID for b in marks])
    progress(0.7)
    restrike_on_cuts(line, marks, pulse=pulse_of(tm.meter),
                     neighbour=lambda p: key.pitch(_index_of(key, p) + 1))
    close_in_theme_values(line, key)
    notes = [Note(n.pitch, tm.time_at(n.start), tm.time_at(n.end), n.velocity)
             for n in line if n.end - n.start > 1e-9]
    notes = [n for n in notes if n.start < spotting.duration]
    chords = [Chord(tm.time_at(m * per), tm.time_at(final_beat if m == measures - 1 else (m + 1) * per),
                    t.root_pc(key), t.quality(key)) for m, t in enumerate(triads)]
    progress(1.0)
    used = Theme(cells.a.values, cells.b.values, statement, theme.label if theme else "")
    return Melody(notes=notes, key=key, tempo_map=tm, chords=chords, seed=seed, description=description,
                  theme=used)


def close_in_theme_values(line: list[BeatNote], key: Key) -> None:
    """The held closing note, struck again at a late cut, keeps the theme's note values: a head of
    another length (1.5 beats between the answer's rest and a cut) becomes the resting note in a value
    the theme has, then a step above leading into the tonic on the cut (where the cut's pickup does
    not already). In place."""
    final = line[-1]
    heads = [k for k in (2, 3) if len(line) > k and line[-k].pitch == final.pitch
             and all(abs(a.end - b.start) < 1e-6 for a, b in zip(line[-k:-1], line[-k + 1:], strict=True))]
    if not heads:
        return
    k = heads[0]
    values = sorted({round(n.end - n.start, 6) for n in line[:-k]}, reverse=True)
    head = line[-k]
    parts = _split_into(head.end - head.start, values)
    if parts is None or len(parts) < 2:
        return
    lead_in = key.pitch(_index_of(key, head.pitch) + 1) if k == 2 else head.pitch
    pieces, at = [], head.start
    for i, value in enumerate(parts):
        pitch = head.pitch if i < len(parts) - 1 else lead_in
        pieces.append(BeatNote(at, at + value, pitch, head.velocity))
        at += value
    line[-k:-k + 1] = pieces


def _split_into(span: float, values: list[float]) -> list[float] | None:
    """`span` as one value of `values`, else as the fewest of them (longest first); None if it cannot."""
    if any(abs(span - v) < 1e-6 for v in values):
        return [span]
    for a in values:
        for b in values:
            if abs(a + b - span) < 1e-6 and a >= b:
                return [a, b]
    return None


def _index_of(key: Key, pitch: int) -> int:
    """The diatonic index whose pitch is nearest `pitch` from below (the tonic octave near middle C)."""
    return max(i for i in range(-21, 29) if key.pitch(i) <= pitch)


def musical_measures(end_beat: float, per: float) -> int:
    """Measures the theme is written in: a last measure the clip barely enters is left to the final note."""
    total = max(1, math.ceil(end_beat / per - 1e-6))
    covered = end_beat - (total - 1) * per
    return total - 1 if total > 1 and covered < per / 2 else total


def theme_home(spotting: Spotting) -> float:
    """The diatonic index the theme's statement starts near: a step lower in a calm cue."""
    return 1.5 + (-1.0 if spotting.emotion == "calm" else 0.0)


def _strong_offsets(meter: tuple[int, int], per: float) -> tuple[float, ...]:
    pulses = round(per / pulse_of(meter))
    return (0.0, per / 2) if pulses % 2 == 0 else (0.0,)


def _measure_levels(spotting: Spotting, measures: int) -> list[float]:
    """Motion of the shot under each downbeat, relative to the clip's other shots: 0.1 .. 0.9."""
    speeds = [max(0.0, s.motion_speed) for s in spotting.shots] or [0.0]
    lo, hi = min(speeds), max(speeds)
    if hi - lo <= 1e-9 * max(1.0, hi):
        levels = [0.5] * len(speeds)
    else:
        levels = [0.1 + 0.8 * (s - lo) / (hi - lo) for s in speeds]
    if spotting.emotion == "calm":
        levels = [0.8 * v for v in levels]
    tm = spotting.tempo_map
    out = []
    for m in range(measures):
        downbeat = tm.time_at(m * tm.beats_per_measure) + 1e-6
        shot = next((i for i, s in enumerate(spotting.shots) if s.start <= downbeat < s.end), len(levels) - 1)
        out.append(levels[min(shot, len(levels) - 1)])
    return out


def _spot_times(spotting: Spotting) -> list[float]:
    times = set(spotting.cuts) | {s.time for s in spotting.rhythm_spots if s.strength >= STRONG_SPOT}
    return sorted(t for t in times if 0.0 <= t < spotting.duration)
