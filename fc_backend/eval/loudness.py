"""Delivery figures of a master: rate, depth, integrated loudness, true peak, loudness range.

Measured independently of the renderer's own meter (realize/loudness.py), so a bug in one shows up
as a disagreement: integrated loudness through pyloudnorm (ITU-R BS.1770-4), true peak on the whole
signal oversampled 4x (BS.1770-4 annex 2), loudness range per EBU Tech 3342 from short-term loudness.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pyloudnorm
import soundfile as sf
from pyloudnorm.iirfilter import IIRfilter
from scipy.signal import lfilter, resample_poly

from ..errors import InputError

#: bits per sample of each PCM/float subtype soundfile reports
SUBTYPE_BITS = {"PCM_S8": 8, "PCM_U8": 8, "PCM_16": 16, "PCM_24": 24, "PCM_32": 32, "FLOAT": 32, "DOUBLE": 64}
#: BS.1770 windows: momentary and short-term loudness, seconds
MOMENTARY = 0.4
SHORT_TERM = 3.0
#: EBU Tech 3342: gates and the percentiles whose distance is the range
LRA_ABSOLUTE_GATE = -70.0
LRA_RELATIVE_GATE = -20.0
LRA_PERCENTILES = (10.0, 95.0)


def read_audio(path: str | Path) -> tuple[np.ndarray, int]:
    """(samples x channels float32, sample rate), or an InputError naming the file."""
    try:
        audio, rate = sf.read(str(path), dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError) as err:
        raise InputError(path, f"not a readable audio file ({err})") from None
    if len(audio) == 0:
        raise InputError(path, "audio file holds no samples")
    return audio, rate


def k_weighted(audio: np.ndarray, sample_rate: int) -> np.ndarray:
    """The BS.1770 K-weighting (head shelf, then RLB high-pass) of every channel, float64."""
    out = np.asarray(audio, dtype=np.float64)
    for stage in (IIRfilter(4.0, 1 / np.sqrt(2), 1500.0, sample_rate, "high_shelf"),
                  IIRfilter(0.0, 0.5, 38.0, sample_rate, "high_pass")):
        out = lfilter(stage.b, stage.a, out, axis=0)
    return out


def loudness_curve(audio: np.ndarray, sample_rate: int, *, window: float = MOMENTARY, hop: float = 0.1,
                   weighted: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(centre times, LUFS) of a sliding rectangular window over the K-weighted signal.

    Only whole windows are measured; silence reads -inf. Pass `weighted` (from `k_weighted`) to
    measure several windows without filtering twice.
    """
    if weighted is None:
        weighted = k_weighted(audio, sample_rate)
    if weighted.ndim == 1:
        weighted = weighted[:, None]
    width, step = int(round(window * sample_rate)), max(1, int(round(hop * sample_rate)))
    if len(weighted) < width:
        return np.zeros(0), np.zeros(0)
    power = np.concatenate([[0.0], np.cumsum(np.sum(weighted ** 2, axis=1))])  # channel gains 1 (L, R)
    starts = np.arange(0, len(weighted) - width + 1, step)
    mean_square = (power[starts + width] - power[starts]) / width
    with np.errstate(divide="ignore"):
        lufs = -0.691 + 10 * np.log10(np.maximum(mean_square, 0.0))
    return (starts + width / 2) / sample_rate, lufs


def loudness_range(audio: np.ndarray, sample_rate: int, *, weighted: np.ndarray | None = None) -> float:
    """EBU Tech 3342 loudness range in LU (NaN when too little of the signal is above the gates)."""
    _, short_term = loudness_curve(audio, sample_rate, window=SHORT_TERM, hop=0.1, weighted=weighted)
    kept = short_term[short_term > LRA_ABSOLUTE_GATE]
    if kept.size == 0:
        return math.nan
    relative = 10 * np.log10(np.mean(10 ** (kept / 10))) + LRA_RELATIVE_GATE
    kept = kept[kept > relative]
    if kept.size < 2:
        return math.nan
    low, high = np.percentile(kept, LRA_PERCENTILES)
    return float(high - low)


def true_peak_db(audio: np.ndarray) -> float:
    """Largest |sample| of the 4x oversampled signal (and of the samples themselves), dBTP."""
    audio = np.asarray(audio, dtype=np.float32)
    peak = float(np.max(np.abs(audio), initial=0.0))
    if audio.size:
        peak = max(peak, float(np.max(np.abs(resample_poly(audio, 4, 1, axis=0)))))
    return 20 * math.log10(peak) if peak > 0 else -math.inf


def integrated_loudness(audio: np.ndarray, sample_rate: int) -> float:
    """Gated integrated loudness, LUFS, by pyloudnorm."""
    return float(pyloudnorm.Meter(sample_rate).integrated_loudness(np.asarray(audio, dtype=np.float64)))


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
