"""The instrument library and the scheme contract, shared by arrange, plan and the CLI.

Both live as JSON under `schemes/` so a person (or a language model) can read and edit them; this
module is the one place that loads them, and the one gate every scheme passes before a part writer
trusts it: JSON Schema first, then what a schema cannot say (instruments exist, measures in bounds).
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
from jsonschema.exceptions import best_match

from .errors import InputError
from .model import Scheme, measure_number
from .ranges import check as check_ranges

SCHEMES_DIR = Path(__file__).resolve().parent.parent / "schemes"
INSTRUMENTS_FILE = SCHEMES_DIR / "instruments.json"
INSTRUMENT_SCHEMA_FILE = SCHEMES_DIR / "instrument.schema.json"
SCHEME_SCHEMA_FILE = SCHEMES_DIR / "scheme.schema.json"
EXAMPLES_DIR = SCHEMES_DIR / "examples"


@dataclass(frozen=True)
class Instrument:
    """One library entry; `low`..`high` is the playable range in sounding MIDI pitches, inclusive."""

    key: str
    name: str
    gm_program: int
    low: int
    high: int
    family: str
    reaper_fx: str = "ReaSynth"
    is_drum: bool = False
    pan: float = 0.0

    @property
    def center(self) -> float:
        return (self.low + self.high) / 2.0

    def holds(self, pitch: int) -> bool:
        return self.low <= pitch <= self.high


@cache
def _read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def scheme_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) every scheme must satisfy."""
    return _read_json(SCHEME_SCHEMA_FILE)


def load_instruments(path: str | Path | None = None) -> dict[str, Instrument]:
    """The instrument library by key, validated against `instrument.schema.json`."""
    path = Path(path) if path else INSTRUMENTS_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise InputError(path, f"cannot read the instrument library: {exc}") from None
    _check(data, _read_json(INSTRUMENT_SCHEMA_FILE), str(path))
    library: dict[str, Instrument] = {}
    for i, entry in enumerate(data["instruments"]):
        low, high = entry["range"]
        where = f"instruments[{i}]"
        if low > high:
            raise InputError(path, f"{where}.range: lowest {low} is above highest {high}")
        if entry["key"] in library:
            raise InputError(path, f"{where}.key: duplicate instrument {entry['key']!r}")
        library[entry["key"]] = Instrument(entry["key"], entry["name"], entry["gm_program"], low, high,
                                           entry["family"], entry["reaper_fx"], entry["is_drum"],
                                           float(entry.get("pan", 0.0)))
    return library


def validate_scheme(data: dict[str, Any], source: str = "scheme", *,
                    instruments: dict[str, Instrument] | None = None) -> Scheme:
    """Check a scheme (as JSON data) against the schema and the library; return it as a `Scheme`.

    Raises `InputError(source, "tracks[2].panning: 1.7 is greater than the maximum of 1")`,
    naming the offending key, on the first problem found.
    """
    check_ranges("Scheme", data, source)  # sizes and NaN first: a million tracks must not reach jsonschema
    _check(data, scheme_schema(), source)
    library = instruments if instruments is not None else load_instruments()
    for problem in _semantic_problems(data, library):
        raise InputError(source, problem)
    return Scheme.from_dict(data)


def _check(data: Any, schema: dict[str, Any], source: str) -> None:
    validator = jsonschema.Draft202012Validator(schema)
    error = best_match(validator.iter_errors(data))
    if error is not None:
        raise InputError(source, f"{key_path(error.absolute_path)}: {_short_message(error)}")


#: size limits whose default message would print the whole oversized value
_SIZE_WORDS = {"maxItems": ("items", "at most"), "minItems": ("items", "at least"),
               "maxProperties": ("keys", "at most"), "minProperties": ("keys", "at least"),
               "maxLength": ("characters", "at most"), "minLength": ("characters", "at least")}


def _short_message(error: jsonschema.ValidationError) -> str:
    """jsonschema's message, one line and short even when the offending value is huge."""
    if error.validator in _SIZE_WORDS:
        unit, bound = _SIZE_WORDS[str(error.validator)]
        return f"has {len(error.instance)} {unit}, {bound} {error.validator_value} allowed"
    message = " ".join(error.message.split())
    return message if len(message) <= 200 else message[:197] + "..."


def key_path(parts: Iterable[str | int] | deque[str | int]) -> str:
    """`["tracks", 2, "panning"]` -> `"tracks[2].panning"` (the root is `"(top level)"`)."""
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top level)"


def _semantic_problems(data: dict[str, Any], library: dict[str, Instrument]) -> Iterable[str]:
    """What JSON Schema cannot express: references into the library and into the measure grid."""
    measures = data["measures"]
    tempo = data["tempo"]
    for position, bpm in tempo.get("map", []):
        if position <= 1 and bpm != tempo["bpm"]:
            yield (f"tempo.map: measure-1 tempo {bpm:g} disagrees with tempo.bpm {tempo['bpm']:g}"
                   " (change both)")
    for i, section in enumerate(data["sections"]):
        first, last = section["measures"]
        if first > last:
            yield f"sections[{i}].measures: first measure {first} is after last measure {last}"
        if last > measures:
            yield f"sections[{i}].measures: measure {last} is past the scheme's {measures} measures"
    seen: set[int] = set()
    for i, track in enumerate(data["tracks"]):
        where = f"tracks[{i}]"
        if track["track_index"] in seen:
            yield f"{where}.track_index: {track['track_index']} is used by an earlier track"
        seen.add(track["track_index"])
        instrument = library.get(track["instrument"])
        if instrument is None:
            yield (f"{where}.instrument: unknown instrument {track['instrument']!r}"
                   f" (see {INSTRUMENTS_FILE.name})")
            continue
        if instrument.is_drum and track["role"] != "percussion":
            yield (f"{where}.instrument: {instrument.key!r} is an unpitched kit;"
                   " only a percussion track may use it")
        for name in track.get("volume_envelope", {}):
            if not 1 <= measure_number(name) <= measures:
                yield f"{where}.volume_envelope.{name}: no such measure (the scheme has {measures})"
        for measure in track.get("softened_measures", []):
            if measure > measures:
                yield f"{where}.softened_measures: no measure {measure} (the scheme has {measures})"
