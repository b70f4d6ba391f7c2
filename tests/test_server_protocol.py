"""The wire protocol: validation and caps, on their own and against a real server; a seeded fuzz."""

from __future__ import annotations

import hashlib
import json
import random
import socket
import time
from pathlib import Path

import pytest
import zmq

from fc_backend.server import protocol as p
from fc_backend.server.client import Client
from fc_backend.server.protocol import ProtocolError, decode, encode
from fc_backend.server.transfer import IncomingFile
from tests.test_server_support import running_server, secure, wait_for

# -- no server -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("frames", "code"), [
    ([b"not json"], p.BAD_REQUEST),
    ([b"[1, 2]"], p.BAD_REQUEST),
    ([b"[" * 50000], p.BAD_REQUEST),
    ([b'{"v": 2, "op": "ping"}'], p.VERSION_MISMATCH),
    ([b'{"v": 1, "op": "rerun", "job": "ab"}'], p.UNKNOWN_OP),
    ([b'{"v": 1, "op": "reroll", "out": "/home/me/out", "from": 1, "to": 2}'], p.BAD_REQUEST),
    ([b'{"v": 1, "op": "status", "job": 7}'], p.BAD_REQUEST),
    ([b'{"v": 1, "op": "status", "job": "../../etc"}'], p.BAD_REQUEST),
    ([b'{"v": 1, "op": "fetch", "job": "' + b"a" * 32 + b'", "name": "x", "offset": -1, "length": 1}'],
     p.BAD_REQUEST),
    ([b'{"v": 1, "op": "ping"}', b"payload"], p.BAD_REQUEST),
    ([b'{"v": 1, "op": "ping"}', b"a", b"b"], p.BAD_REQUEST),
    ([b'{"v": 1, "op": "ping", "pad": "' + b"x" * p.MAX_HEADER + b'"}'], p.TOO_LARGE),
    ([b'{"v": 1, "op": "ping", "rid": ["x"]}'], p.BAD_REQUEST),
])
def test_decode_refuses_malformed_messages(frames: list[bytes], code: str) -> None:
    with pytest.raises(ProtocolError) as err:
        decode(frames, p.CLIENT_OPS)
    assert err.value.code == code


def test_decode_round_trips_a_chunk() -> None:
    header = {"op": "chunk", "job": "ab" * 16, "name": "video", "offset": 0, "sha256": "0" * 64}
    frames = encode(header, b"xy")
    msg, payload = decode(frames, p.CLIENT_OPS)
    assert msg["v"] == p.VERSION and msg["op"] == "chunk" and payload == b"xy"


@pytest.mark.parametrize("name", ["../x", "/etc/passwd", "a/b/c", "..", ".hidden", "stems/../x", "a\\b", ""])
def test_relative_names_cannot_leave_the_folder(name: str) -> None:
    with pytest.raises(ProtocolError):
        p.relative_name(name)


def test_relative_names_allow_artifacts() -> None:
    assert p.relative_name("stems/Violins I (div).wav") == "stems/Violins I (div).wav"


def test_reroll_options_carry_whether_the_scheme_is_the_users_own() -> None:
    """An edited scheme.json is said by the client (the server's copy of OUT keeps no record of it)."""
    assert p.reroll_options({"from": 1.0, "to": 2.0})["keep_scheme"] is False
    assert p.reroll_options({"from": 1.0, "to": 2.0, "keep_scheme": True})["keep_scheme"] is True
    with pytest.raises(ProtocolError, match="keep_scheme"):
        p.reroll_options({"from": 1.0, "to": 2.0, "keep_scheme": "yes"})


@pytest.mark.parametrize(("endpoint", "local"), [
    ("tcp://127.0.0.1:5555", True), ("tcp://localhost:1", True), ("tcp://[::1]:5555", True),
    ("ipc:///tmp/x", True), ("tcp://0.0.0.0:5555", False), ("tcp://*:5555", False),
    ("tcp://192.168.1.4:5555", False), ("tcp://eth0:5555", False), ("udp://127.0.0.1:1", False),
])
def test_loopback_detection(endpoint: str, local: bool) -> None:
    assert p.is_local_endpoint(endpoint) is local


