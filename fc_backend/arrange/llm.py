"""The six arranger roles as LLM agents in a group chat: Analyze -> Arrange -> Instrument -> Volume
-> Mixing -> Reviewer, in the paper's fixed speaking order.

Each role answers its part of the scheme as JSON (bounded by a schema built for this clip: its
measure count, the library's instrument keys); once an answer stands it is applied to a shared
draft, which the director shows the room before the next role speaks. A role whose answers stay
invalid is replaced by its rule-based function applied to the same draft. The Reviewer issues the
final scheme, which the rule-based reviewer then checks for ranges and validity as always.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field, replace
from functools import cache
from typing import Any

from ..agents import LLMSettings, Task
from ..agents.chats import run_group_chat
from ..agents.prompts import REASONING, system_message
from ..config import Config
from ..errors import InputError
from ..model import MeasureLevels, Melody, Scheme, SchemeTempo, SchemeTrack, Section, Spotting, measure_number
from ..progress import Progress, no_progress
from ..schemes import EXAMPLES_DIR, Instrument, scheme_schema, validate_scheme
from ..theory import NAMES
from .analyze import Analysis, analyze, measure_motion, measure_spots
from .instrument import choose_instruments
from .mixing import mix
from .parts import MAX_TRACKS, choose_parts
from .volume import write_volume

ROLES = ("analyze", "arrange", "instrument", "volume", "mixing", "reviewer")
#: the few-shot templates: example schemes with each role's reasoning written out
EXAMPLES = ("calm_strings", "action_brass")
PART_ROLES = ["melody", "doubling", "counter", "harmony", "bass", "ostinato", "percussion"]
PART_SOURCES = ["melody", "counter", "chords", "bass", "ostinato"]
ARTICULATIONS = ["legato", "sustain", "staccato", "marcato", "pizzicato", "tremolo"]


@dataclass
class Draft:
    """The scheme as the roles build it; every role's answer (or rule-based stand-in) lands here."""

    melody: Melody
    spotting: Spotting
    analysis: Analysis
    library: dict[str, Instrument]
    tracks: list[SchemeTrack] = field(default_factory=list)
    final: Scheme | None = None

    def scheme(self) -> Scheme:
        return Scheme(
            SchemeTempo.of(self.melody.tempo_map),
            self.melody.heard_key(),
            self.analysis.measures,
            list(self.analysis.sections),
            copy.deepcopy(self.tracks),
        )


# ------------------------------------------------------------------------------------------- schemas


def _measure(m: int) -> dict[str, Any]:
    return {"type": "integer", "minimum": 1, "maximum": m}


def _answer(**properties: Any) -> dict[str, Any]:
    return {
        "type": "object",
        "additionalProperties": False,
        "required": ["reasoning", *properties],
        "properties": {"reasoning": REASONING, **properties},
    }


def _tracks(item_properties: dict[str, Any]) -> dict[str, Any]:
    item = {
        "type": "object",
        "additionalProperties": False,
        "required": ["track_index", *item_properties],
        "properties": {
            "track_index": {"type": "integer", "minimum": 1, "maximum": MAX_TRACKS},
            **item_properties,
        },
    }
    return {"type": "array", "minItems": 1, "maxItems": MAX_TRACKS, "items": item}


