"""System messages: one shared preamble first (a server's prompt cache reuses it from agent to
agent), then the role, a short chain of thought, the answer's schema and one example.

Kept short on purpose: instructions, the opening and one turn must fit a 4k-token context.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

#: the longest chain of thought an answer may carry (bounded: small models loop otherwise)
REASONING_CHARS = 120

REASONING = {"type": "string", "maxLength": REASONING_CHARS}

PREAMBLE = (
    "A film-scoring team is scoring a silent film clip. Every member answers with exactly one JSON "
    "object and nothing else (no prose, no code fence), valid against the member's JSON Schema."
)


SCHEMA_LINE = "Your JSON Schema: "
CONSTRAINED = "The server holds your answer to your JSON Schema; follow the example's format."


def for_model(system: str, *, constrained: bool) -> str:
    """The system message as sent: a server that enforces the schema needs no copy of it in the prompt."""
    if not constrained:
        return system
    return "\n".join(CONSTRAINED if line.startswith(SCHEMA_LINE) else line for line in system.split("\n"))


def compact(schema: dict[str, Any]) -> str:
    return json.dumps(schema, separators=(",", ":"))


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
        PREAMBLE,
        f"You are {persona}.",
        duties,
        f'First think briefly in "reasoning" (at most {REASONING_CHARS} characters): '
        + " ".join(f"({i}) {step}" for i, step in enumerate(steps, 1)),
        SCHEMA_LINE + compact(schema),
    ]
    lines += [
        f"Example answer (another film: copy the format, not the values): {compact(e)}" for e in examples[:1]
    ]
    return "\n".join(lines)


def correction(problem: str, attempt: int, attempts: int) -> str:
    """What the director says to an agent whose answer failed (the agent answers again)."""
    return (
        f"Your answer cannot be used: {problem}. Answer again (try {attempt} of {attempts}) with one "
        "JSON object that validates against your schema, and nothing else."
    )
