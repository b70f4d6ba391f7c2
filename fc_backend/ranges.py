"""The ranges every value of an artifact on disk must lie in, checked before any work starts.

plan.json, scheme.json, spotting.json and melody.json come back from people, editors, language models
and remote clients. A NaN pan renders silence, a duration of 1e7 s fills the disk, a million tracks
take minutes to reject. So this module is the one place that states how big each value may be, and
`read_artifact` is the one gate: a size cap before parsing (a huge file is refused at once), then a
walk that checks every number is finite, every count is bounded and every value is in its range.
The first problem found is one `InputError` naming the file and the key (``tracks[3].pan``).
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from .errors import InputError

#: longest clip the product scores, seconds (a server may allow less: `serve --max-duration`)
MAX_DURATION = 3600.0
#: music may ring on after the picture ends (reverb tails, a last chord held)
MAX_TAIL = 60.0
#: sample rates the offline renderer writes
SAMPLE_RATES = (22050, 32000, 44100, 48000, 88200, 96000)
#: a hit marker's sync colour after the render ("" = not checked: coloured by kind); the frames each
#: colour allows (green within 1 frame, yellow within 2, red beyond or no attack found)
SYNC_COLORS = ("", "green", "yellow", "red")
SYNC_FRAMES = {"green": 1.0, "yellow": 2.0}
#: largest artifact file read; refused before parsing (a real plan of a long clip is a few MB)
MAX_JSON_BYTES = 32 << 20
MAX_TRACKS = 64
#: sixteenths at MAX_BPM (27 a second) with room for a chord's upper notes, over the longest clip: a
#: track's notes grow with the film (a cut every 0.1 s for 30 minutes writes about 17 a second)
MAX_NOTES_PER_TRACK = int(MAX_DURATION * 32)
MAX_MELODY_NOTES = 50_000
MAX_CHORDS = 10_000
MAX_ENVELOPE_POINTS = 4096
#: cuts a second the shot detector can find: 60 fps (the fastest common frame rate) with its floor of
#: 6 frames a shot (Config.min_shot_frames); a clip that could cut faster is refused before decoding
MAX_CUT_RATE = 10.0
#: a spotting's counts scale with the longest clip: every cut is a shot and a rhythm spot, and flashes
#: and motion impacts add at most one spot per cut_guard (0.25 s) more
MAX_SHOTS = int(MAX_DURATION * MAX_CUT_RATE)
MAX_RHYTHM_SPOTS = int(MAX_DURATION * (MAX_CUT_RATE + 4.0))
MAX_MOTION_SAMPLES = 500_000
MAX_FX = 32
MAX_MEASURES = 2000
MAX_SCHEME_TRACKS = 16
MAX_SECTIONS = 64
#: a plan marks every rhythm spot, and every section of every cue (at most 64 cues: spot/cues.py)
MAX_MARKERS = MAX_RHYTHM_SPOTS + 64 * MAX_SECTIONS
MAX_SCHEME_TEMPO_CHANGES = 512
MAX_SCHEME_LEVEL = 2.0  # a scheme's per-measure volume, 1 = as written
MAX_TRANSPOSE = 24
MAX_BPM = 400.0
MIN_BPM = 1.0
#: a fitted tempo map changes at most once a beat (spot/tempo.py: at hits a beat or more apart): one
#: change a beat at MAX_BPM over the longest clip (a 30-minute film of short shots fits about 3500)
MAX_TEMPO_CHANGES = int(MAX_DURATION * MAX_BPM / 60)
MAX_GAIN = 4.0  # +12 dB: the loudest fader, send or envelope point a plan may ask for
MAX_FPS = 1000.0
MAX_PIXELS = 1 << 15
MAX_TEXT = 4000
#: cues in one film (a feature holds 30 to 100); each one REAPER region
MAX_CUES = 1000
#: a list or object that no rule below bounds holds at most this many items
DEFAULT_MAX_ITEMS = 64


@dataclass(frozen=True)
class Between:
    """A number in [low, high]; `integer` asks for a whole number."""

    low: float
    high: float
    integer: bool = False

    def problem(self, value: Any) -> str | None:
        """jsonschema's wording, so a scheme reads the same whichever check caught it."""
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return f"{_short(value)} is not of type 'number'"
        if self.integer and not isinstance(value, int):
            return f"{_short(value)} is not of type 'integer'"
        if not math.isfinite(value):
            return f"must be a finite number, got {value!r}"
        if value < self.low:
            return f"{value:g} is less than the minimum of {self.low:g}"
        if value > self.high:
            return f"{value:g} is greater than the maximum of {self.high:g}"
        return None


