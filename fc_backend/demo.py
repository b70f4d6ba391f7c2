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


#: scenes whose content is known, for the shot attributes: (sky colour or None, ground colour, ground
#: texture amplitude, share of the frame that is sky), colours in RGB
SCENES: dict[str, tuple[tuple[int, int, int] | None, tuple[int, int, int], int, float]] = {
    "meadow": ((150, 210, 250), (140, 220, 100), 60, 0.4),  # sunlit: blue sky over green grass
    "sea": ((150, 210, 250), (40, 110, 200), 50, 0.4),  # sky over rippled blue water
    "sky": ((120, 180, 245), (120, 180, 245), 0, 1.0),  # nothing but clear sky
    "room": (None, (90, 70, 55), 40, 0.0),  # a dim brown interior, no sky
}


def make_scene_clip(path: str | Path, shots: list[tuple[str, int, float]], *, fps: int = 24,
                    size: tuple[int, int] = (320, 180), seed: int = 0) -> list[float]:
    """Write an H.264 clip of SCENES shots, each (scene, frames, pan speed in frame widths per second);
    returns the cut times in seconds. A pan of 0 is a still picture; the ground's texture is seeded noise.

    Example: ``make_scene_clip("m.mp4", [("meadow", 48, 0.0), ("sea", 48, 0.2)])`` -> ``[2.0]``.
    """
    import numpy as np

    ffmpeg = require("ffmpeg")
    w, h = size
    rng = np.random.default_rng(seed)
    cmd = [ffmpeg, "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{w}x{h}",
           "-r", str(fps), "-i", "-", "-c:v", "libx264", "-preset", "veryfast", "-crf", "20",
           "-pix_fmt", "yuv420p", "-g", str(fps * 2), "-threads", "1", str(path)]
    with subprocess.Popen(cmd, stdin=subprocess.PIPE, stderr=subprocess.PIPE) as proc:
        assert proc.stdin is not None
        for scene, frames, pan in shots:
            sky, ground, texture, sky_share = SCENES[scene]
            # a strip four frames wide, panned across: the texture is smoothed noise, blobs a few pixels big
            noise = rng.normal(0.0, 1.0, (h // 4 + 1, w + 1))
            noise = np.kron(noise, np.ones((4, 4)))[:h, : 4 * w] if texture else np.zeros((h, 4 * w))
            strip = np.clip(np.array(ground, float) + texture * noise[..., None], 0, 255)
            horizon = round(h * sky_share)
            if sky is not None:
                strip[:horizon] = sky
            strip = strip.astype(np.uint8)
            for f in range(frames):
                x = round(f * pan * w / fps) % (3 * w)
                proc.stdin.write(np.ascontiguousarray(strip[:, x:x + w]).tobytes())
        proc.stdin.close()
        if proc.wait() != 0:
            raise RuntimeError(f"ffmpeg could not write {path}: {proc.stderr.read().decode()[-300:]}")
    cuts, frame = [], 0
    for _, frames, _ in shots[:-1]:
        frame += frames
        cuts.append(frame / fps)
    return cuts
