"""The reviewers as LLM agents: sequential chats mode -> melody -> harmony -> rhythm -> emotion.

Each reviewer gets the melody written out measure by measure, the picture's facts, and what the
rule-based tools measured for its criteria; it answers its criteria as JSON (score 0..1 and one
sentence each) and sees the verdicts that stood before it. A reviewer whose answers stay invalid
is replaced by the rule-based reviewer (agents/chats.py logs the warning).
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from ..agents import Task
from ..agents.chats import run_sequential
from ..agents.prompts import REASONING, REASONING_CHARS, system_message
from ..agents.session import LLMSession
from ..model import Assessment, Criterion, Melody, Spotting
from ..progress import Progress, no_progress
from ..schemes import EXAMPLES_DIR
from ..theory import NAMES
from .analysis import Analysis, analyse
from .criteria import criterion
from .panel import CRITERIA, REVIEWER_MODULES

#: what each reviewer listens for, in the paper's words (table 1)
FOCUS = {
    "mode": "whether the melody is clearly, steadily and consistently in its key and mode",
    "melody": "the shape of the line: contour, smooth intervals, a singable range, a recurring motif "
    "that is varied, and phrases that come to rest",
    "harmony": "the chords under the melody: notes outside the chord pass or turn by step, a coherent "
    "progression, variety, and cadences",
    "rhythm": "a clear, steady metre (long notes on strong beats, few syncopations) with some variety, "
    "and onsets on the picture's cuts",
    "emotion": "whether mode, tempo and register suit the clip's emotion and follow its motion",
}
REASON_CHARS = 60


def criteria_schema(keys: tuple[str, ...]) -> dict[str, Any]:
    """Every criterion by name, exactly once: a schema-constrained model cannot miss or invent one."""
    item = {
        "type": "object",
        "additionalProperties": False,
        "required": ["score", "reason"],
        "properties": {
            "score": {"type": "number", "minimum": 0, "maximum": 1},
            "reason": {"type": "string", "minLength": 1, "maxLength": REASON_CHARS},
        },
    }
    criteria = {
        "type": "object",
        "additionalProperties": False,
        "required": list(keys),
        "properties": {k: item for k in keys},
    }
    return {
        "type": "object",
        "additionalProperties": False,
        "required": ["reasoning", "criteria"],
        "properties": {"reasoning": REASONING, "criteria": criteria},
    }


def max_tokens(keys: tuple[str, ...]) -> int:
    """Room for the reasoning and each criterion's score and reason, with a margin, no more."""
    return 80 + 45 * len(keys)


@cache
def _examples() -> dict[str, Any]:
    """Hand-written verdicts on a folk tune, one per reviewer: the few-shot templates."""
    verdicts = json.loads((EXAMPLES_DIR / "reviews" / "ode_to_joy.json").read_text(encoding="utf-8"))[
        "verdicts"
    ]
    return {
        reviewer: {
            "reasoning": v["reasoning"][:REASONING_CHARS],
            "criteria": {
                c["key"]: {"score": c["score"], "reason": c["reason"][:REASON_CHARS]} for c in v["criteria"]
            },
        }
        for reviewer, v in verdicts.items()
    }


def describe(a: Analysis, spotting: Spotting | None) -> str:
    """The melody as a reviewer reads it: key, meter, tempo, then each measure's notes and chord."""
    tm = a.melody.tempo_map
    lines = [
        f"Key: {a.key_name} ({'declared' if a.key_declared else 'estimated from the notes'}); "
        f"meter {tm.meter[0]}/{tm.meter[1]}; tempo {tm.changes[0].bpm:.0f} bpm; {a.measures} measures; "
        f"{len(a.pitches)} notes. Notes are name+octave:length in beats (R = rest)."
    ]
    for m in range(a.measures):
        idx = a.measure_notes(m)
        notes = (
            " ".join(
                f"{NAMES[int(a.pitches[i]) % 12]}{int(a.pitches[i]) // 12 - 1}:{a.durations[i]:.3g}"
                for i in idx
            )
            or "R"
        )
        chord = a.chord_at(m * a.per)
        chord_text = f" [chord {NAMES[chord.root]} {chord.quality}]" if chord else ""
        lines.append(f"m{m + 1}{chord_text}: {notes}")
    if spotting is not None:
        cuts = ", ".join(f"{c:.2f}" for c in spotting.cuts) or "none"
        lines.append(
            f"Picture: emotion {spotting.emotion}; {spotting.duration:.1f} s; cuts at {cuts} s; "
            f"shot motion speeds {[round(s.motion_speed, 3) for s in spotting.shots]}."
        )
    else:
        lines.append("Picture: not given (judge emotion and alignment as unknown, 0.5).")
    return "\n".join(lines)


def _task(reviewer: str, keys: tuple[str, ...], rule: list[Criterion]) -> Task:
    schema = criteria_schema(keys)
    fallback = {
        "reasoning": "rule-based measurement",
        "criteria": {c.key: {"score": c.score, "reason": c.reason} for c in rule},
    }
    steps = [
        f"read the melody for {FOCUS[reviewer]};",
        "compare with the tools' measurements and the earlier verdicts;",
        "score each criterion 0 (fails) to 1 (excellent) with a one-sentence reason.",
    ]
    message = system_message(
        persona=f"the {reviewer} reviewer, an experienced composer and music theorist",
        duties=f"You judge {FOCUS[reviewer]}. Your criteria: {', '.join(keys)}.",
        steps=steps,
        schema=schema,
        examples=[_examples()[reviewer]],
    )
    return Task(f"{reviewer}_reviewer", message, schema, lambda: fallback, max_tokens=max_tokens(keys))


def assess_with_llm(
    melody: Melody,
    spotting: Spotting | None,
    threshold: float,
    session: LLMSession,
    *,
    progress: Progress = no_progress,
) -> Assessment:
    """The five reviewers' verdicts from LLM agents (each falls back to its rule-based self)."""
    analysis = analyse(melody, spotting)
    facts = describe(analysis, spotting)
    tasks, openings = [], []
    for (reviewer, keys), module in zip(CRITERIA, REVIEWER_MODULES, strict=True):
        rule = module.review(analysis)
        tasks.append(_task(reviewer, keys, rule))
        measured = "\n".join(f"- {c.key}: {c.reason}" for c in rule)
        openings.append(
            f"{facts}\n\nMeasurements for your criteria:\n{measured}\n\n"
            f"Give your verdict on {', '.join(keys)} as the JSON object your instructions describe."
        )
    referee = run_sequential(tasks, openings, session, progress=progress)
    criteria = []
    for (reviewer, keys), task in zip(CRITERIA, tasks, strict=True):
        by_key = referee.answer(task.name)["criteria"]
        criteria += [criterion(k, reviewer, float(by_key[k]["score"]), by_key[k]["reason"]) for k in keys]
    return Assessment(criteria, threshold=threshold, decisions=list(referee.decisions.values()))
