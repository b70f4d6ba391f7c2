"""A film in cues: time and peak memory of `score` as the number of cues grows, the ratio per film second.

Generates films of 1, 2, 4 and 8 cues (every 17.5 s, five 3.5 s shots: a 14 s cue, then a rest;
themes A, B, A, C, A, B, ... so labels return), spots each for real, lays the cues on it as an edited cue
sheet would, and scores it in a fresh process. Prints per film: length, cues, wall seconds, seconds
per film second, and the process's peak RSS. Linear cost shows as a flat seconds-per-film-second
column and a peak memory that does not grow with the cue count. The load average is printed too:
the machine may be shared.

    nice .venv/bin/python bench/bench_cues.py [--cues 1 2 4 8] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CUE_SECONDS, REST_SECONDS, SHOT_FRAMES, FPS = 14.0, 3.5, 84, 24
LABELS = "ABACABAD"

_CHILD = r'''
import json, resource, sys, time
from pathlib import Path
from fc_backend import pipeline
from fc_backend.config import Config
from fc_backend.model import Cue
from fc_backend.spot import spot

clip, out, cues = sys.argv[1], sys.argv[2], [Cue(**c) for c in json.loads(sys.argv[3])]

def spot_in_cues(*args, **kwargs):  # the cue sheet a spotting session (or --cues FILE) hands over
    spotting = spot(*args, **kwargs)
    spotting.cues = cues
    return spotting

if cues:  # none: the same film scored as one piece, for comparison
    pipeline.spot = spot_in_cues
start = time.perf_counter()
pipeline.score(clip, out, Config(), show_progress=False)
wall = time.perf_counter() - start
peak = max(resource.getrusage(who).ru_maxrss for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
print(json.dumps({"wall": wall, "peak_mib": peak / 1024}))
'''


def film(folder: Path, count: int) -> tuple[Path, list[dict]]:
    """A generated film of `count` cues and its cue sheet."""
    from fc_backend.demo import make_clip

    per_cue = round((CUE_SECONDS + REST_SECONDS) * FPS / SHOT_FRAMES)
    clip = folder / f"film_{count}.mp4"
    make_clip(clip, [SHOT_FRAMES] * (per_cue * count), fps=FPS, size=(320, 180))
    span = per_cue * SHOT_FRAMES / FPS
    cues = [{"number": f"1M{i + 1}", "start": i * span, "end": i * span + CUE_SECONDS,
             "title": f"cue {i + 1}", "theme": LABELS[i % len(LABELS)]} for i in range(count)]
    return clip, cues


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cues", type=int, nargs="+", default=[1, 2, 4, 8])
    parser.add_argument("--keep", type=Path, help="keep the films and score folders here")
    parser.add_argument("--one-piece", action="store_true",
                        help="also score each film as one piece (no cues), for comparison")
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory(prefix="bench-cues-") as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        print(f"{'cues':>9} {'film s':>7} {'score s':>8} {'s per film s':>13} {'peak MiB':>9}")
        for count in args.cues:
            clip, cues = film(folder, count)
            length = float(subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration",
                                           "-of", "csv=p=0", str(clip)], capture_output=True, text=True,
                                          check=True).stdout)
            for label, sheet in ((str(count), cues), ("one piece", []))[:2 if args.one_piece else 1]:
                run = subprocess.run([sys.executable, "-c", _CHILD, str(clip),
                                      str(folder / f"out_{count}_{len(sheet)}"), json.dumps(sheet)],
                                     capture_output=True, text=True, cwd=ROOT,
                                     env={**os.environ, "PYTHONPATH": str(ROOT)})
                if run.returncode != 0:
                    sys.exit(f"bench_cues: scoring {label} failed: {run.stderr.strip()[-500:]}")
                result = json.loads(run.stdout.strip().splitlines()[-1])
                print(f"{label:>9} {length:>7.1f} {result['wall']:>8.1f} {result['wall'] / length:>13.3f} "
                      f"{result['peak_mib']:>9.0f}", flush=True)
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
