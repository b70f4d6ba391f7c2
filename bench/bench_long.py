"""Long films: time of spotting (and of a whole `score`) against a plain ffmpeg decode of the same file,
for generated 360p films of 1, 5 and 20 minutes with recurring settings, and each run's peak memory.

The goal: cost grows like the decode (the ratio to decode does not grow with length) and memory stays
flat (peak resident memory of the child process under 1 GiB whatever the length). Each measurement
runs in its own child process; its peak memory is the ru_maxrss that os.wait4 reports for it. Films are
made once (demo.make_film) and cached in the temp folder.

    .venv/bin/python bench/bench_long.py [--minutes 1 5 20] [--no-score]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SPOT = ("import sys; from fc_backend.spot import spot; s = spot(sys.argv[1]); "
        "print(len(s.shots), len(s.cues), len({c.theme for c in s.cues}))")


def film(minutes: float) -> Path:
    """The cached film of `minutes` (made on first use)."""
    from fc_backend.demo import film_sequences, make_film

    path = Path(tempfile.gettempdir()) / "fc-bench" / f"film_{minutes:g}min_360p.mp4"
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        print(f"making {path} ...", file=sys.stderr, flush=True)
        partial = path.with_suffix(".partial.mp4")
        make_film(partial, film_sequences(minutes * 60.0))
        partial.replace(path)
    return path


def child(cmd: list[str]) -> tuple[float, float, int, str]:
    """Run `cmd`; (wall seconds, peak resident MiB of that child, exit status, its last output line)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, text=True)
    assert proc.stdout is not None
    output = proc.stdout.read()
    _pid, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    lines = output.strip().splitlines()
    return seconds, usage.ru_maxrss / 1024.0, proc.returncode, lines[-1] if lines else ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, nargs="+", default=[1.0, 5.0, 20.0])
    parser.add_argument("--no-score", action="store_true", help="time spotting only")
    args = parser.parse_args()
    ffmpeg = shutil.which("ffmpeg") or "ffmpeg"
    print(f"{'film':>6} {'decode s':>9} {'spot s':>8} {'x decode':>9} {'spot MiB':>9}"
          f" {'score s':>8} {'x decode':>9} {'score MiB':>10}  shots/cues/themes")
    for minutes in args.minutes:
        clip = film(minutes)
        decode, _, _, _ = child([ffmpeg, "-v", "error", "-nostdin", "-i", str(clip), "-map", "0:v:0",
                                 "-f", "null", "-"])
        spot_s, spot_mib, status, counts = child([sys.executable, "-c", SPOT, str(clip)])
        if status:
            raise SystemExit(f"spot failed on {clip}: {counts}")
        line = f"{minutes:>4g} m {decode:>9.1f} {spot_s:>8.1f} {spot_s / decode:>9.1f} {spot_mib:>9.0f}"
        if args.no_score:
            print(f"{line} {'-':>8} {'-':>9} {'-':>10}  {counts}", flush=True)
            continue
        with tempfile.TemporaryDirectory() as tmp:
            score_s, score_mib, status, last = child([sys.executable, "-m", "fc_backend.cli", "score",
                                                      str(clip), "-o", str(Path(tmp) / "out"), "-q"])
        if status:
            print(f"{line} {'failed':>8} {'':>9} {'':>10}  {counts}; score: {last}", flush=True)
        else:
            print(f"{line} {score_s:>8.1f} {score_s / decode:>9.1f} {score_mib:>10.0f}  {counts}", flush=True)


if __name__ == "__main__":
    main()
