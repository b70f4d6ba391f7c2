"""Frames per second of each spotting step on a 720p clip: decode, cut detection, optical flow and
image attributes, each timed on its own inside one pass that feeds the steps exactly as spot() does;
then spot() itself, which decodes on a second thread while it analyses, and the real-time factors.

Rates are video frames per second of that step's time (so the steps add up like the stage does:
1 / total = sum of 1 / rate); flow and attributes run on sampled frames only, which the "calls"
column shows. Best of N passes (default 3): the machine may be shared.

    .venv/bin/python bench/bench_spot.py [--runs 3] [--clip FILE]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from clips import bench_clip  # noqa: E402


def one_pass(clip: Path) -> tuple[int, dict[str, float], dict[str, int]]:
    from fc_backend.config import Config
    from fc_backend.spot.attributes import active_area, frame_stats
    from fc_backend.spot.motion import FlowTracker
    from fc_backend.spot.shots import DETECT_WIDTH, CutDetector, downscale
    from fc_backend.spot.stage import FACE_FPS, STATS_FPS
    from fc_backend.spot.video import frames, open_video

    config = Config()
    capture, info = open_video(clip)
    detector = CutDetector(info.fps, min_shot_frames=config.min_shot_frames)
    flow = FlowTracker(info.fps, flow_fps=config.flow_fps, width=config.flow_width)
    stats_every, face_every = max(1, round(info.fps / STATS_FPS)), max(1, round(info.fps / FACE_FPS))
    seconds = dict.fromkeys(("decode", "cut detection", "flow", "attributes"), 0.0)
    calls = dict.fromkeys(seconds, 0)
    new_shot, last_face, count = True, -face_every, 0
    area = None
    clock = time.perf_counter
    decoded = frames(capture)
    while True:
        t0 = clock()
        item = next(decoded, None)
        t1 = clock()
        if item is None:
            break
        frame, stamp = item
        seconds["decode"] += t1 - t0
        calls["decode"] += 1
        small = downscale(frame, DETECT_WIDTH)
        cuts = detector.feed(count, small)
        t2 = clock()
        seconds["cut detection"] += t2 - t1
        calls["cut detection"] += 1
        for cut in cuts:
            flow.cut(cut)
            new_shot = True
        before = len(flow.samples)
        flow.feed(count, small, stamp)
        t3 = clock()
        seconds["flow"] += t3 - t2
        calls["flow"] += len(flow.samples) - before
        if new_shot or count % stats_every == 0:
            faces = new_shot or count - last_face >= face_every
            last_face = count if faces else last_face
            if new_shot:
                area = active_area(small)
            frame_stats(count, small, frame if faces else None, area=area)
            calls["attributes"] += 1
            new_shot = False
        seconds["attributes"] += clock() - t3
        count += 1
    return count, seconds, calls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--clip", type=Path, help="a clip to use instead of the generated 60 s 720p one")
    args = parser.parse_args()
    clip = bench_clip(args.clip)

    floor = min(_ffmpeg_decode(clip) for _ in range(args.runs))
    passes = [one_pass(clip) for _ in range(args.runs)]
    count = passes[0][0]
    print(f"clip: {clip}, {count} frames; best of {args.runs} passes")
    print(f"{'step':<16}{'frames/s':>10}{'seconds':>9}{'calls':>8}")
    print(f"{'ffmpeg decode':<16}{count / floor:>10.0f}{floor:>9.2f}{'':>8}   (the floor, for comparison)")
    total = analysis = 0.0
    for step in passes[0][1]:
        best = min(p[1][step] for p in passes)
        total += best
        analysis += 0.0 if step == "decode" else best
        print(f"{step:<16}{count / best:>10.0f}{best:>9.2f}{passes[0][2][step]:>8}")
    print(f"{'all steps':<16}{count / total:>10.0f}{total:>9.2f}           (one after the other)")
    duration = count / _fps(clip)
    staged = min(_spot_seconds(clip) for _ in range(args.runs))
    print(f"{'spot()':<16}{count / staged:>10.0f}{staged:>9.2f}           (decoding on its own thread)")
    print(f"\nreal time: analysis without decoding {duration / analysis:.1f}x, "
          f"spot() {duration / staged:.1f}x, ffmpeg decoding alone {duration / floor:.1f}x "
          f"({duration:.0f} s of video)")


def _fps(clip: Path) -> float:
    from fc_backend.spot.video import open_video

    capture, info = open_video(clip)
    capture.release()
    return info.fps


def _spot_seconds(clip: Path) -> float:
    from fc_backend.spot import spot

    t = time.perf_counter()
    spot(clip)
    return time.perf_counter() - t


def _ffmpeg_decode(clip: Path) -> float:
    t = time.perf_counter()
    subprocess.run(["ffmpeg", "-v", "error", "-nostdin", "-i", str(clip), "-map", "0:v:0", "-f", "null", "-"],
                   check=True)
    return time.perf_counter() - t


if __name__ == "__main__":
    main()
