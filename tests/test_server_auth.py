"""CurveZMQ: known keys get in, unknown keys do not; a remote worker joins over CURVE and scores a job;
an exposed bind without keys is refused before anything is bound."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from fc_backend.demo import make_clip
from fc_backend.pipeline import ARTIFACTS
from fc_backend.server.auth import make_keys
from fc_backend.server.client import Client
from fc_backend.server.protocol import ServerError
from tests.test_server_support import SERVER_CMD, running_server, wait_for


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The server's key folder, and a stranger's folder (same layout, keys the server never allowed)."""
    base = tmp_path_factory.mktemp("keys")
    make_keys(base / "ours")
    make_keys(base / "stranger")
    (base / "stranger" / "server.key").write_bytes((base / "ours" / "server.key").read_bytes())
    return base / "ours", base / "stranger"


def test_make_keys_refuses_to_overwrite(keys: tuple[Path, Path]) -> None:
    from fc_backend.errors import InputError

    with pytest.raises(InputError, match="refusing to overwrite"):
        make_keys(keys[0])
    assert (keys[0] / "clients" / "client.key").is_file() and (keys[0] / "workers" / "worker.key").is_file()


def test_exposed_bind_without_keys_is_refused() -> None:
    run = subprocess.run([*SERVER_CMD, "serve", "--bind", "tcp://0.0.0.0:5599", "--workers", "0"],
                         capture_output=True, text=True, timeout=30)
    assert run.returncode == 2
    assert "not a loopback address" in run.stderr and "--curve-keys" in run.stderr


def test_curve_admits_known_keys_only_and_a_remote_worker_scores(keys, tmp_path: Path) -> None:
    ours, stranger = keys
    with running_server(tmp_path / "serve", "--workers", "0", "--curve-keys", str(ours),
                        "--workers-bind", "tcp://127.0.0.1:*", "--heartbeat", "0.25", "--timeout", "1.5",
                        keys=ours) as server:
        assert server.ping()["version"] == 1
        for credentials in (stranger, None):  # an unknown key, and no key at all
            with Client(server.endpoint, curve_keys=credentials, timeout=1.5) as client, \
                    pytest.raises(ServerError) as err:
                client.ping()
            assert err.value.code == "unreachable"

        # a worker with a client's key is not a worker; one with the worker key joins and works
        def join(folder: Path) -> subprocess.Popen:
            cmd = [*SERVER_CMD, "worker", "--connect", server.workers_endpoint, "--curve-keys", str(folder),
                   "--work-dir", str(tmp_path / "remote"), "--heartbeat", "0.25", "--timeout", "1.5"]
            return subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        impostor_keys = tmp_path / "impostor"
        impostor_keys.mkdir()
        (impostor_keys / "server.key").write_bytes((ours / "server.key").read_bytes())
        (impostor_keys / "worker.key_secret").write_bytes((ours / "client.key_secret").read_bytes())
        workers = [join(impostor_keys), join(ours)]
        try:
            wait_for(lambda: server.ping()["ready"] >= 1, 30, "the remote worker", step=0.2)
            clip = tmp_path / "clip.mp4"
            make_clip(clip, [24, 24, 24], fps=24, size=(160, 90))
            with Client(server.endpoint, curve_keys=ours, timeout=10) as client:
                result = client.score(clip, tmp_path / "out")
            assert server.ping()["workers"] == 1  # the impostor never registered
            assert set(ARTIFACTS) <= {f["name"] for f in result["files"]}
            assert (tmp_path / "out" / "master.wav").stat().st_size > 1000
        finally:
            for worker in workers:
                worker.terminate()
            for worker in workers:
                worker.wait(10)
        assert not list((tmp_path / "remote").glob("worker-*"))  # workers clean up after themselves


if sys.platform != "linux":  # the helpers read /proc
    pytestmark = pytest.mark.skip(reason="Linux only")
