"""Diversity across scores from their chroma (after the paper's eq. 7).

Each master becomes a chromagram (librosa, frames of ~93 ms); two scores differ by the mean cosine
distance of their time-aligned chroma frames where both are sounding, and a set of scores by the
mean over all its pairs. A score compared with itself is 0; two scores with nothing in common
approach 1. Time alignment is the point: scores of the same clip share the picture's clock, so the
same pitch classes at different moments count as different music.
"""

from __future__ import annotations

from itertools import combinations

import numpy as np

#: chroma analysis rate and frame: the master is resampled to this rate first
CHROMA_RATE = 22050
CHROMA_FFT = 4096
CHROMA_HOP = 2048
#: frames this far (dB) under the loudest frame count as silent and are left out
SILENCE_DB = -50.0


def chromagram(mono: np.ndarray, sample_rate: int) -> np.ndarray:
    """12 x frames chroma of `mono`, with frames under the silence threshold zeroed."""
    import librosa  # heavy (numba): only when diversity is measured

    y = librosa.resample(np.asarray(mono, dtype=np.float32), orig_sr=sample_rate, target_sr=CHROMA_RATE)
    chroma = librosa.feature.chroma_stft(y=y, sr=CHROMA_RATE, n_fft=CHROMA_FFT, hop_length=CHROMA_HOP)
    rms = librosa.feature.rms(y=y, frame_length=CHROMA_FFT, hop_length=CHROMA_HOP)[0]
    frames = min(chroma.shape[1], len(rms))
    chroma, rms = chroma[:, :frames], rms[:frames]
    with np.errstate(divide="ignore"):
        level = 20 * np.log10(rms / max(float(rms.max(initial=0.0)), 1e-12))
    chroma[:, level < SILENCE_DB] = 0.0
    return chroma


def chroma_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Mean cosine distance of the aligned frames of two chromagrams where both sound (0 if none do)."""
    n = min(a.shape[1], b.shape[1])
    a, b = a[:, :n], b[:, :n]
    norms = np.linalg.norm(a, axis=0) * np.linalg.norm(b, axis=0)
    both = norms > 0
    if not both.any():
        return 0.0
    cosine = np.sum(a[:, both] * b[:, both], axis=0) / norms[both]
    return float(np.mean(1.0 - np.clip(cosine, -1.0, 1.0)))


def chroma_diversity(chromagrams: list[np.ndarray]) -> float:
    """Mean pairwise chroma distance of two or more scores."""
    if len(chromagrams) < 2:
        raise ValueError("diversity needs at least two scores")
    return float(np.mean([chroma_distance(a, b) for a, b in combinations(chromagrams, 2)]))
