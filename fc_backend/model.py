"""The data types every stage shares.

Stages talk to each other only through these types, and every artifact on disk is one of them
serialised, so any stage can be re-run from the previous one's output. As in pretty_midi, time is
absolute seconds of video time everywhere; beats, ticks and measures are derived through the
`TempoMap` only where a format or a musical decision needs them. A "beat" is a quarter note.
"""

from __future__ import annotations

import dataclasses
import json
import math
import types
import typing
from bisect import bisect_right
from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from itertools import pairwise
from pathlib import Path
from typing import Any, TypeVar

from .theory import Key, chord_name, chord_pitch_classes, estimate_chords, estimate_key
from .timecode import ZERO, frames_to_tc, parse_rate, rate_from_fps, tc_to_frames

T = TypeVar("T", bound="Record")

#: Label vocabulary of the seven visual attributes (paper table 6). `None` means "not known".
VOCABULARY: dict[str, tuple[str, ...]] = {
    "setting": ("indoor", "outdoor", "city", "nature", "water", "sky", "space", "fantasy"),
    "brightness": ("dark", "dim", "normal", "bright"),
    "hue": ("red", "orange", "yellow", "green", "cyan", "blue", "purple", "neutral"),
    "behaviour": ("still", "walking", "running", "fighting", "talking", "dancing", "flying", "chasing"),
    "view_scale": ("extreme long shot", "long shot", "medium shot", "close-up", "extreme close-up"),
    "emotion": ("joyous", "graceful", "calm", "dreamy", "sad", "dignified", "tense", "fear", "heroic"),
    "theme": ("love", "adventure", "war", "comedy", "mystery", "nature", "family", "fantasy", "tragedy"),
}

RHYTHM_SPOT_KINDS = ("cut", "motion", "accent")
#: the weight of a hit a person marked as important (its name ends in "!"); detected hits weigh <= 1
MAX_WEIGHT = 2.0


class Record:
    """JSON round-trip for the dataclasses below (nested records, lists, dicts, tuples, optionals)."""

    def to_dict(self) -> dict[str, Any]:
        return {f.name: _to_plain(getattr(self, f.name)) for f in dataclasses.fields(self)}  # type: ignore[arg-type]

    @classmethod
    def from_dict(cls: type[T], data: dict[str, Any]) -> T:
        hints = typing.get_type_hints(cls)
        names = {f.name for f in dataclasses.fields(cls) if f.init}  # type: ignore[arg-type]
        unknown = set(data) - names - set(getattr(cls, "_derived", ()))
        if unknown:
            raise ValueError(f"{cls.__name__}: unknown key {sorted(unknown)[0]!r}")
        kwargs = {name: _from_plain(hints[name], data[name]) for name in names if name in data}
        return cls(**kwargs)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)

    @classmethod
    def from_json(cls: type[T], text: str) -> T:
        return cls.from_dict(json.loads(text))

    def save(self, path: str | Path) -> None:
        Path(path).write_text(self.to_json() + "\n", encoding="utf-8")

    @classmethod
    def load(cls: type[T], path: str | Path) -> T:
        return cls.from_json(Path(path).read_text(encoding="utf-8"))


def _to_plain(value: Any) -> Any:
    if isinstance(value, MeasureLevels):
        return value.to_plain()
    if isinstance(value, Key):
        return value.name  # "D minor": the form a person reads and edits
    if isinstance(value, Record):
        return value.to_dict()
    if isinstance(value, (list, tuple)):
        return [_to_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _to_plain(v) for k, v in value.items()}
    if type(value).__module__ == "numpy" and hasattr(value, "item"):
        value = value.item()  # numpy bool and integer scalars are not JSON; their Python twins are
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"cannot serialise non-finite number {value}")
    return value


