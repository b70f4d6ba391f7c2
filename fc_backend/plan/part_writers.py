"""The part writers: one function per scheme `source`, each returning notes in video seconds.

Writers place pitches by musical logic (chord tones, voice leading, register); `ranges.fit` then
guarantees the instrument can play every one of them.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

from ..model import Chord, Melody, Note, RhythmSpot, TempoMap
from ..schemes import Instrument
from ..theory import chord_intervals
from .harmony import chord_at
from .ranges import fit_pitches, fold
from .texture import FIGURES, Texture
from .voicing import sung

#: intervals below the melody a counter-line prefers: thirds and sixths
SWEET = (3, 4, 8, 9)
#: picture motion (0..1) below which an ostinato moves in quarters, and from which in sixteenths
STILL_MOTION, DRIVEN_MOTION = 0.25, 0.6
#: General MIDI percussion keys used by the kit writer
KICK, SNARE, CRASH = 36, 38, 49


@dataclass
class Context:
    """What every writer may read: the clock, the harmony and the loudness of each measure."""

    melody: Melody
    chords: list[Chord]
    measures: int
    duration: float
    #: section intensity per measure (index measure - 1), 0..1
    intensity: list[float]
    rhythm_spots: list[RhythmSpot]
    #: picture motion per measure (index measure - 1), 0 still .. 1 frantic
    motion: list[float] = field(default_factory=list)
    #: semitones (whole octaves plus the scheme's transpose) the melody track sounds from the theme
    melody_shift: int = 0
    #: the accompaniment's figure and density per measure (index measure - 1), from the picture
    textures: list[Texture] = field(default_factory=list)

    @property
    def tm(self) -> TempoMap:
        return self.melody.tempo_map

    def level(self, time: float) -> float:
        m = min(self.measures, max(1, self.tm.measure_at(time)))
        return self.intensity[m - 1]

    def texture(self, time: float) -> Texture:
        m = min(self.measures, max(1, self.tm.measure_at(time)))
        return self.textures[m - 1] if len(self.textures) >= m else Texture()

    def velocity(self, time: float, accent: int = 0) -> int:
        return int(min(127, max(1, round(45 + 55 * self.level(time)) + accent)))

    def grid(self, step_beats: float) -> list[float]:
        """Beat positions every `step_beats` from 0 up to the clip's end."""
        last = self.tm.beat_at(self.duration)
        return [i * step_beats for i in range(int(math.ceil(last / step_beats - 1e-9)))]

    def cut_times(self) -> list[float]:
        """The picture's cuts (the cut rhythm spots inside the clip), in time order."""
        return sorted(s.time for s in self.rhythm_spots if s.kind == "cut" and 0.0 < s.time < self.duration)

    def chord_segments(self) -> list[tuple[float, float, Chord]]:
        """The harmony split at every barline, so each measure re-articulates its chord."""
        bars = [self.tm.measure_start(m) for m in range(1, self.measures + 2)]
        out = []
        for chord in self.chords:
            cuts = [chord.start] + [b for b in bars if chord.start < b < chord.end] + [chord.end]
            pairs = zip(cuts, cuts[1:], strict=False)
            out += [(a, b, chord) for a, b in pairs if a < self.duration and b - a > 1e-3]
        return out


def melody_part(ctx: Context, inst: Instrument, transpose: int) -> list[Note]:
    """The melody, transposed, moved by whole octaves into the instrument's singing register (horns
    about F3-F5) and folded into the range where still outside."""
    pitches = sung([n.pitch + transpose for n in ctx.melody.notes], inst)
    return [Note(p, n.start, n.end, n.velocity) for p, n in zip(pitches, ctx.melody.notes, strict=True)]