@dataclass(frozen=True)
class OneOf:
    """One of a few listed values."""

    values: tuple[Any, ...]

    def problem(self, value: Any) -> str | None:
        if isinstance(value, bool) or value not in self.values:
            return f"{_short(value)} is not one of {', '.join(map(str, self.values))}"
        return None


@dataclass(frozen=True)
class AtMost:
    """A list (or object) of at most `count` items."""

    count: int

    def problem(self, value: Any) -> str | None:
        if isinstance(value, (list, dict)) and len(value) > self.count:
            unit = "keys" if isinstance(value, dict) else "items"
            return f"has {len(value)} {unit}, at most {self.count} allowed"
        return None


@dataclass(frozen=True)
class Text:
    """A string of at most `length` characters (or null, where `nullable`)."""

    length: int
    nullable: bool = True

    def problem(self, value: Any) -> str | None:
        if not isinstance(value, str) and not (value is None and self.nullable):
            return f"{_short(value)} is not of type 'string'"
        if isinstance(value, str) and len(value) > self.length:
            return f"has {len(value)} characters, at most {self.length} allowed"
        return None


Rule = Between | OneOf | AtMost | Text

_SECONDS = Between(0.0, MAX_DURATION + MAX_TAIL)
_UNIT = Between(0.0, 1.0)
_GAIN = Between(0.0, MAX_GAIN)
_PITCH = Between(0, 127, integer=True)
_METER = {"[]": Between(1, 32, integer=True)}


def _picture(prefix: str = "") -> dict[str, Rule]:
    """The timecode and cues a plan and a spotting carry."""
    return {f"{prefix}timecode.rate": Text(32), f"{prefix}timecode.start": Text(16),
            f"{prefix}cues": AtMost(MAX_CUES), f"{prefix}cues[].number": Text(32),
            f"{prefix}cues[].start": _SECONDS, f"{prefix}cues[].end": _SECONDS,
            f"{prefix}cues[].title": Text(256), f"{prefix}cues[].mood": Text(32),
            f"{prefix}cues[].reason": Text(1024), f"{prefix}cues[].theme": Text(8)}


def _tempo_map(prefix: str) -> dict[str, Rule]:
    return {f"{prefix}.changes": AtMost(MAX_TEMPO_CHANGES),
            f"{prefix}.changes[].time": Between(0.0, MAX_DURATION),
            f"{prefix}.changes[].bpm": Between(MIN_BPM, MAX_BPM),
            **{f"{prefix}.meter{k}": v for k, v in _METER.items()}}


def _notes(prefix: str, count: int) -> dict[str, Rule]:
    return {prefix: AtMost(count), f"{prefix}[].pitch": _PITCH, f"{prefix}[].start": _SECONDS,
            f"{prefix}[].end": _SECONDS, f"{prefix}[].velocity": Between(1, 127, integer=True)}


#: key pattern (list indices as `[]`) -> rule, per artifact
PLAN: dict[str, Rule] = {
    "duration": Between(0.0, MAX_DURATION),
    "sample_rate": OneOf(SAMPLE_RATES),
    **_tempo_map("tempo_map"),
    "key": Text(64),
    "tracks": AtMost(MAX_TRACKS),
    "tracks[].name": Text(256),
    "tracks[].gm_program": Between(0, 127, integer=True),
    "tracks[].fx": AtMost(MAX_FX),
    "tracks[].fx[]": Text(1024, nullable=False),
    **_notes("tracks[].notes", MAX_NOTES_PER_TRACK),
    "tracks[].pan": Between(-1.0, 1.0),
    "tracks[].volume": _GAIN,
    "tracks[].reverb_send": _GAIN,
    "tracks[].volume_envelope": AtMost(MAX_ENVELOPE_POINTS),
    "tracks[].volume_envelope[].time": _SECONDS,
    "tracks[].volume_envelope[].gain": _GAIN,
    "markers": AtMost(MAX_MARKERS),
    "markers[].time": _SECONDS,
    "markers[].name": Text(256),
    "markers[].sync": OneOf(SYNC_COLORS),
    "reverb.room_size": _UNIT,
    "reverb.damping": _UNIT,
    "reverb.volume": _GAIN,
    "video": Text(4096),
    **_picture(),
}