def _from_plain(tp: Any, value: Any) -> Any:
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        if value is None or (value == "" and Key in args):  # "" is how older files said "no key"
            return None
        return _from_plain(next(a for a in args if a is not type(None)), value)
    if tp is Key:
        return value if isinstance(value, Key) else Key.parse(value)
    if tp is MeasureLevels:
        return MeasureLevels.of(value)
    if isinstance(tp, type) and issubclass(tp, Record):
        return tp.from_dict(value)
    if origin is list:
        return [_from_plain(args[0], v) for v in value]
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_from_plain(args[0], v) for v in value)
        return tuple(_from_plain(a, v) for a, v in zip(args, value, strict=True))
    if origin is dict:
        return {k: _from_plain(args[1], v) for k, v in value.items()}
    if tp is float and isinstance(value, int):
        return float(value)
    return value


def _as_key(value: Key | str | None) -> Key | None:
    """A key given by name ("D minor") read at the edge; "" or None is no key."""
    if isinstance(value, str):
        return Key.parse(value) if value.strip() else None
    return value


# --------------------------------------------------------------------------------------------- time


@dataclass
class TempoChange(Record):
    """A tempo that holds from `time` (seconds) until the next change."""

    time: float
    bpm: float

    def __post_init__(self) -> None:
        if not (self.bpm > 0 and self.time >= 0):
            raise ValueError(f"tempo change needs bpm > 0 and time >= 0, got {self.bpm} at {self.time}")


@dataclass
class TempoMap(Record):
    """Piecewise-constant tempo in quarter notes per minute, and one meter.

    The one converter between seconds and musical position: beat 0 and measure 1 start at 0.0 s.
    """

    changes: list[TempoChange]
    meter: tuple[int, int] = (4, 4)

    def __post_init__(self) -> None:
        self.changes = sorted(self.changes, key=lambda c: c.time)
        if not self.changes or self.changes[0].time != 0.0:
            raise ValueError("a tempo map starts with a change at 0.0 s")
        self._times = [c.time for c in self.changes]
        self._beats = [0.0]
        for a, b in pairwise(self.changes):
            self._beats.append(self._beats[-1] + (b.time - a.time) * a.bpm / 60.0)

    @classmethod
    def constant(cls, bpm: float, meter: tuple[int, int] = (4, 4)) -> TempoMap:
        return cls([TempoChange(0.0, bpm)], meter)

    @property
    def beats_per_measure(self) -> float:
        """Quarter notes in one measure (3 for 3/4, 3 for 6/8)."""
        return self.meter[0] * 4.0 / self.meter[1]

    def bpm_at(self, time: float) -> float:
        return self.changes[max(0, bisect_right(self._times, time) - 1)].bpm

    def beat_at(self, time: float) -> float:
        """Quarter notes elapsed from 0.0 s to `time` (negative before 0)."""
        i = max(0, bisect_right(self._times, time) - 1)
        return self._beats[i] + (time - self._times[i]) * self.changes[i].bpm / 60.0

    def time_at(self, beat: float) -> float:
        i = max(0, bisect_right(self._beats, beat) - 1)
        return self._times[i] + (beat - self._beats[i]) * 60.0 / self.changes[i].bpm

    def measure_at(self, time: float) -> int:
        """1-based measure containing `time`."""
        return int(math.floor(self.beat_at(time) / self.beats_per_measure + 1e-9)) + 1

    def measure_start(self, measure: int) -> float:
        return self.time_at((measure - 1) * self.beats_per_measure)

    def measure_count(self, duration: float) -> int:
        """Measures needed to cover `duration` seconds (the last may run past the clip)."""
        return max(1, int(math.ceil(self.beat_at(duration) / self.beats_per_measure - 1e-6)))

    def beat_times(self, duration: float) -> list[float]:
        """Times of every quarter-note beat in [0, duration]."""
        return [self.time_at(b) for b in range(int(math.floor(self.beat_at(duration) + 1e-9)) + 1)]

    def downbeat_times(self, duration: float) -> list[float]:
        count = int(math.floor(self.beat_at(duration) / self.beats_per_measure + 1e-9)) + 1
        return [self.measure_start(m) for m in range(1, count + 1)]


# ---------------------------------------------------------------------------------------- timecode


