"""What a server sends back is range-checked before it reaches OUT (and REAPER): a faulty or hostile
worker's plan.json with a NaN pan is one error, and OUT is not written."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import pytest
import zmq

from fc_backend.demo import make_clip
from fc_backend.server import protocol as p
from fc_backend.server.client import Client
from fc_backend.server.protocol import ServerError, decode, encode
from fc_backend.server.transfer import sha256_bytes
from tests.test_ranges import PLAN
from tests.test_server_support import running_server, secure, wait_for


def _hostile_worker(endpoint: str, stop: threading.Event) -> None:
    """Joins as a worker and answers every job with a plan whose first pan is NaN."""
    ctx = zmq.Context()
    sock = ctx.socket(zmq.DEALER)
    sock.linger = 0
    secure(sock, endpoint, "worker")
    sock.connect(endpoint)
    plan = json.loads(json.dumps(PLAN))
    plan["tracks"][0]["pan"] = float("nan")
    data = json.dumps(plan).encode()
    try:
        sock.send_multipart(encode({"op": "ready", "pid": os.getpid(), "host": "hostile", "ops": ["score"]}))
        while not stop.is_set():
            if not sock.poll(100):
                sock.send_multipart(encode({"op": "heartbeat"}))
                continue
            msg, _ = decode(sock.recv_multipart(), p.BROKER_OPS)
            if msg["op"] != "job":
                continue
            job = msg["job"]
            sock.send_multipart(encode({"op": "artifacts", "job": job, "files": [
                {"name": "plan.json", "size": len(data), "sha256": sha256_bytes(data)}]}))
            sock.send_multipart(encode({"op": "chunk", "job": job, "name": "plan.json", "offset": 0,
                                        "sha256": sha256_bytes(data)}, data))
            sock.send_multipart(encode({"op": "finished", "job": job, "summary": {}}))
    finally:
        ctx.destroy(linger=0)


def test_a_nan_pan_from_the_server_is_refused_and_out_is_not_written(tmp_path: Path) -> None:
    clip = tmp_path / "clip.mp4"
    make_clip(clip, [24, 24], fps=24, size=(160, 90))
    stop = threading.Event()
    with running_server(tmp_path / "serve", "--workers", "0", "--workers-bind", "tcp://127.0.0.1:*",
                        "--heartbeat", "0.25", "--timeout", "3") as server:
        worker = threading.Thread(target=_hostile_worker, args=(server.workers_endpoint, stop))
        worker.start()
        try:
            wait_for(lambda: server.ping()["ready"] == 1, 10, "the worker to join")
            with Client(server.endpoint, timeout=10) as client, pytest.raises(ServerError) as caught:
                client.score(clip, tmp_path / "out")
            assert caught.value.code == p.BAD_REQUEST
            assert "plan.json: tracks[0].pan: must be a finite number" in caught.value.message
            assert not (tmp_path / "out").exists() and not list(tmp_path.glob(".out*"))
        finally:
            stop.set()
            worker.join()