def test_incoming_file_checks_order_size_and_checksums(tmp_path: Path) -> None:
    data = b"abcdef"
    incoming = IncomingFile(tmp_path / "f", 6, hashlib.sha256(data).hexdigest())
    with pytest.raises(ProtocolError, match="expected 0"):
        incoming.add(3, data[3:], hashlib.sha256(data[3:]).hexdigest())
    with pytest.raises(ProtocolError) as err:
        incoming.add(0, data[:3], hashlib.sha256(b"xyz").hexdigest())
    assert err.value.code == p.CHECKSUM
    incoming.add(0, data[:3], hashlib.sha256(data[:3]).hexdigest())
    with pytest.raises(ProtocolError) as err:
        incoming.add(3, data[3:] + b"!", hashlib.sha256(data[3:] + b"!").hexdigest())
    assert err.value.code == p.TOO_LARGE
    incoming.add(3, data[3:], hashlib.sha256(data[3:]).hexdigest())
    incoming.finish()
    assert (tmp_path / "f").read_bytes() == data
    other = IncomingFile(tmp_path / "g", 3, "0" * 64)
    other.add(0, b"abc", hashlib.sha256(b"abc").hexdigest())
    with pytest.raises(ProtocolError) as err:
        other.finish()
    assert err.value.code == p.CHECKSUM


# -- against a server with no workers (uploads queue; nothing is scored) ---------------------------------


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    with running_server(tmp_path_factory.mktemp("serve"), "--workers", "0", "--queue", "3",
                        "--max-upload-mb", "4", "--heartbeat", "0.2", "--timeout", "1.0",
                        "--queue-timeout", "1.5", "--workers-bind", "tcp://127.0.0.1:*") as server:
        yield server


class Raw:
    """A bare DEALER: sends whatever frames a test likes and reads the replies."""

    def __init__(self, endpoint: str, role: str = "client") -> None:
        self.ctx = zmq.Context()
        self.sock = self.ctx.socket(zmq.DEALER)
        self.sock.linger = 0
        secure(self.sock, endpoint, role)  # a loopback server admits only this user's keys
        self.sock.connect(endpoint)

    def send(self, msg: dict | None = None, payload: bytes | None = None, *,
             frames: list[bytes] | None = None) -> None:
        self.sock.send_multipart(frames if frames is not None else encode(msg, payload))

    def recv(self, timeout: float = 5.0, *, skip_heartbeats: bool = True) -> dict:
        deadline = time.monotonic() + timeout
        while self.sock.poll(max(0.0, deadline - time.monotonic()) * 1000):
            msg = json.loads(self.sock.recv_multipart()[0])
            if not (skip_heartbeats and msg["op"] == "heartbeat"):
                return msg
        raise AssertionError("no reply")

    def close(self) -> None:
        self.ctx.destroy(linger=0)


def _idle(server) -> None:  # noqa: ANN001
    wait_for(lambda: server.ping()["jobs"] == 0, 10, "earlier jobs to be dropped")


def _score(raw: Raw, size: int) -> dict:
    raw.send({"op": "score", "video": {"size": size, "suffix": ".mp4"}, "options": {}})
    return raw.recv()


def test_unknown_operations_get_an_error_reply(server) -> None:
    raw = Raw(server.endpoint)
    try:
        raw.send({"op": "shutdown", "rid": "r1"})
        reply = raw.recv()
        assert reply["op"] == "error" and reply["code"] == p.UNKNOWN_OP and reply["rid"] == "r1"
        raw.send(frames=[json.dumps({"v": 99, "op": "ping"}).encode()])
        assert raw.recv()["code"] == p.VERSION_MISMATCH
    finally:
        raw.close()


