"""A look-ahead true-peak limiter: the gain each sample needs to stay under a dBTP ceiling.

The gain computer works on the 4x oversampled true peaks (`loudness.sample_true_peaks`): the gain
each sample needs, a sliding minimum over the look-ahead so the gain is already down when the peak
arrives, a linear attack ramp (a moving average over the same window), and a release no faster than
a set rate. It never adds make-up gain and never clips, unlike a general-purpose limiter plugin
(pedalboard's Limiter adds gain and clips). `LookaheadLimiter` runs the same computer on a stream,
carrying its look-ahead buffer from block to block.
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import minimum_filter1d, uniform_filter1d

from ..loudness import sample_true_peaks

LOOKAHEAD = 0.005  # s
RELEASE_DB_PER_S = 40.0
#: the limiter aims this far under the ceiling, for the 4x meter's residual error and 24-bit rounding
MARGIN_DB = 0.1


def _need_db(peaks: np.ndarray, ceiling_db: float) -> np.ndarray:
    """Gain in dB (<= 0) that brings each true peak to the ceiling less the margin."""
    with np.errstate(divide="ignore"):
        return np.minimum(0.0, (ceiling_db - MARGIN_DB) - 20 * np.log10(peaks.astype(np.float64)))


def _attack(need: np.ndarray, width: int) -> np.ndarray:
    """Forward minimum over [n, n + width], then its backward average over [n - width, n].

    Every term of the average covers sample n, so the smoothed gain is never above what n needs.
    (scipy origins: these place the windows exactly at [n, n + width] and [n - width, n].)
    """
    ahead = minimum_filter1d(need, size=width + 1, origin=-((width + 1) // 2), mode="nearest")
    return uniform_filter1d(ahead, size=width + 1, origin=width // 2, mode="nearest")


def _release(attack: np.ndarray, rate: float, previous_db: float) -> np.ndarray:
    """g[n] = min(attack[n], g[n - 1] + rate): a cumulative minimum, O(n) and vectorised."""
    ramp = rate * np.arange(1, len(attack) + 1, dtype=np.float64)
    return np.minimum(np.minimum.accumulate(attack - ramp) + ramp, previous_db + ramp)


def limiter_gain(audio: np.ndarray, sample_rate: int, ceiling_db: float, *, lookahead: float = LOOKAHEAD,
                 release_db_per_s: float = RELEASE_DB_PER_S) -> np.ndarray:
    """Per-sample linear gain (<= 1) that keeps the 4x true peak of a whole signal under `ceiling_db`."""
    need = _need_db(sample_true_peaks(audio), ceiling_db)
    width = max(1, int(round(lookahead * sample_rate)))
    gain_db = _release(_attack(need, width), release_db_per_s / sample_rate, 0.0)
    return (10.0 ** (np.minimum(gain_db, 0.0) / 20.0)).astype(np.float32)


class LookaheadLimiter:
    """The limiter on a stream: `process(audio, peaks)` returns the limited audio, `width` samples late.

    `peaks` are the block's per-sample true peaks (already at the block's gain). The limiter keeps the
    last 2 x look-ahead samples of required gain and the last look-ahead samples of audio; `flush()`
    returns the held audio at the end. The output equals `limiter_gain` applied to the whole signal,
    except that the look-ahead sees silence (not a copy of the edge) before the start and after the end.
    """

    def __init__(self, sample_rate: int, ceiling_db: float, *, channels: int = 2,
                 lookahead: float = LOOKAHEAD, release_db_per_s: float = RELEASE_DB_PER_S) -> None:
        self.ceiling_db = ceiling_db
        self.width = max(1, int(round(lookahead * sample_rate)))
        self.rate = release_db_per_s / sample_rate
        self._need = np.zeros(self.width)  # required gain of [p - width, q): silence before the start
        self._audio = np.zeros((0, channels), dtype=np.float32)  # audio [p, q), not yet output
        self._gain_db = 0.0
        self.min_gain_db = 0.0

    def process(self, audio: np.ndarray, peaks: np.ndarray) -> np.ndarray:
        self._need = np.concatenate([self._need, _need_db(peaks, self.ceiling_db)])
        self._audio = np.concatenate([self._audio, audio])
        return self._emit(len(self._audio) - self.width)

    def flush(self) -> np.ndarray:
        """The held audio, with silence (no reduction needed) after the signal's end."""
        self._need = np.concatenate([self._need, np.zeros(self.width)])
        return self._emit(len(self._audio))

    def _emit(self, count: int) -> np.ndarray:
        """Output the first `count` held samples; needs known for [p - width, p + count + width)."""
        if count <= 0:
            return np.zeros((0, self._audio.shape[1]), dtype=np.float32)
        w = self.width
        attack = _attack(self._need[:count + 2 * w], w)[w:w + count]
        gain_db = np.minimum(_release(attack, self.rate, self._gain_db), 0.0)
        self._gain_db = float(gain_db[-1])
        self.min_gain_db = min(self.min_gain_db, float(gain_db.min()))
        out = self._audio[:count] * (10.0 ** (gain_db / 20.0)).astype(np.float32)[:, None]
        self._audio = self._audio[count:]
        self._need = self._need[count:]
        return out
