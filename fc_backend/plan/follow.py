"""The scheme is what a person edits: its tempo and key win over the melody's when they differ.

An unedited scheme states the melody's own tempo map and key, and the melody is used as it is (the
melody's exact, cut-fitted times). An edited tempo lays the melody onto the scheme's tempo map beat
for beat; an edited key moves every note and chord into it (`theory.move_pitch`).
"""

from __future__ import annotations

from ..model import Chord, Melody, Note, Scheme, SchemeTempo, TempoMap
from ..theory import move_chord, move_pitch


def melody_as_scheme_says(melody: Melody, scheme: Scheme) -> Melody:
    """`melody` on the scheme's tempo map and in the scheme's key."""
    tm = _scheme_tempo_map(melody.tempo_map, scheme.tempo)
    source, target = melody.heard_key(), scheme.key
    if tm is melody.tempo_map and source == target:
        return melody
    old = melody.tempo_map

    def moved(t: float) -> float:
        return t if tm is old else tm.time_at(old.beat_at(t))

    notes = [Note(move_pitch(n.pitch, source, target), moved(n.start), moved(n.end), n.velocity)
             for n in melody.notes]
    chords = [Chord(moved(c.start), moved(c.end), *move_chord(c.root, c.quality, source, target))
              for c in melody.chords]
    return Melody(notes, target, tm, chords, melody.seed, melody.description)


def _scheme_tempo_map(own: TempoMap, tempo: SchemeTempo) -> TempoMap:
    """`own` when the scheme shows it unchanged, else the map the scheme describes."""
    return own if SchemeTempo.of(own) == tempo else tempo.tempo_map()
