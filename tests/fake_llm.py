"""A tiny OpenAI-compatible chat server on 127.0.0.1 for tests: scripted replies, every request recorded.

`reply(request) -> str` writes each answer's content from the request (its system message tells
which agent is asking); the server speaks just enough of /v1/models and /v1/chat/completions.
The endpoint probe (a tiny request asking for {"ok": true}) is answered here and kept apart in
`probes`. With `accepts_schema=False` (the default, like an old llama.cpp server) a json_schema
request gets HTTP 400, so the agents fall back to json_object mode and validate what they get.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Reply = Callable[[dict[str, Any]], str]


PROBE = 'Answer {"ok": true}.'


class FakeLLM:
    def __init__(
        self, reply: Reply, *, accepts_schema: bool = False, models: list[str] | None = None
    ) -> None:
        self.reply = reply
        self.accepts_schema = accepts_schema
        self.models = models or []
        self.requests: list[dict[str, Any]] = []
        self.probes: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # keep test output clean
                pass

            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                self._send(
                    200, {"object": "list", "data": [{"id": m, "object": "model"} for m in fake.models]}
                )

            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                schema_asked = (body.get("response_format") or {}).get("type") == "json_schema"
                if schema_asked and not fake.accepts_schema:
                    self._send(400, {"error": {"message": "response_format json_schema is not supported"}})
                    return
                if body["messages"][-1]["content"] == PROBE:
                    fake.probes.append(body)
                    self._send(200, _completion(body.get("model", "fake"), '{"ok": true}'))
                    return
                with fake._lock:
                    fake.requests.append(body)
                    fake.headers.append(dict(self.headers))
                try:
                    content = fake.reply(body)
                    status, payload = 200, _completion(body.get("model", "fake"), content)
                except Exception as exc:  # a failing script is an HTTP 500, as a crashed server would send
                    status, payload = 500, {"error": {"message": str(exc), "type": "server_error"}}
                self._send(status, payload)

            def _send(self, status: int, payload: dict[str, Any]) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler


def _completion(model: str, content: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": content}}
        ],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }


@contextmanager
def fake_llm(reply: Reply, **options: Any) -> Iterator[FakeLLM]:
    server = FakeLLM(reply, **options)
    server.thread.start()
    try:
        yield server
    finally:
        server.server.shutdown()
        server.server.server_close()
