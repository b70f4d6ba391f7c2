"""Backend figures on loopback: ping round trip (p50/p99), upload throughput of a 100 MB file, and
the cost of a re-roll through the service against the same re-roll in-process.

Starts a real `serve` (no workers: an upload is verified and queued, then cancelled), plain
(--insecure), with this user's automatic keys and with --curve-keys, and prints the figures; then
one with a worker, scores a clip through it and re-rolls a span of it both ways.
Usage: .venv/bin/python bench/bench_server.py [--pings N] [--rerolls N]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fc_backend.demo import make_clip  # noqa: E402
from fc_backend.pipeline import reroll  # noqa: E402
from fc_backend.server.auth import make_keys  # noqa: E402
from fc_backend.server.client import Client, reroll_inputs  # noqa: E402
from tests.test_server_support import running_server  # noqa: E402


def measure(server, video: Path, pings: int, uploads: int) -> None:  # noqa: ANN001
    with server.client(timeout=30) as client:
        for _ in range(50):  # warm-up: connection, handshake
            client.ping()
        rtts = []
        for _ in range(pings):
            t0 = time.perf_counter()
            client.ping()
            rtts.append((time.perf_counter() - t0) * 1e6)
        rtts.sort()
        p99 = rtts[min(len(rtts) - 1, int(len(rtts) * 0.99))]
        print(f"  ping round trip over {pings}: p50 {statistics.median(rtts):.0f} us, p99 {p99:.0f} us")
        size = video.stat().st_size
        for _ in range(uploads):
            t0 = time.perf_counter()
            job = client.submit(video)
            elapsed = time.perf_counter() - t0
            client.cancel(job)
            print(f"  upload {size / 1e6:.0f} MB (SHA-256 per chunk and per file, verified, queued):"
                  f" {elapsed:.2f} s, {size / 1e6 / elapsed:.0f} MB/s")


def measure_reroll(tmp: Path, runs: int) -> None:
    """A 60 s clip at 320x180 scored through the service, then the same re-rolls remote and local."""
    clip = tmp / "reroll.mp4"
    make_clip(clip, [96, 120, 72, 144, 96, 120, 72, 144, 96, 120, 72, 144, 96, 120], fps=24, size=(320, 180))
    with running_server(tmp / "reroll-serve", "--workers", "1", ready=1) as server, \
            Client(server.endpoint, timeout=60) as client:
        out = tmp / "scored"
        t0 = time.perf_counter()
        client.score(clip, out, seed=1)
        print(f"  score of a {clip.stat().st_size / 1e6:.1f} MB, 60 s clip through the service: "
              f"{time.perf_counter() - t0:.2f} s")
        up = sum(path.stat().st_size for path in reroll_inputs(out).values())
        folder = sum(path.stat().st_size for path in out.rglob("*") if path.is_file())
        remote, local, down = [], [], 0
        for i in range(runs):
            seed = 100 + i
            for label, times in (("remote", remote), ("local", local)):
                target = tmp / f"{label}{i}"
                shutil.copytree(out, target)
                t0 = time.perf_counter()
                if label == "remote":
                    result = client.reroll(target, 20.0, 30.0, seed=seed)
                    down = sum(f["size"] for f in result["files"])
                else:
                    reroll(target, 20.0, 30.0, seed=seed, show_progress=False)
                times.append(time.perf_counter() - t0)
        print(f"  re-roll of 20..30 s, median of {runs}: through the service "
              f"{statistics.median(remote):.2f} s, in-process {statistics.median(local):.2f} s")
        print(f"  bytes up {up / 1e6:.2f} MB (JSON artifacts + clip), down {down / 1e6:.2f} MB "
              f"(rewritten files); the whole folder is {folder / 1e6:.2f} MB")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pings", type=int, default=2000)
    parser.add_argument("--uploads", type=int, default=3)
    parser.add_argument("--mb", type=int, default=100)
    parser.add_argument("--rerolls", type=int, default=3, help="re-rolls each way (0: skip)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        video = tmp / "upload.mp4"
        with open(video, "wb") as f:
            for _ in range(args.mb):
                f.write(os.urandom(1 << 20))
        keys = tmp / "keys"
        make_keys(keys)
        print(f"{os.cpu_count()} CPUs; {args.mb} MiB of random bytes; server with no workers on 127.0.0.1")
        modes = (("plain (--insecure)", (), None, True),
                 ("CurveZMQ, this user's own keys (the loopback default)", (), None, False),
                 ("CurveZMQ, --curve-keys", ("--curve-keys", str(keys)), keys, False))
        for i, (label, extra, credentials, insecure) in enumerate(modes):
            print(label)
            with running_server(tmp / f"mode{i}", "--workers", "0", "--max-upload-mb", str(args.mb + 1),
                                *extra, keys=credentials, insecure=insecure) as server:
                measure(server, video, args.pings, args.uploads)
        if args.rerolls:
            print("re-roll (one local worker)")
            measure_reroll(tmp, args.rerolls)
    return 0


if __name__ == "__main__":
    sys.exit(main())
