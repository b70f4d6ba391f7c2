"""Backend figures on loopback: ping round trip (p50/p99) and upload throughput of a 100 MB file.

Starts a real `serve` (no workers: an upload is verified and queued, then cancelled), plain and with
CurveZMQ encryption, and prints the figures. Usage: .venv/bin/python bench/bench_server.py [--pings N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fc_backend.server.auth import make_keys  # noqa: E402
from fc_backend.server.client import Client  # noqa: E402
from tests.test_server_support import running_server  # noqa: E402


def measure(server, keys: Path | None, video: Path, pings: int, uploads: int) -> None:  # noqa: ANN001
    with Client(server.endpoint, curve_keys=keys, timeout=30) as client:
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pings", type=int, default=2000)
    parser.add_argument("--uploads", type=int, default=3)
    parser.add_argument("--mb", type=int, default=100)
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
        for label, extra, credentials in (("plain", (), None),
                                          ("CurveZMQ", ("--curve-keys", str(keys)), keys)):
            print(label)
            with running_server(tmp / label, "--workers", "0", "--max-upload-mb", str(args.mb + 1), *extra,
                                keys=credentials) as server:
                measure(server, credentials, video, args.pings, args.uploads)
    return 0


if __name__ == "__main__":
    sys.exit(main())
