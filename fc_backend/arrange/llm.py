"""The six arranger roles as LLM agents in a group chat: Analyze -> Arrange -> Instrument -> Volume
-> Mixing -> Reviewer, in the paper's fixed speaking order.

Each role answers a small part of the scheme as JSON, under a schema built for this clip and for
the draft as it stands when the role speaks (its measure count, its tracks, the instruments that can
play each part), so a schema-constrained model's answer fits by construction: sections are one
letter per measure (they tile the clip), levels are steps of 0.1, each track's instrument comes
from those that can play it. Once an answer stands it is applied to a shared draft, which the
director sums up for the room before the next role speaks. A role whose answers stay invalid is
replaced by its rule-based function applied to the same draft.
"""

from __future__ import annotations

import copy
import json
import string
from dataclasses import dataclass, field, replace
from functools import cache
from typing import Any

from ..agents import Task
from ..agents.chats import run_group_chat
from ..agents.prompts import REASONING, REASONING_CHARS, system_message
from ..agents.session import LLMSession
from ..config import Config
from ..model import MeasureLevels, Melody, Scheme, SchemeTempo, SchemeTrack, Section, Spotting
from ..progress import Progress, no_progress
from ..schemes import EXAMPLES_DIR, Instrument
from ..theory import NAMES
from .analyze import CueAnalysis, analyze_cue, measure_motion, measure_spots, restatement, section_letter
from .instrument import choose_instruments
from .mixing import mix
from .part_choice import MAX_TRACKS, choose_parts
from .roles import ROLES
from .volume import write_volume

#: the few-shot template: an example scheme with each role's reasoning written out
EXAMPLE = "calm_strings"
ACCOMPANIMENT_ROLES = ["doubling", "counter", "harmony", "bass", "ostinato", "percussion"]
PART_SOURCES = ["melody", "counter", "chords", "bass", "ostinato"]
ARTICULATIONS = ["legato", "sustain", "staccato", "marcato", "pizzicato", "tremolo"]
TRANSPOSES = (0, 12, -12, 24, -24)
SECTION_LETTERS = string.ascii_uppercase[:8]


@dataclass
class Draft:
    """The scheme as the roles build it; every role's answer (or rule-based stand-in) lands here."""

    melody: Melody
    spotting: Spotting
    analysis: CueAnalysis
    library: dict[str, Instrument]
    tracks: list[SchemeTrack] = field(default_factory=list)

    def scheme(self) -> Scheme:
        return Scheme(
            SchemeTempo.of(self.melody.tempo_map),
            self.melody.heard_key(),
            self.analysis.measures,
            list(self.analysis.sections),
            copy.deepcopy(self.tracks),
        )


# ------------------------------------------------------------------------------------------- schemas


def steps(low: float, high: float, step: float = 0.1) -> dict[str, Any]:
    """A level as one of a few round numbers: a model cannot run on in digits."""
    n = round((high - low) / step)
    return {"enum": [round(low + i * step, 2) for i in range(n + 1)]}


def _answer(**properties: Any) -> dict[str, Any]:
    return {
        "type": "object",
        "additionalProperties": False,
        "required": ["reasoning", *properties],
        "properties": {"reasoning": REASONING, **properties},
    }


def _exactly(n: int, item: dict[str, Any]) -> dict[str, Any]:
    return {"type": "array", "minItems": n, "maxItems": n, "items": item}


def _object(**properties: Any) -> dict[str, Any]:
    return {
        "type": "object",
        "additionalProperties": False,
        "required": list(properties),
        "properties": properties,
    }


def schema(role: str, draft: Draft) -> dict[str, Any]:
    """`role`'s answer schema for this clip and the draft as it stands."""
    m, n = draft.analysis.measures, len(draft.tracks)
    if role == "analyze":
        return _answer(
            intensity=_exactly(m, steps(0, 1)), sections=_exactly(m, {"enum": list(SECTION_LETTERS)})
        )
    if role == "arrange":
        part = _object(
            role={"enum": ACCOMPANIMENT_ROLES},
            source={"enum": PART_SOURCES},
            softened_measures={
                "type": "array",
                "maxItems": m,
                "items": {"type": "integer", "minimum": 1, "maximum": m},
            },
        )
        return _answer(parts={"type": "array", "minItems": 1, "maxItems": MAX_TRACKS - 1, "items": part})
    if role == "instrument":
        items = [_instrument_item(t, draft) for t in draft.tracks]
        return _answer(
            tracks={"type": "array", "minItems": n, "maxItems": n, "prefixItems": items, "items": False}
        )
    if role == "volume":
        k = len(draft.analysis.sections)
        return _answer(tracks=_exactly(n, _object(levels=_exactly(k, steps(0, 1.5)))))
    if role == "mixing":
        return _answer(tracks=_exactly(n, _object(panning=steps(-1, 1), reverb_space=steps(0, 1))))
    return _answer(
        remove_tracks={
            "type": "array",
            "maxItems": max(0, n - 2),
            "items": {"enum": list(range(2, n + 1))},
        },
        levels=_exactly(n, steps(0.5, 1.5)),
    )


