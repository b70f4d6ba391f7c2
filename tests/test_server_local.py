"""`filmcomposer request` with no --server starts a loopback backend on demand and reuses it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
from pathlib import Path

import pytest

from tests.test_server_support import SERVER_CMD, alive, descendants, wait_for

pytestmark = pytest.mark.skipif(not Path("/proc").is_dir(), reason="process checks read /proc")


def test_request_starts_a_local_backend_on_demand_and_reuses_it(tmp_path: Path) -> None:
    ping = [*SERVER_CMD, "request", "--progress-json", "ping"]
    env = {**os.environ, "FC_RUNTIME_DIR": str(tmp_path / "run")}
    first = subprocess.run(ping, capture_output=True, text=True, timeout=60, env=env)
    state = json.loads((tmp_path / "run" / "backend.json").read_text())
    try:
        assert first.returncode == 0, first.stderr
        assert json.loads(first.stdout)["event"] == "pong"
        assert state["endpoint"].startswith("tcp://127.0.0.1:")
        second = subprocess.run(ping, capture_output=True, text=True, timeout=60, env=env)
        assert second.returncode == 0, second.stderr
        assert json.loads((tmp_path / "run" / "backend.json").read_text())["pid"] == state["pid"]  # reused
        # the broker, its local worker and the worker's job process
        wait_for(lambda: len(descendants(state["pid"])) >= 2, 30, "the local worker and its job process")
    finally:
        tree = descendants(state["pid"]) | {state["pid"]}
        os.kill(state["pid"], signal.SIGTERM)
        wait_for(lambda: not any(alive(pid) for pid in tree), 15, "the local backend and its workers to stop")
    assert not (tmp_path / "run" / "backend.json").exists()