def schemas(draft: Draft) -> dict[str, dict[str, Any]]:
    """Each role's answer schema for this clip: every array and string bounded."""
    m = draft.analysis.measures
    measures = {"type": "array", "maxItems": m, "uniqueItems": True, "items": _measure(m)}
    section = {
        "type": "object",
        "additionalProperties": False,
        "required": ["name", "measures", "intensity"],
        "properties": {
            "name": {"type": "string", "minLength": 1, "maxLength": 32},
            "measures": {"type": "array", "minItems": 2, "maxItems": 2, "items": _measure(m)},
            "intensity": {"type": "number", "minimum": 0, "maximum": 1},
        },
    }
    part = {
        "type": "object",
        "additionalProperties": False,
        "required": ["role", "source", "softened_measures"],
        "properties": {
            "role": {"enum": PART_ROLES},
            "source": {"enum": PART_SOURCES},
            "softened_measures": measures,
        },
    }
    envelope = {
        "type": "object",
        "minProperties": 1,
        "maxProperties": m,
        "propertyNames": {"pattern": "^measure[0-9]{1,4}$"},
        "additionalProperties": {"type": "number", "minimum": 0, "maximum": 2},
    }
    full = scheme_schema()
    scheme = {k: v for k, v in full.items() if not k.startswith("$") and k not in ("title", "description")}
    scheme = copy.deepcopy(scheme)
    fixed = draft.scheme().to_dict()
    scheme["properties"].update(
        tempo={"const": fixed["tempo"]}, key={"const": fixed["key"]}, measures={"const": m}
    )
    scheme["properties"]["tracks"]["maxItems"] = MAX_TRACKS
    reviewer = _answer(scheme=scheme)
    reviewer["$defs"] = full["$defs"]
    return {
        "analyze": _answer(
            intensity={
                "type": "array",
                "minItems": m,
                "maxItems": m,
                "items": {"type": "number", "minimum": 0, "maximum": 1},
            },
            sections={"type": "array", "minItems": 1, "maxItems": min(64, m), "items": section},
        ),
        "arrange": _answer(parts={"type": "array", "minItems": 3, "maxItems": MAX_TRACKS, "items": part}),
        "instrument": _answer(
            library_summary={"type": "string", "minLength": 1, "maxLength": 300},
            tracks=_tracks(
                {
                    "instrument": {"enum": sorted(draft.library)},
                    "transpose": {"enum": [-24, -12, 0, 12, 24]},
                    "articulation": {"enum": ARTICULATIONS},
                }
            ),
        ),
        "volume": _answer(tracks=_tracks({"volume_envelope": envelope})),
        "mixing": _answer(
            tracks=_tracks(
                {
                    "panning": {"type": "number", "minimum": -1, "maximum": 1},
                    "reverb_space": {"type": "number", "minimum": 0, "maximum": 1},
                }
            )
        ),
        "reviewer": reviewer,
    }


# -------------------------------------------------------------------- answers <-> draft, both ways


def project(role: str, scheme: dict[str, Any]) -> dict[str, Any]:
    """The part of a whole scheme that `role` answers for (for rule-based answers and examples)."""
    tracks = scheme["tracks"]
    if role == "analyze":
        intensity = [0.0] * scheme["measures"]
        for s in scheme["sections"]:
            for m in range(s["measures"][0], s["measures"][1] + 1):
                intensity[m - 1] = s.get("intensity", 0.5)
        return {
            "intensity": intensity,
            "sections": [
                {"name": s["name"], "measures": s["measures"], "intensity": s.get("intensity", 0.5)}
                for s in scheme["sections"]
            ],
        }
    if role == "arrange":
        return {
            "parts": [
                {"role": t["role"], "source": t["source"], "softened_measures": t["softened_measures"]}
                for t in tracks
            ]
        }
    if role == "instrument":
        return {
            "tracks": [
                {
                    "track_index": t["track_index"],
                    "instrument": t["instrument"],
                    "transpose": t["transpose"],
                    "articulation": t["articulation"],
                }
                for t in tracks
            ]
        }
    if role == "volume":
        return {
            "tracks": [
                {"track_index": t["track_index"], "volume_envelope": t["volume_envelope"]} for t in tracks
            ]
        }
    if role == "mixing":
        return {
            "tracks": [
                {"track_index": t["track_index"], "panning": t["panning"], "reverb_space": t["reverb_space"]}
                for t in tracks
            ]
        }
    return {"scheme": scheme}