def _instrument_item(track: SchemeTrack, draft: Draft) -> dict[str, Any]:
    """The instruments that can play `track`: kits only for percussion; for the melody, by octave."""
    kits = track.role == "percussion"
    choices = [i for i in draft.library.values() if i.is_drum == kits]
    articulation = {"enum": ARTICULATIONS}
    low_high = draft.analysis.melody_range
    if track.source != "melody" or not low_high or kits:
        return _object(
            instrument={"enum": [i.key for i in choices]}, transpose={"const": 0}, articulation=articulation
        )
    options = []
    for t in TRANSPOSES:
        fits = [i.key for i in choices if i.low <= low_high[0] + t and low_high[1] + t <= i.high]
        if fits:
            options.append(
                _object(instrument={"enum": fits}, transpose={"const": t}, articulation=articulation)
            )
    if not options:
        return _object(
            instrument={"enum": [i.key for i in choices]},
            transpose={"enum": list(TRANSPOSES)},
            articulation=articulation,
        )
    return options[0] if len(options) == 1 else {"anyOf": options}


def max_tokens(role: str, draft: Draft) -> int:
    """Room for the reasoning (~60 tokens) and the answer's fields, with a margin, no more."""
    m, n, k = draft.analysis.measures, max(1, len(draft.tracks)), len(draft.analysis.sections)
    body = {
        "analyze": 10 * m,
        "arrange": (MAX_TRACKS - 1) * (24 + 4 * m),
        "instrument": 30 * n,
        "volume": n * (8 + 5 * k),
        "mixing": 20 * n,
        "reviewer": 8 * n + 20,
    }[role]
    return 120 + body


# -------------------------------------------------------------------- answers <-> draft, both ways


def rule_answer(role: str, draft: Draft) -> dict[str, Any]:
    """What the rule-based role would answer on the draft as it stands, in the answer's format."""
    trial = replace(draft, tracks=copy.deepcopy(draft.tracks))
    if role == "arrange":
        trial.tracks = choose_parts(draft.analysis)
    elif role == "instrument":
        choose_instruments(trial.tracks, draft.analysis, draft.library)
    elif role == "volume":
        write_volume(trial.tracks, draft.analysis)
    elif role == "mixing":
        mix(trial.tracks, draft.analysis, draft.library)
    answer = project(role, trial.scheme())
    if role == "analyze":
        answer["intensity"] = [round(float(v), 3) for v in draft.analysis.intensity]
        answer["unchanged"] = True  # the draft already holds the rules' analysis, section names and all
    if role == "volume":  # the rules ride every measure, not just each section: keep their envelope whole
        for t, track in zip(answer["tracks"], trial.tracks, strict=True):
            t["envelope"] = dict(track.volume_envelope)
    return {"reasoning": f"rule-based {role} role", **answer}


def project(role: str, scheme: Scheme) -> dict[str, Any]:
    """The part of a whole scheme that `role` answers for (rule-based answers and the example)."""
    tracks = scheme.tracks
    if role == "analyze":
        letters: list[str] = []
        intensity: list[float] = []
        named: dict[str, str] = {}
        for s in scheme.sections:
            base = section_letter(s.name)  # A' is A come back: the same letter
            if base not in named:
                named[base] = (
                    base if base in SECTION_LETTERS else SECTION_LETTERS[len(named) % len(SECTION_LETTERS)]
                )
            span = s.measures[1] - s.measures[0] + 1
            letters += [named[base]] * span
            intensity += [s.intensity] * span
        return {"intensity": intensity, "sections": letters}
    if role == "arrange":
        return {
            "parts": [
                {"role": t.role, "source": t.source, "softened_measures": t.softened_measures}
                for t in tracks[1:]
            ]
        }
    if role == "instrument":
        return {
            "tracks": [
                {"instrument": t.instrument, "transpose": t.transpose, "articulation": t.articulation}
                for t in tracks
            ]
        }
    if role == "volume":
        return {
            "tracks": [
                {"levels": [round(t.volume_envelope.held(s.measures[0])[-1], 2) for s in scheme.sections]}
                for t in tracks
            ]
        }
    if role == "mixing":
        return {"tracks": [{"panning": t.panning, "reverb_space": t.reverb_space} for t in tracks]}
    return {"remove_tracks": [], "levels": [1.0] * len(tracks)}


