"""Role-play system messages with chain of thought, the answer's schema and few-shot examples."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

#: the longest chain of thought an answer may carry (bounded: small models loop otherwise)
REASONING_CHARS = 700

REASONING = {
    "type": "string",
    "maxLength": REASONING_CHARS,
    "description": "your step-by-step thinking, written before the answer fields",
}


def system_message(
    *,
    persona: str,
    duties: str,
    steps: Sequence[str],
    schema: dict[str, Any],
    examples: Sequence[dict[str, Any]] = (),
) -> str:
    """`persona` plays the role; `steps` are the chain of thought it writes into "reasoning" first."""
    lines = [
        f"You are {persona}.",
        duties,
        "",
        'Think step by step, and write that thinking into the "reasoning" field first '
        f"(at most {REASONING_CHARS} characters):",
    ]
    lines += [f"{i}. {step}" for i, step in enumerate(steps, 1)]
    lines += [
        "",
        "Answer with exactly one JSON object and nothing else (no prose, no code fence). "
        "It must validate against this JSON Schema:",
        json.dumps(schema, separators=(",", ":")),
    ]
    for i, example in enumerate(examples, 1):
        lines += [
            "",
            f"Example answer {i} (for another film; the format, not the values, is what to copy):",
            json.dumps(example, separators=(",", ":")),
        ]
    return "\n".join(lines)


def correction(problem: str, attempt: int, attempts: int) -> str:
    """What the director says to an agent whose answer failed (the agent answers again)."""
    return (
        f"Your answer cannot be used: {problem}. Answer again (try {attempt} of {attempts}) with one "
        "JSON object that validates against the schema in your instructions, and nothing else."
    )
