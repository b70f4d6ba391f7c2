"""Re-roll through the backend, and a broker with one local and one remote worker serving two clients.

The two score jobs run at once on different workers; their folders are then re-rolled through the
service, which must change only the notes of the asked measures, rewrite what follows from them and
leave every other file of OUT (the clip above all) as it was.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
from pathlib import Path

import pytest

from fc_backend.compose.reroll import region_measures
from fc_backend.config import Config
from fc_backend.demo import make_clip
from fc_backend.model import Melody
from fc_backend.pipeline import reroll
from fc_backend.scorefolder import MANIFEST
from fc_backend.server.client import Client
from fc_backend.server.transfer import sha256_file
from tests.test_server_support import SERVER_CMD, descendants, events, request, running_server, wait_for

pytestmark = pytest.mark.skipif(not Path("/proc").is_dir(), reason="process checks read /proc")

PIPELINE_STAGES = ("compose", "assess", "notate", "arrange", "plan", "realize", "report")
SPAN = (6.0, 8.0)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    """A broker with one local worker and one remote worker that joined through --workers-bind."""
    folder = tmp_path_factory.mktemp("serve")
    with running_server(folder, "--workers", "1", "--workers-bind", "tcp://127.0.0.1:*",
                        "--heartbeat", "0.25", "--timeout", "1.5", "--max-duration", "45", ready=1) as server:
        cmd = [*SERVER_CMD, "worker", "--connect", server.workers_endpoint,
               "--work-dir", str(folder / "remote"), "--heartbeat", "0.25", "--timeout", "1.5"]
        remote = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_for(lambda: server.ping()["ready"] == 2, 30, "the remote worker to join", step=0.2)
            server.remote = remote
            yield server
        finally:
            remote.terminate()
            remote.wait(10)


@pytest.fixture(scope="module")
def scored(server, tmp_path_factory: pytest.TempPathFactory) -> dict:  # noqa: ANN001
    """Two clips scored at the same time by two clients: the results and their OUT folders."""
    base = tmp_path_factory.mktemp("scored")
    jobs = {}
    for name, cuts in (("a", [72, 96, 60, 60]), ("b", [60, 48, 96])):
        make_clip(base / f"{name}.mp4", cuts, fps=24, size=(160, 90))
        jobs[name] = {"clip": base / f"{name}.mp4", "out": base / f"out_{name}"}

    def run(job: dict) -> None:
        try:
            with Client(server.endpoint, timeout=30) as client:
                job["result"] = client.score(job["clip"], job["out"], seed=3)
        except Exception as err:  # noqa: BLE001 - the test reports it
            job["error"] = err
    threads = [threading.Thread(target=run, args=(job,)) for job in jobs.values()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    return jobs


def test_two_jobs_run_on_a_local_and_a_remote_worker_at_once(server, scored: dict) -> None:
    assert [job.get("error") for job in scored.values()] == [None, None]
    pids = {int(job["result"]["worker"].rsplit(":", 1)[1]) for job in scored.values()}
    local = descendants(server.proc.pid)
    assert len(pids) == 2, "both jobs ran on the same worker"
    assert server.remote.pid in pids and len(pids & local) == 1
    for job in scored.values():
        assert (job["out"] / "master.wav").is_file()
        assert sha256_file(job["out"] / "video.mp4") == sha256_file(job["clip"])


def _snapshot(folder: Path) -> dict[str, tuple[str, int]]:
    """Every file of `folder`: its SHA-256 and its modification time (ns)."""
    return {p.relative_to(folder).as_posix(): (sha256_file(p), p.stat().st_mtime_ns)
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _notes_by_side(melody: Melody, first: int, last: int) -> tuple[list[dict], list[dict]]:
    tm = melody.tempo_map
    inside = [n.to_dict() for n in melody.notes if first <= tm.measure_at(n.start + 1e-9) <= last]
    outside = [n.to_dict() for n in melody.notes if not first <= tm.measure_at(n.start + 1e-9) <= last]
    return outside, inside


def test_reroll_through_the_service_rewrites_only_what_follows_from_the_span(server, scored: dict,
                                                                            tmp_path: Path) -> None:
    out = tmp_path / "out"
    shutil.copytree(scored["a"]["out"], out)
    (out / "my notes.txt").write_text("the composer's own file")
    before = _snapshot(out)
    melody_before = Melody.load(out / "melody.json")
    plan_before = json.loads((out / "plan.json").read_text())

    proc = request(server.endpoint, "reroll", str(out), "--from", str(SPAN[0]), "--to", str(SPAN[1]),
                   "--seed", "11")
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 0, stderr
    seen = events(stdout)
    assert seen[0]["event"] == "accepted" and seen[-1]["event"] == "result"
    stages = [e["stage"] for e in seen if e["event"] == "progress"]
    assert stages[0] == "upload" and stages[-1] == "download"
    assert set(PIPELINE_STAGES) - {"arrange"} <= set(stages)  # the arrangement stays: same players
    rewritten = set(seen[-1]["files"])

    after = _snapshot(out)
    assert {"melody.json", "plan.json", "master.wav", "report.html", "project.rpp"} <= rewritten
    assert not rewritten & {"video.mp4", "spotting.json", "my notes.txt"}
    for name, (digest, mtime) in before.items():
        if name not in rewritten and not name.startswith("stems/") and name != MANIFEST:  # ours, updated
            assert after[name] == (digest, mtime), f"{name} was touched"
    for name in ("melody.json", "plan.json", "master.wav"):
        assert after[name][0] != before[name][0]
    assert after["scheme.json"][0] == before["scheme.json"][0], "a re-roll keeps the arrangement"
    # stems/ is replaced as a whole, as `filmcomposer reroll` does (the arrangement may name other tracks)
    assert {n for n in after if n.startswith("stems/")} == {n for n in rewritten if n.startswith("stems/")}
    assert set(after) - set(before) <= rewritten

    melody = Melody.load(out / "melody.json")
    first, last = region_measures(melody_before, *SPAN)
    kept_before, inside_before = _notes_by_side(melody_before, first, last)
    kept_after, inside_after = _notes_by_side(melody, first, last)
    assert kept_after == kept_before, "notes outside the re-rolled measures are bit-identical"
    assert inside_after and inside_after != inside_before
    assert melody.seed == 11
    plan = json.loads((out / "plan.json").read_text())
    assert plan["video"] == plan_before["video"] == "video.mp4" and plan != plan_before
    assert 'FILE "video.mp4"' in (out / "project.rpp").read_text()
    page = (out / "report.html").read_text()
    assert "Stills from video.mp4" in page and 'class="thumb"' in page  # the clip went along for them
    assert not list(tmp_path.glob(".out*.partial"))
    wait_for(lambda: server.job_dirs() == [], 10, "job folders to be removed")

    # the very re-roll `filmcomposer reroll` makes on the folder itself
    local = tmp_path / "local"
    shutil.copytree(scored["a"]["out"], local)
    reroll(local, *SPAN, Config(), seed=11, show_progress=False)
    assert (local / "melody.json").read_text() == (out / "melody.json").read_text()
    assert (local / "plan.json").read_text() == (out / "plan.json").read_text()


def test_a_span_outside_the_clip_is_one_error_and_out_is_untouched(server, scored: dict,
                                                                    tmp_path: Path) -> None:
    out = tmp_path / "out"
    shutil.copytree(scored["b"]["out"], out)
    before = _snapshot(out)
    proc = request(server.endpoint, "reroll", str(out), "--from", "50", "--to", "60")
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 2
    seen = events(stdout)
    assert [e["event"] for e in seen if e["event"] not in ("progress", "accepted", "queued")] == ["error"]
    assert seen[-1]["code"] == "input" and "not inside the clip" in seen[-1]["message"]
    assert "not inside the clip" in stderr.strip().splitlines()[-1]
    assert _snapshot(out) == before
    wait_for(lambda: server.job_dirs() == [], 10, "job folders to be removed")


@pytest.mark.parametrize(("remove", "span", "expected"), [
    ("melody.json", ("1", "2"), "melody.json: missing"),
    (None, ("5", "2"), "must satisfy 0 <= FROM <= TO"),
])
def test_a_missing_file_or_a_reversed_span_stops_the_request_before_any_upload(
        scored: dict, tmp_path: Path, remove: str | None, span: tuple[str, str], expected: str) -> None:
    out = tmp_path / "out"
    shutil.copytree(scored["b"]["out"], out)
    if remove:
        (out / remove).unlink()
    # nothing listens there: had the bridge tried to send anything, it would say "unreachable"
    cmd = [*SERVER_CMD, "request", "--server", "tcp://127.0.0.1:9", "--timeout", "30", "reroll", str(out),
           "--from", span[0], "--to", span[1]]
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    assert run.returncode == 2
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0] and "unreachable" not in lines[0]
