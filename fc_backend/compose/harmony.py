"""Form and harmony: sections follow the shots, each phrase gets a progression and ends on a cadence."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from ..model import Chord, Melody, Note, Spotting, TempoMap
from ..theory import Key, Triad

#: progressions (scale degrees, 0 = tonic) a phrase body cycles through, per mode
TEMPLATES: dict[str, tuple[tuple[int, ...], ...]] = {
    "major": ((0, 3, 4, 0), (0, 5, 3, 4), (0, 4, 5, 3), (0, 1, 4, 0), (0, 3, 0, 4), (0, 5, 1, 4)),
    "minor": ((0, 3, 4, 0), (0, 5, 3, 4), (0, 6, 5, 4), (0, 3, 6, 2), (0, 5, 2, 6)),
    "dorian": ((0, 3, 0, 6), (0, 6, 3, 0), (0, 1, 3, 0)),
    "phrygian": ((0, 1, 0, 6), (0, 5, 1, 0), (0, 1, 6, 0)),
    "lydian": ((0, 1, 0, 4), (0, 1, 5, 4)),
    "mixolydian": ((0, 6, 3, 0), (0, 3, 6, 0)),
}
#: full cadence at a section's end (V-I, iv-V-i, modal VII-i / bII-i)
CADENCES: dict[str, tuple[int, ...]] = {"major": (4, 0), "minor": (3, 4, 0), "dorian": (6, 0),
                                        "phrygian": (1, 0), "lydian": (4, 0), "mixolydian": (6, 0)}
#: where a phrase inside a section pauses: a chord under which the melody can rest on 1, 3 or 5
HALF_CADENCES: dict[str, tuple[int, ...]] = {"major": (4,), "minor": (3, 4), "dorian": (3,),
                                             "phrygian": (5,), "lydian": (4,), "mixolydian": (3,)}


@dataclass
class Section:
    first: int  # 0-based measure
    count: int
    phrases: list[tuple[int, int]] = field(default_factory=list)  # (first measure, measures)


def plan_sections(spotting: Spotting, measures: int) -> list[Section]:
    """Sections start where shots start and group short shots: 4 to 8 measures, phrases of 3-5.

    Only the first section of a very short clip, or the last, may be shorter.
    """
    tm = spotting.tempo_map
    per = tm.beats_per_measure
    starts = {0}
    for cut in spotting.cuts:
        m = int(round(tm.beat_at(cut) / per))
        if 0 < m < measures:
            starts.add(m)
    bounds = sorted(starts) + [measures]
    spans = [[a, b - a] for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
    merged: list[list[int]] = []
    for first, count in spans:  # short shots group together until a section has 4 measures
        if merged and merged[-1][1] < 4:
            merged[-1][1] += count
        else:
            merged.append([first, count])
    if len(merged) > 1 and merged[-1][1] < 2:
        merged[-2][1] += merged.pop()[1]
    sections: list[Section] = []
    for first, count in merged:
        while count > 8:
            sections.append(Section(first, 4))
            first, count = first + 4, count - 4
        sections.append(Section(first, count))
    for section in sections:
        section.phrases = _phrases(section.first, section.count)
    return sections


def _phrases(first: int, count: int) -> list[tuple[int, int]]:
    if count <= 5:
        return [(first, count)]
    head = 4 if count in (7, 8) else 3
    return [(first, head), (first + head, count - head)]


def progression(key: Key, sections: list[Section], rng: random.Random) -> list[Triad]:
    """One triad per measure; mid-section phrases end on a half cadence, sections on a full one."""
    templates = TEMPLATES.get(key.mode, TEMPLATES["major"])
    main = templates[rng.randrange(len(templates))]
    other = templates[rng.randrange(len(templates))]
    cadence = CADENCES.get(key.mode, CADENCES["major"])
    half = HALF_CADENCES.get(key.mode, HALF_CADENCES["major"])
    degrees: list[int] = []
    for s, section in enumerate(sections):
        body_template = main if s % 2 == 0 else other
        for p, (_, count) in enumerate(section.phrases):
            last_phrase = p == len(section.phrases) - 1
            close = cadence if last_phrase else half
            if count <= len(close):
                degrees.extend(close[-count:])
                continue
            body = [body_template[i % len(body_template)] for i in range(count - len(close))]
            if body[-1] == close[0]:
                body[-1] = next(d for d in body_template[1:] + (0,) if d != close[0])
            degrees.extend(body + list(close))
    minor_v = key.mode == "minor"
    return [Triad(d, leading_tone=minor_v and d == 4) for d in degrees]


def triads_from_chords(chords: list[Chord], key: Key, tm: TempoMap, measures: int) -> list[Triad]:
    """The composer's triads back from a melody's chord list: the chord sounding at each downbeat.

    A chord whose root is outside the key reads as the nearest scale degree (a re-roll only needs
    chord tones to aim at, and the stored chord list itself is never changed).
    """
    out: list[Triad] = []
    for m in range(measures):
        t = tm.time_at(m * tm.beats_per_measure) + 1e-6
        outside = chords[-1] if t >= chords[-1].start else chords[0]
        chord = next((c for c in chords if c.start <= t < c.end), outside)
        step = (chord.root - key.tonic) % 12
        degree = min(range(7), key=lambda d: (min((key.scale[d] - step) % 12, (step - key.scale[d]) % 12), d))
        major_v = key.mode == "minor" and degree == 4 and chord.quality in ("maj", "dom7")
        out.append(Triad(degree, leading_tone=major_v))
    return out


def harmonize(notes: list[Note], key: Key, tm: TempoMap, measures: int) -> list[Chord]:
    """One diatonic triad per measure under a given melody (`Melody.estimated_chords`).

    Used for a melody the user wrote, so the part writer and a later re-roll have a chord plan.
    """
    return Melody(notes, key, tm).estimated_chords(measures)
