"""Fair limits (issue 14, case 3): one client cannot hold every slot, a stalled upload lets go of its
slot, and ping says what is uploading, queued and running.

One client used to announce 16 uploads of 2 GB, never finish them, and so hold the whole queue:
everyone else got `busy` while ping said 0 queued.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from fc_backend.demo import make_clip
from fc_backend.server import protocol as p
from fc_backend.server.client import Client
from fc_backend.server.protocol import ServerError
from tests.test_server_support import running_server, wait_for

pytestmark = pytest.mark.skipif(not Path("/proc").is_dir(), reason="process checks read /proc")

STALL = 3.0


def _announce(client: Client, size: int = 2_000_000_000) -> dict:
    """A score upload announced and never sent: the reply (accepted, or the error)."""
    try:
        return client._call({"op": "score", "video": {"size": size, "suffix": ".mp4"}, "options": {}},
                            "accepted")
    except ServerError as err:
        return {"op": "error", "code": err.code, "message": err.message}


@contextmanager
def _alive_but_stalled(client: Client) -> Iterator[None]:
    """Heartbeats only, from a thread (the only user of `client` meanwhile): there, but not uploading."""
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(0.25):
            client._send({"op": "heartbeat"})
    thread = threading.Thread(target=beat)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def test_sixteen_stalled_uploads_from_one_client_do_not_block_another(tmp_path: Path) -> None:
    clip = tmp_path / "clip.mp4"
    make_clip(clip, [36, 36], fps=24, size=(160, 90))
    with running_server(tmp_path / "serve", "--workers", "1", "--heartbeat", "0.25", "--timeout", "3",
                        "--upload-timeout", str(STALL), ready=1) as server, \
            Client(server.endpoint, timeout=10) as hog:
        replies = [_announce(hog) for _ in range(16)]
        accepted = [r for r in replies if r["op"] == "accepted"]
        refused = [r for r in replies if r["op"] == "error"]
        assert len(accepted) == 2 and len(refused) == 14
        assert all(r["code"] == p.BUSY and "this client" in r["message"] for r in refused)
        load = server.ping()
        assert (load["uploading"], load["queued"], load["running"]) == (2, 0, 0)

        with _alive_but_stalled(hog):
            # another client is served meanwhile, from upload to result
            with Client(server.endpoint, timeout=30) as other:
                result = other.score(clip, tmp_path / "out")
            assert (tmp_path / "out" / "master.wav").is_file() and result["summary"]["shots"] == 2
            # the hog's uploads stall: dropped after the timeout, their slots free again
            wait_for(lambda: server.ping()["uploading"] == 0, STALL + 10, "the stalled uploads to be dropped",
                     step=0.25)
        statuses = [hog.status(r["job"]) for r in accepted]
        assert all(s["state"] == "failed" and s["code"] == p.TIMEOUT and "stalled" in s["message"]
                   for s in statuses), statuses
        assert _announce(hog)["op"] == "accepted"  # a slot is free for it again


def test_queued_jobs_are_capped_per_client_and_ping_counts_them(tmp_path: Path) -> None:
    clip = tmp_path / "clip.mp4"
    make_clip(clip, [24, 24], fps=24, size=(160, 90))
    with running_server(tmp_path / "serve", "--workers", "0", "--heartbeat", "0.25", "--timeout", "3",
                        "--client-queue", "3") as server, \
            Client(server.endpoint, timeout=10) as one, Client(server.endpoint, timeout=10) as two:
        jobs = [one.submit(clip) for _ in range(3)]  # no worker: they stay queued
        with pytest.raises(ServerError) as caught:
            one.submit(clip)
        assert caught.value.code == p.BUSY and "3 jobs waiting" in caught.value.message
        job = two.submit(clip)  # the other client still gets in
        load = server.ping()
        assert (load["uploading"], load["queued"], load["running"]) == (0, 4, 0)
        for client, job_id in [(one, j) for j in jobs] + [(two, job)]:
            client.cancel(job_id)
        assert server.ping()["queued"] == 0
