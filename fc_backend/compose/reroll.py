"""Re-roll: new melody for the measures overlapping [t0, t1], every other note kept bit-identical.

The region is rewritten by the symbolic line writer over the melody's own key and chord plan with a
fresh motif from the new seed, then fitted to what stays: the cuts and strong spots inside keep their
onsets, the first new note continues from the last kept one without a leap (an octave or a chord tone
nearer), and the last new note leads by step (or a common tone) into the first kept note after.
"""

from __future__ import annotations

import math
import random

from ..model import Melody, Note, Spotting
from ..theory import Key
from .align import BeatNote, onset_at
from .composer import _LineWriter, _measure_levels, _seconds, _spot_times, musical_measures
from .harmony import harmonize, plan_sections, triads_from_chords
from .motif import make_motif
from .tonality import HIGH_INDEX, LOW_INDEX

#: how many fresh seeds to try when a tiny region comes out exactly as it was
_TRIES = 6


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
    old = [(n.pitch, round(n.start, 6)) for n in inside]
    for attempt in range(_TRIES):  # the closing tonic alone comes back as it was: odd tries approach it
        new = _region(melody, spotting, key, triads, b0, b1, seed + 7919 * attempt,
                      before[-1] if before else None, after[0] if after else None,
                      final_approach=attempt % 2 == 1)
        if [(n.pitch, round(n.start, 6)) for n in new] != old:
            break
    notes = [*before, *new, *after]
    return Melody(notes=notes, key=melody.key, tempo_map=tm, chords=list(melody.chords), seed=seed,
                  description=melody.description)


def _region(melody: Melody, spotting: Spotting, key: Key, triads: list, b0: float, b1: float, seed: int,
            prev: Note | None, nxt: Note | None, *, final_approach: bool = False) -> list[Note]:
    tm = melody.tempo_map
    per = tm.beats_per_measure
    measures = len(triads)
    rng = random.Random(seed)
    motif = make_motif(rng, tm.meter, per)
    writer = _LineWriter(key, triads, motif, tm.meter, per, rng, calm=spotting.emotion == "calm",
                         final_approach=final_approach)
    writer.write(plan_sections(spotting, measures), _measure_levels(spotting, measures))

    start = b0 if prev is None else max(b0, tm.beat_at(prev.end))
    # the region holding the last note lasts as long as the old last note did
    stop = tm.beat_at(nxt.start) if nxt is not None else tm.beat_at(melody.notes[-1].end)
    # a kept note held over the closing bar line leaves a gap after it: the last new note may sustain
    # into that gap, but no new note may start at or past the bar line, outside the asked measures
    onsets_before = min(stop, b1)
    writer.notes[-1].end = max(writer.notes[-1].end, stop)  # the closing tonic holds to the end
    line = [BeatNote(max(n.start, start), min(n.end, stop), n.pitch, n.velocity)
            for n in writer.notes if n.end > start + 1e-9 and n.start < onsets_before - 1e-9]
    line = [n for n in line if n.end - n.start > 1e-9]
    if not line:
        return []
    line[0].start = start
    line[-1].end = stop

    spots = {tm.beat_at(t): t for t in _spot_times(spotting)}
    inner = sorted(b for b in spots if start + 1e-6 < b < onsets_before - 1e-6)
    keep = frozenset([start, *inner])
    for beat in inner:
        onset_at(line, beat, writer.accent_pitch, end=stop, keep=keep)

    _join_left(line, prev, key)
    _join_right(line, nxt, key, writer, per)
    notes = [Note(n.pitch, _seconds(tm, n.start, spots), _seconds(tm, n.end, spots), n.velocity)
             for n in line]
    if prev is not None and prev.end >= notes[0].start - 1e-6:
        notes[0].start = prev.end  # seamless: the kept note's own float, not a recomputed one
    if nxt is not None:
        notes[-1].end = nxt.start
    else:
        notes[-1].end = max(notes[-1].end, melody.notes[-1].end)
    return [n for n in notes if n.end >= n.start]


def _join_left(line: list[BeatNote], prev: Note | None, key: Key) -> None:
    """No leap wider than a fifth out of the last kept note: move the whole new span by an octave if that
    keeps it in range, else bring the first new note to the scale tone nearest the kept one."""
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


def _join_right(line: list[BeatNote], nxt: Note | None, key: Key, writer: _LineWriter, per: float) -> None:
    """The last new note leads into the first kept note by a step (a chord tone if one is a step away)."""
    if nxt is None:
        return
    last = line[-1]
    triad = writer.triads[min(len(writer.triads) - 1, int(last.start // per))]
    scale = [key.pitch(i, leading_tone=triad.leading_tone) for i in range(LOW_INDEX - 1, HIGH_INDEX + 2)]
    steps = [p for p in scale if 1 <= abs(p - nxt.pitch) <= 2]
    if not steps:
        steps = [nxt.pitch]
    chord_pcs = {key.pitch(triad.degree + k, leading_tone=triad.leading_tone) % 12 for k in (0, 2, 4)}
    before = line[-2].pitch if len(line) > 1 else last.pitch
    last.pitch = min(steps, key=lambda p: (p % 12 not in chord_pcs, abs(p - before), p))