def counter_part(ctx: Context, inst: Instrument, transpose: int) -> list[Note]:
    """A beat-by-beat line of chord tones a third to a sixth below the melody, moving smoothly."""
    line: list[tuple[int, float, float]] = []
    previous: int | None = None
    for b in ctx.grid(1.0):
        t = ctx.tm.time_at(b)
        above = _sounding(ctx.melody.notes, t, ctx.tm.time_at(b + 1) - t)
        if above is not None:  # under the tune as the melody track sounds it, before this part's transpose
            above += ctx.melody_shift - transpose
        tones = chord_at(ctx.chords, t).pitch_classes
        anchor = above if above is not None else (previous if previous is not None else 64)
        options = [p for p in range(anchor - 9, anchor - 2) if p % 12 in tones] if above is not None else []
        if not options:
            options = [p for p in range(anchor - 6, anchor + 7) if p % 12 in tones]
        target = previous if previous is not None else anchor - 4
        pitch = min(options, key=lambda p: (abs(p - target) + (0 if (anchor - p) in SWEET else 6), p))
        line.append((pitch + transpose, t, ctx.tm.time_at(b + 1)))
        previous = pitch
    pitches = fit_pitches([p for p, _, _ in line], inst.low, inst.high)
    notes: list[Note] = []
    for pitch, (_, start, end) in zip(pitches, line, strict=True):
        if notes and notes[-1].pitch == pitch and abs(notes[-1].end - start) < 1e-6:
            notes[-1].end = end  # a held chord tone is one note, not repeated strikes
        else:
            notes.append(Note(pitch, start, end, ctx.velocity(start, -8)))
    return notes


def chords_part(ctx: Context, inst: Instrument, transpose: int) -> list[Note]:
    """Close-position voicings, each led to the nearest voicing of the next chord; held through the
    measure, or struck again as often as the measure's texture asks (plan/texture.py)."""
    target = min(max(inst.low + 0.45 * (inst.high - inst.low), inst.low + 6), inst.high - 6) + transpose
    notes: list[Note] = []
    previous: list[int] | None = None
    for start, end, chord in _strokes(ctx, ctx.chord_segments()):
        options = _voicings(chord, inst.low, inst.high)
        if not options:
            options = [sorted({fold(p, inst.low, inst.high) for p in _voicing_at(chord, int(target))})]

        def cost(v: list[int], previous: list[int] | None = previous) -> float:
            centre = abs(sum(v) / len(v) - target)
            if previous is None:
                return centre
            return sum(abs(a - b) for a, b in zip(v, previous, strict=False)) + 0.3 * centre

        voicing = min(options, key=cost)
        previous = voicing
        velocity = ctx.velocity(start, -5)
        notes += [Note(p, start, end, velocity) for p in voicing]
    return restrike(notes, ctx.cut_times())


def _strokes(ctx: Context, segments: list[tuple[float, float, Chord]]) -> list[tuple[float, float, Chord]]:
    """`segments` split where the measure's texture strikes the harmony again (evenly spaced strokes)."""
    per = ctx.tm.beats_per_measure
    out = []
    for start, end, chord in segments:
        strokes = ctx.texture(start).strokes
        first = ctx.tm.measure_start(ctx.tm.measure_at(start + 1e-6))
        beat0 = ctx.tm.beat_at(first)
        inner = [ctx.tm.time_at(beat0 + k * per / strokes) for k in range(1, strokes)]
        edges = [start, *(t for t in inner if start + 1e-3 < t < end - 1e-3), end]
        out += [(a, b, chord) for a, b in zip(edges, edges[1:], strict=False)]
    return out


