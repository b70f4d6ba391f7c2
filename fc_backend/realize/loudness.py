"""Meters: integrated loudness (ITU-R BS.1770-4) and true peak (4x oversampled), whole or streamed.

True peak is measured on a 4x oversampled signal (BS.1770-4 annex 2), so peaks between samples,
which a DAC or a lossy encoder will reconstruct, count. The streaming meters give the same numbers
as the whole-signal ones while holding only a block: loudness keeps the K-weighting filters' state
and one energy per 100 ms hop (a 400 ms gating block with 75 % overlap is four hops; the gates are
applied at the end), true peak keeps a few samples of overlap for its interpolation filter.
"""

from __future__ import annotations

import math

import numpy as np
import pyloudnorm
from pyloudnorm.iirfilter import IIRfilter
from scipy.signal import lfilter, resample_poly

OVERSAMPLE = 4
_CHUNK = 1 << 16
_PAD = 64  # input samples of overlap per chunk side: the polyphase filter spans ~10 of them
#: BS.1770 gating: 400 ms blocks every 100 ms, absolute gate -70 LKFS, relative gate -10 LU
_HOPS_PER_BLOCK, _ABSOLUTE_GATE, _RELATIVE_GATE = 4, -70.0, -10.0


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


def integrated_loudness(audio: np.ndarray, sample_rate: int) -> float:
    """Integrated loudness in LUFS of a whole signal (pyloudnorm; -inf when everything is gated away)."""
    return float(pyloudnorm.Meter(sample_rate).integrated_loudness(np.asarray(audio, dtype=np.float64)))


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


class LoudnessMeter:
    """BS.1770-4 integrated loudness of a stereo signal fed block by block.

    Identical to pyloudnorm's `integrated_loudness` on the whole signal (same K-weighting filters,
    same block boundaries), but its memory is the filter state and one float per channel per 100 ms.
    """

    def __init__(self, sample_rate: int, channels: int = 2) -> None:
        self.sample_rate = sample_rate
        stages = (IIRfilter(4.0, 1 / np.sqrt(2), 1500.0, sample_rate, "high_shelf"),
                  IIRfilter(0.0, 0.5, 38.0, sample_rate, "high_pass"))
        self._filters = [(s.b, s.a, s.passband_gain) for s in stages]
        self._state = [np.zeros((max(len(b), len(a)) - 1, channels)) for b, a, _ in self._filters]
        self.hop = int(round(0.1 * sample_rate))
        self._hops: list[np.ndarray] = []  # summed squares per hop and channel
        self._partial = np.zeros(channels)
        self._filled = 0
        self.samples = 0

    def feed(self, block: np.ndarray) -> None:
        x = np.asarray(block, dtype=np.float64)
        for i, (b, a, gain) in enumerate(self._filters):
            x, self._state[i] = lfilter(b, a, x, axis=0, zi=self._state[i])
            x = x * gain if gain != 1.0 else x
        self.samples += len(x)
        pos = 0
        while pos < len(x):
            take = min(self.hop - self._filled, len(x) - pos)
            self._partial += np.einsum("ij,ij->j", x[pos:pos + take], x[pos:pos + take])
            self._filled += take
            pos += take
            if self._filled == self.hop:
                self._hops.append(self._partial)
                self._partial, self._filled = np.zeros_like(self._partial), 0

    def integrated(self) -> float:
        """Integrated loudness in LUFS of everything fed so far (-inf for silence or < 400 ms)."""
        hops = np.array(self._hops + ([self._partial] if self._filled else []), dtype=np.float64)
        block = self.hop * _HOPS_PER_BLOCK
        count = int(np.round((self.samples / self.sample_rate - 0.4) / 0.1)) + 1
        if count < 1 or len(hops) == 0:
            return -math.inf
        missing = max(0, count + _HOPS_PER_BLOCK - 1 - len(hops))  # a last block may run past the end
        padded = np.concatenate([hops, np.zeros((missing, hops.shape[1]))])
        window = np.cumsum(np.concatenate([np.zeros((1, hops.shape[1])), padded]), axis=0)
        z = (window[_HOPS_PER_BLOCK:count + _HOPS_PER_BLOCK] - window[:count]) / block  # mean squares
        with np.errstate(divide="ignore"):
            levels = -0.691 + 10 * np.log10(z.sum(axis=1))
            gated = z[levels >= _ABSOLUTE_GATE]
            if not len(gated):
                return -math.inf
            relative = -0.691 + 10 * np.log10(gated.mean(axis=0).sum()) + _RELATIVE_GATE
            kept = z[(levels > relative) & (levels > _ABSOLUTE_GATE)]
            if not len(kept):
                return -math.inf
            return float(-0.691 + 10 * np.log10(kept.mean(axis=0).sum()))
