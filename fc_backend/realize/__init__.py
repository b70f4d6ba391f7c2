"""Realize: a Plan becomes files — arrangement.mid, project.rpp, master.wav and per-track stems.

The offline render works like a mix engineer: dry stems from one multi-channel FluidSynth pass
(render.py), a channel strip per track and one shared reverb bus (mix.py), streamed block by block to
disk (mixdown.py), then loudness and a look-ahead true-peak ceiling in a second streaming pass
(master.py, limiter.py, loudness.py): memory stays flat however long the clip. The .RPP (rpp.py)
holds the same tracks, gains, sends and envelope, so REAPER plays
what the offline render heard.
"""

from __future__ import annotations

import json
import logging
import math
import os
import shutil
from pathlib import Path

import numpy as np
import soundfile as sf

from ..config import Config
from ..formats.midi import MidiPart, write_midi
from ..model import Plan
from ..progress import Progress, no_progress
from ..tools import soundfont
from .master import Spool, master, pcm24, pcm24_writer
from .mixdown import mixdown
from .rpp import write_rpp
from .stems import stem_names as _stem_names

__all__ = ["realize", "write_project"]

log = logging.getLogger(__name__)


def realize(plan: Plan, out_dir: str | Path, config: Config | None = None, *, video: str | Path | None = None,
            progress: Progress = no_progress) -> dict[str, Path]:
    """Write arrangement.mid, project.rpp, master.wav and stems/ into `out_dir` (which exists).

    Returns {"arrangement.mid": path, "project.rpp": path, "master.wav": path, "stems": folder}.
    Each file appears under its final name only once complete.

    Example: ``realize(plan, "out", Config(loudness=-14.0), video="clip.mp4")``.
    """
    config = config or Config()
    out = Path(out_dir)
    paths = {name: out / name for name in ("arrangement.mid", "project.rpp", "master.wav")}

    partial = out / ".arrangement.mid.partial"
    write_midi(partial, plan.tempo_map,
               [MidiPart(t.name, t.notes, t.gm_program, t.is_drum) for t in plan.tracks],
               key=plan.key)
    os.replace(partial, paths["arrangement.mid"])
    write_project(plan, out, video=video)
    progress(0.02)

    stems = _render_master(plan, out, config, lambda f: progress(0.02 + 0.97 * f))
    paths["stems"] = stems
    progress(1.0)
    return paths


def write_project(plan: Plan, out: Path, *, video: str | Path | None = None) -> Path:
    """out/project.rpp for `plan`, complete or not at all; again after the sync check colours the hits."""
    partial = out / ".project.rpp.partial"
    write_rpp(plan, partial, video=video if video is not None else plan.video, scheme=_scheme(out))
    os.replace(partial, out / "project.rpp")
    return out / "project.rpp"


def _scheme(out: Path) -> dict | None:
    """OUT/scheme.json (the pipeline writes it before realizing), for the project's ExtState."""
    try:
        return json.loads((out / "scheme.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _render_master(plan: Plan, out: Path, config: Config, progress: Progress) -> Path:
    """Mix to disk, master to master.wav, then write stems/ at the mastering gain, all in blocks."""
    staging = out / ".stems.partial"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    scratch = staging / ".scratch"
    scratch.mkdir()
    names = _stem_names([t.name for t in plan.tracks] + [plan.reverb.name])
    try:
        premix = mixdown(plan, soundfont(config.soundfont), scratch, names, tail=config.tail,
                         progress=lambda f: progress(0.75 * f))
        partial = out / ".master.wav.partial"
        report = master(premix.mix, premix.peaks, premix.loudness, premix.peak, partial, plan.sample_rate,
                        target_lufs=config.loudness, ceiling_db=config.true_peak,
                        progress=lambda f: progress(0.75 + 0.2 * f))
        log.info("master: %+.2f dB to %.2f LUFS, true peak %.2f dBTP, limiter down to %.2f dB, %d pass(es)",
                 report.gain_db, report.loudness, report.true_peak, report.limited_db, report.passes)
        gain = 10 ** (report.gain_db / 20) if math.isfinite(premix.loudness) else 1.0
        as_float = max(premix.stem_peaks, default=0.0) * gain > 0.999
        if as_float:
            log.info("a stem peaks above 0 dBFS before the limiter: stems written as 32-bit float WAV")
        for index, (stem, name) in enumerate(zip(premix.stems, names, strict=True)):
            _finish_stem(stem, gain, staging / f"{name}.wav", plan.sample_rate, as_float=as_float)
            progress(0.95 + 0.05 * (index + 1) / len(names))
        shutil.rmtree(scratch)
        os.replace(partial, out / "master.wav")
        final = out / "stems"
        final.mkdir(exist_ok=True)
        for stem in staging.iterdir():  # file by file: other files in stems/ are not ours to remove
            os.replace(stem, final / stem.name)
        return final
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        (out / ".master.wav.partial").unlink(missing_ok=True)


def _finish_stem(stem: Spool, gain: float, target: Path, sample_rate: int, *, as_float: bool) -> None:
    """A float stem at the master's loudness gain, so the stems sum to the master before its limiter.

    24-bit when every stem fits under 0 dBFS; otherwise 32-bit float, since scaling or clipping the
    loud stem alone would break the sum (the limiter tames the master, not the stems).
    """
    g = np.float32(gain)
    if as_float:
        with sf.SoundFile(target, "w", samplerate=sample_rate, channels=2, subtype="FLOAT",
                          format="WAV") as out:
            for block in stem.blocks():
                out.write(block * g)
    else:
        with pcm24_writer(target, sample_rate) as out:
            for block in stem.blocks():
                out.write(pcm24(block * g))
    stem.path.unlink()
