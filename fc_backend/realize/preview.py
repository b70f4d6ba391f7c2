"""preview.mp4: the picture with the score, what a director approves music from.

The clip's video stream is copied untouched where MP4 can hold its codec (no generation loss, no
encode time); otherwise, or when timecode and cue number are burned in, it is encoded with x264. The
master is encoded as AAC and cut to the picture's length, so both streams end within a frame.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from ..errors import FilmComposerError
from ..model import Cue, Timecode
from ..tools import require

#: video codecs an MP4 holds as they are
MP4_VIDEO = ("h264", "hevc", "mpeg4", "av1", "vp9")


def video_codec(video: Path) -> str:
    """The first video stream's codec name as ffprobe says it ('' when unknown)."""
    done = subprocess.run([require("ffprobe"), "-v", "error", "-select_streams", "v:0", "-show_entries",
                           "stream=codec_name", "-of", "json", str(video)], capture_output=True, text=True,
                          check=False, timeout=60)
    try:
        return (json.loads(done.stdout or "{}").get("streams") or [{}])[0].get("codec_name", "")
    except json.JSONDecodeError:
        return ""


def burn_in_filter(timecode: Timecode, cues: list[Cue], height: int = 0) -> str:
    """drawtext filters: running timecode bottom left, the current cue's number top left."""
    size = max(10, height // 18) if height else 16
    box = f"fontsize={size}:fontcolor=white:box=1:boxcolor=black@0.6:boxborderw=3"
    start = timecode.start.replace(":", "\\:").replace(";", "\\;")
    parts = [f"drawtext=timecode='{start}':rate={timecode.rate}:{box}:x=8:y=h-th-8"]
    for cue in cues:
        parts.append(f"drawtext=text='{_escape(cue.number)}':{box}:x=8:y=8"
                     f":enable='between(t,{cue.start:.6f},{cue.end:.6f})'")
    return ",".join(parts)


def _escape(text: str) -> str:
    return "".join("\\" + c if c in "\\':;,[]=%" else c for c in text)


def write_preview(video: Path, master: Path, target: Path, duration: float, *,
                  burn_in: tuple[Timecode, list[Cue]] | None = None, height: int = 0) -> Path:
    """Mux `video`'s picture with `master` into `target`, both `duration` seconds long.

    `burn_in` (timecode, cues) draws the running timecode and the cue number into the picture.
    """
    copy = burn_in is None and video_codec(video) in MP4_VIDEO
    cmd = [require("ffmpeg"), "-v", "error", "-y", "-i", str(video), "-i", str(master),
           "-map", "0:v:0", "-map", "1:a:0", "-t", f"{duration:.6f}"]
    if copy:
        cmd += ["-c:v", "copy"]
    else:
        if burn_in is not None:
            cmd += ["-vf", burn_in_filter(*burn_in, height=height)]
        cmd += ["-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-pix_fmt", "yuv420p"]
    cmd += ["-c:a", "aac", "-b:a", "192k", "-movflags", "+faststart", str(target)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["ffmpeg failed"])[-1]
        raise FilmComposerError(f"{target.name}: ffmpeg could not write the preview ({last})")
    return target
