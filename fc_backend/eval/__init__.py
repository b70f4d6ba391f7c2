"""Objective metrics of a scored folder: rhythm alignment, dynamics, musicality, delivery, diversity.

Everything is computed from what `score` wrote (spotting.json, assessment.json, master.wav), so a
folder scored elsewhere, or edited and re-rendered, is measured the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InputError
from ..model import Assessment, Spotting
from ..scorefolder import ASSESSMENT, SPOTTING, ScoreFolder

__all__ = ["diversity", "evaluate"]


def evaluate(out_dir: str | Path) -> dict[str, Any]:
    """Every single-score metric of the folder `out_dir`, as a JSON-ready dict.

    Example: ``evaluate("out")["rhythm"]["hit_rate"]`` -> ``0.875``.
    """
    # scipy, pyloudnorm and librosa load here, not at import: every `filmcomposer` call imports this package
    from ..loudness import delivery, k_weighted, read_audio
    from .dynamics import dynamic_variation
    from .rhythm import rhythm_alignment

    out = _folder(Path(out_dir))
    spotting = ScoreFolder(out).load(Spotting, SPOTTING)
    assessment = ScoreFolder(out).load(Assessment, ASSESSMENT)
    master = _master_path(out)
    audio, rate = read_audio(master)
    weighted = k_weighted(audio, rate)
    return {
        "out_dir": str(out),
        "rhythm": rhythm_alignment(spotting.rhythm_spots, mono(audio), rate, spotting.duration),
        "dynamics": dynamic_variation(spotting.motion_curve, spotting.shots, audio, rate, weighted=weighted),
        "musicality": {"total": round(assessment.total, 4), "out_of": len(assessment.criteria),
                       "threshold": assessment.threshold, "passed": assessment.passed,
                       "attempts": assessment.attempts,
                       "reviewers": {k: round(v, 4) for k, v in assessment.reviewers.items()}},
        "delivery": delivery(master, audio),
    }


def diversity(out_dirs: Sequence[str | Path]) -> float:
    """Mean pairwise chroma distance between the masters of two or more scored folders (0 = identical).

    Example: ``diversity(["out_seed1", "out_seed2"])`` -> ``0.41``.
    """
    from ..loudness import read_audio
    from .diversity import chroma_diversity, chromagram

    if len(out_dirs) < 2:
        raise ValueError("diversity needs at least two scored folders")
    grams = []
    for out in out_dirs:
        audio, rate = read_audio(_master_path(Path(out)))
        grams.append(chromagram(mono(audio), rate))
    return chroma_diversity(grams)


def _folder(out: Path) -> Path:
    if not out.is_dir():
        raise InputError(out, "no such folder (give a folder `filmcomposer score` wrote)")
    return out


def _master_path(out: Path) -> Path:
    master = _folder(out) / "master.wav"
    if not master.is_file():
        raise InputError(master, "missing; render the score first (filmcomposer render OUT)")
    return master


def mono(audio: np.ndarray) -> np.ndarray:
    """The channels' mean."""
    return audio.mean(axis=1) if audio.ndim == 2 else audio
