"""True peak (ITU-R BS.1770-4 annex 2): the 4x oversampled signal's peak, whole or streamed.

Peaks between samples, which a DAC or a lossy encoder will reconstruct, count. The stream gives the
same numbers as the whole-signal meter while keeping only a few samples of overlap for its filter.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.signal import resample_poly

OVERSAMPLE = 4
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
    return to_db(float(sample_true_peaks(audio).max(initial=0.0)))


def to_db(amplitude: float) -> float:
    return 20 * math.log10(amplitude) if amplitude > 0 else -math.inf


class TruePeakStream:
    """Per-sample true peaks of a signal fed in blocks, delayed by a few samples of filter context.

    `feed(block)` returns the peaks of the samples that are now complete (their neighbours on both
    sides known); `finish()` returns the rest. Concatenated, they equal `sample_true_peaks` of the
    whole signal (to float rounding), and `peak` is its maximum so far.
    """

    def __init__(self, channels: int = 2) -> None:
        self._tail = np.zeros((_PAD, channels), dtype=np.float32)  # silence before the signal
        self._pending = 0  # samples at the end of the tail that still need right-hand context
        self.peak = 0.0

    def feed(self, block: np.ndarray) -> np.ndarray:
        buffer = np.concatenate([self._tail, np.asarray(block, dtype=np.float32)])
        done = len(buffer) - _PAD  # samples [start, done) have _PAD samples of context to the right
        start = len(self._tail) - self._pending
        peaks = sample_true_peaks(buffer)[start:done] if done > start else np.zeros(0, np.float32)
        self._pending = len(buffer) - max(done, start)
        self._tail = buffer[-min(len(buffer), self._pending + _PAD):]
        if len(peaks):
            self.peak = max(self.peak, float(peaks.max()))
        return peaks

    def finish(self) -> np.ndarray:
        pending = self._pending
        if not pending:
            return np.zeros(0, np.float32)
        buffer = np.concatenate([self._tail, np.zeros((_PAD, self._tail.shape[1]), np.float32)])
        start = len(self._tail) - pending
        peaks = sample_true_peaks(buffer)[start:start + pending]
        self._pending = 0
        self.peak = max(self.peak, float(peaks.max(initial=0.0)))
        return peaks