def rule_answer(role: str, draft: Draft) -> dict[str, Any]:
    """What the rule-based role would answer on the draft as it stands."""
    trial = replace(draft, tracks=copy.deepcopy(draft.tracks))
    if role == "analyze":  # the first role: the draft still holds the rule-based analysis
        answer = project(role, trial.scheme().to_dict())
        answer["intensity"] = list(draft.analysis.intensity)
    elif role == "arrange":
        trial.tracks = choose_parts(draft.analysis)
        answer = project(role, trial.scheme().to_dict())
    elif role == "instrument":
        choose_instruments(trial.tracks, draft.analysis, draft.library)
        answer = project(role, trial.scheme().to_dict())
        answer["library_summary"] = library_summary(draft.library)
    elif role == "volume":
        write_volume(trial.tracks, draft.analysis)
        answer = project(role, trial.scheme().to_dict())
    elif role == "mixing":
        mix(trial.tracks, draft.analysis, draft.library)
        answer = project(role, trial.scheme().to_dict())
    else:
        answer = project(role, draft.scheme().to_dict())
    return {"reasoning": f"rule-based {role} role", **answer}


def apply(role: str, answer: dict[str, Any], draft: Draft) -> None:
    """Write a standing answer into the draft."""
    by_index = {t.track_index: t for t in draft.tracks}
    if role == "analyze":
        draft.analysis.intensity = [round(float(v), 3) for v in answer["intensity"]]
        draft.analysis.sections = [
            Section(s["name"], tuple(s["measures"]), float(s["intensity"])) for s in answer["sections"]
        ]
    elif role == "arrange":
        draft.tracks = [
            SchemeTrack(
                i, p["role"], p["role"], "", p["source"], softened_measures=sorted(p["softened_measures"])
            )
            for i, p in enumerate(answer["parts"], start=1)
        ]
    elif role == "instrument":
        for t in answer["tracks"]:
            track, instrument = by_index[t["track_index"]], draft.library[t["instrument"]]
            track.instrument, track.name = instrument.key, instrument.name
            track.transpose, track.articulation = t["transpose"], t["articulation"]
    elif role == "volume":
        for t in answer["tracks"]:
            by_index[t["track_index"]].volume_envelope = MeasureLevels.of({
                k: round(float(v), 3) for k, v in t["volume_envelope"].items()
            })
    elif role == "mixing":
        for t in answer["tracks"]:
            by_index[t["track_index"]].panning = round(float(t["panning"]), 3)
            by_index[t["track_index"]].reverb_space = round(float(t["reverb_space"]), 3)
    else:
        draft.final = Scheme.from_dict(answer["scheme"])


# ------------------------------------------------------------------------------------------- checks


def check(role: str, answer: dict[str, Any], draft: Draft) -> list[str]:
    """What the schema cannot say: sections tile the clip, tracks match the parts, instruments fit."""
    m = draft.analysis.measures
    if role == "analyze":
        expected = 1
        for i, s in enumerate(answer["sections"]):
            first, last = s["measures"]
            if first != expected or last < first:
                return [
                    f"sections[{i}].measures: expected to start at measure {expected} and not end before it"
                ]
            expected = last + 1
        return (
            [] if expected == m + 1 else [f"sections: they end at measure {expected - 1}, the clip has {m}"]
        )
    if role == "arrange":
        first = answer["parts"][0]
        if (first["role"], first["source"]) != ("melody", "melody"):
            return ["parts[0]: the first part must be the melody (role melody, source melody)"]
        return []
    if role in ("instrument", "volume", "mixing"):
        indices = sorted(t["track_index"] for t in answer["tracks"])
        wanted = [t.track_index for t in draft.tracks]
        if indices != wanted:
            return [f"tracks: answer for track_index {wanted} exactly once each, got {indices}"]
    if role == "instrument":
        return _instrument_problems(answer, draft)
    if role == "volume":
        for t in answer["tracks"]:
            names = t["volume_envelope"]
            if "measure1" not in names:
                return [f"tracks[track_index={t['track_index']}].volume_envelope: must start with measure1"]
            late = [k for k in names if not 1 <= measure_number(k) <= m]
            if late:
                return [
                    f"tracks[track_index={t['track_index']}].volume_envelope.{late[0]}:"
                    f" the clip has {m} measures"
                ]
    if role == "reviewer":
        try:
            validate_scheme(answer["scheme"], "scheme", instruments=draft.library)
        except InputError as err:
            return [err.problem]
        return _instrument_problems({"tracks": answer["scheme"]["tracks"]}, draft)
    return []


