"""The cues put back on the film's clock: one tempo map, one melody, one plan, one scheme.

Each cue was planned on its own clock (0 s = its first frame). Here every time moves by the cue's
start; the film gets one track per instrument (a cue's items sit on it where the cue plays, as a
composer lays cues on one orchestral template), and a tempo map with a marker at each cue start.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TypeVar

from ..model import (
    RHYTHM_SPOT_KINDS,
    Assessment,
    Chord,
    Criterion,
    Cue,
    EnvelopePoint,
    Marker,
    MeasureLevels,
    Melody,
    Note,
    Plan,
    PlanTrack,
    ReverbBus,
    Scheme,
    SchemeTempo,
    SchemeTrack,
    Section,
    TempoChange,
    TempoMap,
)
from ..ranges import MAX_BPM, MAX_GAIN, MAX_SCHEME_TEMPO_CHANGES, MAX_SCHEME_TRACKS, MAX_SECTIONS

#: tempo changes closer than this (s) are one change, the later winning
_SAME_TIME = 1e-6

#: a plan's or a scheme's track (both carry `instrument`)
T = TypeVar("T", PlanTrack, SchemeTrack)


@dataclass(frozen=True)
class Placed:
    """A cue and what its stages made, on the cue's own clock."""

    cue: Cue
    melody: Melody
    assessment: Assessment
    scheme: Scheme
    plan: Plan


def merge_tempo(cues: Sequence[Cue], maps: Sequence[TempoMap]) -> TempoMap:
    """The film's tempo map: each cue's own map from its start (a tempo marker there), and between
    cues a tempo that makes the rest whole measures, so every cue starts on a bar line in REAPER.

    The rest is counted from the last bar line inside the previous cue (or the one before, when
    the last leaves too little for a whole measure at no more than twice the tempo); where neither
    fits (a cue shorter than two bars right before another), the cue starts off the bar line, still
    with its own tempo marker.
    """
    meter = maps[0].meter
    per = maps[0].beats_per_measure
    changes: dict[float, float] = {0.0: maps[0].changes[0].bpm}
    for i, (cue, tm) in enumerate(zip(cues, maps, strict=True)):
        start = cue.start
        if i == 0 and start > _SAME_TIME:  # the opening rest: whole measures at the first cue's tempo
            _put(changes, 0.0, _whole_measures(start, tm.changes[0].bpm, per) or tm.changes[0].bpm)
        elif i > 0:
            _bar_line_before(changes, cues[i - 1], maps[i - 1], start, per)
        for change in tm.changes:
            _put(changes, start + change.time, change.bpm)
    return TempoMap([TempoChange(t, b) for t, b in sorted(changes.items())], meter)


def _bar_line_before(changes: dict[float, float], previous: Cue, tm: TempoMap, start: float,
                     per: float) -> None:
    """Make the time from one of `previous`' last bar lines to `start` whole measures (a tempo change
    there, the previous cue's later changes dropped); leave the map as it is when none fits."""
    last = tm.measure_at(max(0.0, previous.end - previous.start - _SAME_TIME))
    for measure in (last, last - 1):
        if measure < 1:
            break
        local = tm.measure_start(measure)
        anchor = previous.start + local
        bpm = _whole_measures(start - anchor, tm.bpm_at(local), per)
        if bpm is not None:
            for time in [t for t in changes if t >= anchor - _SAME_TIME and t > previous.start]:
                del changes[time]
            _put(changes, anchor, bpm)
            return


def _whole_measures(span: float, bpm: float, per: float) -> float | None:
    """The tempo nearest `bpm` that fills `span` seconds with whole measures, if within half to twice it."""
    if span <= _SAME_TIME:
        return None
    count = max(1, round(span * bpm / 60.0 / per))
    fitted = count * per * 60.0 / span
    return fitted if bpm / 2 <= fitted <= min(MAX_BPM, 2 * bpm) else None


def _put(changes: dict[float, float], time: float, bpm: float) -> None:
    time = round(time, 6)
    for near in [t for t in changes if abs(t - time) <= _SAME_TIME]:
        del changes[near]
    changes[time] = bpm


