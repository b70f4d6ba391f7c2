"""Mastering: integrated loudness (ITU-R BS.1770 via pyloudnorm) to a target, under a true-peak ceiling.

True peak is measured on a 4x oversampled signal (BS.1770-4 annex 2), so peaks between samples,
which a DAC or a lossy encoder will reconstruct, count. The limiter is a look-ahead gain computer
built from that meter: the gain each sample needs, a sliding minimum over the look-ahead so the gain
is already down when the peak arrives, a linear attack ramp, and a release no faster than a set rate.
It never adds make-up gain and never clips, unlike a general-purpose limiter plugin.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pyloudnorm
from scipy.ndimage import minimum_filter1d, uniform_filter1d
from scipy.signal import resample_poly

OVERSAMPLE = 4
LOOKAHEAD = 0.005  # s
RELEASE_DB_PER_S = 40.0
#: the limiter aims this far under the ceiling, for the 4x meter's residual error and 24-bit rounding
MARGIN_DB = 0.1
_CHUNK = 1 << 16
_PAD = 64  # input samples of overlap per chunk side: the polyphase filter spans ~10 of them


def sample_true_peaks(audio: np.ndarray) -> np.ndarray:
    """Per input sample, the largest |value| of the 4x oversampled signal (all channels) around it."""
    audio = np.asarray(audio, dtype=np.float32)
    if audio.ndim == 1:
        audio = audio[:, None]
    n = len(audio)
    peaks = np.zeros(n, dtype=np.float32)
    for start in range(0, n, _CHUNK):
        end = min(n, start + _CHUNK)
        lo, hi = max(0, start - _PAD), min(n, end + _PAD)
        first = (start - lo) * OVERSAMPLE
        for channel in range(audio.shape[1]):  # (reductions over a length-2 axis are slow in numpy)
            up = np.abs(resample_poly(audio[lo:hi, channel], OVERSAMPLE, 1))
            up = up[first:first + (end - start) * OVERSAMPLE]
            phases = np.maximum(np.maximum(up[0::4], up[1::4]), np.maximum(up[2::4], up[3::4]))
            np.maximum(peaks[start:end], phases, out=peaks[start:end])
            # the sample itself counts even if the interpolation filter rounds it down
            np.maximum(peaks[start:end], np.abs(audio[start:end, channel]), out=peaks[start:end])
    return peaks


def true_peak_db(audio: np.ndarray) -> float:
    """True peak in dBTP (-inf for silence)."""
    peak = float(sample_true_peaks(audio).max(initial=0.0))
    return 20 * math.log10(peak) if peak > 0 else -math.inf


def integrated_loudness(audio: np.ndarray, sample_rate: int) -> float:
    """Integrated loudness in LUFS (-inf when everything is gated away)."""
    return float(pyloudnorm.Meter(sample_rate).integrated_loudness(np.asarray(audio, dtype=np.float64)))


def limiter_gain(audio: np.ndarray, sample_rate: int, ceiling_db: float, *, lookahead: float = LOOKAHEAD,
                 release_db_per_s: float = RELEASE_DB_PER_S) -> np.ndarray:
    """Per-sample linear gain (<= 1) that keeps the 4x true peak under `ceiling_db`."""
    gain = _gain_for_peaks(sample_true_peaks(audio), sample_rate, ceiling_db, lookahead, release_db_per_s)
    return np.ones(len(audio), dtype=np.float32) if gain is None else gain


def _gain_for_peaks(peaks: np.ndarray, sample_rate: int, ceiling_db: float, lookahead: float = LOOKAHEAD,
                    release_db_per_s: float = RELEASE_DB_PER_S) -> np.ndarray | None:
    """The limiter's gain computer on per-sample true peaks; None when no sample needs reducing."""
    limit = 10 ** ((ceiling_db - MARGIN_DB) / 20)
    if float(peaks.max(initial=0.0)) <= limit:
        return None
    with np.errstate(divide="ignore"):
        need = np.minimum(0.0, (ceiling_db - MARGIN_DB) - 20 * np.log10(peaks.astype(np.float64)))  # dB
    width = max(1, int(round(lookahead * sample_rate)))
    # forward minimum over [n, n + width]; every term of the backward average over [n - width, n]
    # then covers sample n, so the smoothed gain is never above what n needs
    # (scipy origins: these place the windows exactly at [n, n + width] and [n - width, n])
    ahead = minimum_filter1d(need, size=width + 1, origin=-((width + 1) // 2), mode="nearest")
    attack = uniform_filter1d(ahead, size=width + 1, origin=width // 2, mode="nearest")
    # release: g[n] = min over k <= n of (attack[k] + rate (n - k)), a cumulative minimum, O(n) and vectorised
    rate = release_db_per_s / sample_rate
    ramp = rate * np.arange(len(attack), dtype=np.float64)
    gain_db = np.minimum.accumulate(attack - ramp) + ramp
    return (10.0 ** (np.minimum(gain_db, 0.0) / 20.0)).astype(np.float32)


@dataclass
class MasterReport:
    """What mastering did: the loudness gain (dB, no limiting), final loudness and true peak."""

    gain_db: float
    loudness: float
    true_peak: float


def master(audio: np.ndarray, sample_rate: int, *, target_lufs: float = -23.0, ceiling_db: float = -1.0,
           passes: int = 3) -> tuple[np.ndarray, MasterReport]:
    """Normalise to `target_lufs`, then limit to `ceiling_db` dBTP; repeat while limiting cost loudness.

    Gain is linear, so the loudness and the true peaks of a scaled signal are the measured ones
    scaled: each is measured again only after the limiter has changed the signal.
    """
    out = np.asarray(audio, dtype=np.float32)
    loudness = integrated_loudness(out, sample_rate)
    peaks = sample_true_peaks(out)
    total_gain_db = 0.0
    for _ in range(max(1, passes)):
        if not math.isfinite(loudness):
            break  # silence: nothing to normalise
        step_db = target_lufs - loudness
        gain = np.float32(10 ** (step_db / 20))
        out, peaks, loudness = out * gain, peaks * gain, target_lufs
        total_gain_db += step_db
        limiter = _gain_for_peaks(peaks, sample_rate, ceiling_db)
        if limiter is None:
            break
        out *= limiter[:, None]
        loudness = integrated_loudness(out, sample_rate)
        peaks = sample_true_peaks(out)
        if abs(loudness - target_lufs) < 0.2:
            break
    peak = float(peaks.max(initial=0.0))
    return out, MasterReport(total_gain_db, loudness, 20 * math.log10(peak) if peak > 0 else -math.inf)
