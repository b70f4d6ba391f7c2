"""`filmcomposer serve --notify-osc HOST:PORT`: a finished job is announced over OSC (loopback here)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

pythonosc = pytest.importorskip("pythonosc")
from pythonosc.dispatcher import Dispatcher  # noqa: E402
from pythonosc.osc_server import ThreadingOSCUDPServer  # noqa: E402

from fc_backend.errors import InputError  # noqa: E402
from fc_backend.server.notify import ADDRESS, parse_target  # noqa: E402

_CLI = Path(sys.executable).with_name("filmcomposer")
FILMCOMPOSER = [str(_CLI)] if _CLI.is_file() else [sys.executable, "-m", "fc_backend.cli"]


def _free_tcp_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("text,expected", [("127.0.0.1:9000", ("127.0.0.1", 9000)),
                                           ("reaper.local:8000", ("reaper.local", 8000)),
                                           ("[::1]:9001", ("::1", 9001))])
def test_parse_target(text: str, expected: tuple[str, int]) -> None:
    assert parse_target(text) == expected


@pytest.mark.parametrize("text", ["9000", "host:", "host:0", "host:70000", ":9000", "host:port"])
def test_parse_target_refuses_what_is_not_host_port(text: str) -> None:
    with pytest.raises(InputError, match="--notify-osc"):
        parse_target(text)


def test_a_finished_job_is_announced_over_osc(scored, tmp_path: Path) -> None:
    received: list[tuple] = []
    arrived = threading.Event()
    dispatcher = Dispatcher()
    dispatcher.map(ADDRESS, lambda address, *args: (received.append((address, *args)), arrived.set()))
    osc = ThreadingOSCUDPServer(("127.0.0.1", 0), dispatcher)
    threading.Thread(target=osc.serve_forever, daemon=True).start()
    endpoint = f"tcp://127.0.0.1:{_free_tcp_port()}"
    out = tmp_path / "out"
    shutil.copytree(scored.out_dir, out)
    backend = subprocess.Popen([*FILMCOMPOSER, "serve", "--bind", endpoint, "--workers", "1",
                                "--work-dir", str(tmp_path / "work"),
                                "--notify-osc", f"127.0.0.1:{osc.server_address[1]}"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        request = subprocess.run([*FILMCOMPOSER, "request", "--server", endpoint, "--timeout", "60", "-q",
                                  "reroll", str(out), "--from", "1.0", "--to", "3.0"],
                                 capture_output=True, text=True, timeout=180)
        assert request.returncode == 0, request.stderr
        assert arrived.wait(10), "no OSC notice arrived"
    finally:
        backend.terminate()
        backend.wait(timeout=30)
        osc.shutdown()
        osc.server_close()
    ((address, job, kind, state, detail),) = received
    assert (address, kind, state) == (ADDRESS, "reroll", "done")
    assert len(job) >= 8 and detail.endswith("files") and int(detail.split()[0]) > 0


def test_serve_refuses_a_bad_notify_target_before_binding(tmp_path: Path) -> None:
    result = subprocess.run([*FILMCOMPOSER, "serve", "--bind", f"tcp://127.0.0.1:{_free_tcp_port()}",
                             "--notify-osc", "nowhere"], capture_output=True, text=True, timeout=60)
    assert result.returncode != 0 and "--notify-osc" in result.stderr
