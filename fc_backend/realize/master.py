"""Mastering from an on-disk premaster: loudness to a target, under a true-peak ceiling, block by block.

The mix pass (`stream.py`) parks the unnormalised mix, its per-sample true peaks and every stem on
disk as raw float32 and measures the mix's integrated loudness on the way. The gain to the target
follows; a second streaming pass applies it and the look-ahead true-peak limiter and writes the
24-bit master, metering what it writes. Where the limiter had to work hard enough to cost loudness,
the gain is corrected and the pass repeated (at most three passes). Memory holds one block.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from ..config import Config
from ..loudness import LoudnessMeter, TruePeakStream, to_db
from ..progress import Progress, no_progress
from .limiter import MARGIN_DB, LookaheadLimiter

BLOCK = 1 << 15
#: a limited master within this many LU of the target needs no further pass
TOLERANCE_LU = 0.2
_SUBTYPE = "PCM_24"


class Spool:
    """A raw float32 file of `channels`-wide frames, written block by block and read back in blocks."""

    def __init__(self, path: Path, channels: int = 2) -> None:
        self.path, self.channels = path, channels
        self._file = open(path, "wb")  # noqa: SIM115 - closed by close()
        self.frames = 0

    def write(self, block: np.ndarray) -> None:
        np.ascontiguousarray(block, dtype=np.float32).tofile(self._file)
        self.frames += len(block)

    def close(self) -> None:
        self._file.close()

    def blocks(self, size: int = BLOCK) -> Iterator[np.ndarray]:
        """Frames in order, `size` at a time (np.fromfile, not a memory map: mapped pages count as RSS)."""
        with open(self.path, "rb") as f:
            while True:
                data = np.fromfile(f, dtype=np.float32, count=size * self.channels)
                if not len(data):
                    return
                yield data.reshape(-1, self.channels) if self.channels > 1 else data


@dataclass
class MasterReport:
    """What mastering did: the loudness gain (dB, before limiting), final loudness, true peak, passes."""

    gain_db: float
    loudness: float
    true_peak: float
    passes: int = 1
    limited_db: float = 0.0  # deepest limiter gain reduction


def pcm24(audio: np.ndarray) -> np.ndarray:
    """24-bit samples, rounded and clipped, as left-aligned int32: libsndfile writes these twice as fast
    as it converts floats (measured on a 62 s stereo file)."""
    scaled = np.clip(np.rint(audio * np.float32(1 << 23)), -(1 << 23), (1 << 23) - 1).astype(np.int32)
    scaled <<= 8
    return scaled


def pcm24_writer(path: Path, sample_rate: int, channels: int = 2) -> sf.SoundFile:
    return sf.SoundFile(path, "w", samplerate=sample_rate, channels=channels, subtype=_SUBTYPE, format="WAV")


def master(mix: Spool, peaks: Spool, loudness: float, peak: float, target: Path, sample_rate: int, *,
           target_lufs: float = Config.loudness, ceiling_db: float = Config.true_peak, passes: int = 3,
           progress: Progress = no_progress) -> MasterReport:
    """Write `target` (48 kHz/24-bit WAV): `mix` normalised to `target_lufs` with its true peak under
    `ceiling_db`. `loudness` and `peak` are the mix's own, as measured while it was written."""
    if not math.isfinite(loudness):  # silence: nothing to normalise
        _write_pass(mix, peaks, 1.0, None, target, sample_rate, progress)
        return MasterReport(0.0, loudness, to_db(peak))
    gain_db = target_lufs - loudness
    limit = 10 ** ((ceiling_db - MARGIN_DB) / 20)
    report = MasterReport(gain_db, loudness, to_db(peak))
    for attempt in range(1, max(1, passes) + 1):
        gain = 10 ** (gain_db / 20)
        limiter = LookaheadLimiter(sample_rate, ceiling_db) if peak * gain > limit else None
        measured, true_peak = _write_pass(mix, peaks, gain, limiter, target, sample_rate,
                                          lambda f, a=attempt: progress(min(1.0, (a - 1 + f) / passes)))
        if limiter is None:  # a plain gain scales both measurements exactly: no need to meter again
            measured, true_peak = loudness + gain_db, to_db(peak * gain)
        report = MasterReport(gain_db, measured, true_peak, attempt, limiter.min_gain_db if limiter else 0.0)
        if limiter is None or abs(measured - target_lufs) < TOLERANCE_LU:
            break
        gain_db += target_lufs - measured  # the limiter cost loudness: ask for it back, limit again
    progress(1.0)
    return report


def _write_pass(mix: Spool, peaks: Spool, gain: float, limiter: LookaheadLimiter | None, target: Path,
                sample_rate: int, progress: Progress) -> tuple[float, float]:
    """One pass: gain, limiter, 24-bit writer. With a limiter, returns the (loudness, true peak dBTP) of
    what it wrote; without one the output is the mix scaled, and (-inf, -inf) says "not metered"."""
    meter, true_peak = LoudnessMeter(sample_rate), TruePeakStream()
    g = np.float32(gain)
    done = 0
    with pcm24_writer(target, sample_rate) as out:
        def emit(block: np.ndarray) -> None:
            if limiter is not None and len(block):
                meter.feed(block)
                true_peak.feed(block)
            out.write(pcm24(block))

        for audio, block_peaks in zip(mix.blocks(), peaks.blocks(), strict=True):
            audio = audio * g
            emit(limiter.process(audio, block_peaks * g) if limiter is not None else audio)
            done += len(audio)
            progress(done / max(1, mix.frames))
        if limiter is not None:
            emit(limiter.flush())
            true_peak.finish()
            return meter.integrated(), to_db(true_peak.peak)
    return -math.inf, -math.inf
