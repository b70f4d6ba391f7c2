"""One OpenAI-compatible endpoint, spoken to over plain HTTP: the probe, the chat call, the real cause.

Every way a server can fail (refused, wrong key, unknown model, HTTP 500, an HTML page, a body that
never ends, no answer at all) becomes an `EndpointError` whose message is one line naming the cause.
That is a transport failure, never "the model talked nonsense": the agents do not retry it.
Every call is bounded by the LLM part's one deadline, not just by a per-read socket timeout.
"""

from __future__ import annotations

import json
import socket
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any

from ..errors import FilmComposerError

#: the most bytes one response may hold (a chat answer is a few KB; more is a server gone wrong)
MAX_BODY = 4 << 20
#: a tiny schema the probe asks for: a server that honours it can constrain our answers too
PROBE_SCHEMA = {
    "type": "object",
    "properties": {"ok": {"type": "boolean"}},
    "required": ["ok"],
    "additionalProperties": False,
}
#: HTTP statuses that say "this server does not take json_schema", not "this server is broken"
UNSUPPORTED = (400, 404, 415, 422, 501)


class EndpointError(FilmComposerError):
    """The LLM endpoint cannot be used; the message is the real cause in one line."""


@dataclass
class Usage:
    """What the agents cost: counted on every request, shown by the record and the bench."""

    requests: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    seconds: float = 0.0


@dataclass
class Reply:
    content: str
    finish_reason: str | None
    prompt_tokens: int
    completion_tokens: int


@dataclass
class Endpoint:
    base_url: str
    model: str
    api_key: str = "not-needed"
    #: seconds one request may take (the deadline may cut it shorter)
    timeout: float = 120.0
    #: monotonic time by which the whole LLM part must be done; None: no overall bound
    deadline: float | None = None
    usage: Usage = field(default_factory=Usage)

    # ------------------------------------------------------------------------------------ probe

    def probe(self) -> bool:
        """Check the endpoint answers and knows the model; True when it constrains answers to a schema.

        One listing of /models (key accepted, model known), then one tiny chat request asking for a
        JSON-schema answer: an HTTP 4xx there means "no structured outputs", so json_object mode is used.
        """
        listing = self._call("GET", "/models", None, self.timeout)
        names = [m.get("id") for m in listing.get("data", []) if isinstance(m, dict)]
        if names and self.model not in names:
            shown = ", ".join(str(n) for n in names[:5]) + (" ..." if len(names) > 5 else "")
            raise EndpointError(f"{self.base_url} does not serve model {self.model!r} (it serves {shown})")
        messages = [{"role": "user", "content": 'Answer {"ok": true}.'}]
        try:
            self.chat(messages, schema=PROBE_SCHEMA, name="probe", max_tokens=16)
        except HTTPStatusError as err:
            if err.status not in UNSUPPORTED:
                raise
            self.chat(messages, schema=None, name="probe", max_tokens=16)
            structured = False
        else:
            structured = True
        self.usage = Usage(seconds=self.usage.seconds)  # the counts are the agents' requests, not the probe's
        return structured

    # ------------------------------------------------------------------------------------- chat

    def chat(
        self,
        messages: list[dict[str, Any]],
        *,
        schema: dict[str, Any] | None,
        name: str,
        max_tokens: int,
        temperature: float = 0.2,
    ) -> Reply:
        """One chat completion: constrained to `schema` when given, else JSON-object mode."""
        if schema is not None:
            response_format: dict[str, Any] = {
                "type": "json_schema",
                "json_schema": {"name": name, "schema": schema},
            }
        else:
            response_format = {"type": "json_object"}
        body = {
            "model": self.model,
            "messages": messages,
            "max_tokens": max_tokens,
            "temperature": temperature,
            "response_format": response_format,
        }
        started = time.monotonic()
        data = self._call("POST", "/chat/completions", body, self.timeout)
        self.usage.requests += 1
        self.usage.seconds += time.monotonic() - started
        try:
            choice = data["choices"][0]
            content = choice["message"].get("content") or ""
        except (KeyError, IndexError, TypeError, AttributeError):
            raise EndpointError(
                f"{self.base_url}/chat/completions answered JSON without choices[0].message"
            ) from None
        usage = data.get("usage") or {}
        reply = Reply(
            str(content),
            choice.get("finish_reason"),
            int(usage.get("prompt_tokens") or 0),
            int(usage.get("completion_tokens") or 0),
        )
        self.usage.prompt_tokens += reply.prompt_tokens
        self.usage.completion_tokens += reply.completion_tokens
        return reply

    # -------------------------------------------------------------------------------- transport

    def remaining(self) -> float | None:
        return None if self.deadline is None else self.deadline - time.monotonic()

    def _call(self, method: str, path: str, body: dict[str, Any] | None, timeout: float) -> dict[str, Any]:
        url = self.base_url + path
        left = self.remaining()
        if left is not None and left <= 0:
            raise DeadlineError(self._deadline_message())
        budget = timeout if left is None else min(timeout, left)
        request = urllib.request.Request(
            url,
            data=None if body is None else json.dumps(body).encode(),
            method=method,
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {self.api_key}"},
        )
        ends = time.monotonic() + budget
        try:
            with urllib.request.urlopen(request, timeout=max(0.05, budget)) as response:
                raw = _read_until(response, ends)
                kind = response.headers.get("Content-Type", "")
        except urllib.error.HTTPError as err:
            raise HTTPStatusError(url, err.code, _error_text(err)) from None
        except TimeoutError:
            raise self._timeout(url, budget) from None
        except urllib.error.URLError as err:
            if isinstance(err.reason, TimeoutError | socket.timeout):
                raise self._timeout(url, budget) from None
            raise EndpointError(f"cannot reach {url}: {_reason(err.reason)}") from None
        except (ConnectionError, OSError) as err:  # reset or closed mid-answer (a killed server)
            raise EndpointError(f"{url}: the connection broke mid-answer ({_reason(err)})") from None
        try:
            data = json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError):
            what = kind.split(";")[0] or "no content type"
            head = " ".join(raw[:60].decode("utf-8", "replace").split())
            raise EndpointError(
                f"{url} does not speak the OpenAI API: it answered {what} ({head!r}...)"
            ) from None
        if not isinstance(data, dict):
            raise EndpointError(f"{url} answered JSON that is not an object")
        return data

    def _timeout(self, url: str, budget: float) -> EndpointError:
        left = self.remaining()
        if left is not None and left <= 0.05:
            return DeadlineError(self._deadline_message())
        return EndpointError(f"{url} did not answer within {budget:.0f} s (timeout)")

    def _deadline_message(self) -> str:
        return (
            f"the LLM endpoint {self.base_url} ran out of the LLM part's time limit "
            f"after {self.usage.requests} answers"
        )


