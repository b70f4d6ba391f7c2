"""The mix chain, in a mix engineer's order, one block at a time.

Per track: fader, volume envelope, constant-power pan, then a DC / subsonic low cut -> the track's
output, which feeds the stereo sum and, post-fader, one shared reverb bus. Then: the reverb return
(wet only, low-cut too) into the sum. Filtering each stem rather than the sum keeps the stems adding
up to the mix exactly (`mixdown.py`). Every stage keeps its state between blocks (the envelope reads
absolute sample positions, the reverb is never reset, the high-pass carries its filter state), so a
clip rendered in blocks is the same as one rendered at once. Loudness and the true-peak ceiling are
the mastering step (`master.py`).
"""

from __future__ import annotations

import math

import numpy as np
from scipy.signal import butter, sosfilt

from ..model import PlanTrack, ReverbBus
from .envelope import envelope_breakpoints, gain_block

#: per-stem low cut: removes DC and sub-audio rumble without touching a double bass (41 Hz)
HIGHPASS_HZ = 20.0


def pan_gains(pan: float) -> tuple[float, float]:
    """Constant-power pan law (-3 dB at centre): pan -1..1 -> angle 0..pi/2 -> (cos, sin)."""
    angle = (min(max(pan, -1.0), 1.0) + 1.0) * math.pi / 4.0
    return math.cos(angle), math.sin(angle)


class ChannelStrip:
    """A track's fader x volume envelope, then pan; `process(dry, start)` for the block at `start`."""

    def __init__(self, track: PlanTrack, sample_rate: int) -> None:
        self.sample_rate = sample_rate
        self.fader = float(track.volume)
        self.breakpoints = envelope_breakpoints(track.volume_envelope)
        self.pan = np.array(pan_gains(track.pan), dtype=np.float32)

    def process(self, dry: np.ndarray, start: int) -> np.ndarray:
        """The post-fader, post-pan output of `dry` (n, 2) whose first sample is sample `start`."""
        if self.breakpoints:
            gain = gain_block(self.breakpoints, start, len(dry), self.sample_rate)
            gain *= np.float32(self.fader)
            return dry * gain[:, None] * self.pan
        return dry * (self.pan * np.float32(self.fader))


class ReverbReturn:
    """The reverb bus: a 100 % wet room (pedalboard's Reverb), never reset between blocks."""

    def __init__(self, reverb: ReverbBus, sample_rate: int) -> None:
        from pedalboard import Reverb  # heavy import, only when mixing

        self.sample_rate = float(sample_rate)
        self.volume = np.float32(reverb.volume)
        self.room = Reverb(room_size=float(np.clip(reverb.room_size, 0, 1)),
                           damping=float(np.clip(reverb.damping, 0, 1)), wet_level=1.0, dry_level=0.0,
                           width=1.0)

    def process(self, send: np.ndarray) -> np.ndarray:
        """The wet return of this block of the send bus, (n, 2) float32."""
        wet = self.room.process(np.ascontiguousarray(send.T), self.sample_rate, reset=False)
        return np.ascontiguousarray(wet.T, dtype=np.float32) * self.volume


class DcBlocker:
    """2nd-order Butterworth high-pass along time, its state carried from block to block."""

    def __init__(self, sample_rate: int, channels: int = 2, cutoff: float = HIGHPASS_HZ) -> None:
        self.sos = butter(2, cutoff, btype="highpass", fs=sample_rate, output="sos")
        self.zi = np.zeros((self.sos.shape[0], 2, channels))  # the signal starts from silence

    def process(self, block: np.ndarray) -> np.ndarray:
        out, self.zi = sosfilt(self.sos, block, axis=0, zi=self.zi)
        return out.astype(np.float32)
