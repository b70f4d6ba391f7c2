"""An agent's job and the gate its answers pass: one JSON object that meets the schema and the checks.

Small models wrap JSON in prose or code fences, run past their schema or invent values; this module
reads the object out of the text and names the first problem, so the model can be told what to fix.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import jsonschema
from jsonschema.exceptions import best_match

from ..schemes import key_path

Answer = dict[str, Any]


@dataclass
class Task:
    """One agent: who it is, what it must answer, what else must hold, and the rule-based answer."""

    name: str
    system_message: str
    schema: dict[str, Any]
    #: the rule-based answer, used when the model's answers are still bad after the last retry
    fallback: Callable[[], Answer]
    #: problems JSON Schema cannot express (an instrument that cannot hold the melody...), [] when fine
    check: Callable[[Answer], list[str]] = field(default=lambda answer: [])
    #: the longest answer the endpoint may write: bounds a model that would otherwise run on
    max_tokens: int = 400


def parse_answer(text: str | None, task: Task) -> tuple[Answer | None, str | None]:
    """(answer, None) when `text` holds a valid answer, else (None, the first problem in one line)."""
    data, problem = _json_object(text or "")
    if problem:
        return None, problem
    error = best_match(jsonschema.Draft202012Validator(task.schema).iter_errors(data))
    if error is not None:
        return None, f"{key_path(error.absolute_path)}: {_short(error)}"
    problems = task.check(data)
    if problems:
        return None, problems[0]
    return data, None


def _json_object(text: str) -> tuple[Any, str | None]:
    fenced = re.search(r"```(?:json)?\s*(.*?)```", text, flags=re.DOTALL)
    body = fenced[1] if fenced else text
    start, end = body.find("{"), body.rfind("}")
    if start < 0 or end <= start:
        return None, "the answer holds no JSON object"
    try:
        return json.loads(body[start : end + 1]), None
    except json.JSONDecodeError as exc:
        return None, f"the answer is not valid JSON ({exc.msg} at character {exc.pos})"


#: size limits whose default message would repeat the whole (maybe huge) offending value
_SIZES = {
    "maxItems": ("items", "at most"),
    "minItems": ("items", "at least"),
    "maxLength": ("characters", "at most"),
    "minLength": ("characters", "at least"),
    "maxProperties": ("keys", "at most"),
    "minProperties": ("keys", "at least"),
}


def _short(error: jsonschema.ValidationError) -> str:
    if error.validator in _SIZES:
        unit, bound = _SIZES[str(error.validator)]
        return f"has {len(error.instance)} {unit}, {bound} {error.validator_value} allowed"
    message = " ".join(error.message.split())
    return message if len(message) <= 200 else message[:197] + "..."