def test_sizes_are_capped_with_clear_errors(server) -> None:
    _idle(server)
    raw = Raw(server.endpoint)
    try:
        reply = _score(raw, 5 << 20)
        assert reply["code"] == p.TOO_LARGE and "at most 4.2 MB" in reply["message"]
        raw.send(frames=[json.dumps({"v": 1, "op": "ping", "pad": "x" * (p.MAX_HEADER + 1)}).encode()])
        assert raw.recv()["code"] == p.TOO_LARGE
        job = _score(raw, 3 << 20)["job"]
        big = bytes(p.CHUNK_SIZE + 1)
        raw.send({"op": "chunk", "job": job, "name": "video", "offset": 0,
                  "sha256": hashlib.sha256(big).hexdigest()}, big)
        assert raw.recv()["code"] == p.TOO_LARGE
        raw.send({"op": "score", "video": {"size": 10}, "options": {"seed": 1, "loudness": 3.0}})
        assert "loudness" in raw.recv()["message"]
        raw.send({"op": "score", "video": {"size": 10}, "options": {"temperature": 1}})
        assert "unknown score options" in raw.recv()["message"]
    finally:
        raw.close()


def test_a_bad_checksum_ends_the_job_with_one_error(server) -> None:
    _idle(server)
    raw = Raw(server.endpoint)
    try:
        job = _score(raw, 6)["job"]
        raw.send({"op": "chunk", "job": job, "name": "video", "offset": 0,
                  "sha256": hashlib.sha256(b"abcdef").hexdigest()}, b"abcdeF")
        reply = raw.recv()
        assert (reply["op"], reply["code"], reply["job"]) == ("error", p.CHECKSUM, job)
        job = _score(raw, 6)["job"]
        raw.send({"op": "chunk", "job": job, "name": "video", "offset": 0,
                  "sha256": hashlib.sha256(b"abcdef").hexdigest()}, b"abcdef")
        assert raw.recv()["op"] == "chunk_ok"
        raw.send({"op": "upload_end", "job": job, "sha256": "0" * 64})
        assert raw.recv()["code"] == p.CHECKSUM
        with Client(server.endpoint) as client:
            assert client.status(job)["state"] == "failed"
        assert server.job_dirs() == []
    finally:
        raw.close()


def test_a_full_queue_answers_busy(server) -> None:
    _idle(server)
    raws = [Raw(server.endpoint) for _ in range(4)]
    try:
        replies = [_score(raw, 100) for raw in raws]
        assert [r["op"] for r in replies] == ["accepted"] * 3 + ["error"]
        assert replies[3]["code"] == p.BUSY
    finally:
        for raw in raws:
            raw.close()
    _idle(server)  # the vanished clients' jobs are dropped and their folders removed
    assert server.job_dirs() == []


def test_reroll_requests_are_checked_before_any_upload(server) -> None:
    _idle(server)
    digest = "0" * 64
    def entry(name: str, size: int = 100) -> dict:
        return {"name": name, "size": size, "sha256": digest}
    needed = [entry(name) for name in p.REROLL_REQUIRED]
    span = {"from": 1.0, "to": 2.0}
    cases = [
        (needed[:2], span, p.BAD_REQUEST, "lacks plan.json"),
        ([*needed, entry("stems/Harp.wav")], span, p.BAD_REQUEST, "only one clip"),
        ([*needed, entry("a.mp4"), entry("b.mp4")], span, p.BAD_REQUEST, "only one clip"),
        ([*needed, entry("video.mp4", 5 << 20)], span, p.TOO_LARGE, "the cap is 4.2 MB"),
        (needed, {"from": 3.0, "to": 2.0}, p.BAD_REQUEST, "0 <= from <= to"),
        (needed, {"from": 1.0}, p.BAD_REQUEST, "'to' must be a number"),
        (needed, {**span, "seed": -1}, p.BAD_REQUEST, "seed"),
        (needed, {**span, "out": "/home/me/out"}, p.BAD_REQUEST, "unknown reroll options: out"),
    ]
    raw = Raw(server.endpoint)
    try:
        for files, options, code, words in cases:
            raw.send({"op": "reroll", "files": files, "options": options})
            reply = raw.recv()
            assert (reply["op"], reply["code"]) == ("error", code) and words in reply["message"], reply
        assert server.ping()["jobs"] == 0
        # a well-formed one is accepted, and its chunks must name the files it listed
        raw.send({"op": "reroll", "files": needed, "options": span})
        job = raw.recv()["job"]
        data = bytes(100)
        raw.send({"op": "chunk", "job": job, "name": "scheme.json", "offset": 0,
                  "sha256": hashlib.sha256(data).hexdigest()}, data)
        reply = raw.recv()
        assert (reply["code"], reply["job"]) == (p.BAD_REQUEST, job) and "unlisted" in reply["message"]
    finally:
        raw.close()
    wait_for(lambda: server.job_dirs() == [], 5, "the failed job's folder to be removed")