@dataclass
class Timecode(Record):
    """The picture's clock as an editor quotes it: exact frame rate, drop-frame or not, first frame's label.

    Video time 0.0 s is the clip's first frame, labelled `start`; REAPER's project start time is
    `start_seconds`, so its ruler reads the editor's timecode.
    """

    rate: str = "25/1"  # exact frames per second, "30000/1001" for 29.97
    drop_frame: bool = False
    start: str = ZERO

    def __post_init__(self) -> None:
        tc_to_frames(self.start, self.fraction, self.drop_frame)  # ValueError for a bad label

    @property
    def fraction(self) -> Fraction:
        return parse_rate(self.rate)

    @property
    def fps(self) -> float:
        return float(self.fraction)

    @property
    def start_frame(self) -> int:
        return tc_to_frames(self.start, self.fraction, self.drop_frame)

    @property
    def start_seconds(self) -> float:
        """The first frame's label as seconds of real time (frames / rate)."""
        return float(self.start_frame / self.fraction)

    def frame_at(self, time: float) -> int:
        """Index of the frame showing at video time `time` (nearest frame start)."""
        return int(round(time * self.fps + 1e-9))

    def label(self, time: float) -> str:
        """SMPTE label of video time `time`, e.g. "01:00:02;15"."""
        return frames_to_tc(self.start_frame + self.frame_at(time), self.fraction, self.drop_frame)

    def frames_off(self, time: float, target: float) -> float:
        """How many frames `time` lands after `target` (negative: before it)."""
        return (time - target) * self.fps


def cue_number(reel: int, index: int) -> str:
    """A cue's name by the film-music convention: reel 1, music cue 3 is "1M3"."""
    return f"{reel}M{index}"


@dataclass
class Cue(Record):
    """A stretch of music in its place on the picture, named by the 1M1 convention; one REAPER region."""

    number: str
    start: float
    end: float
    title: str = ""
    #: the mood the cue plays (an `emotion` label of VOCABULARY), "" for the clip's own
    mood: str = ""
    #: why music starts here, in a spotting session's words ("new scene: exterior, daylight")
    reason: str = ""
    #: the theme the cue states or develops ("A", "B", ...): cues sharing a label share a theme
    theme: str = ""

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"cue {self.number} ends ({self.end}) before it starts ({self.start})")


def states_theme(cues: list[Cue]) -> list[bool]:
    """For each of `cues` (in time order): True where it states its theme (the first cue with its
    label, or a cue with no label, whose theme is its own), False where it develops an earlier one."""
    seen: set[str] = set()
    out = []
    for cue in cues:
        label = cue.theme.strip()
        out.append(not label or label not in seen)
        seen.add(label)
    return out


# ---------------------------------------------------------------------------------------- spotting


@dataclass
class VisualAttributes(Record):
    """The seven attributes of paper table 6; each a label of `VOCABULARY` or None (unknown)."""

    setting: str | None = None
    brightness: str | None = None
    hue: str | None = None
    behaviour: str | None = None
    view_scale: str | None = None
    emotion: str | None = None
    theme: str | None = None

    def __post_init__(self) -> None:
        for name, labels in VOCABULARY.items():
            value = getattr(self, name)
            if value is not None and value not in labels:
                raise ValueError(f"{name} must be one of {labels} or null, got {value!r}")


@dataclass
class Shot(Record):
    """One shot between two hard cuts, with its motion (paper eqs. 4 and 5)."""

    start: float
    end: float
    motion_speed: float = 0.0
    motion_saliency: float = 0.0
    attributes: VisualAttributes = field(default_factory=VisualAttributes)

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"shot ends ({self.end}) before it starts ({self.start})")

    @property
    def duration(self) -> float:
        return self.end - self.start


