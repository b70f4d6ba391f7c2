"""Loudness (ITU-R BS.1770-4): the one K-weighting, integrated, momentary and short-term loudness,
loudness range (EBU Tech 3342), and a streamed integrated meter for the renderer.

The streamed meter gives pyloudnorm's numbers while holding only the K-weighting filters' state and
one energy per 100 ms hop (a 400 ms gating block with 75 % overlap is four hops; the gates are
applied at the end).
"""

from __future__ import annotations

import math

import numpy as np
import pyloudnorm
from pyloudnorm.iirfilter import IIRfilter
from scipy.signal import lfilter

#: BS.1770 windows: momentary and short-term loudness, seconds
MOMENTARY = 0.4
SHORT_TERM = 3.0
#: EBU Tech 3342: gates and the percentiles whose distance is the range
LRA_ABSOLUTE_GATE = -70.0
LRA_RELATIVE_GATE = -20.0
LRA_PERCENTILES = (10.0, 95.0)
#: BS.1770 gating: 400 ms blocks every 100 ms, absolute gate -70 LKFS, relative gate -10 LU
_HOPS_PER_BLOCK, _ABSOLUTE_GATE, _RELATIVE_GATE = 4, -70.0, -10.0


def k_weighting(sample_rate: int) -> list[tuple[np.ndarray, np.ndarray, float]]:
    """(b, a, passband gain) of the BS.1770 K-weighting stages: head shelf, then RLB high-pass."""
    stages = (IIRfilter(4.0, 1 / np.sqrt(2), 1500.0, sample_rate, "high_shelf"),
              IIRfilter(0.0, 0.5, 38.0, sample_rate, "high_pass"))
    return [(s.b, s.a, s.passband_gain) for s in stages]


def k_weighted(audio: np.ndarray, sample_rate: int) -> np.ndarray:
    """The BS.1770 K-weighting (head shelf, then RLB high-pass) of every channel, float64."""
    out = np.asarray(audio, dtype=np.float64)
    for b, a, gain in k_weighting(sample_rate):
        out = lfilter(b, a, out, axis=0)
        out = out * gain if gain != 1.0 else out
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
    return range_of(short_term)


def range_of(short_term: np.ndarray) -> float:
    """EBU Tech 3342 loudness range in LU of a short-term loudness curve (LUFS every 100 ms)."""
    kept = short_term[short_term > LRA_ABSOLUTE_GATE]
    if kept.size == 0:
        return math.nan
    relative = 10 * np.log10(np.mean(10 ** (kept / 10))) + LRA_RELATIVE_GATE
    kept = kept[kept > relative]
    if kept.size < 2:
        return math.nan
    low, high = np.percentile(kept, LRA_PERCENTILES)
    return float(high - low)


def integrated_loudness(audio: np.ndarray, sample_rate: int) -> float:
    """Integrated loudness in LUFS of a whole signal (pyloudnorm; -inf when everything is gated away)."""
    return float(pyloudnorm.Meter(sample_rate).integrated_loudness(np.asarray(audio, dtype=np.float64)))


class LoudnessMeter:
    """BS.1770-4 integrated loudness of a stereo signal fed block by block.

    Identical to pyloudnorm's `integrated_loudness` on the whole signal (same K-weighting filters,
    same block boundaries), but its memory is the filter state and one float per channel per 100 ms.
    """

    def __init__(self, sample_rate: int, channels: int = 2) -> None:
        self.sample_rate = sample_rate
        self._filters = k_weighting(sample_rate)
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

    def curve(self, window: float = MOMENTARY) -> tuple[np.ndarray, np.ndarray]:
        """`loudness_curve` of everything fed so far, from the hops' energies: (centre times, LUFS) of
        every whole `window` (a whole number of 100 ms hops) starting on a hop."""
        width = int(round(window / 0.1))
        if len(self._hops) < width:
            return np.zeros(0), np.zeros(0)
        hops = np.asarray(self._hops, dtype=np.float64).sum(axis=1)
        power = np.concatenate([[0.0], np.cumsum(hops)])
        starts = np.arange(0, len(hops) - width + 1)
        mean_square = (power[starts + width] - power[starts]) / (width * self.hop)
        with np.errstate(divide="ignore"):
            lufs = -0.691 + 10 * np.log10(np.maximum(mean_square, 0.0))
        return (starts * self.hop + width * self.hop / 2) / self.sample_rate, lufs

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
