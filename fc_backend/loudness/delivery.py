"""Delivery figures of a master file: rate, depth, integrated loudness, true peak, loudness range.

What a delivery spec asks of a master; the report shows them and `eval` records them.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import soundfile as sf

from ..errors import InputError
from .bs1770 import integrated_loudness, k_weighted, loudness_range
from .true_peak import true_peak_db

#: bits per sample of each PCM/float subtype soundfile reports
SUBTYPE_BITS = {"PCM_S8": 8, "PCM_U8": 8, "PCM_16": 16, "PCM_24": 24, "PCM_32": 32, "FLOAT": 32, "DOUBLE": 64}


def read_audio(path: str | Path) -> tuple[np.ndarray, int]:
    """(samples x channels float32, sample rate), or an InputError naming the file."""
    try:
        audio, rate = sf.read(str(path), dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError) as err:
        raise InputError(path, f"not a readable audio file ({err})") from None
    if len(audio) == 0:
        raise InputError(path, "audio file holds no samples")
    return audio, rate


def delivery(path: str | Path, audio: np.ndarray | None = None, *,
             weighted: np.ndarray | None = None) -> dict[str, float | int | str]:
    """What a delivery spec asks of a master file: format and loudness figures.

    `audio` (from `read_audio`) and `weighted` (its `k_weighted`) skip work a caller already did.

    Example: ``delivery("out/master.wav")["bit_depth"]`` -> ``24``.
    """
    try:
        info = sf.info(str(path))
    except (sf.LibsndfileError, RuntimeError) as err:
        raise InputError(path, f"not a readable audio file ({err})") from None
    if audio is None:
        audio, _ = read_audio(path)
    if weighted is None:
        weighted = k_weighted(audio, info.samplerate)
    return {
        "sample_rate": info.samplerate,
        "bit_depth": SUBTYPE_BITS.get(info.subtype, 0),
        "subtype": info.subtype,
        "channels": info.channels,
        "duration_s": round(info.frames / info.samplerate, 4),
        "integrated_lufs": _rounded(integrated_loudness(audio, info.samplerate)),
        "true_peak_dbtp": _rounded(true_peak_db(audio)),
        "loudness_range_lu": _rounded(loudness_range(audio, info.samplerate, weighted=weighted)),
    }


def _rounded(value: float, digits: int = 2) -> float | None:
    """JSON has no inf or NaN: an unmeasurable figure is None."""
    return round(value, digits) if math.isfinite(value) else None