def bass_part(ctx: Context, inst: Instrument, transpose: int) -> list[Note]:
    """Chord roots per measure, root then fifth on the half measure where the music drives."""
    floor = min(max(inst.low + transpose, 0), 127 - 24)
    home = floor + min(10, (inst.high - inst.low) // 3)
    notes: list[Note] = []
    previous = home
    half = ctx.tm.beats_per_measure / 2
    for start, end, chord in ctx.chord_segments():
        root = min((p for p in range(floor, floor + 24) if p % 12 == chord.root % 12),
                   key=lambda p: abs(p - previous) + 0.5 * abs(p - home))
        previous = root
        mid = ctx.tm.time_at(ctx.tm.beat_at(start) + half)
        if ctx.level(start) >= 0.5 and mid < end - 1e-3:
            notes.append(Note(fold(root, inst.low, inst.high), start, mid, ctx.velocity(start, 4)))
            notes.append(Note(fold(root + 7, inst.low, inst.high), mid, end, ctx.velocity(mid)))
        else:
            notes.append(Note(fold(root, inst.low, inst.high), start, end, ctx.velocity(start, 4)))
    return restrike(notes, ctx.cut_times())


#: velocity added to a note struck again on a cut
RESTRIKE_ACCENT = 10


def restrike(notes: list[Note], times: list[float], *, accent: int = RESTRIKE_ACCENT) -> list[Note]:
    """Sustained notes held across a cut are struck again on it, a little harder: the orchestra marks
    the cut (a hit point) even where the tempo map could only put it on a beat, not on a barline."""
    out: list[Note] = []
    for note in notes:
        inside = [t for t in times if note.start + 1e-3 < t < note.end - 1e-3]
        edges = [note.start, *inside, note.end]
        for k, (a, b) in enumerate(zip(edges, edges[1:], strict=False)):
            velocity = note.velocity if k == 0 else min(127, note.velocity + accent)
            out.append(Note(note.pitch, a, b, velocity))
    return out


def doubling_part(ctx: Context, inst: Instrument, transpose: int) -> list[Note]:
    """The melody doubled at the octave: a `transpose` of whole octaves (a scheme's choice, below the
    tune too) picks the octave, stragglers folded into the range. Otherwise the doubling is the mix's
    top octave, on top or not there: an octave above where the melody track sounds (or two, whichever
    keeps more notes in range), and a note the instrument cannot play up there is left out rather
    than folded under the tune.
    """
    pitches = [n.pitch + ctx.melody_shift for n in ctx.melody.notes]
    if transpose and transpose % 12 == 0:
        return [Note(fold(p + transpose, inst.low, inst.high), n.start, n.end, n.velocity)
                for p, n in zip(pitches, ctx.melody.notes, strict=True)]

    def cost(shift: int) -> tuple[int, int]:
        return sum(not inst.low <= p + shift <= inst.high for p in pitches), shift

    shift = min((12, 24), key=cost)
    return [Note(p + shift, n.start, n.end, n.velocity)
            for p, n in zip(pitches, ctx.melody.notes, strict=True) if inst.low <= p + shift <= inst.high]


def ostinato_step(motion: float) -> float:
    """Beats per ostinato note for a measure's motion: the faster the picture, the busier the figure."""
    return 1.0 if motion < STILL_MOTION else 0.5 if motion < DRIVEN_MOTION else 0.25


def ostinato_part(ctx: Context, inst: Instrument, transpose: int) -> list[Note]:
    """Repeated arpeggios of the chord tones, restarting on each downbeat, as busy as the picture moves:
    quarters where it is still, eighths where it moves, sixteenths where it races; the figure follows
    the shot's scale (plan/texture.py)."""
    base = int(inst.low + 0.35 * (inst.high - inst.low)) + transpose
    notes: list[Note] = []
    per_measure = ctx.tm.beats_per_measure
    last = ctx.tm.beat_at(ctx.duration)
    for m in range(1, ctx.measures + 1):
        step = ostinato_step(ctx.motion[m - 1] if len(ctx.motion) >= m else 0.5)
        first = (m - 1) * per_measure
        for slot in range(int(round(per_measure / step))):
            b = first + slot * step
            if b >= last - 1e-9:
                break
            t = ctx.tm.time_at(b)
            chord = chord_at(ctx.chords, t)
            tones = [*chord_intervals(chord.quality), 12]  # the root an octave up ends a triad's rise
            root = base + (chord.root - base) % 12
            figure = FIGURES[ctx.texture(t).figure]
            pitch = root + tones[figure[slot % len(figure)]]
            accent = 8 if abs(b - round(b)) < 1e-6 else 0
            notes.append(Note(fold(pitch, inst.low, inst.high), t, ctx.tm.time_at(b + step),
                              ctx.velocity(t, accent - 6)))
    return notes


def kit_part(ctx: Context, inst: Instrument, transpose: int, *, eighths: bool = False) -> list[Note]:
    """Unpitched orchestral kit: bass drum on downbeats, cymbal on strong spots, snare pulse if asked."""
    hits: list[Note] = []
    length = 0.25
    for m in range(1, ctx.measures + 1):
        t = ctx.tm.measure_start(m)
        if t < ctx.duration:
            hits.append(Note(KICK, t, t + length, ctx.velocity(t, 6)))
    if eighths:
        for b in ctx.grid(0.5):
            t = ctx.tm.time_at(b)
            hits.append(Note(SNARE, t, t + length / 2, ctx.velocity(t, -20 if b % 1 else -10)))
    for spot in ctx.rhythm_spots:
        if spot.strength >= 0.5 and spot.time < ctx.duration:
            hits.append(Note(CRASH, spot.time, spot.time + 1.0,
                             int(min(127, 60 + 60 * spot.strength))))
    return sorted(hits, key=lambda n: (n.start, n.pitch))


#: spots at least this strong get a pitched hit (all cuts do: their strength is 1)
HIT_STRENGTH = 0.5


def hits_part(ctx: Context, inst: Instrument, transpose: int) -> list[Note]:
    """Pitched percussion (timpani, glockenspiel, vibraphone) punctuating the picture.

    A short stroke on the chord's root at every cut and strong spot, plus one on each downbeat of a
    loud measure; an attack this fast is what makes a cut audible under sustained strings and brass.
    """
    times = {round(s.time, 6): s.strength for s in ctx.rhythm_spots
             if s.strength >= HIT_STRENGTH and 0.0 <= s.time < ctx.duration}
    for m in range(1, ctx.measures + 1):
        t = round(ctx.tm.measure_start(m), 6)
        if t < ctx.duration and ctx.intensity[m - 1] >= 0.6:
            times.setdefault(t, 0.4)
    middle = (inst.low + inst.high) // 2 + transpose
    notes = []
    for t, strength in sorted(times.items()):
        root = chord_at(ctx.chords, t).root
        pitch = middle - ((middle - root) % 12)  # the root at or just below the middle of the range
        length = ctx.tm.time_at(ctx.tm.beat_at(t) + 1.0) - t
        notes.append(Note(pitch, t, t + length, ctx.velocity(t, int(round(30 * strength)))))
    return notes


WRITERS: dict[str, Callable[[Context, Instrument, int], list[Note]]] = {
    "melody": melody_part, "counter": counter_part, "chords": chords_part, "bass": bass_part,
    "ostinato": ostinato_part}


def _sounding(notes: list[Note], time: float, window: float) -> int | None:
    """Pitch of the melody note sounding at `time` or starting within the next `window` seconds."""
    now = [n for n in notes if n.start <= time + 1e-6 < n.end]
    soon = [n for n in notes if time < n.start < time + window]
    if now:
        return max(now, key=lambda n: n.pitch).pitch
    return min(soon, key=lambda n: n.start).pitch if soon else None


def _voicing_at(chord: Chord, bottom: int) -> list[int]:
    """Close position of `chord` built upward from its root's first pitch at or above `bottom`."""
    first = bottom + (chord.root - bottom) % 12
    return [first + i for i in chord_intervals(chord.quality)]


def _voicings(chord: Chord, low: int, high: int) -> list[list[int]]:
    """Every close-position voicing (each inversion, each octave) that lies inside [low, high]."""
    pcs = chord.pitch_classes
    out = []
    for inversion in range(len(pcs)):
        order = pcs[inversion:] + pcs[:inversion]
        for bottom in range(low, high + 1):
            if bottom % 12 != order[0]:
                continue
            voicing = [bottom]
            for pc in order[1:]:
                voicing.append(voicing[-1] + (pc - voicing[-1]) % 12 or 12)
            if voicing[-1] <= high:
                out.append(voicing)
    return out
