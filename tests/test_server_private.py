"""Local means the user's own (issue 14, cases 2 and 3).

The runtime folder in the shared temp dir could be made first by another user (0777, `backend.lock`
a symlink to one of our files, a planted `backend.json`); it is now checked on every use and files
in it are opened without following symlinks. And the loopback backend no longer serves whoever can
reach the port: with no flags it takes only this user's own keys, so a second local user (`nobody`,
via runuser, when the tests run as root) can neither ping, submit nor cancel; `--insecure` alone
opens that door.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

import fc_backend
from fc_backend.demo import make_clip
from fc_backend.server.client import Client
from tests.test_server_support import SERVER_CMD, alive, descendants, running_server, wait_for

pytestmark = pytest.mark.skipif(os.name != "posix" or not Path("/proc").is_dir(),
                                reason="owners, modes and symlinks as POSIX has them; processes in /proc")

NOBODY = 65534
AS_ROOT = os.getuid() == 0 and shutil.which("runuser") is not None
CODE = str(Path(fc_backend.__file__).resolve().parent.parent)


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("FC_RUNTIME_DIR", "XDG_RUNTIME_DIR", "TMPDIR")}
    return {**env, "PYTHONPATH": CODE, **extra}


def _request(*args: str, env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*SERVER_CMD, "request", *args], capture_output=True, text=True, env=env,
                          timeout=timeout)


# -- the runtime folder --------------------------------------------------------------------------------


@pytest.mark.parametrize("owner", ["another user", "us, but open to all"])
def test_a_premade_runtime_folder_is_refused_and_the_lock_target_untouched(tmp_path: Path,
                                                                           owner: str) -> None:
    if owner == "another user" and os.getuid() != 0:
        pytest.skip("making a folder owned by another user needs root")
    temp = tmp_path / "tmp"
    temp.mkdir()
    planted = temp / f"filmcomposer-{os.getuid()}"
    planted.mkdir()
    victim = tmp_path / "my_thesis.txt"
    victim.write_text("three years of work\n")
    (planted / "backend.lock").symlink_to(victim)
    (planted / "backend.json").write_text(json.dumps({"endpoint": "tcp://127.0.0.1:9", "pid": os.getpid(),
                                                      "version": 1}))
    planted.chmod(0o777)
    if owner == "another user":
        os.lchown(planted, NOBODY, NOBODY)

    run = _request("--timeout", "2", "ping", env=_env(TMPDIR=str(temp)))
    assert run.returncode == 2
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and str(planted) in lines[0] and "FC_RUNTIME_DIR" in lines[0], run.stderr
    assert victim.read_text() == "three years of work\n"
    assert sorted(p.name for p in planted.iterdir()) == ["backend.json", "backend.lock"]


def test_a_symlinked_lock_file_is_refused_and_its_target_untouched(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    run_dir.mkdir(mode=0o700)
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me\n")
    (run_dir / "backend.lock").symlink_to(victim)
    run = _request("--timeout", "2", "ping", env=_env(FC_RUNTIME_DIR=str(run_dir)))
    assert run.returncode == 2
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and "backend.lock" in lines[0] and "symbolic link" in lines[0], run.stderr
    assert victim.read_text() == "keep me\n"
    assert not (run_dir / "backend.json").exists()  # no backend was started


def test_a_symlinked_runtime_folder_is_refused(tmp_path: Path) -> None:
    real = tmp_path / "elsewhere"
    real.mkdir(mode=0o700)
    (tmp_path / "run").symlink_to(real)
    run = _request("ping", env=_env(FC_RUNTIME_DIR=str(tmp_path / "run")))
    assert run.returncode == 2 and "symbolic link" in run.stderr and "FC_RUNTIME_DIR" in run.stderr
    assert list(real.iterdir()) == []


# -- another local user ----------------------------------------------------------------------------------


@pytest.fixture()
def nobody_home() -> Iterator[Path]:
    """A folder `nobody` owns (outside pytest's 0700 temp tree, which nobody cannot enter)."""
    if not AS_ROOT:
        pytest.skip("a second local user is played by nobody via runuser, which needs root")
    if not os.access(CODE, os.R_OK) or (os.stat(CODE).st_mode & 0o005) != 0o005 or \
            (os.stat(sys.executable).st_mode & 0o005) != 0o005:
        pytest.skip(f"nobody cannot read the code in {CODE} or run {sys.executable}")
    home = Path(tempfile.mkdtemp(prefix="fc-nobody-"))
    os.chown(home, NOBODY, NOBODY)
    try:
        yield home
    finally:
        shutil.rmtree(home, ignore_errors=True)


def _as_nobody(home: Path, *args: str, insecure: bool = False) -> subprocess.CompletedProcess[str]:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONPATH": CODE, "HOME": str(home),
           "FC_RUNTIME_DIR": str(home / "run")}
    cmd = ["runuser", "-u", "nobody", "--", "env", "-i", *(f"{k}={v}" for k, v in env.items()),
           *SERVER_CMD, "request", *(["--insecure"] if insecure else []), *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60)