def test_a_queued_job_with_no_worker_to_run_it_ends_with_no_worker(server, tmp_path: Path) -> None:
    _idle(server)
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"not really a video, but nobody will look")
    events: list[dict] = []
    with Client(server.endpoint, timeout=5, heartbeat=0.2) as client:  # this server's timeout is 1 s
        with pytest.raises(p.ServerError) as err:
            client.score(clip, tmp_path / "out", on_event=events.append)
        assert err.value.code == p.NO_WORKER and "no worker that runs score jobs" in err.value.message
        assert "queued" in [e["event"] for e in events]  # it was accepted and waited, then ended
        job = events[0]["job"]
        assert client.status(job)["code"] == p.NO_WORKER
    assert not (tmp_path / "out").exists()
    wait_for(lambda: server.job_dirs() == [], 5, "the failed job's folder to be removed")


def _upload(raw: Raw, job: str, data: bytes, name: str = "video") -> None:
    digest = hashlib.sha256(data).hexdigest()
    raw.send({"op": "chunk", "job": job, "name": name, "offset": 0, "sha256": digest}, data)
    assert raw.recv()["op"] == "chunk_ok"


def test_a_worker_that_does_not_announce_reroll_is_given_score_jobs_only(server) -> None:
    _idle(server)
    worker, client = Raw(server.workers_endpoint, "worker"), Raw(server.endpoint)

    def beat_until(done, seconds: float) -> list[dict]:  # noqa: ANN001 - the fake worker stays alive meanwhile
        got, deadline = [], time.monotonic() + seconds
        while time.monotonic() < deadline and not done(got):
            worker.send({"op": "heartbeat"})
            client.send({"op": "heartbeat"})
            while worker.sock.poll(0):
                msg = json.loads(worker.sock.recv_multipart()[0])
                got += [msg] if msg["op"] != "heartbeat" else []
            time.sleep(0.1)
        return got
    try:
        worker.send({"op": "ready", "pid": 1, "host": "older-worker"})  # no "ops": it predates reroll
        wait_for(lambda: server.ping()["ready"] == 1, 5, "the worker to register")
        files = {name: f"{{\"{name}\": 1}}".encode() for name in p.REROLL_REQUIRED}
        client.send({"op": "reroll", "options": {"from": 1.0, "to": 2.0},
                     "files": [{"name": n, "size": len(d), "sha256": hashlib.sha256(d).hexdigest()}
                               for n, d in files.items()]})
        job = client.recv()["job"]
        for name, data in files.items():
            _upload(client, job, data, name)
        client.send({"op": "upload_end", "job": job})
        assert client.recv()["op"] == "queued"
        assert beat_until(lambda got: False, 2.5) == []  # never offered to it, though it is idle
        reply = client.recv()
        assert (reply["code"], reply["job"]) == (p.NO_WORKER, job) and "reroll" in reply["message"]

        client.send({"op": "score", "video": {"size": 3, "suffix": ".mp4"}, "options": {}})
        job = client.recv()["job"]
        _upload(client, job, b"abc")
        client.send({"op": "upload_end", "job": job, "sha256": hashlib.sha256(b"abc").hexdigest()})
        (order,) = beat_until(bool, 5)
        assert (order["op"], order["kind"], order["video"]["size"]) == ("job", "score", 3)
        worker.send({"op": "failed", "job": job, "code": "input", "message": "not a video"})
        replies = [client.recv(), client.recv()]
        assert [r["op"] for r in replies] == ["queued", "error"] and replies[1]["code"] == "input"
    finally:
        worker.close()
        client.close()
    wait_for(lambda: server.ping()["workers"] == 0, 5, "the fake worker to be dropped")


