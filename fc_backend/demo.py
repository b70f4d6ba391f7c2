"""Synthetic multi-shot clips with known cuts: the demo's input and the tests' ground truth."""

from __future__ import annotations

import subprocess
from fractions import Fraction
from pathlib import Path

from .tools import require

#: visually distinct moving sources, one per shot in turn, so every boundary is a hard cut; the random
#: ones are seeded, so a clip (and every test result on it) is the same on every run
_SOURCES = (
    "testsrc2=size={w}x{h}:rate={fps}",
    "mandelbrot=size={w}x{h}:rate={fps}",
    "smptehdbars=size={w}x{h}:rate={fps},hue=h=t*40",
    "life=size={w}x{h}:rate={fps}:mold=10:ratio=0.2:seed=11:death_color=#203060:life_color=#e0c040",
    "yuvtestsrc=size={w}x{h}:rate={fps},hue=h=t*60",
    "cellauto=size={w}x{h}:rate={fps}:rule=110:seed=5",
    "rgbtestsrc=size={w}x{h}:rate={fps},rotate=a=t*0.5",
)

DEMO_SHOT_FRAMES = (72, 48, 96, 60, 84, 60)


def make_clip(path: str | Path, shot_frames: tuple[int, ...] | list[int] = DEMO_SHOT_FRAMES, *,
              fps: int | str = 24, size: tuple[int, int] = (640, 360),
              timecode: str | None = None) -> list[float]:
    """Write an H.264 clip whose shots last `shot_frames` frames; returns the cut times in seconds.

    `fps` may be an NTSC rate ("30000/1001"); `timecode` tags the first frame (MP4/MOV tmcd track).

    Example: ``make_clip("demo.mp4", [48, 24, 72])`` -> ``[2.0, 3.0]``.
    """
    ffmpeg = require("ffmpeg")
    w, h = size
    cmd = [ffmpeg, "-v", "error", "-y"]
    for i, frames in enumerate(shot_frames):
        src = _SOURCES[i % len(_SOURCES)].format(w=w, h=h, fps=fps)
        cmd += ["-f", "lavfi", "-i", f"{src},trim=end_frame={frames},setpts=PTS-STARTPTS,format=yuv420p"]
    joined = "".join(f"[{i}:v]" for i in range(len(shot_frames)))
    cmd += ["-filter_complex", f"{joined}concat=n={len(shot_frames)}:v=1:a=0[v]", "-map", "[v]",
            "-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-pix_fmt", "yuv420p",
            "-r", str(fps), "-g", str(fps * 2),
            "-threads", "1",  # x264 on several threads can give other frames from run to run
            *(["-timecode", timecode] if timecode else []), str(path)]
    subprocess.run(cmd, check=True, capture_output=True)
    cuts, frame = [], 0
    for frames in shot_frames[:-1]:
        frame += frames
        cuts.append(float(Fraction(frame) / Fraction(fps)))
    return cuts