@pytest.fixture()
def on_demand(tmp_path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    """This user's on-demand backend, started the way the REAPER actions start it: `request` alone."""
    env = _env(FC_RUNTIME_DIR=str(tmp_path / "run"))
    first = _request("--progress-json", "ping", env=env)
    assert first.returncode == 0, first.stderr
    state = json.loads((tmp_path / "run" / "backend.json").read_text())
    try:
        yield state["endpoint"], env
    finally:
        tree = descendants(state["pid"]) | {state["pid"]}
        os.kill(state["pid"], signal.SIGTERM)
        wait_for(lambda: not any(alive(pid) for pid in tree), 15, "the local backend to stop")


def test_another_local_user_cannot_ping_submit_or_cancel(on_demand, nobody_home: Path,
                                                         tmp_path: Path) -> None:
    endpoint, env = on_demand
    # the same user: no flags, by the runtime folder or by --server tcp://127.0.0.1:PORT
    assert _request("ping", env=env).returncode == 0
    mine = _request("--server", endpoint, "ping", env=env)
    assert mine.returncode == 0, mine.stderr

    clip = nobody_home / "clip.mp4"
    make_clip(clip, [48, 48, 48, 48], fps=24, size=(160, 90))
    os.chown(clip, NOBODY, NOBODY)
    theirs = _as_nobody(nobody_home, "--server", endpoint, "--timeout", "2", "ping")
    assert theirs.returncode == 2 and "unreachable" in theirs.stderr, theirs.stderr
    submit = _as_nobody(nobody_home, "--server", endpoint, "--timeout", "2", "score", str(clip),
                        "-o", str(nobody_home / "out"))
    assert submit.returncode == 2 and "unreachable" in submit.stderr, submit.stderr
    assert not (nobody_home / "out").exists()

    # our job runs on; their cancel of it (id and all) does not reach the backend
    events: list[dict] = []
    result: dict = {}

    def score() -> None:
        with Client(endpoint, timeout=30, curve_keys=Path(env["FC_RUNTIME_DIR"]) / "keys") as client:
            result.update(client.score(clip, tmp_path / "out", on_event=events.append))
    thread = threading.Thread(target=score)
    thread.start()
    job = wait_for(lambda: next((e["job"] for e in events if e["event"] == "accepted"), None), 30, "our job")
    cancel = _as_nobody(nobody_home, "--server", endpoint, "--timeout", "2", "cancel", job)
    thread.join(120)
    assert cancel.returncode == 2 and "unreachable" in cancel.stderr, cancel.stderr
    assert result.get("job") == job and (tmp_path / "out" / "master.wav").is_file()


def test_insecure_is_the_one_door_opener(nobody_home: Path, tmp_path: Path) -> None:
    with running_server(tmp_path / "serve", "--workers", "0", insecure=True) as server:
        # opened on purpose: now anyone local gets in, and a client must say it expects no keys
        theirs = _as_nobody(nobody_home, "--server", server.endpoint, "--timeout", "5", "ping", insecure=True)
        assert theirs.returncode == 0, theirs.stderr
        with Client(server.endpoint, timeout=5, insecure=True) as client:
            assert client.ping()["version"] == 1