def _instrument_problems(answer: dict[str, Any], draft: Draft) -> list[str]:
    roles = {t.track_index: t for t in draft.tracks}
    chosen = [t["instrument"] for t in answer["tracks"]]
    if len(set(chosen)) != len(chosen):
        return ["tracks: each track needs its own instrument"]
    low_high = draft.analysis.melody_range
    for t in answer["tracks"]:
        instrument = draft.library[t["instrument"]]
        track = roles.get(t["track_index"])
        role = t.get("role", track.role if track else "")
        source = t.get("source", track.source if track else "")
        if instrument.is_drum and role != "percussion":
            return [
                f"track {t['track_index']}: {instrument.key} is an unpitched kit; only percussion may use it"
            ]
        if source == "melody" and low_high:
            low, high = low_high[0] + t.get("transpose", 0), low_high[1] + t.get("transpose", 0)
            if low < instrument.low or high > instrument.high:
                return [
                    f"track {t['track_index']}: {instrument.key} plays {instrument.low}..{instrument.high}, "
                    f"the melody transposed by {t.get('transpose', 0)} spans {low}..{high} (MIDI); "
                    "choose another instrument or octave"
                ]
    return []


# ------------------------------------------------------------------------------------------ prompts

PERSONAS = {
    "analyze": (
        "the Analyze role of a film-scoring team, a music supervisor who reads picture",
        "You analyse the development of the video: how loud (forte or piano) each measure should be, "
        "and the sections of the cue.",
        [
            "Read the motion and rhythm spots of every measure and the clip's emotion.",
            "Give every measure an intensity from 0 (still) to 1 (all-out).",
            "Group the measures into sections that start at cuts (A, B, A' ...) covering all measures.",
        ],
    ),
    "arrange": (
        "the Arrange role of a film-scoring team, an orchestrator",
        "You decide which parts the cue has (at most 6, the melody first), which parts double or "
        "harmonise the melody, and in which measures each accompaniment part softens.",
        [
            "Read the intensity and sections the Analyze role settled.",
            "Choose the parts: a calm cue needs few, a driven one more (counter-line, ostinato, percussion).",
            "Soften the accompaniment where the picture is calmer than around it.",
        ],
    ),
    "instrument": (
        "the Instrument role of a film-scoring team, an orchestrator who knows every instrument's range",
        "You first summarise what the instrument library offers, then give each part one instrument "
        "from it (never too many), an octave transpose for the melody, and an articulation.",
        [
            "Summarise the library by family.",
            "Match the clip's emotion and setting with instruments for each part.",
            "Check that the melody's instrument holds the melody's range after the transpose.",
        ],
    ),
    "volume": (
        "the Volume role of a film-scoring team, a mix engineer who rides the faders",
        "You write each track's per-measure volume envelope (0..2, 1 is full level), keys measureN, "
        "starting at measure1; a key holds until the next.",
        [
            "Follow the intensity of each measure.",
            "Keep the melody above its accompaniment.",
            "Lower softened measures.",
        ],
    ),
    "mixing": (
        "the Mixing role of a film-scoring team, a mix engineer",
        "You set each track's panning (-1 left .. 1 right, orchestral seating) and reverb send (0..1).",
        [
            "Seat the instruments as an orchestra sits.",
            "Wide, dark shots want more reverb; close, bright ones less.",
        ],
    ),
    "reviewer": (
        "the Reviewer of a film-scoring team, the composer in charge",
        "You check the whole draft scheme against the video and the other roles' work, fix what is "
        "wrong, and issue the final scheme (tempo, key and measures exactly as in the draft).",
        [
            "Check each track's instrument, range, envelope, pan and reverb against the picture.",
            "Fix anything unplayable or out of place.",
            "Issue the final scheme.",
        ],
    ),
}


@cache
def _example(name: str) -> tuple[dict[str, Any], dict[str, Any]]:
    scheme = json.loads((EXAMPLES_DIR / f"{name}.json").read_text(encoding="utf-8"))
    notes = json.loads((EXAMPLES_DIR / "roles" / f"{name}.json").read_text(encoding="utf-8"))
    return scheme, notes