SCHEME: dict[str, Rule] = {
    "tempo.bpm": Between(MIN_BPM, MAX_BPM),
    **{f"tempo.meter{k}": v for k, v in _METER.items()},
    "tempo.map": AtMost(MAX_SCHEME_TEMPO_CHANGES),
    "tempo.map[][]": Between(0.0, MAX_MEASURES + 1),
    "measures": Between(1, MAX_MEASURES, integer=True),
    "sections": AtMost(MAX_SECTIONS),
    "sections[].measures[]": Between(1, MAX_MEASURES, integer=True),
    "sections[].intensity": _UNIT,
    "tracks": AtMost(MAX_SCHEME_TRACKS),
    "tracks[].track_index": Between(1, MAX_TRACKS, integer=True),
    "tracks[].transpose": Between(-MAX_TRANSPOSE, MAX_TRANSPOSE, integer=True),
    "tracks[].panning": Between(-1.0, 1.0),
    "tracks[].reverb_space": _UNIT,
    "tracks[].volume_envelope": AtMost(MAX_MEASURES),
    "tracks[].volume_envelope.*": Between(0.0, MAX_SCHEME_LEVEL),
    "tracks[].softened_measures": AtMost(MAX_MEASURES),
    "tracks[].softened_measures[]": Between(1, MAX_MEASURES, integer=True),
}

SPOTTING: dict[str, Rule] = {
    "video": Text(4096),
    "duration": Between(0.0, MAX_DURATION),
    "fps": Between(0.0, MAX_FPS),
    "frame_count": Between(0, int(MAX_DURATION * MAX_FPS), integer=True),
    "width": Between(0, MAX_PIXELS, integer=True),
    "height": Between(0, MAX_PIXELS, integer=True),
    "shots": AtMost(MAX_SHOTS),
    "shots[].start": _SECONDS,
    "shots[].end": _SECONDS,
    "rhythm_spots": AtMost(MAX_RHYTHM_SPOTS),
    "rhythm_spots[].time": _SECONDS,
    "rhythm_spots[].strength": _UNIT,
    "rhythm_spots[].weight": Between(0.0, 2.0),
    **_picture(),
    **_tempo_map("tempo_map"),
    "motion_curve.times": AtMost(MAX_MOTION_SAMPLES),
    "motion_curve.values": AtMost(MAX_MOTION_SAMPLES),
    "motion_curve.impacts": AtMost(MAX_MOTION_SAMPLES),
    "cut_errors": AtMost(MAX_SHOTS),
}

MELODY: dict[str, Rule] = {
    **_notes("notes", MAX_MELODY_NOTES),
    **_tempo_map("tempo_map"),
    "chords": AtMost(MAX_CHORDS),
    "chords[].start": _SECONDS,
    "chords[].end": _SECONDS,
    "chords[].root": Between(0, 11, integer=True),
    "seed": Between(0, 2**63, integer=True),
    "description": Text(MAX_TEXT),
}

def _within(prefix: str, rules: dict[str, Rule]) -> dict[str, Rule]:
    """`rules` of an artifact nested at `prefix` of another (a film's cues hold spottings and melodies)."""
    return {f"{prefix}.{key}" if key else prefix: rule for key, rule in rules.items()}


CUE_SCORES: dict[str, Rule] = {"cues": AtMost(MAX_CUES), **_within("cues[].spotting", SPOTTING),
                               **_within("cues[].melody", MELODY), "cues[].assessment.criteria": AtMost(64)}
CUE_SCHEMES: dict[str, Rule] = {"schemes": AtMost(MAX_CUES), **_within("schemes.*", SCHEME)}

#: artifact type name -> its rules; other artifacts get the finite-number and default-count checks
RULES: dict[str, dict[str, Rule]] = {"Plan": PLAN, "Scheme": SCHEME, "Spotting": SPOTTING, "Melody": MELODY,
                                     "CueScores": CUE_SCORES, "CueSchemes": CUE_SCHEMES}


def read_artifact(path: str | Path, kind: str, *, max_duration: float = MAX_DURATION) -> Any:
    """The JSON in `path`, after the size cap and `check(kind, ...)`; an InputError names what is wrong."""
    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError as err:
        raise InputError(path, f"cannot read it ({err.strerror})") from None
    if size > MAX_JSON_BYTES:
        raise InputError(path, f"is {size >> 20} MB; at most {MAX_JSON_BYTES >> 20} MB accepted")
    try:
        with open(path, "rb") as f:
            data = json.loads(f.read(MAX_JSON_BYTES + 1))
    except OSError as err:
        raise InputError(path, f"cannot read it ({err.strerror})") from None
    except (ValueError, RecursionError) as err:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise InputError(path, f"not valid JSON ({str(err)[:200]})") from None
    check(kind, data, path, max_duration=max_duration)
    return data


