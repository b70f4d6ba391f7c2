"""What MusicGen-Melody is conditioned on: words from the picture and the chroma of its rhythm spots.

The paper's Rhythm-Controllable MusicGen puts a rhythm condition beside the text: here the rhythm spots
are rendered as pitched tones over a quiet tonic drone (a click track has no pitch, so it would not
survive chroma extraction), and the waveform's one-hot chroma is what the model's melody conditioner
expects (transformers' MusicgenMelodyFeatureExtractor, computed without torchaudio).
"""

from __future__ import annotations

from collections import Counter

import numpy as np

from ...model import Spotting
from ...theory import Key

#: the melody conditioner's STFT at 32 kHz: 16384-point frames every 4096 samples, 12 chroma bins
N_FFT, HOP, N_CHROMA = 16384, 4096, 12
#: the chroma frames MusicGen-Melody attends to (30 s at 32 kHz); shorter chroma would be tiled by the model
CHROMA_FRAMES = 235
#: scale degree (semitones above the tonic) a spot of each kind sounds: cuts on the tonic, motion on the fifth
SPOT_DEGREE = {"cut": 0, "motion": 7, "accent": 4}


def describe(spotting: Spotting, description: str = "") -> str:
    """A text prompt from the visual attributes (paper table 6): the most frequent label of each."""
    def most(name: str) -> str | None:
        labels = [getattr(s.attributes, name) for s in spotting.shots if getattr(s.attributes, name)]
        return Counter(labels).most_common(1)[0][0] if labels else None

    bpm = spotting.tempo_map.changes[0].bpm
    parts = [f"{spotting.emotion} cinematic orchestral film score"]
    if most("theme"):
        parts.append(f"a {most('theme')} theme")
    if most("setting"):
        parts.append(f"for a {most('setting')} scene")
    if most("behaviour") and most("behaviour") != "still":
        parts.append(f"with {most('behaviour')}")
    if most("brightness"):
        parts.append(f"{most('brightness')} and {most('hue') or 'neutral'}")
    parts.append(f"{bpm:.0f} bpm")
    text = ", ".join(parts)
    return f"{description.strip()}. {text}" if description.strip() else text


def spot_waveform(spotting: Spotting, key: Key, *, sample_rate: int, duration: float) -> np.ndarray:
    """The rhythm spots as decaying pitched tones (loudness by strength) over a soft tonic drone."""
    n = int(round(duration * sample_rate))
    t = np.arange(n) / sample_rate
    tonic_hz = 440.0 * 2 ** ((key.tonic_midi - 69) / 12)
    wave = 0.05 * _tone(tonic_hz / 2, t)
    for spot in spotting.rhythm_spots:
        start = int(round(spot.time * sample_rate))
        if not 0 <= start < n:
            continue
        length = min(n - start, int(0.6 * sample_rate))
        local = np.arange(length) / sample_rate
        hz = tonic_hz * 2 ** (SPOT_DEGREE.get(spot.kind, 0) / 12)
        wave[start:start + length] += (0.2 + 0.8 * spot.strength) * np.exp(-local / 0.25) * _tone(hz, local)
    return (wave / max(1e-9, float(np.max(np.abs(wave))))).astype(np.float32)


def _tone(hz: float, t: np.ndarray) -> np.ndarray:
    return np.sin(2 * np.pi * hz * t) + 0.3 * np.sin(4 * np.pi * hz * t)


def one_hot_chroma(wave: np.ndarray, sample_rate: int) -> np.ndarray:
    """(frames, 12) one-hot chroma: each STFT frame's strongest pitch class, as MusicGen-Melody takes it."""
    from transformers.audio_utils import chroma_filter_bank

    filters = chroma_filter_bank(num_frequency_bins=N_FFT, num_chroma=N_CHROMA, sampling_rate=sample_rate,
                                 tuning=0)  # (12, n_fft // 2 + 1)
    mode = "reflect" if len(wave) > N_FFT // 2 else "constant"
    padded = np.pad(wave.astype(np.float64), N_FFT // 2, mode=mode)
    frames = 1 + (len(padded) - N_FFT) // HOP
    window = np.hanning(N_FFT + 1)[:-1]
    index = np.arange(N_FFT)[None, :] + HOP * np.arange(frames)[:, None]
    power = np.abs(np.fft.rfft(padded[index] * window, axis=1)) ** 2  # (frames, bins)
    chroma = power @ filters.T  # (frames, 12)
    one_hot = np.zeros_like(chroma, dtype=np.float32)
    one_hot[np.arange(frames), np.argmax(chroma, axis=1)] = 1.0
    return one_hot


def window_chroma(chroma: np.ndarray, start_frame: int) -> np.ndarray:
    """The model's 235 frames from `start_frame`, padded with the last frame (never tiled by the model)."""
    part = chroma[start_frame:start_frame + CHROMA_FRAMES]
    if len(part) == 0:
        part = chroma[-1:]
    if len(part) < CHROMA_FRAMES:
        part = np.concatenate([part, np.repeat(part[-1:], CHROMA_FRAMES - len(part), axis=0)])
    return part
