"""An LLM endpoint that cannot be used, as `filmcomposer score` meets it: one line with the real cause.

Each case is a real HTTP server on 127.0.0.1 misbehaving one way (or no server at all), and a real
`score` subprocess; none may leave a staging folder, and with --llm-optional the rules score the
clip and the summary line says why no LLM answer was used.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.fake_llm import fake_llm

Handler = Callable[[BaseHTTPRequestHandler], None]


def send(h: BaseHTTPRequestHandler, status: int, body: bytes, kind: str = "application/json") -> None:
    h.send_response(status)
    h.send_header("Content-Type", kind)
    h.send_header("Content-Length", str(len(body)))
    h.end_headers()
    h.wfile.write(body)


def models(h: BaseHTTPRequestHandler, names: tuple[str, ...] = ("m",)) -> None:
    send(h, 200, json.dumps({"data": [{"id": n} for n in names]}).encode())


def completion(content: str) -> bytes:
    return json.dumps(
        {"choices": [{"message": {"role": "assistant", "content": content}, "finish_reason": "stop"}]}
    ).encode()


@contextmanager
def server(get: Handler, post: Handler) -> Iterator[str]:
    class H(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:  # noqa: N802
            get(self)

        def do_POST(self) -> None:  # noqa: N802
            self.rfile.read(int(self.headers["Content-Length"]))
            post(self)

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), H)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    finally:
        httpd.shutdown()
        httpd.server_close()


def closed_port() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}/v1"


def stall(h: BaseHTTPRequestHandler) -> None:
    time.sleep(120)


def endless(h: BaseHTTPRequestHandler) -> None:
    h.send_response(200)
    h.send_header("Content-Type", "application/json")
    h.end_headers()
    h.wfile.write(b'{"choices": [{"message": {"content": "')
    for _ in range(1200):
        h.wfile.write(b"la la la ")
        h.wfile.flush()
        time.sleep(0.1)


def html(h: BaseHTTPRequestHandler) -> None:
    send(h, 200, b"<!DOCTYPE html><html><body>Welcome to nginx!</body></html>", "text/html")


CASES: dict[str, tuple[Handler, Handler, str]] = {
    "http_500": (
        models,
        lambda h: send(h, 500, b'{"error": {"message": "CUDA out of memory"}}'),
        "answered HTTP 500 (CUDA out of memory)",
    ),
    "html_body": (html, html, "does not speak the OpenAI API: it answered text/html"),
    "wrong_key": (
        lambda h: send(h, 401, b'{"error": {"message": "Incorrect API key"}}'),
        models,
        "answered HTTP 401: the API key was refused",
    ),
    "unknown_model": (
        lambda h: models(h, ("llama-3-8b",)),
        models,
        "does not serve model 'm' (it serves llama-3-8b)",
    ),
    "endless_answer": (models, endless, "ran out of the LLM part's time limit"),
    "never_answers": (stall, stall, "ran out of the LLM part's time limit"),
}


def run_score(clip: Path, out: Path, url: str, *extra: str) -> tuple[subprocess.CompletedProcess[str], float]:
    started = time.monotonic()
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "fc_backend.cli",
            "score",
            str(clip),
            "-o",
            str(out),
            "-q",
            "--llm-base-url",
            url,
            "--llm-model",
            "m",
            "--llm-time-limit",
            "4",
            *extra,
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    return result, time.monotonic() - started


def assert_one_line_and_nothing_left(
    result: subprocess.CompletedProcess[str], cause: str, folder: Path
) -> None:
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and any(c in lines[0] for c in cause.split("|")), result.stderr
    assert lines[0].startswith("filmcomposer: error: ")
    assert list(folder.iterdir()) == [], "a staging folder or partial output was left behind"


@pytest.mark.parametrize("case", [*CASES, "closed_port"])
def test_an_unusable_endpoint_is_one_line_with_its_cause_before_any_work(case: str, clip, tmp_path) -> None:
    folder = tmp_path / "scores"
    folder.mkdir()
    if case == "closed_port":
        result, seconds = run_score(clip[0], folder / "out", closed_port())
        assert_one_line_and_nothing_left(result, "connection refused", folder)
        return
    get, post, cause = CASES[case]
    with server(get, post) as url:
        result, seconds = run_score(clip[0], folder / "out", url)
    assert_one_line_and_nothing_left(result, cause, folder)
    assert seconds < 60  # one deadline (4 s here, plus start-up on a loaded machine) bounds a 120 s stall


def test_with_llm_optional_a_dead_endpoint_costs_seconds_and_says_why(clip, tmp_path) -> None:
    started = time.monotonic()
    plain = subprocess.run(
        [sys.executable, "-m", "fc_backend.cli", "score", str(clip[0]), "-o", str(tmp_path / "plain"), "-q"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    plain_seconds = time.monotonic() - started
    assert plain.returncode == 0
    result, seconds = run_score(clip[0], tmp_path / "optional", closed_port(), "--llm-optional")
    assert result.returncode == 0, result.stderr
    warning = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(warning) == 1 and "connection refused" in warning[0] and "rules decide" in warning[0]
    assert "LLM: 0 of 11 answers used (m); cannot reach" in result.stdout
    assert seconds < plain_seconds + 15
    scheme = json.loads((tmp_path / "optional" / "scheme.json").read_text())
    assessment = json.loads((tmp_path / "optional" / "assessment.json").read_text())
    decisions = assessment["decisions"] + scheme["decisions"]
    assert len(decisions) == 11 and all(
        d["by"] == "rules" and "connection refused" in d["why"] for d in decisions
    )
    assert "Who decided" in (tmp_path / "optional" / "report.html").read_text()
    for name in ("melody.json", "plan.json"):  # the rules decided: the same score as without an endpoint
        assert (tmp_path / "optional" / name).read_text() == (tmp_path / "plain" / name).read_text()


def test_a_server_killed_mid_run_stops_the_run_with_the_cause(clip, tmp_path) -> None:
    folder = tmp_path / "scores"
    folder.mkdir()
    with fake_llm(lambda request: '{"reasoning": "fine"}') as fake:  # wrong, so the reviewer is asked again

        def kill(request: dict[str, Any]) -> str:
            fake.server.socket.close()  # the server dies while answering: no one listens from now on
            return '{"reasoning": "fine"}'

        fake.reply = kill
        result, _ = run_score(clip[0], folder / "out", fake.base_url, "--llm-time-limit", "120")
    assert len(fake.requests) == 1
    causes = "connection refused|connection broke mid-answer|connection reset by peer"
    assert_one_line_and_nothing_left(result, causes, folder)


def test_sigterm_mid_run_leaves_no_staging_folder(clip, tmp_path) -> None:
    asked = threading.Event()

    folder = tmp_path / "scores"
    folder.mkdir()
    probes = []

    def chat(h: BaseHTTPRequestHandler) -> None:
        if not probes:
            probes.append(1)
            send(h, 200, completion('{"ok": true}'))
            return
        asked.set()
        time.sleep(30)

    with server(models, chat) as url:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "fc_backend.cli",
                "score",
                str(clip[0]),
                "-o",
                str(folder / "out"),
                "-q",
                "--llm-base-url",
                url,
                "--llm-model",
                "m",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=dict(os.environ),
        )
        assert asked.wait(120), "the agents never asked"
        assert any(p.name.endswith(".partial") for p in folder.iterdir())  # staging exists mid-run
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=60)
    assert process.returncode != 0
    assert "SIGTERM" in stderr or "interrupted" in stderr
    assert list(folder.iterdir()) == []