@dataclass
class RhythmSpot(Record):
    """A moment the music should mark: a cut, a motion impact or an accent; strength in [0, 1]."""

    time: float
    strength: float
    kind: str = "cut"
    #: how much the hit matters to the tempo fit (heavy hits go on downbeats first), 0..MAX_WEIGHT;
    #: the strength unless a person raised it (a marker name ending in "!")
    weight: float | None = None

    def __post_init__(self) -> None:
        if self.weight is None:
            self.weight = self.strength
        if not 0.0 <= self.weight <= MAX_WEIGHT:
            raise ValueError(f"rhythm spot weight must be in [0, {MAX_WEIGHT}], got {self.weight}")
        if self.kind not in RHYTHM_SPOT_KINDS:
            raise ValueError(f"rhythm spot kind must be one of {RHYTHM_SPOT_KINDS}, got {self.kind!r}")
        if not 0.0 <= self.strength <= 1.0:
            raise ValueError(f"rhythm spot strength must be in [0, 1], got {self.strength}")


@dataclass
class MotionCurve(Record):
    """Mean optical-flow magnitude over time, sampled where flow was computed; `impacts` (when
    measured) how much motion stopped at each sample, direction by direction (spot/motion.py)."""

    times: list[float] = field(default_factory=list)
    values: list[float] = field(default_factory=list)
    impacts: list[float] = field(default_factory=list)


@dataclass
class Spotting(Record):
    """What the picture asks of the music."""

    video: str
    duration: float
    fps: float
    frame_count: int
    width: int
    height: int
    shots: list[Shot]
    rhythm_spots: list[RhythmSpot]
    tempo_map: TempoMap
    emotion: str
    motion_curve: MotionCurve = field(default_factory=MotionCurve)
    #: signed error (s) from each cut to its nearest beat, in cut order
    cut_errors: list[float] = field(default_factory=list)
    #: the picture's timecode (None in spottings from before it was read: 00:00:00:00 at `fps`)
    timecode: Timecode | None = None
    #: the cues music plays in; none written means one cue over the whole clip (`cue_list`)
    cues: list[Cue] = field(default_factory=list)

    def cue_list(self, reel: int = 1) -> list[Cue]:
        """The cues, or the whole clip as cue {reel}M1 titled after the clip's file name."""
        return self.cues or [Cue(cue_number(reel, 1), 0.0, self.duration, Path(self.video).stem)]

    def clock(self) -> Timecode:
        """The timecode every time shown to a person is quoted in."""
        if self.timecode is not None:
            return self.timecode
        rate = rate_from_fps(self.fps)
        return Timecode(f"{rate.numerator}/{rate.denominator}")

    @property
    def cuts(self) -> list[float]:
        return [shot.start for shot in self.shots[1:]]

    def motion_between(self, t0: float, t1: float) -> float:
        """Mean flow speed over [t0, t1): the motion curve's samples there, or, where it has none,
        the shots' speeds weighted by how much of the span each covers."""
        curve = self.motion_curve
        samples = [v for t, v in zip(curve.times, curve.values, strict=False) if t0 <= t < t1]
        if samples:
            return max(0.0, sum(samples) / len(samples))
        weight = total = 0.0
        for shot in self.shots:
            overlap = min(t1, shot.end) - max(t0, shot.start)
            if overlap > 0:
                weight += overlap
                total += overlap * shot.motion_speed
        return max(0.0, total / weight) if weight else 0.0


# ------------------------------------------------------------------------------------------ melody


@dataclass
class Note(Record):
    """A MIDI note in video seconds."""

    pitch: int
    start: float
    end: float
    velocity: int = 80

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"note ends ({self.end}) before it starts ({self.start})")
        if not (0 <= self.pitch <= 127 and 1 <= self.velocity <= 127):
            raise ValueError(f"note pitch/velocity out of MIDI range: {self.pitch}/{self.velocity}")


@dataclass
class Chord(Record):
    """A harmony that holds from `start` to `end`: root pitch class (0 = C) and quality."""

    start: float
    end: float
    root: int
    quality: str = "maj"  # maj | min | dim | aug | sus4 | dom7 | maj7 | min7

    @property
    def name(self) -> str:
        return chord_name(self.root, self.quality)

    @property
    def pitch_classes(self) -> list[int]:
        """Its tones' pitch classes, root first."""
        return chord_pitch_classes(self.root, self.quality)


