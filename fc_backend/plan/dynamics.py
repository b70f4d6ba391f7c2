"""Articulation, softened measures and the per-measure volume envelope of one track."""

from __future__ import annotations

from ..model import EnvelopePoint, Note, SchemeTrack, TempoMap

#: velocity and envelope factor in a softened measure
SOFTEN = 0.6
#: seconds before a barline where a level change starts, so levels read as steps, not slow ramps
STEP_LEAD = 0.03


def articulate(notes: list[Note], articulation: str, tm: TempoMap) -> list[Note]:
    """Shorten staccato and pizzicato notes, accent marcato notes that start on a beat."""
    out = []
    for n in notes:
        start, end, velocity = n.start, n.end, n.velocity
        if articulation == "staccato":
            end = start + max(0.05, (end - start) * 0.5)
        elif articulation == "pizzicato":
            end = start + max(0.05, min(end - start, 0.35))
        elif articulation == "marcato":
            end = start + (end - start) * 0.85
            beat = tm.beat_at(start)
            if abs(beat - round(beat)) < 1e-3:
                velocity = min(127, velocity + 10)
        out.append(Note(n.pitch, start, end, velocity))
    return out


def soften(notes: list[Note], softened: set[int], tm: TempoMap, factor: float = SOFTEN) -> list[Note]:
    """Scale the velocity of every note that starts in a softened measure."""
    return [Note(n.pitch, n.start, n.end, max(1, round(n.velocity * factor)))
            if tm.measure_at(n.start) in softened else n for n in notes]


def measure_levels(track: SchemeTrack, measures: int, factor: float = SOFTEN) -> list[float]:
    """The scheme's level for every measure (last key held), lowered in softened measures."""
    softened = set(track.softened_measures)
    held = track.volume_envelope.held(measures)
    return [level * factor if m in softened else level for m, level in enumerate(held, start=1)]


def envelope(levels: list[float], tm: TempoMap) -> list[EnvelopePoint]:
    """A point at every measure start, plus a hold point just before each change of level."""
    points: list[EnvelopePoint] = []
    for m, level in enumerate(levels, start=1):
        start = tm.measure_start(m)
        if points and points[-1].gain != round(level, 4):
            hold = start - STEP_LEAD
            if hold > points[-1].time:
                points.append(EnvelopePoint(round(hold, 6), points[-1].gain))
        points.append(EnvelopePoint(round(start, 6), round(level, 4)))
    return points
