"""The rule-based composer: a theme in the clip's key and tempo built from one or two rhythmic cells.

One way through: sections and harmony (harmony.py) -> rhythmic cells (cells.py) -> development bar by
bar (development.py) -> the line over the chords (line.py) -> onsets on the grid position of every cut
(align.py); the orchestra's re-strikes and hits mark the cuts' exact times (plan/). Everything is
decided in beats on the spotting's tempo map and converted to video seconds at the end. `_LineWriter`
below is the older motif writer that re-roll still uses for a region.
"""

from __future__ import annotations

import math
import random

from ..config import Config
from ..errors import InputError
from ..model import Chord, Melody, Note, Spotting, TempoMap
from ..progress import Progress, no_progress
from ..theory import Key, Triad
from .align import BeatNote, restrike_on_cuts
from .cells import choose_cells
from .development import develop
from .harmony import Section, plan_sections, progression
from .line import fold, resting_index, sign, write_line
from .motif import TRANSFORMS, Motif, choose_transform, pulse_of
from .tonality import HIGH_INDEX, LOW_INDEX, choose_key, is_sunny

#: rhythm spots at least this strong get a note onset, like every cut
STRONG_SPOT = 0.7


def compose_symbolic(spotting: Spotting, config: Config | None = None, *, description: str = "",
                     seed: int | None = None, progress: Progress = no_progress) -> Melody:
    """Compose the main theme for `spotting` by rule; the same seed gives the same melody."""
    config = config or Config()
    seed = config.seed if seed is None else int(seed)
    if not spotting.duration > 0:
        raise InputError(spotting.video, "the clip has no duration to score")
    rng = random.Random(seed)
    tm = spotting.tempo_map
    per = tm.beats_per_measure
    key = choose_key(spotting.emotion, rng, sunny=is_sunny(spotting.shots))
    end_beat = tm.beat_at(spotting.duration)
    measures = musical_measures(end_beat, per)
    final_beat = float(max(math.ceil(end_beat - 1e-6), 1))

    # one way: sections and harmony -> rhythmic cells -> development -> line -> onsets on the cuts
    sections = plan_sections(spotting, measures)
    triads = progression(key, sections, rng)
    cells = choose_cells(rng, tm.meter, per)
    levels = _measure_levels(spotting, measures)
    bars = develop(sections, cells, levels, rng)
    progress(0.3)
    home = 1.5 + (-1.0 if spotting.emotion == "calm" else 0.0)
    line = write_line(bars, key, triads, per, _strong_offsets(tm.meter, per), levels, home=home)
    line[-1].end = max(final_beat, line[-1].start + 0.25)  # the closing tonic holds to the clip's end
    progress(0.7)
    restrike_on_cuts(line, [tm.beat_at(t) for t in _spot_times(spotting)])
    notes = [Note(n.pitch, tm.time_at(n.start), tm.time_at(n.end), n.velocity)
             for n in line if n.end - n.start > 1e-9]
    notes = [n for n in notes if n.start < spotting.duration]
    chords = [Chord(tm.time_at(m * per), tm.time_at(final_beat if m == measures - 1 else (m + 1) * per),
                    t.root_pc(key), t.quality(key)) for m, t in enumerate(triads)]
    progress(1.0)
    return Melody(notes=notes, key=key, tempo_map=tm, chords=chords, seed=seed, description=description)


def musical_measures(end_beat: float, per: float) -> int:
    """Measures the theme is written in: a last measure the clip barely enters is left to the final note."""
    total = max(1, math.ceil(end_beat / per - 1e-6))
    covered = end_beat - (total - 1) * per
    return total - 1 if total > 1 and covered < per / 2 else total


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


def _seconds(tm: TempoMap, beat: float, spots: dict[float, float]) -> float:
    """Video time of `beat`; exactly the spot's time where a note was put on a spot."""
    exact = spots.get(beat)
    return exact if exact is not None else tm.time_at(beat)


