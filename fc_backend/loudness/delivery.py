"""Delivery figures of a master file: rate, depth, integrated loudness, true peak, loudness range.

What a delivery spec asks of a master; the report shows them and `eval` records them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from ..errors import InputError
from .bs1770 import (
    MOMENTARY,
    SHORT_TERM,
    LoudnessMeter,
    integrated_loudness,
    k_weighted,
    loudness_range,
    range_of,
)
from .true_peak import TruePeakStream, to_db, true_peak_db

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


#: a long master is measured in blocks of this many seconds, so memory stays flat with its length
BLOCK_SECONDS = 10.0


@dataclass
class MasterMeasure:
    """`delivery`'s figures of a master file and its momentary and short-term loudness curves."""

    figures: dict[str, float | int | str]
    momentary: tuple[np.ndarray, np.ndarray]
    short_term: tuple[np.ndarray, np.ndarray]


def measure_master(path: str | Path) -> MasterMeasure:
    """`delivery(path)` and the loudness curves, read block by block: a 30-minute master is
    measured in the memory of ten seconds of it (a whole read would hold 700 MB, twice over)."""
    try:
        info = sf.info(str(path))
        meter = LoudnessMeter(info.samplerate, info.channels)
        peaks = TruePeakStream(info.channels)
        for block in sf.blocks(str(path), blocksize=int(BLOCK_SECONDS * info.samplerate), dtype="float32",
                               always_2d=True):
            meter.feed(block)
            peaks.feed(block)
    except (sf.LibsndfileError, RuntimeError) as err:
        raise InputError(path, f"not a readable audio file ({err})") from None
    if meter.samples == 0:
        raise InputError(path, "audio file holds no samples")
    peaks.finish()
    short_term = meter.curve(SHORT_TERM)
    figures = {
        "sample_rate": info.samplerate,
        "bit_depth": SUBTYPE_BITS.get(info.subtype, 0),
        "subtype": info.subtype,
        "channels": info.channels,
        "duration_s": round(info.frames / info.samplerate, 4),
        "integrated_lufs": _rounded(meter.integrated()),
        "true_peak_dbtp": _rounded(to_db(peaks.peak)),
        "loudness_range_lu": _rounded(range_of(short_term[1])),
    }
    return MasterMeasure(figures, meter.curve(MOMENTARY), short_term)


def _rounded(value: float, digits: int = 2) -> float | None:
    """JSON has no inf or NaN: an unmeasurable figure is None."""
    return round(value, digits) if math.isfinite(value) else None
