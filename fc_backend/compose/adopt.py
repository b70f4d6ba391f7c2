"""A melody the user wrote (an edited melody.mid or melody.abc), put on the clip's clock.

Rule: beat b of the file is beat b of the clip. A file that carries our tempo map (the melody.mid
`score` wrote, or one REAPER exported from that project) therefore keeps its video times: exactly,
not as its tick-rounded tempo changes put them (a note on a cut must not land a fraction of a
millisecond before it); a file with its own tempo (an ABC tune, a MIDI file from elsewhere) is laid
onto the clip's tempo map beat for beat, so its bar lines fall on the clip's downbeats and its
cut-fitted beats.
"""

from __future__ import annotations

from ..model import Chord, Melody, Note, Spotting, TempoMap
from .harmony import harmonize


def adopt(user: Melody, spotting: Spotting, *, description: str = "") -> Melody:
    """`user` as the clip's theme: monophonic, in video time, with a key and its chords: the file's own
    (chord symbols, as our melody.mid and melody.abc carry them), else one estimated per measure.

    Raises ValueError when no note of the file starts before the clip ends.
    """
    tm = spotting.tempo_map
    notes: list[Note] = []
    for n in sorted(user.notes, key=lambda n: (n.start, -n.pitch)):
        if notes and abs(notes[-1].start - n.start) < 1e-6:
            continue  # a chord in the file: the top note is the melody
        start = tm.time_at(user.tempo_map.beat_at(n.start))
        end = tm.time_at(user.tempo_map.beat_at(n.end))
        if start >= spotting.duration:
            break
        if notes and notes[-1].end > start:
            notes[-1].end = start  # one line: an overlapping note gives way to the next
        notes.append(Note(n.pitch, start, max(end, start), n.velocity))
    if not notes:
        raise ValueError(f"no note starts before the clip ends at {spotting.duration:.2f} s")
    key = Melody(notes, user.key, tm).heard_key()
    measures = max(1, tm.measure_at(max(n.end for n in notes) - 1e-6))
    chords = _own_chords(user, tm, spotting.duration) or harmonize(notes, key, tm, measures)
    return Melody(notes=notes, key=key, tempo_map=tm, chords=chords, seed=user.seed,
                  description=description or user.description)


def _own_chords(user: Melody, tm: TempoMap, duration: float) -> list[Chord]:
    """The file's chords on the clip's clock (beat b of the file is beat b of the clip)."""
    def clip_time(t: float) -> float:
        return tm.time_at(user.tempo_map.beat_at(t))

    return [Chord(clip_time(c.start), clip_time(c.end), c.root, c.quality)
            for c in sorted(user.chords, key=lambda c: c.start) if clip_time(c.start) < duration]
