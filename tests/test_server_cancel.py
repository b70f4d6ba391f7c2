"""A cancel ends the job, never the worker (issue 14, case 5).

Cancelling a running job used to kill the worker (`OSError: handle is closed`), and a standalone
worker then left the broker believing in a worker that was gone. Here 20 jobs are cancelled in a row
at random moments (uploading, queued, running) on a broker with one local and one standalone
worker; both workers must live on, unreplaced, and serve the next jobs.
"""

from __future__ import annotations

import hashlib
import random
import subprocess
import threading
import time
from pathlib import Path

import pytest

from fc_backend.demo import make_clip
from fc_backend.server.client import Client
from tests.test_server_support import SERVER_CMD, alive, descendants, running_server, wait_for

pytestmark = pytest.mark.skipif(not Path("/proc").is_dir(), reason="process checks read /proc")

CANCELS = 20


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    """A broker with one local worker and one standalone `filmcomposer worker --connect`."""
    folder = tmp_path_factory.mktemp("serve")
    with running_server(folder, "--workers", "1", "--workers-bind", "tcp://127.0.0.1:*",
                        "--heartbeat", "0.25", "--timeout", "3", ready=1) as server:
        cmd = [*SERVER_CMD, "worker", "--connect", server.workers_endpoint,
               "--work-dir", str(folder / "remote"), "--heartbeat", "0.25", "--timeout", "3"]
        with open(folder / "remote.log", "wb") as log:
            remote = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stderr=log)
        try:
            wait_for(lambda: server.ping()["ready"] == 2, 30, "the standalone worker to join", step=0.2)
            server.remote = remote
            yield server
        finally:
            remote.terminate()
            remote.wait(10)


def _worker_pids(server) -> set[int]:  # noqa: ANN001
    """The worker processes: the broker's local one and the standalone one (not their job processes)."""
    local = {pid for pid in descendants(server.proc.pid)
             if b"worker\0--connect" in Path(f"/proc/{pid}/cmdline").read_bytes()}
    return local | {server.remote.pid}


def _cancel_while_uploading(client: Client, clip: Path) -> str:
    size = clip.stat().st_size
    accepted = client._call({"op": "score", "video": {"size": size + (1 << 20), "suffix": ".mp4"},
                             "options": {}}, "accepted")
    data = clip.read_bytes()
    client._send({"op": "chunk", "job": accepted["job"], "name": "video", "offset": 0,
                  "sha256": hashlib.sha256(data).hexdigest()}, data)
    return accepted["job"]


def test_twenty_cancels_at_random_moments_leave_both_workers_serving(server, tmp_path: Path) -> None:
    clip = tmp_path / "clip.mp4"
    make_clip(clip, [48, 36, 60], fps=24, size=(160, 90))
    workers = _worker_pids(server)
    assert len(workers) == 2
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    states = []
    with Client(server.endpoint, timeout=10) as client:
        for _ in range(CANCELS):
            if rng.random() < 0.2:
                job = _cancel_while_uploading(client, clip)
            else:
                job = client.submit(clip)
                time.sleep(rng.uniform(0.0, 1.5))  # queued, starting, or into the pipeline
            states.append(client.status(job)["state"])
            assert client.cancel(job)["op"] == "cancelled"
            assert client.status(job)["state"] == "cancelled"
    assert {"uploading", "running"} <= set(states), f"seed {seed}: moments hit only {set(states)}"

    wait_for(lambda: server.ping()["ready"] == 2, 30, "both workers to be ready again", step=0.2)
    assert server.ping()["workers"] == 2
    assert _worker_pids(server) == workers, f"seed {seed}: a worker died and was replaced"
    assert all(alive(pid) for pid in workers)

    # the next jobs: two at once, so both the local and the standalone worker must serve one
    results: dict[int, dict] = {}

    def score(i: int) -> None:
        with Client(server.endpoint, timeout=30) as c:
            results[i] = c.score(clip, tmp_path / f"out{i}", seed=i)
    threads = [threading.Thread(target=score, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(180)
    assert sorted(results) == [0, 1], f"seed {seed}: the next jobs were not served"
    assert len({r["worker"] for r in results.values()}) == 2, "one worker no longer takes jobs"
    assert all((tmp_path / f"out{i}" / "master.wav").is_file() for i in range(2))
    wait_for(lambda: server.job_dirs() == [], 10, "cancelled jobs' folders to be removed")