@dataclass
class Theme(Record):
    """A theme's material, so a later cue can develop what an earlier one stated: its two one-bar
    rhythm cells (note values in beats) and the statement's contour (diatonic steps from its first note)."""

    statement: tuple[float, ...]
    answer: tuple[float, ...]
    contour: tuple[int, ...]
    #: the cue sheet's label ("A", "B", ...); "" for a clip scored as one piece
    label: str = ""

    def __post_init__(self) -> None:
        if not self.statement or not self.answer or len(self.contour) != len(self.statement):
            raise ValueError("a theme needs statement and answer cells and a contour step per statement note")
        if min(*self.statement, *self.answer) <= 0:
            raise ValueError("a theme's note values must be positive")


@dataclass
class Melody(Record):
    """The main theme: notes, the key it is in, the harmony under it and the tempo map it follows."""

    notes: list[Note]
    key: Key | None  # None: not known (a user's file without one); written as "D minor"
    tempo_map: TempoMap
    chords: list[Chord] = field(default_factory=list)
    seed: int = 0
    description: str = ""
    #: the material the composer built it from (None for a user's melody); a later cue develops it
    theme: Theme | None = None

    def __post_init__(self) -> None:
        self.key = _as_key(self.key)

    def to_dict(self) -> dict[str, Any]:
        data = super().to_dict()
        if data.get("theme") is None:  # melodies without one stay as they were written
            data.pop("theme", None)
        return data

    def heard_key(self) -> Key:
        """The declared key, or the key its notes suggest when it has none."""
        return self.key or estimate_key([(n.pitch, n.start, n.end) for n in self.notes])

    def estimated_chords(self, measures: int) -> list[Chord]:
        """One diatonic triad per measure under the notes (`theory.estimate_chords`), ignoring `chords`."""
        tm = self.tempo_map
        spans = [(tm.measure_start(m), tm.measure_start(m + 1)) for m in range(1, measures + 1)]
        found = estimate_chords([(n.pitch, n.start, n.end) for n in self.notes], self.heard_key(), spans)
        return [Chord(t0, t1, root, quality) for (t0, t1), (root, quality) in zip(spans, found, strict=True)]


# -------------------------------------------------------------------------------------- assessment

REVIEWERS = ("mode", "melody", "harmony", "rhythm", "emotion")


@dataclass
class Criterion(Record):
    key: str
    reviewer: str
    score: float  # 0..1
    reason: str

    def __post_init__(self) -> None:
        if self.reviewer not in REVIEWERS:
            raise ValueError(f"reviewer must be one of {REVIEWERS}, got {self.reviewer!r}")
        if not 0.0 <= self.score <= 1.0:
            raise ValueError(f"criterion {self.key} score must be in [0, 1], got {self.score}")


@dataclass
class Decision(Record):
    """Who decided one agent's answer, the LLM (which model) or the rules, and why: the record a
    person reads to know whether a model shaped the score."""

    agent: str
    by: str  # "llm" | "rules"
    why: str
    model: str | None = None

    @property
    def used_llm(self) -> bool:
        return self.by == "llm"


def _without_empty_decisions(data: dict[str, Any]) -> dict[str, Any]:
    """A rules-only run writes no "decisions" key: its artifacts stay as they always were."""
    if not data.get("decisions"):
        data.pop("decisions", None)
    return data


@dataclass
class Assessment(Record):
    """The five reviewers' verdicts on the 19 criteria; passes when the total reaches the threshold."""

    criteria: list[Criterion]
    threshold: float
    attempts: int = 1
    #: with an LLM endpoint: per reviewer, whose verdict stands (empty for a rules-only run)
    decisions: list[Decision] = field(default_factory=list)

    _derived = ("total", "passed", "reviewers")

    @property
    def total(self) -> float:
        return float(sum(c.score for c in self.criteria))  # a reviewer may score with numpy floats

    @property
    def passed(self) -> bool:
        return bool(self.total >= self.threshold)

    @property
    def reviewers(self) -> dict[str, float]:
        return {r: float(sum(c.score for c in self.criteria if c.reviewer == r)) for r in REVIEWERS}

    def to_dict(self) -> dict[str, Any]:
        data = super().to_dict()
        data.update(total=round(self.total, 4), passed=self.passed, reviewers=self.reviewers)
        return _without_empty_decisions(data)