def check(kind: str, data: Any, source: str | Path, *, max_duration: float = MAX_DURATION) -> None:
    """Raise InputError(source, "tracks[2].pan: ...") for the first value of `data` out of its range.

    `kind` is the artifact type's name (Plan, Scheme, Spotting, Melody); `max_duration` lets a server
    that accepts shorter clips than the product hold plan and spotting durations to its own limit.
    """
    rules = RULES.get(kind, {})
    if max_duration < MAX_DURATION and "duration" in rules:
        rules = {**rules, "duration": Between(0.0, max_duration)}
    if not isinstance(data, dict):
        raise InputError(source, f"(top level): {_short(data)} is not of type 'object'")
    try:
        _walk(data, _tree(tuple(rules.items())))
    except _Bad as bad:
        raise InputError(source, f"{_key(bad.path)}: {bad.problem}") from None
    except RecursionError:
        raise InputError(source, "(top level): nested too deeply") from None


class _Bad(Exception):
    """The first problem found; the walk adds each key to `path` as it unwinds (no strings built on
    the way down: a plan of a long film has a million numbers)."""

    def __init__(self, problem: str) -> None:
        self.problem = problem
        self.path: list[str | int] = []


class _Node:
    """The rules at one place of the document tree, and the nodes of its children."""

    __slots__ = ("rule", "low", "high", "integer", "limit", "keys", "any", "items")

    def __init__(self) -> None:
        self.rule: Rule | None = None
        self.low = self.high = None
        self.integer = False
        self.limit = DEFAULT_MAX_ITEMS
        self.keys: dict[str, _Node] = {}
        self.any: _Node | None = None  # every key of an object (volume_envelope.*)
        self.items: _Node | None = None  # every item of a list

    def set(self, rule: Rule) -> None:
        self.rule = rule
        if isinstance(rule, Between):
            self.low, self.high, self.integer = rule.low, rule.high, rule.integer
        elif isinstance(rule, AtMost):
            self.limit = rule.count


_LEAF = _Node()


@cache
def _tree(rules: tuple[tuple[str, Rule], ...]) -> _Node:
    """The rules, keyed by pattern (`tracks[].notes[].pitch`), as a tree the walk follows."""
    root = _Node()
    for pattern, rule in rules:
        node = root
        for part in re.findall(r"\[\]|[^.\[\]]+", pattern):
            if part == "[]":
                node.items = node.items or _Node()
                node = node.items
            elif part == "*":
                node.any = node.any or _Node()
                node = node.any
            else:
                node = node.keys.setdefault(part, _Node())
        node.set(rule)
    return root


def _walk(value: Any, node: _Node) -> None:
    """Raise _Bad for the first value under `value` out of its range; counts before contents."""
    kind = type(value)
    if kind is float or kind is int:
        low = node.low
        if low is not None:
            if not low <= value <= node.high or (node.integer and kind is not int):
                raise _Bad(node.rule.problem(value) or f"must be a finite number, got {value!r}")
        elif kind is float and value - value != 0.0:  # NaN and the infinities
            raise _Bad(f"must be a finite number, got {value!r}")
        elif node.rule is not None:
            problem = node.rule.problem(value)
            if problem:
                raise _Bad(problem)
        return
    if node.rule is not None:
        problem = node.rule.problem(value)
        if problem:
            raise _Bad(problem)
    if kind is dict:
        if len(value) > node.limit:
            raise _Bad(f"has {len(value)} keys, at most {node.limit} allowed")
        keys, default = node.keys, node.any or _LEAF
        for key, item in value.items():
            child = keys.get(key) or default
            # the common leaf, decided here without a call: most of a plan is note numbers
            kind = type(item)
            if kind is int or kind is float:
                low = child.low
                if low is None:
                    if child.rule is None and (kind is int or item - item == 0.0):
                        continue
                elif low <= item <= child.high and (kind is int or not child.integer):
                    continue
            elif child.rule is None and (kind is str or kind is bool or item is None):
                continue
            try:
                _walk(item, child)
            except _Bad as bad:
                bad.path.append(key)
                raise
    elif kind is list:
        if len(value) > node.limit:
            raise _Bad(f"has {len(value)} items, at most {node.limit} allowed")
        child = node.items or _LEAF
        for i, item in enumerate(value):
            try:
                _walk(item, child)
            except _Bad as bad:
                bad.path.append(i)
                raise


def _key(path: list[str | int]) -> str:
    """The path gathered while unwinding, as `tracks[3].pan` (the root is `(top level)`)."""
    text = ""
    for part in reversed(path):
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top level)"


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
