"""Re-roll: new melody for the measures overlapping [t0, t1], every other note kept bit-identical.

The region is written by the composer's own one-way path (cells -> development -> line -> onsets on
the grid position of each cut), so it obeys the same rules as the theme around it: onsets on the beat
grid, bars built from the theme's rhythmic cells (the melody's own `theme`, else read back from its
bars), a cut marked by a re-strike on its grid position. It is then fitted to what stays: the first
new note continues from the last kept one without a leap (an octave or a scale tone nearer), and the
last new note leads by step (or a common tone) into the first kept note after.
"""

from __future__ import annotations

import math
import random
from collections import Counter

from ..model import Melody, Note, Spotting, TempoMap
from ..theory import Key, Triad
from .align import BeatNote, restrike_on_cuts
from .cells import Cell, Cells, choose_cells, fit_cells, other_answer
from .composer import _measure_levels, _spot_times, _strong_offsets, musical_measures, theme_home
from .development import develop
from .harmony import harmonize, plan_sections, triads_from_chords
from .line import write_line
from .tonality import HIGH_INDEX, LOW_INDEX

#: how many fresh seeds to try when a tiny region comes out exactly as it was
_TRIES = 6
#: note values are read back to this fraction of a beat (a 48th: sixteenths and triplets alike)
_TICK = 48


def region_measures(melody: Melody, t0: float, t1: float) -> tuple[int, int]:
    """First and last (1-based) measure overlapping [t0, t1]; a bar line at t1 itself is not entered."""
    tm = melody.tempo_map
    last_note = max((n.start for n in melody.notes), default=0.0)
    t0 = max(0.0, min(t0, t1))
    final = tm.measure_at(last_note)  # past the last onset, only the last note's measure can be re-rolled
    first = min(tm.measure_at(t0), final)
    last = tm.measure_at(t1 - 1e-6) if t1 > t0 else first
    return first, max(first, min(last, final))


def reroll(melody: Melody, spotting: Spotting, t0: float, t1: float, *, seed: int) -> Melody:
    """`melody` with the measures overlapping [t0, t1] composed anew; the notes outside are kept as they are.

    The result's seed is `seed`; the chord list is the melody's own, unchanged.
    """
    tm = melody.tempo_map
    per = tm.beats_per_measure
    first, last = region_measures(melody, t0, t1)
    b0 = (first - 1) * per
    last_measure = tm.measure_at(max(n.start for n in melody.notes))
    b1 = math.inf if last >= last_measure else last * per
    inside = [n for n in melody.notes if b0 - 1e-6 <= tm.beat_at(n.start) < b1 - 1e-6]
    before = [n for n in melody.notes if tm.beat_at(n.start) < b0 - 1e-6]
    after = [n for n in melody.notes if tm.beat_at(n.start) >= b1 - 1e-6]

    key = melody.heard_key()
    measures = musical_measures(tm.beat_at(spotting.duration), per)
    chords = melody.chords or harmonize(melody.notes, key, tm, measures)
    triads = triads_from_chords(chords, key, tm, measures)
    own = melody.theme
    theme = fit_cells(own.statement, own.answer, per) if own else theme_cells(melody)
    # the final note may start in a measure the theme's plan does not cover: it closes on the tonic
    triads += [Triad(0)] * (last - len(triads))
    region = _Region(spotting, key, triads, first - 1, last - 1, b0, b1, before[-1] if before else None,
                     after[0] if after else None, melody.notes[-1].end)
    old = [(n.pitch, round(n.start, 6)) for n in inside]
    new: list[Note] = []
    for attempt in range(_TRIES):  # the theme's cells first; then another answer, or new cells
        rng = random.Random(seed + 7919 * attempt)
        cells = theme or choose_cells(rng, tm.meter, per)
        if attempt % 2 == 1:
            cells = other_answer(rng, cells, tm.meter, per)
        elif attempt:
            cells = choose_cells(rng, tm.meter, per)
        new = region.write(cells, rng)
        if [(n.pitch, round(n.start, 6)) for n in new] != old:
            break
    notes = [*before, *new, *after]
    return Melody(notes=notes, key=melody.key, tempo_map=tm, chords=list(melody.chords), seed=seed,
                  description=melody.description, theme=melody.theme)


def theme_cells(melody: Melody) -> Cells | None:
    """The theme's own one-bar cells, read back from its bars: the statement is the commonest full bar
    of three or more notes, the answer the commonest other bar that ends on its longest note.

    None when the melody has no such bars (a user's tune in another idiom): the re-roll then draws
    cells of its own.
    """
    counts = Counter(bar_values(melody))
    ranked = [values for values, _ in counts.most_common()]
    statements = [v for v in ranked if len(v) >= 3]
    if not statements:
        return None
    a = statements[0]
    answers = [v for v in ranked if v != a and v[-1] >= max(v) - 1e-9]
    return Cells(Cell(a), Cell(answers[0])) if answers else None