# ------------------------------------------------------------------------------------------ scheme


@dataclass
class SchemeTempo(Record):
    """The tempo map as a person reads and edits it: `bpm` from measure 1, `map` every change."""

    bpm: float
    meter: tuple[int, int] = (4, 4)
    #: [measure position (1-based, may be fractional), bpm] at every tempo change
    map: list[tuple[float, float]] = field(default_factory=list)

    @classmethod
    def of(cls, tm: TempoMap) -> SchemeTempo:
        """The scheme's view of `tm`: [measure position, bpm] at each change, rounded for reading."""
        per = tm.beats_per_measure
        changes = [(round(1.0 + tm.beat_at(c.time) / per, 3), round(c.bpm, 3)) for c in tm.changes]
        return cls(changes[0][1], tm.meter, changes)

    def tempo_map(self) -> TempoMap:
        """The `TempoMap` this tempo describes; ValueError when `bpm` and the map's first tempo disagree."""
        changes = sorted((float(p), float(b)) for p, b in self.map if p > 1.0)
        opening = [b for p, b in self.map if p <= 1.0]
        if opening and abs(opening[-1] - self.bpm) > 1e-6:
            raise ValueError(f"tempo.bpm {self.bpm:g} and tempo.map's measure-1 tempo {opening[-1]:g} "
                             "disagree: change both")
        per = self.meter[0] * 4.0 / self.meter[1]
        tempo = [TempoChange(0.0, self.bpm)]
        beat = 0.0
        for position, bpm in changes:
            next_beat = (position - 1.0) * per
            time = tempo[-1].time + (next_beat - beat) * 60.0 / tempo[-1].bpm
            tempo.append(TempoChange(time, bpm))
            beat = next_beat
        return TempoMap(tempo, self.meter)


@dataclass
class Section(Record):
    name: str
    measures: tuple[int, int]  # first and last measure, inclusive
    intensity: float = 0.5


MEASURE_PREFIX = "measure"


def measure_number(name: str) -> int:
    """3 for the scheme's key "measure3"; ValueError for anything else: the one reader of these keys."""
    digits = name[len(MEASURE_PREFIX):] if name.startswith(MEASURE_PREFIX) else ""
    if not digits.isdigit():
        raise ValueError(f"{name!r} is not a measure key (measure1, measure2, ...)")
    return int(digits)


class MeasureLevels(dict[int, float]):
    """Levels keyed by 1-based measure number; written in the scheme as {"measure3": 0.6}."""

    @classmethod
    def of(cls, levels: Mapping[int | str, float]) -> MeasureLevels:
        """Levels from measure numbers or "measureN" names."""
        return cls({k if isinstance(k, int) else measure_number(k): float(v) for k, v in levels.items()})

    def to_plain(self) -> dict[str, float]:
        return {f"{MEASURE_PREFIX}{m}": v for m, v in sorted(self.items())}

    def held(self, measures: int) -> list[float]:
        """The level of every measure 1..`measures`, each key held until the next (1.0 before the first)."""
        keyed = sorted(self.items())
        level = keyed[0][1] if keyed else 1.0
        out = []
        for m in range(1, measures + 1):
            while keyed and keyed[0][0] <= m:
                level = keyed.pop(0)[1]
            out.append(level)
        return out


@dataclass
class SchemeTrack(Record):
    """One instrument part as a person reviews it (DESIGN.md, "The scheme")."""

    track_index: int
    name: str
    role: str  # melody | doubling | counter | harmony | bass | ostinato | percussion
    instrument: str  # key into schemes/instruments.json
    source: str  # material the part writer derives notes from: melody | counter | chords | bass | ostinato
    transpose: int = 0
    panning: float = 0.0  # -1 (left) .. 1 (right)
    reverb_space: float = 0.2  # send level 0..1
    volume_envelope: MeasureLevels = field(default_factory=MeasureLevels)
    softened_measures: list[int] = field(default_factory=list)
    articulation: str = "legato"

    def __post_init__(self) -> None:
        self.volume_envelope = MeasureLevels.of(self.volume_envelope)


