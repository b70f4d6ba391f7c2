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


# ------------------------------------------------------------------------------------ long films

#: places a generated film returns to, each its own palette (gradient and shape colours, BGR), texture
#: (grain size and depth of the pattern that pans behind the action) and moving shapes
FILM_SETTINGS: dict[str, dict] = {
    "forest": {"top": (40, 90, 30), "bottom": (20, 40, 10), "shape": (90, 200, 230), "grain": 24,
               "depth": 0.8, "shapes": 3, "radius": 28},
    "sea": {"top": (200, 140, 40), "bottom": (120, 60, 10), "shape": (250, 250, 250), "grain": 16,
            "depth": 0.5, "shapes": 6, "radius": 12},
    "desert": {"top": (120, 200, 240), "bottom": (60, 130, 200), "shape": (30, 40, 120), "grain": 48,
               "depth": 0.4, "shapes": 2, "radius": 40},
    "night": {"top": (60, 20, 20), "bottom": (20, 5, 5), "shape": (60, 220, 255), "grain": 20,
              "depth": 0.8, "shapes": 8, "radius": 6},
    "ballroom": {"top": (120, 40, 170), "bottom": (60, 20, 90), "shape": (200, 220, 255), "grain": 30,
                 "depth": 0.6, "shapes": 5, "radius": 18},
}
#: a black leader: the film's own silence between two sequences
BLACK = "black"


def make_film(path: str | Path, sequences: list[tuple[str, float]], *, shot_seconds: float = 6.0,
              fps: int = 24, size: tuple[int, int] = (640, 360),
              seed: int = 0) -> list[tuple[str, float, float]]:
    """Write an H.264 film of `sequences` (setting name of FILM_SETTINGS or BLACK, seconds) and return
    each sequence as (setting, start, end) in seconds, on frame boundaries.

    A sequence is cut into shots of about `shot_seconds` (each a new framing of the same place: the
    pattern panned elsewhere, the shapes placed anew), so cuts happen inside a setting too; a setting
    that comes back looks the same without repeating a frame. Frames are drawn with numpy and piped to
    ffmpeg as they are made: memory stays flat whatever the length.

    Example: ``make_film("f.mp4", [("forest", 30), ("sea", 20), ("forest", 30)])``.
    """
    import cv2
    import numpy as np

    ffmpeg = require("ffmpeg")
    w, h = size
    rng = np.random.default_rng(seed)
    cmd = [ffmpeg, "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "bgr24", "-s", f"{w}x{h}",
           "-r", str(fps), "-i", "-", "-c:v", "libx264", "-preset", "ultrafast", "-crf", "23",
           "-pix_fmt", "yuv420p", "-g", str(fps * 2), "-threads", "1", str(path)]
    canvases = {name: _setting_canvas(FILM_SETTINGS[name], w, h, seed) for name in FILM_SETTINGS}
    reverse = {name: np.ascontiguousarray(canvas[::-1, ::-1]) for name, canvas in canvases.items()}
    spans, frame = [], 0
    with subprocess.Popen(cmd, stdin=subprocess.PIPE) as encoder:
        assert encoder.stdin is not None
        try:
            for name, seconds in sequences:
                total = max(1, round(seconds * fps))
                spans.append((name, frame / fps, (frame + total) / fps))
                shots = max(1, round(total / (shot_seconds * fps)))
                edges = [round(i * total / shots) for i in range(shots + 1)]
                for number, length in enumerate(b - a for a, b in zip(edges, edges[1:], strict=False)):
                    # every other shot the reverse angle: a hard cut, the same place
                    canvas = (reverse if number % 2 else canvases).get(name)
                    for picture in _shot(name, canvas, length, w, h, rng, cv2, np):
                        encoder.stdin.write(picture.tobytes())
                frame += total
        finally:
            encoder.stdin.close()
    if encoder.returncode:
        raise RuntimeError(f"ffmpeg could not encode {path} (exit {encoder.returncode})")
    return spans


def _setting_canvas(setting: dict, w: int, h: int, seed: int):  # noqa: ANN202  (numpy array)
    """A picture twice the frame's width and a little taller: the setting's gradient (top to bottom, so
    every framing shows most of it), textured by its grain."""
    import cv2
    import numpy as np

    rng = np.random.default_rng(seed + setting["grain"])
    big_w, big_h = 2 * w, h + h // 8
    noise = rng.random((big_h // setting["grain"] + 2, big_w // setting["grain"] + 2)).astype(np.float32)
    noise = cv2.resize(noise, (big_w, big_h), interpolation=cv2.INTER_CUBIC)[..., None]
    ramp = np.linspace(0.0, 1.0, big_h, dtype=np.float32)[:, None, None]
    top, bottom = np.array(setting["top"], np.float32), np.array(setting["bottom"], np.float32)
    gradient = (1 - ramp) * top + ramp * bottom
    textured = gradient * (1.0 + setting["depth"] * (noise - 0.5) * 2.0)
    return np.clip(textured, 0, 255).astype(np.uint8)


def _shot(name: str, canvas, frames: int, w: int, h: int, rng, cv2, np):  # noqa: ANN001, ANN202
    """The frames of one shot: a window panning over the setting's canvas, its shapes moving across."""
    if canvas is None:  # black leader
        black = np.zeros((h, w, 3), np.uint8)
        for _ in range(frames):
            yield black
        return
    setting = FILM_SETTINGS[name]
    room_x, room_y = canvas.shape[1] - w, canvas.shape[0] - h
    x0, y0 = int(rng.integers(0, room_x)), int(rng.integers(0, room_y))
    vx, vy = rng.uniform(-1.5, 1.5), rng.uniform(-0.1, 0.1)
    count = setting["shapes"]
    pos = rng.uniform((0, 0), (w, h), size=(count, 2))
    vel = rng.uniform(-4, 4, size=(count, 2))
    for i in range(frames):
        x = int(np.clip(x0 + vx * i, 0, room_x))
        y = int(np.clip(y0 + vy * i, 0, room_y))
        picture = canvas[y:y + h, x:x + w].copy()
        for (px, py), (dx, dy) in zip(pos, vel, strict=True):
            cx, cy = int((px + dx * i) % w), int((py + dy * i) % h)
            cv2.circle(picture, (cx, cy), setting["radius"], setting["shape"], -1, lineType=cv2.LINE_8)
        yield picture


def film_sequences(seconds: float, *, seed: int = 0) -> list[tuple[str, float]]:
    """A reel of `seconds` for `make_film`: the settings come back in a shuffled order (never one twice
    in a row), each stay 30 to 90 s, with a 4 s black leader after every seventh."""
    import numpy as np

    rng = np.random.default_rng(seed)
    names = list(FILM_SETTINGS)
    sequences: list[tuple[str, float]] = []
    total, previous = 0.0, ""
    while total < seconds - 1e-9:
        if sequences and len(sequences) % 8 == 7:
            name, length = BLACK, 4.0
        else:
            name = str(rng.choice([n for n in names if n != previous]))
            length = float(rng.choice((30.0, 45.0, 60.0, 75.0, 90.0)))
        length = min(length, seconds - total)
        sequences.append((name, length))
        total += length
        previous = name
    return sequences