def merge_plans(placed: Sequence[Placed], tempo_map: TempoMap, *, duration: float, template: Plan) -> Plan:
    """One plan for the film: one track per instrument (per instrument's n-th part in a cue), each cue's
    notes and volume envelope moved to its place; markers renamed on the film's clock.

    Fader, pan and send are the track's first cue's; a later cue's different fader level is carried
    by its envelope. `template` gives what the film shares (video, timecode, sample rate, streamers).
    """
    tracks: dict[tuple[str, int], PlanTrack] = {}
    markers: list[Marker] = []
    for item in placed:
        offset, cue = item.cue.start, item.cue
        for key, track in _by_part(item.plan.tracks):
            merged = tracks.get(key)
            if merged is None:
                merged = tracks[key] = PlanTrack(track.name, track.role, track.instrument, track.gm_program,
                                                 list(track.fx), [], track.pan, track.volume,
                                                 track.reverb_send, [], track.is_drum)
            scale = track.volume / merged.volume if merged.volume > 0 else 1.0
            merged.notes += _shifted(track.notes, offset)
            points = track.volume_envelope or [EnvelopePoint(0.0, 1.0)]
            merged.volume_envelope += [EnvelopePoint(round(p.time + offset, 6), min(MAX_GAIN, p.gain * scale))
                                       for p in points if p.time <= cue.end - cue.start]
            merged.volume_envelope.append(EnvelopePoint(round(cue.end, 6), merged.volume_envelope[-1].gain))
        markers += [Marker(round(m.time + offset, 6),
                           f"{cue.number} {m.name}" if m.kind == "section" else m.name, m.kind, m.sync)
                    for m in item.plan.markers]
    rooms = [p.plan.reverb.room_size for p in placed]
    first = placed[0].plan
    reverb = ReverbBus(first.reverb.name, first.reverb.fx, round(sum(rooms) / len(rooms), 3),
                       first.reverb.damping, first.reverb.volume)
    return Plan(duration, tempo_map, first.key, list(tracks.values()), _renamed(markers), reverb,
                template.video, template.sample_rate, template.tag, template.timecode,
                [p.cue for p in placed], template.streamers)


def _by_part(tracks: Sequence[T]) -> Iterator[tuple[tuple[str, int], T]]:
    """Each track with its key on the film: its instrument and how many parts of that instrument came
    before it in the cue. Plans and schemes are keyed alike, so an overview track is its plan track."""
    parts: Counter[str] = Counter()
    for track in tracks:
        yield (track.instrument, parts[track.instrument]), track
        parts[track.instrument] += 1


def _shifted(notes: Sequence[Note], offset: float) -> list[Note]:
    """A cue's notes on the film's clock."""
    return [Note(n.pitch, round(n.start + offset, 6), round(n.end + offset, 6), n.velocity) for n in notes]


def _renamed(markers: list[Marker]) -> list[Marker]:
    """Hits named on the film's clock: cuts numbered through the film, other spots by their film time."""
    out, cuts = [], 0
    for marker in sorted(markers, key=lambda m: (m.time, m.kind != "section")):
        if marker.kind == "cut":
            cuts += 1
            marker.name = f"cut {cuts}"
        elif marker.kind in RHYTHM_SPOT_KINDS:
            marker.name = f"{'hit' if marker.kind == 'motion' else marker.kind} {marker.time:.2f}s"
        out.append(marker)
    return out


def merge_melodies(placed: Sequence[Placed], tempo_map: TempoMap) -> Melody:
    """The film's melody line: every cue's notes and chords in place (each cue keeps its own key and
    theme in cues/<number>/melody.json; this one is for people, DAWs and the report)."""
    notes, chords = [], []
    for item in placed:
        offset = item.cue.start
        notes += _shifted(item.melody.notes, offset)
        chords += [Chord(round(c.start + offset, 6), round(c.end + offset, 6), c.root, c.quality)
                   for c in item.melody.chords]
    first = placed[0].melody
    return Melody(notes, first.key, tempo_map, chords, first.seed, first.description)