def apply(role: str, answer: dict[str, Any], draft: Draft) -> None:
    """Write a standing answer into the draft."""
    if role == "analyze" and answer.get("unchanged"):
        return
    if role == "analyze":
        intensity = [round(float(v), 3) for v in answer["intensity"]]
        draft.analysis.intensity = intensity
        sections: list[Section] = []
        first = 1
        letters = answer["sections"]
        for m in range(1, len(letters) + 1):
            if m == len(letters) or letters[m] != letters[m - 1]:
                level = sum(intensity[first - 1 : m]) / (m - first + 1)
                times = sum(section_letter(s.name) == letters[m - 1] for s in sections)
                name = restatement(letters[m - 1], times)
                sections.append(Section(name, (first, m), round(level, 3)))
                first = m + 1
        draft.analysis.sections = sections
    elif role == "arrange":
        melody = SchemeTrack(1, "melody", "melody", "", "melody")
        draft.tracks = [melody] + [
            SchemeTrack(
                i,
                p["role"],
                p["role"],
                "",
                p["source"],
                softened_measures=sorted(set(p["softened_measures"])),
            )
            for i, p in enumerate(answer["parts"], start=2)
        ]
    elif role == "instrument":
        for track, t in zip(draft.tracks, answer["tracks"], strict=True):
            instrument = draft.library[t["instrument"]]
            track.instrument, track.name = instrument.key, instrument.name
            track.transpose, track.articulation = int(t["transpose"]), t["articulation"]
    elif role == "volume":
        starts = [s.measures[0] for s in draft.analysis.sections]
        for track, t in zip(draft.tracks, answer["tracks"], strict=True):
            if "envelope" in t:
                track.volume_envelope = MeasureLevels(t["envelope"])
                continue
            track.volume_envelope = MeasureLevels(
                {m: round(float(v), 3) for m, v in zip(starts, t["levels"], strict=True)}
            )
    elif role == "mixing":
        for track, t in zip(draft.tracks, answer["tracks"], strict=True):
            track.panning, track.reverb_space = (
                round(float(t["panning"]), 3),
                round(float(t["reverb_space"]), 3),
            )
    else:
        for track, level in zip(draft.tracks, answer["levels"], strict=True):
            track.volume_envelope = MeasureLevels(
                {m: round(min(2.0, v * float(level)), 3) for m, v in track.volume_envelope.items()}
            )
        removed = set(answer["remove_tracks"])
        draft.tracks = [t for t in draft.tracks if t.track_index not in removed]
        for i, track in enumerate(draft.tracks, start=1):
            track.track_index = i


def check(role: str, answer: dict[str, Any], draft: Draft) -> list[str]:
    """What the schema cannot say (only in JSON-object mode can an answer get this far wrong)."""
    if role != "instrument":
        return []
    low_high = draft.analysis.melody_range
    for i, (track, t) in enumerate(zip(draft.tracks, answer["tracks"], strict=True), start=1):
        instrument = draft.library[t["instrument"]]
        if instrument.is_drum != (track.role == "percussion"):
            return [
                f"tracks[{i}]: {instrument.key} {'is' if instrument.is_drum else 'is not'} a drum kit; "
                "kits play the percussion part and only that"
            ]
        if track.source == "melody" and low_high:
            low, high = low_high[0] + t["transpose"], low_high[1] + t["transpose"]
            if low < instrument.low or high > instrument.high:
                return [
                    f"tracks[{i}]: {instrument.key} plays {instrument.low}..{instrument.high}, the melody "
                    f"transposed by {t['transpose']} spans {low}..{high} (MIDI); choose another"
                ]
    return []


# ------------------------------------------------------------------------------------------ prompts

PERSONAS = {
    "analyze": (
        "the Analyze role, a music supervisor who reads picture",
        "You give every measure an intensity (0 still .. 1 all-out) and a section letter; "
        "a new letter starts a new section, best at a cut.",
        ["read each measure's motion and spots", "rate intensity", "group measures into sections at cuts"],
    ),
    "arrange": (
        "the Arrange role, an orchestrator",
        "The melody is part 1. You choose the accompaniment parts (at most 5) and the measures in "
        "which each softens.",
        [
            "read intensity and sections",
            "a calm cue needs few parts, a driven one more",
            "soften where the picture calms",
        ],
    ),
    "instrument": (
        "the Instrument role, an orchestrator who knows every instrument's range",
        "You give each track, in order, one instrument from the library, an octave transpose and an "
        "articulation.",
        ["match the emotion and setting", "kits only for percussion", "the melody must fit its instrument"],
    ),
    "volume": (
        "the Volume role, a mix engineer who rides the faders",
        "For each track, in order, you give one level per section (0..1.5, 1 is full level).",
        ["follow each section's intensity", "keep the melody above the accompaniment"],
    ),
    "mixing": (
        "the Mixing role, a mix engineer",
        "For each track, in order, you set panning (-1 left .. 1 right, orchestral seating) and the "
        "reverb send (0..1).",
        ["seat the instruments as an orchestra sits", "wide dark shots want more reverb"],
    ),
    "reviewer": (
        "the Reviewer, the composer in charge",
        "You check the whole draft against the picture: you may remove tracks (never track 1) and "
        "give each track a level factor (0.5..1.5, 1 keeps it).",
        ["check each track against the picture", "remove what crowds the cue", "balance the levels"],
    ),
}


