"""Analyze (paper table 2, role 1): how loud each measure of the picture is, and its sections.

Intensity mixes what the spotting says the clip *is* (its emotion) with what the picture *does*
measure by measure (optical-flow speed, rhythm spots), so a calm clip stays calm even where a
camera pans, and an action clip breathes where the motion stops.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field

from ..config import Config
from ..model import VOCABULARY, Melody, Section, Spotting, TempoMap

#: how driven each emotion is, before any motion is seen (0 = still, 1 = all-out)
EMOTION_INTENSITY = {"calm": 0.2, "sad": 0.25, "dreamy": 0.25, "graceful": 0.35, "dignified": 0.5,
                     "joyous": 0.6, "tense": 0.6, "fear": 0.65, "heroic": 0.75}
#: optical-flow speed (frame widths per second, as spot measures it) that counts as half-way to frantic
MIN_SECTION, MAX_SECTION = 4, 8


@dataclass
class CueAnalysis:
    """Everything the later roles decide from; measure lists are indexed by measure - 1."""

    measures: int
    intensity: list[float]
    sections: list[Section]
    emotion: str
    #: duration-weighted majority of each visual attribute over the shots (None when unknown)
    attributes: dict[str, str | None] = field(default_factory=dict)
    melody_range: tuple[int, int] | None = None
    #: cuts and other strong spots the music should mark (strength >= 0.5)
    hits: int = 0

    @property
    def mean_intensity(self) -> float:
        return sum(self.intensity) / len(self.intensity)

    @property
    def peak_intensity(self) -> float:
        return max(self.intensity)


def analyze_cue(melody: Melody, spotting: Spotting, config: Config | None = None) -> CueAnalysis:
    """Measure count, per-measure intensity (0..1), sections and the clip's dominant attributes."""
    tm = melody.tempo_map
    measures = tm.measure_count(spotting.duration)
    emotion = spotting.emotion if spotting.emotion in EMOTION_INTENSITY else "calm"
    reference = (config or Config()).motion_reference
    motion = measure_motion(spotting, tm, measures)
    peak_motion = max(motion) or 1.0
    spots = measure_spots(spotting, tm, measures)
    raw = []
    for m in range(measures):
        absolute = motion[m] / (motion[m] + reference)
        raw.append(0.45 * EMOTION_INTENSITY[emotion] + 0.3 * absolute + 0.1 * motion[m] / peak_motion
                   + 0.15 * spots[m])
    intensity = [round(min(1.0, max(0.0, v)), 3) for v in _smooth(raw)]
    pitches = [n.pitch for n in melody.notes]
    hits = sum(1 for s in spotting.rhythm_spots if s.strength >= 0.5 and s.time < spotting.duration)
    return CueAnalysis(measures, intensity, _sections(spotting, tm, measures, intensity), emotion,
                    _dominant_attributes(spotting), (min(pitches), max(pitches)) if pitches else None, hits)


def _measure_span(tm: TempoMap, m: int, duration: float) -> tuple[float, float]:
    return tm.measure_start(m), min(tm.measure_start(m + 1), max(duration, tm.measure_start(m) + 1e-3))


def measure_motion(spotting: Spotting, tm: TempoMap, measures: int) -> list[float]:
    """Mean flow speed per measure: from the motion curve, else from the shots it overlaps."""
    return [spotting.motion_between(*_measure_span(tm, m, spotting.duration)) for m in range(1, measures + 1)]


def measure_spots(spotting: Spotting, tm: TempoMap, measures: int) -> list[float]:
    """Rhythm-spot density per measure: summed strengths, two strong spots saturate it."""
    density = [0.0] * measures
    for spot in spotting.rhythm_spots:
        m = min(measures, max(1, tm.measure_at(spot.time)))
        density[m - 1] += spot.strength
    return [min(1.0, d / 2.0) for d in density]


def _smooth(values: list[float]) -> list[float]:
    if len(values) < 3:
        return list(values)
    padded = [values[0], *values, values[-1]]
    return [0.25 * padded[i - 1] + 0.5 * padded[i] + 0.25 * padded[i + 1] for i in range(1, len(padded) - 1)]


def _sections(spotting: Spotting, tm: TempoMap, measures: int, intensity: list[float]) -> list[Section]:
    """Cut the measures at the shots' cuts, merging short shots and splitting long ones (4..8)."""
    per = tm.beats_per_measure
    bounds = sorted({int(round(tm.beat_at(cut) / per)) + 1 for cut in spotting.cuts} - {1})
    spans: list[list[int]] = []
    start = 1
    for b in bounds:
        if b - start >= MIN_SECTION and measures - b + 1 >= MIN_SECTION // 2 and b <= measures:
            spans.append([start, b - 1])
            start = b
    spans.append([start, measures])
    if len(spans) > 1 and spans[-1][1] - spans[-1][0] + 1 < MIN_SECTION // 2:
        spans[-2][1] = spans.pop()[1]
    pieces: list[tuple[int, int]] = []
    for first, last in spans:
        length = last - first + 1
        parts = math.ceil(length / MAX_SECTION)
        edges = [first + round(i * length / parts) for i in range(parts + 1)]
        pieces += [(edges[i], edges[i + 1] - 1) for i in range(parts)]
    return _name_sections(pieces, intensity)


#: primes a restated section's name carries (A, A', A'', A'''); later ones count instead (A'4, A'5):
#: a five-minute cue may restate a letter 60 times, and a section's name holds 32 characters
_PRIMES = 3


def restatement(letter: str, times: int) -> str:
    """The name of `letter`'s section stated `times` times before: A, A', A'', A''', A'4, A'5..."""
    return letter + ("'" * times if times <= _PRIMES else f"'{times}")


def section_letter(name: str) -> str:
    """The letter a section's name restates (A'' and A'4 are A come back)."""
    return name.rstrip("'0123456789") or name


def _name_sections(pieces: list[tuple[int, int]], intensity: list[float]) -> list[Section]:
    """A, B, A', C...: a section as loud as an earlier one restates its letter with a prime."""
    sections: list[Section] = []
    letters: dict[str, float] = {}
    uses: Counter[str] = Counter()
    for first, last in pieces:
        level = round(sum(intensity[first - 1:last]) / (last - first + 1), 3)
        close = [(abs(v - level), k) for k, v in letters.items() if abs(v - level) <= 0.1]
        if close:
            letter = min(close)[1]
        else:
            letter = chr(ord("A") + len(letters)) if len(letters) < 26 else "Z"
            letters[letter] = level
        sections.append(Section(restatement(letter, uses[letter]), (first, last), level))
        uses[letter] += 1
    return sections


def _dominant_attributes(spotting: Spotting) -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for name in VOCABULARY:
        votes: Counter[str] = Counter()
        for shot in spotting.shots:
            label = getattr(shot.attributes, name)
            if label is not None:
                votes[label] += shot.duration
        out[name] = votes.most_common(1)[0][0] if votes else None
    return out