@dataclass
class Scheme(Record):
    """The arrangement as a person reviews and edits it; plan honours its tempo and key."""

    tempo: SchemeTempo
    key: Key
    measures: int
    sections: list[Section]
    tracks: list[SchemeTrack]
    version: int = 1
    #: with an LLM endpoint: per arranger role, whose answer stands (empty for a rules-only run)
    decisions: list[Decision] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return _without_empty_decisions(super().to_dict())

    def __post_init__(self) -> None:
        key = _as_key(self.key)
        if key is None:
            raise ValueError("a scheme needs a key")
        self.key = key


# -------------------------------------------------------------------------------------------- plan


@dataclass
class EnvelopePoint(Record):
    time: float
    gain: float  # linear amplitude, 1.0 = 0 dB


@dataclass
class Marker(Record):
    time: float
    name: str
    kind: str = "cut"  # a rhythm-spot kind, or "section"
    #: how close the rendered master's attack landed (ranges.SYNC_COLORS); "" until a render checked it
    sync: str = ""


@dataclass
class PlanTrack(Record):
    """A track exactly as it will exist: every note, gain and FX resolved."""

    name: str
    role: str
    instrument: str
    gm_program: int  # 0-based General MIDI program for the offline renderer
    fx: list[str]  # REAPER FX chain, instrument first ("ReaSynth", "VSTi: Spitfire ...")
    notes: list[Note]
    pan: float = 0.0
    volume: float = 1.0  # linear fader gain
    reverb_send: float = 0.2  # linear post-fader send gain to the reverb bus
    volume_envelope: list[EnvelopePoint] = field(default_factory=list)
    is_drum: bool = False


@dataclass
class ReverbBus(Record):
    name: str = "FC Reverb"
    fx: str = "ReaVerbate"
    room_size: float = 0.6  # 0..1
    damping: float = 0.5  # 0..1
    volume: float = 1.0


@dataclass
class Plan(Record):
    """Everything REAPER, the .RPP writer and the offline renderer need, so the three agree."""

    duration: float
    tempo_map: TempoMap
    key: Key | None
    tracks: list[PlanTrack]
    markers: list[Marker]
    reverb: ReverbBus = field(default_factory=ReverbBus)
    video: str | None = None
    sample_rate: int = 48000
    tag: str = "filmcomposer"
    #: the picture's timecode: the project's frame rate and start time (None: 00:00:00:00 at 30 fps)
    timecode: Timecode | None = None
    #: one REAPER region each, named by cue number
    cues: list[Cue] = field(default_factory=list)
    #: a track whose video processor draws streamers and punches over the picture (REAPER only)
    streamers: bool = False

    def clock(self) -> Timecode:
        """The picture's timecode, or 00:00:00:00 at 30 fps (REAPER's default) for a plan without one."""
        return self.timecode or Timecode("30/1")

    def cue_list(self) -> list[Cue]:
        """The cues, or the whole plan as cue 1M1 (plans from before cues were kept)."""
        return self.cues or [Cue(cue_number(1, 1), 0.0, self.duration, Path(self.video or "").stem)]

    def __post_init__(self) -> None:
        self.key = _as_key(self.key)


# --------------------------------------------------------------------------------- a film in cues


@dataclass
class CueScore(Record):
    """What composing made for one cue of a film, on the cue's own clock (its spotting starts at 0 s):
    re-roll and render plan it again from these and the cue's scheme in `CueSchemes`."""

    cue: Cue
    spotting: Spotting
    melody: Melody
    assessment: Assessment


@dataclass
class CueScores(Record):
    """cue_scores.json: every cue of a film as composing left it, in time order."""

    cues: list[CueScore]


@dataclass
class CueSchemes(Record):
    """cue_schemes.json: each cue's arrangement by cue number, the schemes a person edits (scheme.json
    is then the film's overview) and render plans from."""

    schemes: dict[str, Scheme]
