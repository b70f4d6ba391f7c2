"""The seven attributes of a shot from a vision LLM, when one is configured.

Any OpenAI-compatible chat endpoint that takes images (`image_url` content parts with JPEG data URIs)
will do: vLLM, llama.cpp's server, Ollama, a hosted API. The model sees 1-3 frames of the shot and
answers one JSON object (the schema travels in the prompt; `response_format` asks for a JSON object,
which every such server accepts). An answer outside the vocabulary is sent back with the problem
named; after the last retry the offline estimate stands, with a warning. Measured attributes the
model leaves null (brightness, hue, view scale, emotion) are filled in from the offline estimate.

The HTTP call is the standard library's: no client package is needed for the spot stage.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import logging
import urllib.error
import urllib.request
from typing import Any

import cv2
import numpy as np

from ..agents import LLMSettings, Task, llm_settings, parse_answer
from ..config import Config
from ..model import VOCABULARY, VisualAttributes

log = logging.getLogger(__name__)

#: frames sent to the model per shot, and their width in pixels
FRAMES_PER_SHOT = 3
FRAME_WIDTH = 512
JPEG_QUALITY = 80
#: attributes pixels and flow can measure: where the model says null, the offline estimate is kept
MEASURED = ("brightness", "hue", "view_scale", "emotion", "behaviour")

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {name: {"enum": [*labels, None]} for name, labels in VOCABULARY.items()},
    "required": list(VOCABULARY),
    "additionalProperties": False,
}

SYSTEM = (
    "You label shots of a silent film clip for a film composer. You see frames sampled from one shot, "
    "in time order. Answer with one JSON object and nothing else, with exactly these keys, each set to "
    "one of the listed labels or null when the frames do not show it:\n"
    + "\n".join(f'- "{name}": {", ".join(repr(label) for label in labels)}'
                for name, labels in VOCABULARY.items())
    + "\nJSON Schema of the answer: " + json.dumps(SCHEMA)
)


def vision_settings(config: Config) -> LLMSettings | None:
    """The vision endpoint: `vlm_base_url` (else `llm_base_url`) with `vlm_model`; None when unset.

    A vision endpoint of its own does not switch the reviewers and arranger to LLM agents.
    """
    model = config.vlm_model
    base_url = config.vlm_base_url or config.llm_base_url
    if not model or not base_url:
        return None
    settings = llm_settings(dataclasses.replace(config, llm_base_url=base_url))
    return dataclasses.replace(settings, model=str(model)) if settings is not None else None


class VisionUnavailable(Exception):
    """The endpoint cannot be reached at all: asking again for the next shot would only wait again."""


class ShotFrames:
    """JPEGs of sampled frames, a few per shot, in bounded memory.

    Frames are offered as the decode goes; a cut closes the shots before it down to
    `per_shot` frames, and an open shot that grows long is thinned to every other frame.
    """

    def __init__(self, *, per_shot: int = FRAMES_PER_SHOT, open_limit: int = 24) -> None:
        self.per_shot = per_shot
        self.open_limit = open_limit
        self._closed: list[tuple[int, bytes]] = []
        self._open: list[tuple[int, bytes]] = []

    def add(self, index: int, frame_bgr: np.ndarray) -> None:
        h, w = frame_bgr.shape[:2]
        if w > FRAME_WIDTH:
            frame_bgr = cv2.resize(frame_bgr, (FRAME_WIDTH, max(1, round(h * FRAME_WIDTH / w))),
                                   interpolation=cv2.INTER_AREA)
        ok, data = cv2.imencode(".jpg", frame_bgr, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
        if ok:
            self._open.append((index, data.tobytes()))
        if len(self._open) > self.open_limit:
            self._open = self._open[::2]

    def cut(self, at: int) -> None:
        """A shot starts at frame `at`: keep `per_shot` frames of the one that ended."""
        ended = [entry for entry in self._open if entry[0] < at]
        self._open = [entry for entry in self._open if entry[0] >= at]
        self._closed += _evenly(ended, self.per_shot)

    def between(self, first: int, last: int) -> list[bytes]:
        """Up to `per_shot` JPEGs of frames first..last-1, spread over the span."""
        inside = [entry for entry in (*self._closed, *self._open) if first <= entry[0] < last]
        return [data for _, data in _evenly(sorted(inside, key=lambda e: e[0]), self.per_shot)]


def _evenly(items: list, count: int) -> list:
    if len(items) <= count:
        return list(items)
    picks = np.linspace(0, len(items) - 1, count).round().astype(int)
    return [items[i] for i in sorted(set(picks.tolist()))]


def describe_shot(settings: LLMSettings, jpegs: list[bytes], offline: VisualAttributes, *,
                  start: float, end: float) -> VisualAttributes:
    """The model's labels for one shot; the offline estimate when it gives no usable answer.

    Raises VisionUnavailable when the endpoint cannot be reached.
    """
    task = Task(name="vision", system_message=SYSTEM, schema=SCHEMA, fallback=offline.to_dict)
    uris = ["data:image/jpeg;base64," + base64.b64encode(j).decode() for j in jpegs]
    images = [{"type": "image_url", "image_url": {"url": uri}} for uri in uris]
    text = f"Shot from {start:.2f} s to {end:.2f} s, {len(jpegs)} frame(s). Label it."
    messages: list[dict[str, Any]] = [{"role": "system", "content": SYSTEM},
                                      {"role": "user", "content": [{"type": "text", "text": text}, *images]}]
    problem = "no answer"
    for attempt in range(1 + settings.max_retries):
        try:
            content = _chat(settings, messages)
        except urllib.error.HTTPError as err:
            problem = f"HTTP {err.code} from the endpoint"
            continue
        answer, problem = parse_answer(content, task)
        if answer is not None:
            labels = {name: answer[name] if answer[name] is not None or name not in MEASURED
                      else getattr(offline, name) for name in VOCABULARY}
            return VisualAttributes(**labels)
        log.info("vision: answer %d rejected: %s", attempt + 1, problem)
        messages += [{"role": "assistant", "content": content or ""},
                     {"role": "user", "content": f"That answer is not usable: {problem}. "
                                                 "Answer again with the JSON object only."}]
    log.warning("the vision model gave no usable labels for the shot at %.2f-%.2f s in %d tries "
                "(last problem: %s); the offline estimate is used",
                start, end, 1 + settings.max_retries, problem)
    return offline


class VisionLabeller:
    """Labels shot after shot; once the endpoint proves unreachable, the offline estimates stand."""

    def __init__(self, settings: LLMSettings) -> None:
        self.settings = settings
        self.reachable = True

    def label(self, jpegs: list[bytes], offline: VisualAttributes, *, start: float,
              end: float) -> VisualAttributes:
        if not (self.reachable and jpegs):
            return offline
        try:
            return describe_shot(self.settings, jpegs, offline, start=start, end=end)
        except VisionUnavailable as err:
            log.warning("the vision model cannot be reached (%s); offline attributes are used", err)
            self.reachable = False
            return offline


def _chat(settings: LLMSettings, messages: list[dict[str, Any]]) -> str | None:
    """One chat completion; its text, or None when the reply is not a chat completion."""
    body = json.dumps({"model": settings.model, "messages": messages, "temperature": settings.temperature,
                       "response_format": {"type": "json_object"}}).encode()
    request = urllib.request.Request(settings.base_url + "/chat/completions", data=body, method="POST",
                                     headers={"Content-Type": "application/json",
                                              "Authorization": f"Bearer {settings.api_key}"})
    try:
        with urllib.request.urlopen(request, timeout=settings.timeout) as reply:
            data = json.loads(reply.read())
    except urllib.error.HTTPError:
        raise
    except (urllib.error.URLError, TimeoutError, ConnectionError) as err:
        raise VisionUnavailable(f"{settings.base_url}: {getattr(err, 'reason', err)}") from None
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None
    try:
        content = data["choices"][0]["message"]["content"]
    except (KeyError, IndexError, TypeError):
        return None
    return content if isinstance(content, str) else None
