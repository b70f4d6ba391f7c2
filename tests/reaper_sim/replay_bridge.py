"""A stand-in for the `filmcomposer` bridge that replays a finished job, for the REAPER action tests.

    python replay_bridge.py SCORED_DIR LOG_FILE [filmcomposer arguments...]

It appends its arguments to LOG_FILE (one JSON list a line), then behaves as the real command does
on success: `request ... score VIDEO -o OUT --progress-json` prints the accepted, progress and result
events on stdout and fills OUT; `score VIDEO -o OUT ...` fills OUT and prints its summary. OUT gets
the artifacts of a real score (SCORED_DIR), so the action applies a real plan without the seconds a
real score takes. The end-to-end test runs the real bridge.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    source, log, args = Path(argv[0]), Path(argv[1]), argv[2:]
    with log.open("a", encoding="utf-8") as f:
        f.write(json.dumps(args) + "\n")
    out = Path(args[args.index("-o") + 1])
    out.mkdir(parents=True, exist_ok=True)
    if "request" in args:
        print(json.dumps({"event": "accepted", "job": "replay"}), flush=True)
        for stage in ("upload", "spot", "compose", "realize", "download"):
            event = {"event": "progress", "job": "replay", "stage": stage, "fraction": 1.0}
            print(json.dumps(event), flush=True)
    shutil.copytree(source, out, dirs_exist_ok=True)
    if "request" in args:
        print(json.dumps({"event": "result", "job": "replay", "out": str(out)}), flush=True)
    else:
        print(f"wrote plan.json, scheme.json to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
