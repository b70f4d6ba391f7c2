"""The benchmarks' input: a 60 s 1280x720 H.264 clip of 12 shots with known cuts, made once and cached."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

#: 12 shots at 24 fps, 1440 frames = 60 s
SHOT_FRAMES = (144, 96, 168, 120, 72, 144, 120, 96, 168, 120, 72, 120)
FPS = 24
SIZE = (1280, 720)


def bench_clip(path: Path | None = None) -> Path:
    """The cached clip (made with the demo's generator on first use)."""
    from fc_backend.demo import make_clip

    path = path or Path(tempfile.gettempdir()) / "fc-bench" / "clip_60s_720p.mp4"
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        print(f"making {path} (60 s, {SIZE[0]}x{SIZE[1]}, {len(SHOT_FRAMES)} shots) ...", file=sys.stderr)
        partial = path.with_suffix(".partial.mp4")
        make_clip(partial, SHOT_FRAMES, fps=FPS, size=SIZE)
        partial.replace(path)
    return path