class HTTPStatusError(EndpointError):
    """The server answered with an HTTP error status."""

    def __init__(self, url: str, status: int, detail: str) -> None:
        cause = {401: "the API key was refused", 403: "the API key is not allowed this"}.get(status, "")
        text = (
            f"{url} answered HTTP {status}"
            + (f": {cause}" if cause else "")
            + (f" ({detail})" if detail else "")
        )
        super().__init__(text)
        self.status = status


class DeadlineError(EndpointError):
    """The one deadline of the LLM part passed."""


def _read_until(response: Any, ends: float) -> bytes:
    """The whole body, or a timeout once `ends` passes: a trickling endless body is cut too."""
    chunks, size = [], 0
    while True:
        if time.monotonic() > ends:
            raise TimeoutError
        chunk = response.read1(65536) if hasattr(response, "read1") else response.read(65536)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        size += len(chunk)
        if size > MAX_BODY:
            raise EndpointError(f"{response.url}: the answer passed {MAX_BODY >> 20} MB; stopped reading")


def _error_text(err: urllib.error.HTTPError) -> str:
    try:
        raw = err.read(4096)
    except OSError:
        return ""
    try:
        data = json.loads(raw)
        message = data.get("error", data) if isinstance(data, dict) else data
        if isinstance(message, dict):
            message = message.get("message", message)
        text = str(message)
    except (json.JSONDecodeError, UnicodeDecodeError):
        text = raw.decode("utf-8", "replace")
    text = " ".join(text.split())
    return text if len(text) <= 160 else text[:157] + "..."


def _reason(reason: object) -> str:
    if isinstance(reason, ConnectionRefusedError):
        return "connection refused"
    if isinstance(reason, socket.gaierror):
        return f"unknown host ({reason.strerror})"
    if isinstance(reason, OSError) and reason.strerror:
        return reason.strerror.lower()
    return str(reason) or type(reason).__name__