class _LineWriter:
    """Writes the melody phrase by phrase: motif statements fitted to the chords, cadences at the ends."""

    def __init__(self, key: Key, triads: list[Triad], motif: Motif, meter: tuple[int, int], per: float,
                 rng: random.Random, *, calm: bool, final_approach: bool = False) -> None:
        """`final_approach`: the theme's last measure opens with the motif and reaches the tonic at its
        middle, instead of holding the tonic from its first beat (re-roll uses it for a new ending)."""
        self.key, self.triads, self.motif, self.per, self.rng = key, triads, motif, per, rng
        self.final_approach = final_approach
        self.pulse = pulse_of(meter)
        self.strong = _strong_offsets(meter, per)
        self.calm = calm
        self.measures = len(triads)
        self.motif_measures = max(1, round(motif.span / per))
        self.home: int | None = None  # where the first statement started, for literal repeats
        self.notes: list[BeatNote] = []
        self._prev = 2

    def write(self, sections: list[Section], levels: list[float]) -> None:
        for section in sections:
            for first, count in section.phrases:
                m, unit = first, 0
                while m < first + count:
                    n = min(self.motif_measures, first + count - m)
                    level = levels[m]
                    closes = m + n == first + count
                    transform = choose_transform(self.rng, level, first_of_piece=m == 0,
                                                 first_of_phrase=unit == 0)
                    self._unit(m, n, transform, level, cadence=closes,
                               final=closes and m + n == self.measures)
                    m, unit = m + n, unit + 1

    def _unit(self, first: int, count: int, transform: str, level: float, *, cadence: bool,
              final: bool) -> None:
        """One statement of the (developed) motif over `count` measures from measure `first`."""
        span = count * self.per
        motif = TRANSFORMS[transform](self.motif)
        events: list[tuple[float, float, int | None]] = [
            (n.offset, min(n.duration, span - n.offset), n.step)
            for n in motif.notes if n.offset < span - 1e-9]
        if cadence:
            last_start = (count - 1) * self.per
            cut = last_start if final and not self.final_approach else last_start + self._cadence_offset()
            events = [(o, min(d, cut - o), s) for o, d, s in events if o < cut - 1e-9]
            events.append((cut, span - cut, None))
        if level > 0.8:  # a fast shot: long notes break into two, the second a neighbour tone
            busy: list[tuple[float, float, int | None]] = []
            for o, d, s in events:
                if s is not None and d >= 2.0:
                    busy += [(o, d / 2, s), (o + d / 2, d / 2, s + 1)]
                else:
                    busy.append((o, d, s))
            events = busy

        steps = [s for _, _, s in events if s is not None] or [0]
        target = self._target(first, level)
        base = self._base(transform, self.triads[first], target, steps)
        if self.home is None:
            self.home = base
        velocity = int(64 + 36 * level)
        for offset, duration, step in events:
            measure = first + int(offset // self.per + 1e-9)
            triad = self.triads[measure]
            in_measure = offset - (measure - first) * self.per
            strong = any(abs(in_measure - s) < 1e-6 for s in self.strong)
            if step is None:
                index = resting_index(triad, self._prev, final=final)
            else:
                index = fold(base + step)
                if strong or duration >= 1.5:
                    index = self._chord_tone_near(index, triad)
            pitch = self.key.pitch(index, leading_tone=triad.leading_tone)
            start = first * self.per + offset
            accent = 8 if strong else 0
            self.notes.append(BeatNote(start, start + duration, pitch, min(127, velocity + accent)))
            self._prev = index

    def _cadence_offset(self) -> float:
        """Where a phrase's last note starts: the last pulse at or before the middle of the measure."""
        if self.per <= self.pulse:
            return 0.0
        return max(self.pulse, math.floor(self.per / 2 / self.pulse + 1e-9) * self.pulse)

    def _target(self, measure: int, level: float) -> float:
        """Register: higher for faster shots, an arch over the whole theme, lower when calm."""
        arch = 1.0 * math.sin(math.pi * measure / max(1, self.measures))
        return 0.5 + 4.5 * level + arch - (1.0 if self.calm else 0.0)

    def _base(self, transform: str, triad: Triad, target: float, steps: list[int]) -> int:
        lo, hi = LOW_INDEX - min(steps), HIGH_INDEX - max(steps)
        candidates = [b for b in range(lo, hi + 1) if triad.contains(b)] or [max(lo, min(hi, round(target)))]
        if transform == "sequence":
            roots = [b for b in candidates if b % 7 == triad.degree % 7]
            candidates = roots or candidates
        if transform == "repeat" and self.home in candidates:
            return self.home
        return min(candidates, key=lambda b: (abs(b - target), b))

    def _chord_tone_near(self, index: int, triad: Triad) -> int:
        """The chord tone nearest `index` that keeps the motif's direction from the previous note."""
        direction = sign(index - self._prev)
        options = [c for c in range(max(LOW_INDEX, index - 3), min(HIGH_INDEX, index + 3) + 1)
                   if triad.contains(c)]
        if not options:
            return index
        return min(options, key=lambda c: (sign(c - self._prev) != direction, abs(c - index), c))

    def accent_pitch(self, beat: float, previous: int) -> int:
        """Pitch for a note added on a rhythm spot: a chord tone near, but not on, the previous pitch."""
        triad = self.triads[min(self.measures - 1, max(0, int(beat // self.per)))]
        pitches = [self.key.pitch(c, leading_tone=triad.leading_tone)
                   for c in range(LOW_INDEX, HIGH_INDEX + 1) if triad.contains(c)]
        return min(pitches, key=lambda p: (p == previous, abs(p - previous), p))