def bar_values(melody: Melody) -> list[tuple[float, ...]]:
    """Each full bar's note values (beats), for bars whose notes fill them from the downbeat, without
    a rest inside or a note tied over the bar line (a breath before the bar line belongs to the bar's
    last note, as a phrase's resting note is written)."""
    tm = melody.tempo_map
    per = tm.beats_per_measure
    bars: dict[int, list[tuple[float, float]]] = {}
    for n in melody.notes:
        start, end = tm.beat_at(n.start), tm.beat_at(n.end)
        bar = int(start / per + 1e-6)
        bars.setdefault(bar, []).append((start - bar * per, end - bar * per))
    out = []
    for notes in bars.values():
        ticks = [(round(s * _TICK), round(e * _TICK)) for s, e in notes]
        if ticks[-1][1] < round(per * _TICK):  # a breath at the end of the bar
            ticks[-1] = (ticks[-1][0], round(per * _TICK))
        contiguous = all(a[1] == b[0] for a, b in zip(ticks, ticks[1:], strict=False))
        if ticks[0][0] == 0 and ticks[-1][1] == round(per * _TICK) and contiguous:
            out.append(tuple((e - s) / _TICK for s, e in ticks))
    return out


class _Region:
    """The measures being re-rolled, and the kept notes they must join."""

    def __init__(self, spotting: Spotting, key: Key, triads: list[Triad], first: int, last: int,
                 b0: float, b1: float, prev: Note | None, nxt: Note | None, theme_end: float) -> None:
        self.spotting, self.key, self.triads = spotting, key, triads
        self.tm: TempoMap = spotting.tempo_map
        self.first, self.last = first, last  # 0-based measures
        self.prev, self.nxt = prev, nxt
        self.per = self.tm.beats_per_measure
        self.start = b0 if prev is None else max(b0, self.tm.beat_at(prev.end))
        # the region holding the last note lasts as long as the old last note did
        self.stop = self.tm.beat_at(nxt.start) if nxt is not None else self.tm.beat_at(theme_end)
        # a kept note held over the closing bar line leaves a gap after it: the last new note may
        # sustain into that gap, but no new note may start at or past the bar line
        self.onsets_before = min(self.stop, b1)
        self.theme_end = theme_end

    def write(self, cells: Cells, rng: random.Random) -> list[Note]:
        """The region's notes in video time, developed from `cells` the way the whole theme is."""
        tm, per = self.tm, self.per
        measures = len(self.triads)
        levels = _measure_levels(self.spotting, measures)
        bars = develop(plan_sections(self.spotting, measures), cells, levels, rng)
        mine = [b for b in bars if self.first <= b.measure <= self.last]
        line = write_line(mine, self.key, self.triads, per, _strong_offsets(tm.meter, per), levels,
                          home=theme_home(self.spotting))
        line = [BeatNote(max(n.start, self.start), min(n.end, self.stop), n.pitch, n.velocity)
                for n in line if n.end > self.start + 1e-9 and n.start < self.onsets_before - 1e-9]
        line = [n for n in line if n.end - n.start > 1e-9]
        if not line:
            return []
        line[0].start, line[-1].end = self.start, self.stop
        restrike_on_cuts(line, [b for b in (tm.beat_at(t) for t in _spot_times(self.spotting))
                                if self.start + 1e-6 < b < self.onsets_before - 1e-6])
        line = [n for n in line if n.start < self.onsets_before - 1e-9]
        line[-1].end = self.stop
        self._join_left(line)
        self._join_right(line)
        notes = [Note(n.pitch, tm.time_at(n.start), tm.time_at(n.end), n.velocity) for n in line]
        if self.prev is not None and self.prev.end >= notes[0].start - 1e-6:
            notes[0].start = self.prev.end  # seamless: the kept note's own float, not a recomputed one
        if self.nxt is not None:
            notes[-1].end = self.nxt.start
        else:
            notes[-1].end = max(notes[-1].end, self.theme_end)
        return [n for n in notes if n.end >= n.start]

    def _join_left(self, line: list[BeatNote]) -> None:
        """No leap wider than a fifth out of the last kept note: move the whole new span by an octave if
        that keeps it in range, else bring the first new note to the scale tone nearest the kept one."""
        prev, key = self.prev, self.key
        if prev is None or abs(line[0].pitch - prev.pitch) <= 7:
            return
        lo, hi = key.pitch(LOW_INDEX), key.pitch(HIGH_INDEX, leading_tone=True)
        shift = -12 if line[0].pitch > prev.pitch else 12
        if all(lo <= n.pitch + shift <= hi for n in line) and abs(line[0].pitch + shift - prev.pitch) <= 7:
            for n in line:
                n.pitch += shift
            return
        scale = [key.pitch(i) for i in range(LOW_INDEX, HIGH_INDEX + 1)]
        line[0].pitch = min(scale, key=lambda p: (abs(abs(p - prev.pitch) - 2), p))

    def _join_right(self, line: list[BeatNote]) -> None:
        """The last new note leads into the first kept note by a step (a chord tone if one is a step away)."""
        nxt, key = self.nxt, self.key
        if nxt is None:
            return
        last = line[-1]
        triad = self.triads[min(len(self.triads) - 1, int(last.start // self.per))]
        scale = [key.pitch(i, leading_tone=triad.leading_tone) for i in range(LOW_INDEX - 1, HIGH_INDEX + 2)]
        steps = [p for p in scale if 1 <= abs(p - nxt.pitch) <= 2] or [nxt.pitch]
        chord_pcs = {key.pitch(triad.degree + k, leading_tone=triad.leading_tone) % 12 for k in (0, 2, 4)}
        before = line[-2].pitch if len(line) > 1 else last.pitch
        last.pitch = min(steps, key=lambda p: (p % 12 not in chord_pcs, abs(p - before), p))
