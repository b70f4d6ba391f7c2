"""Per-cue deliverables: the master and every stem cut to each cue's span, for `render --cues`.

A music editor lays cues in one by one, so each cue gets its own folder cues/<number>/ whose files
carry the cue number (`1M1 master.wav`, `1M1 Strings.wav`). The cuts are sample-exact slices of the
rendered files, copied without conversion (24-bit stays 24-bit, a float stem stays float), so a cue's
file is bit for bit the same audio as that stretch of the master.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import soundfile as sf

from ..errors import InputError
from ..model import Cue, Plan
from ..scorefolder import CUES, MASTER
from .rpp import stem_files

#: frames read and written at a time (a feature-length stem does not fit in memory as one array)
_BLOCK = 1 << 18


def cue_span(cue: Cue, sample_rate: int, frames: int) -> tuple[int, int]:
    """The cue's first and end sample (end exclusive), rounded to the nearest sample, inside the file."""
    start = min(max(round(cue.start * sample_rate), 0), frames)
    return start, min(max(round(cue.end * sample_rate), start), frames)


def cue_file_name(number: str, part: str) -> str:
    """`1M1 master.wav`: the cue number first (as the Region Render Matrix's `$region` names them)."""
    return f"{_safe(number)} {part}.wav"


def write_cue_files(plan: Plan, folder: Path) -> list[str]:
    """Cut folder's master.wav and stems/*.wav into folder/cues/<number>/; returns the paths written
    (relative to `folder`). The files must be the ones this plan rendered (same sample rate)."""
    sources = [(folder / MASTER, "master")]
    sources += [(folder / file, Path(file).stem) for _, file in stem_files(plan)]
    written: list[str] = []
    for cue in plan.cue_list():
        target = Path(CUES) / _safe(cue.number)
        for source, part in sources:
            name = (target / cue_file_name(cue.number, part)).as_posix()
            _cut(source, folder / name, cue, plan.sample_rate)
            written.append(name)
    return written


def _cut(source: Path, target: Path, cue: Cue, sample_rate: int) -> None:
    """Copy the cue's samples of `source` to `target` in the same format, block by block."""
    if not source.is_file():
        raise InputError(source, "missing; render the score first (filmcomposer render OUT)")
    info = sf.info(str(source))
    if info.samplerate != sample_rate:
        raise InputError(source, f"is {info.samplerate} Hz but plan.json says {sample_rate} Hz; re-render")
    start, end = cue_span(cue, sample_rate, info.frames)
    dtype = "float32" if info.subtype in ("FLOAT", "DOUBLE") else "int32"
    target.parent.mkdir(parents=True, exist_ok=True)
    with sf.SoundFile(str(source)) as src, sf.SoundFile(str(target), "w", samplerate=sample_rate,
                                                        channels=info.channels, subtype=info.subtype,
                                                        format="WAV") as dst:
        src.seek(start)
        left = end - start
        while left > 0:
            block = src.read(min(_BLOCK, left), dtype=dtype, always_2d=True)
            if not len(block):
                break
            dst.write(np.ascontiguousarray(block))
            left -= len(block)


def _safe(text: str) -> str:
    """A cue number as a file-name part: letters, digits, '-', '_' and '.' only."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("._") or "cue"