def _random_message(rng: random.Random, job: str) -> list[bytes]:
    """One malformed (or odd but valid) message: random bytes, wrong types, unknown ops, bad frames."""
    kind = rng.randrange(9)
    if kind == 0:
        return [rng.randbytes(rng.randrange(0, 300))]
    if kind == 1:
        return [rng.randbytes(rng.randrange(0, 50)) for _ in range(rng.randrange(2, 6))]
    if kind == 2:
        return [json.dumps(rng.choice([None, 1, "s", [], [1, {}], 1.5])).encode()]
    if kind == 3:
        return [json.dumps({"v": rng.choice([0, 2, "1", None]), "op": "ping"}).encode()]
    if kind == 4:
        op = rng.choice(["rerun", "shutdown", "", "PING", "exec", 5])
        return [json.dumps({"v": 1, "op": op}).encode()]
    values = [None, -1, 0, 2**63, 1e308, "x", "", "a" * 40, job, [], {}, {"size": -5}, True,
              "../../etc/passwd"]
    op = rng.choice(sorted(p.CLIENT_OPS))
    msg = {"v": 1, "op": op}
    for field in p.CLIENT_OPS[op]:
        if rng.random() < 0.8:
            msg[field] = rng.choice(values)
    if kind == 5:
        return [json.dumps(msg).encode(), rng.randbytes(rng.randrange(0, 100))]
    if kind == 6:
        return [json.dumps(msg).encode()[: rng.randrange(1, 30)]]
    if kind == 7:
        return [b"[" * rng.randrange(1000, 60000)]
    return [json.dumps(msg).encode()]


def _is_heartbeat(frames: list[bytes]) -> bool:
    try:
        return decode(frames, p.CLIENT_OPS)[0]["op"] == "heartbeat"
    except ProtocolError:
        return False


def test_a_thousand_random_frames_leave_the_server_answering(server) -> None:
    rng = random.Random(7)
    raws = [Raw(server.endpoint) for _ in range(10)]
    sent = replies = silent = 0
    try:
        for raw in raws:
            for _ in range(100):
                frames = _random_message(rng, "ab" * 16)
                raw.send(frames=frames)
                sent += 1
                silent += _is_heartbeat(frames)
        poller = zmq.Poller()
        for raw in raws:
            poller.register(raw.sock, zmq.POLLIN)
        quiet_since = time.monotonic()
        while time.monotonic() - quiet_since < 0.5:
            for sock, _ in poller.poll(100):
                if json.loads(sock.recv_multipart()[0])["op"] != "heartbeat":
                    replies += 1
                    quiet_since = time.monotonic()
        # raw bytes that are not even ZMTP, on fresh TCP connections
        host, port = server.endpoint.removeprefix("tcp://").rsplit(":", 1)
        for _ in range(20):
            with socket.create_connection((host, int(port)), timeout=2) as conn:
                conn.sendall(rng.randbytes(rng.randrange(1, 2000)))
    finally:
        for raw in raws:
            raw.close()
    assert sent == 1000 and silent < 100
    assert replies == sent - silent  # one reply to every message but the valid heartbeats
    pong = server.ping()
    assert pong["op"] == "pong"
    assert "internal error" not in server.log.read_text()  # every frame was refused by validation
    # and real work still flows: a well-formed upload is verified and queued
    with Client(server.endpoint) as client:
        raw = Raw(server.endpoint)
        try:
            _idle(server)
            job = _score(raw, 3)["job"]
            raw.send({"op": "chunk", "job": job, "name": "video", "offset": 0,
                      "sha256": hashlib.sha256(b"abc").hexdigest()}, b"abc")
            assert raw.recv()["op"] == "chunk_ok"
            raw.send({"op": "upload_end", "job": job, "sha256": hashlib.sha256(b"abc").hexdigest()})
            assert raw.recv()["op"] == "queued"
            assert client.cancel(job)["op"] == "cancelled"
            assert raw.recv()["code"] == p.CANCELLED  # the job's owner hears its one ending
        finally:
            raw.close()
