"""Score jobs through a real backend: concurrent clients, clients and workers killed mid-job."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import pytest

from fc_backend.demo import make_clip
from fc_backend.pipeline import ARTIFACTS
from fc_backend.server.client import Client
from fc_backend.server.protocol import ServerError
from fc_backend.server.transfer import sha256_file
from tests.test_server_support import (
    descendants,
    events,
    read_events_until,
    request,
    running_server,
    wait_for,
)

pytestmark = pytest.mark.skipif(not Path("/proc").is_dir(), reason="process checks read /proc")

PIPELINE_STAGES = {"spot", "compose", "assess", "notate", "arrange", "plan", "realize"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("serve")
    # 4 s of silence loses a client: 16 missed heartbeats, room for eight clients and two jobs on two
    # busy cores (1.5 s lost a live client once), and still well inside the 10 s a killed one is given
    with running_server(folder, "--workers", "2", "--heartbeat", "0.25", "--timeout", "4",
                        "--max-duration", "45", ready=2) as server:
        yield server


@pytest.fixture(scope="module")
def long_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """40 s at 160x90: a few seconds of work, long enough to kill something in the middle of it."""
    path = tmp_path_factory.mktemp("long") / "long.mp4"
    make_clip(path, [120] * 8, fps=24, size=(160, 90))
    return path


def _steady_processes(server) -> int:  # noqa: ANN001
    """Processes under the broker once every local worker has a job process again."""
    return len(descendants(server.proc.pid))


def test_eight_concurrent_clients_get_their_own_correct_artifacts(server, tmp_path: Path) -> None:
    clips = []
    for i in range(8):  # a different cut pattern each, so a mix-up between clients shows
        path = tmp_path / f"clip{i}.mp4"
        clips.append((path, make_clip(path, [20 + 4 * i, 28, 24], fps=24, size=(160, 90))))
    procs = [request(server.endpoint, "score", str(path), "-o", str(tmp_path / f"out{i}"), "--seed", str(i))
             for i, (path, _) in enumerate(clips)]
    outputs = [proc.communicate(timeout=180) for proc in procs]

    for i, ((clip, cuts), proc, (stdout, stderr)) in enumerate(zip(clips, procs, outputs, strict=True)):
        assert proc.returncode == 0, stderr
        result = events(stdout)[-1]
        assert result["event"] == "result"
        out = tmp_path / f"out{i}"
        names = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
        assert set(ARTIFACTS) <= names
        assert any(name.startswith("stems/") and name.endswith(".wav") for name in names)
        assert sha256_file(out / "video.mp4") == sha256_file(clip)  # the project's clip, beside it
        spotting = json.loads((out / "spotting.json").read_text())
        found = [shot["start"] for shot in spotting["shots"][1:]]
        assert found == pytest.approx(cuts, abs=1 / 24 + 1e-6), f"client {i} got another clip's score"
        assert 'FILE "video.mp4"' in (out / "project.rpp").read_text()
    assert not list(tmp_path.glob(".out*.partial"))
    wait_for(lambda: server.job_dirs() == [], 10, "released jobs' folders to be removed")

    # the server runs the very pipeline `filmcomposer score` runs: same clip and seed, same melody
    from fc_backend.config import Config
    from fc_backend.pipeline import score

    local = score(clips[3][0], tmp_path / "local", Config(seed=3), show_progress=False)
    remote = json.loads((tmp_path / "out3" / "melody.json").read_text())
    assert remote == json.loads((local.out_dir / "melody.json").read_text())


def test_killed_clients_mid_upload_and_mid_job_leave_nothing(server, long_clip: Path, tmp_path: Path) -> None:
    steady = _steady_processes(server)
    small = tmp_path / "small.mp4"
    make_clip(small, [24, 24, 24], fps=24, size=(160, 90))

    # mid-upload: a client process that announces 5 MB, sends one chunk and is killed
    uploader = _partial_uploader(server.endpoint)
    job_upload = json.loads(uploader.stdout.readline())["job"]
    assert server.job_dirs(), "the upload should have a job folder on the broker"

    # mid-job: a real bridge killed once the pipeline is running; another client alongside must finish
    victim = request(server.endpoint, "score", str(long_clip), "-o", str(tmp_path / "victim"))
    other = request(server.endpoint, "score", str(small), "-o", str(tmp_path / "other"))
    seen = read_events_until(victim, lambda e: e.get("stage") in PIPELINE_STAGES, timeout=60)
    job_victim = seen[0]["job"]
    with Client(server.endpoint, timeout=5) as client:
        assert client.status(job_upload)["state"] == "uploading"
        assert client.status(job_victim)["state"] == "running"
    for proc in (uploader, victim):
        proc.send_signal(signal.SIGKILL)
        proc.wait()

    with Client(server.endpoint, timeout=5) as client:
        for job in (job_upload, job_victim):
            def ended(job: str = job) -> dict | None:
                status = client.status(job)
                return status if status["state"] in ("cancelled", "failed", "done") else None
            status = wait_for(ended, 10, "the job to end")
            assert status["state"] == "cancelled" and status["code"] == "client_lost"
    stdout, stderr = other.communicate(timeout=60)
    assert other.returncode == 0, stderr
    assert events(stdout)[-1]["event"] == "result"
    assert (tmp_path / "other" / "master.wav").is_file()
    assert not (tmp_path / "victim").exists() and not list(tmp_path.glob(".victim*"))
    wait_for(lambda: server.job_dirs() == [], 10, "job folders to be removed")
    wait_for(lambda: _steady_processes(server) == steady, 20, "the worker's job process to be replaced")


def test_worker_killed_mid_job_is_retried_once_then_reported(server, long_clip: Path, tmp_path: Path) -> None:
    steady = _steady_processes(server)
    proc = request(server.endpoint, "score", str(long_clip), "-o", str(tmp_path / "out"))
    job = read_events_until(proc, lambda e: e.get("stage") in PIPELINE_STAGES, timeout=60)[0]["job"]
    _kill_worker_of(server, job)
    read_events_until(proc, lambda e: e.get("stage") == "retry", timeout=20)
    read_events_until(proc, lambda e: e.get("stage") in PIPELINE_STAGES, timeout=60)
    _kill_worker_of(server, job)  # the retry's worker dies too: now the job fails, with one error
    stdout, _ = proc.communicate(timeout=30)
    assert proc.returncode == 2
    final = events(stdout)
    assert [e["event"] for e in final] == ["error"] and final[0]["code"] == "worker_lost"
    assert not (tmp_path / "out").exists()

    assert server.ping()["version"] == 1  # still serving, and scoring again once workers are back
    wait_for(lambda: server.ping()["ready"] == 2, 30, "replacement workers", step=0.2)
    with Client(server.endpoint, timeout=10) as client:
        small = tmp_path / "small.mp4"
        make_clip(small, [24, 24, 24], fps=24, size=(160, 90))
        result = client.score(small, tmp_path / "after")
    assert result["attempts"] == 1 and (tmp_path / "after" / "plan.json").is_file()
    wait_for(lambda: server.job_dirs() == [], 10, "job folders to be removed")
    assert len(list(server.work.glob("workers/worker-*"))) == 2  # the killed workers' folders are gone
    wait_for(lambda: _steady_processes(server) == steady, 20, "processes back to steady state")


def test_clip_longer_than_the_cap_is_refused_with_a_clear_error(server, tmp_path: Path) -> None:
    clip = tmp_path / "too_long.mp4"
    make_clip(clip, [24 * 48], fps=24, size=(160, 90))
    with Client(server.endpoint, timeout=10) as client, pytest.raises(ServerError) as err:
        client.score(clip, tmp_path / "out")
    assert err.value.code == "input" and "at most 45 s" in err.value.message
    assert not (tmp_path / "out").exists()


def _kill_worker_of(server, job: str) -> None:  # noqa: ANN001
    with Client(server.endpoint, timeout=5) as client:
        worker = wait_for(lambda: client.status(job).get("worker"), 10, "the job's worker")
    pid = int(worker.rsplit(":", 1)[1])
    assert pid in descendants(server.proc.pid)
    os.kill(pid, signal.SIGKILL)


_UPLOADER = """
import json, sys, time, zmq
sock = zmq.Context().socket(zmq.DEALER)
from fc_backend.server.auth import keys_for, secure_client
secure_client(sock, keys_for(sys.argv[1], None), "client")  # this user's keys, as request uses
sock.connect(sys.argv[1])
sock.send_multipart([json.dumps({"v": 1, "op": "score", "video": {"size": 5000000, "suffix": ".mp4"},
                                 "options": {}}).encode()])
job = json.loads(sock.recv_multipart()[0])["job"]
import hashlib
data = bytes(1 << 20)
sock.send_multipart([json.dumps({"v": 1, "op": "chunk", "job": job, "name": "video", "offset": 0,
                                 "sha256": hashlib.sha256(data).hexdigest()}).encode(), data])
while json.loads(sock.recv_multipart()[0])["op"] != "chunk_ok":
    pass
print(json.dumps({"job": job}), flush=True)
while True:  # alive and connected, just slow: only the kill makes it vanish
    sock.send_multipart([json.dumps({"v": 1, "op": "heartbeat"}).encode()])
    time.sleep(0.2)
"""


def _partial_uploader(endpoint: str):  # noqa: ANN202
    import subprocess
    import sys

    return subprocess.Popen([sys.executable, "-c", _UPLOADER, endpoint], stdout=subprocess.PIPE, text=True)