@cache
def _example() -> tuple[Scheme, dict[str, Any]]:
    scheme = Scheme.from_dict(json.loads((EXAMPLES_DIR / f"{EXAMPLE}.json").read_text(encoding="utf-8")))
    notes = json.loads((EXAMPLES_DIR / "roles" / f"{EXAMPLE}.json").read_text(encoding="utf-8"))
    return scheme, notes


def example(role: str) -> dict[str, Any]:
    scheme, notes = _example()
    return {"reasoning": notes["reasoning"][role][:REASONING_CHARS], **project(role, scheme)}


def _library_table(library: dict[str, Instrument]) -> str:
    return "; ".join(
        f"{i.key} ({i.family}, {i.low}-{i.high}{', kit' if i.is_drum else ''})" for i in library.values()
    )


def facts(draft: Draft) -> str:
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
        f"{a.measures} measures; melody MIDI {low}-{high} "
        f"({NAMES[low % 12]}{low // 12 - 1} to {NAMES[high % 12]}{high // 12 - 1}).",
        f"Cuts fall in measures {cut_measures or 'none'}.",
        "Per measure, motion (frame widths/s) and rhythm-spot density 0..1: "
        + "; ".join(f"m{m + 1} {motion[m]:.2f}/{spots[m]:.1f}" for m in range(a.measures)),
        "Roles speak in this order: " + " -> ".join(ROLES) + ". Next: analyze.",
    ]
    return "\n".join(lines)


def draft_summary(draft: Draft) -> str:
    """The draft as the next role reads it: sections, then one line per track."""
    lines = [
        "Draft: sections "
        + ", ".join(
            f"{s.name} m{s.measures[0]}-{s.measures[1]} ({s.intensity:.2f})" for s in draft.analysis.sections
        )
    ]
    for t in draft.tracks:
        env = " ".join(f"{m}:{v:g}" for m, v in sorted(t.volume_envelope.items()))
        lines.append(
            f"track {t.track_index}: {t.role}/{t.source} {t.instrument or '?'} transpose {t.transpose} "
            f"{t.articulation} pan {t.panning:+.2f} reverb {t.reverb_space:.2f} levels [{env}] "
            f"softened {t.softened_measures}"
        )
    return "\n".join(lines)


def _task(role: str, draft: Draft) -> Task:
    return Task(role, "", {}, lambda: rule_answer(role, draft), lambda answer: check(role, answer, draft))


def prepare(task: Task, draft: Draft) -> None:
    """As a role's turn begins: its schema, instructions and answer length for the draft as it stands."""
    persona, duties, thinking = PERSONAS[task.name]
    if task.name == "instrument":
        duties += "\nLibrary: " + _library_table(draft.library)
    task.schema = schema(task.name, draft)
    task.max_tokens = max_tokens(task.name, draft)
    task.system_message = system_message(
        persona=persona, duties=duties, steps=thinking, schema=task.schema, examples=[example(task.name)]
    )


def arrange_with_llm(
    melody: Melody,
    spotting: Spotting,
    config: Config | None,
    session: LLMSession,
    library: dict[str, Instrument],
    *,
    progress: Progress = no_progress,
) -> tuple[Scheme, CueAnalysis]:
    """The scheme the six LLM roles settle (each falling back to its rule-based self), with the record."""
    draft = Draft(melody, spotting, analyze_cue(melody, spotting, config), library)
    tasks = [_task(role, draft) for role in ROLES]

    def after(role: str, answer: dict[str, Any]) -> str:
        apply(role, answer, draft)
        return draft_summary(draft)

    referee = run_group_chat(
        tasks, facts(draft), session, before=lambda task: prepare(task, draft), after=after, progress=progress
    )
    scheme = draft.scheme()
    scheme.decisions = [referee.decisions[role] for role in ROLES]
    return scheme, draft.analysis