def merge_schemes(placed: Sequence[Placed], tempo_map: TempoMap, *, duration: float) -> Scheme:
    """An overview scheme of the film: a section per cue over its measures, the tracks of `merge_plans`
    with each cue's levels and softened measures at the cue's measures. Each cue's own scheme
    (cue_schemes.json) is the one `render` plans from. Within a scheme's limits: past MAX_SECTIONS
    cues, neighbouring cues share a section; past MAX_SCHEME_TEMPO_CHANGES, its tempo map keeps the
    tempo each cue starts at (plan.json keeps every change)."""
    sections, tracks = [], {}
    for item in placed:
        first = tempo_map.measure_at(item.cue.start + 1e-6)
        last = max(first, tempo_map.measure_at(max(item.cue.start, item.cue.end - 1e-6)))
        inner = item.scheme.sections or [Section("A", (1, 1))]
        sections.append(Section(item.cue.number, (first, last),
                                round(sum(s.intensity for s in inner) / len(inner), 3)))
        for key, track in _by_part(item.scheme.tracks):
            merged = tracks.get(key)
            if merged is None:
                if len(tracks) >= MAX_SCHEME_TRACKS:
                    continue
                merged = tracks[key] = SchemeTrack(
                    len(tracks) + 1, track.name, track.role, track.instrument, track.source, track.transpose,
                    track.panning, track.reverb_space, MeasureLevels(), [], track.articulation)
            merged.volume_envelope.update({first + m - 1: v for m, v in track.volume_envelope.items()
                                           if first + m - 1 <= last})
            merged.softened_measures += [first + m - 1 for m in track.softened_measures
                                         if first + m - 1 <= last]
    measures = max(tempo_map.measure_count(duration), max(s.measures[1] for s in sections))
    tempo = SchemeTempo.of(tempo_map)
    if len(tempo.map) > MAX_SCHEME_TEMPO_CHANGES:
        starts = [0.0] + [p.cue.start for p in placed]
        kept = {round(t, 6): tempo_map.bpm_at(t) for t in starts[:MAX_SCHEME_TEMPO_CHANGES]}
        changes = [TempoChange(t, b) for t, b in sorted(kept.items())]
        tempo = SchemeTempo.of(TempoMap(changes, tempo_map.meter))
    return Scheme(tempo, placed[0].scheme.key, measures, grouped(sections, MAX_SECTIONS),
                  list(tracks.values()), decisions=[d for p in placed for d in p.scheme.decisions])


def grouped(sections: list[Section], most: int) -> list[Section]:
    """At most `most` sections: runs of neighbours joined ("1M1-1M3"), intensity their mean."""
    if len(sections) <= most:
        return sections
    size = -(-len(sections) // most)
    out = []
    for i in range(0, len(sections), size):
        run = sections[i:i + size]
        name = run[0].name if len(run) == 1 else f"{run[0].name}-{run[-1].name}"
        out.append(Section(name, (run[0].measures[0], run[-1].measures[1]),
                           round(sum(s.intensity for s in run) / len(run), 3)))
    return out


def merge_assessments(placed: Sequence[Placed]) -> Assessment:
    """The film's verdict: each criterion's score averaged over the cues by length, with the reason of
    the cue that scored it lowest (named), so the weakest cue is the one a person reads about."""
    weights = [max(p.cue.end - p.cue.start, 1e-6) for p in placed]
    total = sum(weights)
    criteria = []
    for i, criterion in enumerate(placed[0].assessment.criteria):
        scores = [(p.assessment.criteria[i], p.cue.number) for p in placed]
        low, number = min(scores, key=lambda s: s[0].score)
        mean = sum(c.score * w for (c, _), w in zip(scores, weights, strict=True)) / total
        criteria.append(Criterion(criterion.key, criterion.reviewer, round(min(1.0, max(0.0, mean)), 4),
                                  f"{number}: {low.reason}" if len(placed) > 1 else low.reason))
    return Assessment(criteria, placed[0].assessment.threshold, max(p.assessment.attempts for p in placed),
                      [d for p in placed for d in p.assessment.decisions])
