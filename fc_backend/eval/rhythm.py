"""Rhythm alignment: does the music strike where the picture asked it to?

The master's onsets (librosa's spectral-flux onset strength and peak picking) are compared with
the rhythm spots in two ways: the share of spots with an onset within a tolerance (a hit rate,
beside the rate a random spot would reach, so a dense texture cannot pass for alignment), and the
normalised cross-correlation between a pulse train at the spots (weighted by strength) and the
onset-strength envelope, at lag 0 and at its best lag, which shows a constant offset as such.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..model import RhythmSpot

#: analysis hop of the onset envelope, seconds (512 samples at 48 kHz)
HOP_SECONDS = 512 / 48000
#: a spot counts as hit when an onset lies within this many seconds of it
TOLERANCE = 0.05
#: width (s) of the pulse placed at each spot, and the lags searched for the best alignment
PULSE_SIGMA = 0.02
MAX_LAG = 0.5
#: frames quieter than this (dB under the loudest) are silence; an entrance lasts this long (s)
SILENCE_DB = -50.0
ENTRANCE = 0.1


@dataclass
class OnsetEnvelope:
    """The master's onset strength over time, and the onsets picked from it."""

    times: np.ndarray
    strength: np.ndarray
    onsets: np.ndarray


def onset_envelope(mono: np.ndarray, sample_rate: int) -> OnsetEnvelope:
    """librosa's onset strength and onsets of a mono signal."""
    import librosa  # heavy (numba): only when rhythm is measured

    hop = max(1, int(round(HOP_SECONDS * sample_rate)))
    strength = librosa.onset.onset_strength(y=np.asarray(mono, dtype=np.float32), sr=sample_rate,
                                            hop_length=hop)
    # scaled by its largest value outside entrances from silence, not by its maximum: the music's first
    # note after silence (the clip's start included) is a jump of tens of dB in every band that would
    # dwarf every later attack under librosa's default normalisation and thresholds
    usual = strength[~_entrances(np.asarray(mono, dtype=np.float32), sample_rate, hop, len(strength))]
    scale = float(usual.max(initial=0.0)) or float(strength.max(initial=0.0)) or 1.0
    onsets = librosa.onset.onset_detect(onset_envelope=strength / scale, sr=sample_rate, hop_length=hop,
                                        units="time", normalize=False, backtrack=True)
    times = librosa.frames_to_time(np.arange(len(strength)), sr=sample_rate, hop_length=hop)
    return OnsetEnvelope(times=times, strength=strength, onsets=np.asarray(onsets))


def _entrances(mono: np.ndarray, sample_rate: int, hop: int, frames: int) -> np.ndarray:
    """Frames that start within ENTRANCE seconds after a silent frame (or after the signal's start)."""
    padded = np.zeros(frames * hop, np.float32)  # frame k covers samples around k * hop
    body = mono[:max(0, frames * hop - hop // 2)]
    padded[hop // 2:hop // 2 + len(body)] = body
    energy = np.mean(padded.reshape(frames, hop) ** 2, axis=1)
    with np.errstate(divide="ignore"):
        level = 10 * np.log10(energy / max(float(energy.max(initial=0.0)), 1e-20))
    span = max(1, int(round(ENTRANCE * sample_rate / hop)))
    marked = np.zeros(frames, dtype=bool)
    for k in (-1, *np.flatnonzero(level < SILENCE_DB)):
        marked[k + 1:k + 1 + span] = True
    return marked


def hit_rate(spots: list[float], onsets: np.ndarray, tolerance: float = TOLERANCE) -> float:
    """Share of `spots` with an onset within ±`tolerance` seconds."""
    if not spots:
        return 0.0
    if len(onsets) == 0:
        return 0.0
    onsets = np.sort(onsets)
    hits = 0
    for t in spots:
        i = np.searchsorted(onsets, t)
        near = [abs(onsets[j] - t) for j in (i - 1, i) if 0 <= j < len(onsets)]
        hits += min(near) <= tolerance + 1e-9
    return hits / len(spots)


def chance_hit_rate(onsets: np.ndarray, duration: float, tolerance: float = TOLERANCE) -> float:
    """The hit rate a spot placed at random in [0, duration] would reach: the share of time covered."""
    if duration <= 0 or len(onsets) == 0:
        return 0.0
    covered, end = 0.0, 0.0
    for t in np.sort(onsets):
        lo, hi = max(t - tolerance, end, 0.0), min(t + tolerance, duration)
        covered += max(0.0, hi - lo)
        end = max(end, hi)
    return covered / duration


def spot_pulses(spots: list[RhythmSpot], times: np.ndarray, sigma: float = PULSE_SIGMA) -> np.ndarray:
    """A Gaussian pulse of height `strength` at every spot, sampled at `times`."""
    train = np.zeros(len(times))
    for spot in spots:
        train += spot.strength * np.exp(-0.5 * ((times - spot.time) / sigma) ** 2)
    return train


def normalised_xcorr(a: np.ndarray, b: np.ndarray, max_lag: int) -> tuple[np.ndarray, np.ndarray]:
    """(lags, Pearson correlation of a[k] with b[k + lag]) for lags in [-max_lag, max_lag].

    A positive best lag means `b` happens later than `a`.
    """
    lags = np.arange(-max_lag, max_lag + 1)
    values = np.full(len(lags), np.nan)
    n = min(len(a), len(b))
    for i, lag in enumerate(lags):
        x = a[max(0, -lag):n - max(0, lag)]
        y = b[max(0, lag):n + min(0, lag)]
        if x.size > 2 and x.std() > 0 and y.std() > 0:
            values[i] = float(np.corrcoef(x, y)[0, 1])
    return lags, values


def rhythm_alignment(spots: list[RhythmSpot], mono: np.ndarray, sample_rate: int, duration: float,
                     *, envelope: OnsetEnvelope | None = None) -> dict[str, float | int | None]:
    """Hit rate and cross-correlation of the rhythm spots with the onsets of `mono`.

    Example: ``rhythm_alignment(spotting.rhythm_spots, master[:, 0], 48000, 17.5)["hit_rate"]`` -> ``0.88``.
    """
    envelope = envelope or onset_envelope(mono, sample_rate)
    keep = envelope.times <= duration
    times, strength = envelope.times[keep], envelope.strength[keep]
    onsets = envelope.onsets[envelope.onsets <= duration]
    step = float(times[1] - times[0]) if len(times) > 1 else HOP_SECONDS
    lags, ncc = normalised_xcorr(spot_pulses(spots, times), strength, int(round(MAX_LAG / step)))
    zero = int(np.flatnonzero(lags == 0)[0])
    best = int(np.nanargmax(ncc)) if np.isfinite(ncc).any() else zero
    return {
        "spots": len(spots),
        "onsets": int(len(onsets)),
        "tolerance_s": TOLERANCE,
        "hit_rate": round(float(hit_rate([s.time for s in spots], onsets)), 4),
        "chance_hit_rate": round(float(chance_hit_rate(onsets, duration)), 4),
        "ncc_lag0": _finite(ncc[zero]),
        "ncc_best": _finite(ncc[best]),
        "best_lag_s": round(float(lags[best] * step), 4),
    }


def _finite(value: float) -> float | None:
    return round(float(value), 4) if np.isfinite(value) else None