def examples(role: str) -> list[dict[str, Any]]:
    out = []
    for name in EXAMPLES[:1] if role == "reviewer" else EXAMPLES:
        scheme, notes = _example(name)
        answer = {"reasoning": notes["reasoning"][role], **project(role, scheme)}
        if role == "instrument":
            answer = {
                "reasoning": answer["reasoning"],
                "library_summary": notes["library_summary"],
                "tracks": answer["tracks"],
            }
        out.append(answer)
    return out


def library_summary(library: dict[str, Instrument]) -> str:
    families: dict[str, int] = {}
    for inst in library.values():
        families[inst.family] = families.get(inst.family, 0) + 1
    return (
        f"{len(library)} instruments: " + ", ".join(f"{n} {family}" for family, n in sorted(families.items()))
    )[:300]


def _library_table(library: dict[str, Instrument]) -> str:
    return "\n".join(
        f"- {i.key}: {i.name}, {i.family}, range {i.low}-{i.high}"
        f"{', unpitched kit' if i.is_drum else ''}, seat {i.pan:+.2f}"
        for i in library.values()
    )


def facts(draft: Draft, config: Config | None) -> str:
    """The opening: what the picture does measure by measure, and the melody the cue is built on."""
    tm, s, a = draft.melody.tempo_map, draft.spotting, draft.analysis
    motion = measure_motion(s, tm, a.measures)
    spots = measure_spots(s, tm, a.measures)
    cut_measures = sorted({tm.measure_at(c) for c in s.cuts})
    attrs = ", ".join(f"{k} {v}" for k, v in a.attributes.items() if v) or "unknown"
    low, high = a.melody_range or (60, 72)
    lines = [
        f"Clip: {s.duration:.1f} s, emotion {s.emotion}; attributes: {attrs}.",
        f"Music: {draft.melody.key}, {tm.meter[0]}/{tm.meter[1]}, {tm.changes[0].bpm:.0f} bpm, "
        f"{a.measures} measures; melody range MIDI {low}-{high} "
        f"({NAMES[low % 12]}{low // 12 - 1} to {NAMES[high % 12]}{high // 12 - 1}).",
        f"Cuts fall in measures {cut_measures or 'none'}.",
        "Per measure: motion speed (frame widths per second) / rhythm-spot density 0..1:",
    ]
    lines += [f"m{m + 1}: {motion[m]:.3f} / {spots[m]:.2f}" for m in range(a.measures)]
    lines.append("Roles speak in this order: " + " -> ".join(ROLES) + ". Analyze, begin.")
    return "\n".join(lines)


def _task(role: str, draft: Draft, schema: dict[str, Any]) -> Task:
    persona, duties, steps = PERSONAS[role]
    if role == "instrument":
        duties += "\nThe library (key: name, family, range in MIDI pitches, seat):\n" + _library_table(
            draft.library
        )
    message = system_message(
        persona=persona, duties=duties, steps=steps, schema=schema, examples=examples(role)
    )
    return Task(
        role, message, schema, lambda: rule_answer(role, draft), lambda answer: check(role, answer, draft)
    )


def arrange_with_llm(
    melody: Melody,
    spotting: Spotting,
    config: Config | None,
    settings: LLMSettings,
    library: dict[str, Instrument],
    *,
    progress: Progress = no_progress,
) -> tuple[Scheme, Analysis]:
    """The draft scheme the six LLM roles settle (each falling back to its rule-based self)."""
    draft = Draft(melody, spotting, analyze(melody, spotting, config), library)
    all_schemas = schemas(draft)
    tasks = [_task(role, draft, all_schemas[role]) for role in ROLES]

    def after(role: str, answer: dict[str, Any]) -> str:
        apply(role, answer, draft)
        if role == "reviewer":
            return "The Reviewer's scheme is final."
        return "Draft scheme so far: " + json.dumps(draft.scheme().to_dict(), separators=(",", ":"))

    run_group_chat(tasks, facts(draft, config), settings, after=after, progress=progress)
    return draft.final or draft.scheme(), draft.analysis
