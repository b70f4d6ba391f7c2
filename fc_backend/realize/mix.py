"""The mix chain, in a mix engineer's order.

Per track: fader, volume envelope, constant-power pan -> the track's output, which feeds the stereo
sum and, post-fader, one shared reverb bus. Then: reverb return (wet only) into the sum, and a DC /
subsonic high-pass on the mix bus. Loudness and the true-peak ceiling are the mastering step
(`loudness.py`).
"""

from __future__ import annotations

import math

import numpy as np
from scipy.signal import butter, sosfilt

from ..model import PlanTrack, ReverbBus
from .envelope import gain_curve

#: mix-bus high-pass: removes DC and sub-audio rumble without touching a double bass (41 Hz)
HIGHPASS_HZ = 20.0


def pan_gains(pan: float) -> tuple[float, float]:
    """Constant-power pan law (-3 dB at centre): pan -1..1 -> angle 0..pi/2 -> (cos, sin)."""
    angle = (min(max(pan, -1.0), 1.0) + 1.0) * math.pi / 4.0
    return math.cos(angle), math.sin(angle)


def channel_strip(stem: np.ndarray, track: PlanTrack, sample_rate: int) -> np.ndarray:
    """The track's post-fader, post-pan output: fader x envelope, then pan. Returns a new array."""
    out = stem * np.float32(track.volume)
    envelope = gain_curve(track.volume_envelope, len(stem), sample_rate)
    if envelope is not None:
        out *= envelope[:, None]
    left, right = pan_gains(track.pan)
    out[:, 0] *= left
    out[:, 1] *= right
    return out


class MixBus:
    """The stereo sum and the reverb send bus, filled one track at a time."""

    def __init__(self, n_samples: int, sample_rate: int) -> None:
        self.sample_rate = sample_rate
        self.dry = np.zeros((n_samples, 2), dtype=np.float32)
        self.send = np.zeros((n_samples, 2), dtype=np.float32)

    def add(self, track_output: np.ndarray, reverb_send: float) -> None:
        self.dry += track_output
        if reverb_send > 0:
            self.send += track_output * np.float32(reverb_send)  # post-fader send

    def reverb_return(self, reverb: ReverbBus) -> np.ndarray:
        """The reverb bus output: the send through a 100 % wet room, at the bus fader."""
        return reverb_wet(self.send, reverb, self.sample_rate)

    def mixdown(self, reverb_return: np.ndarray) -> np.ndarray:
        """Dry sum plus reverb return, high-passed: the mix before mastering."""
        return dc_block(self.dry + reverb_return, self.sample_rate)


def reverb_wet(send: np.ndarray, reverb: ReverbBus, sample_rate: int) -> np.ndarray:
    from pedalboard import Reverb  # heavy import, only when mixing

    if not np.any(send):
        return np.zeros_like(send)
    room = Reverb(room_size=float(np.clip(reverb.room_size, 0, 1)),
                  damping=float(np.clip(reverb.damping, 0, 1)), wet_level=1.0, dry_level=0.0, width=1.0)
    wet = room(np.ascontiguousarray(send.T), float(sample_rate)).T  # pedalboard wants (channels, samples)
    return np.ascontiguousarray(wet, dtype=np.float32) * np.float32(reverb.volume)


def dc_block(mix: np.ndarray, sample_rate: int, cutoff: float = HIGHPASS_HZ) -> np.ndarray:
    """2nd-order Butterworth high-pass along time."""
    sos = butter(2, cutoff, btype="highpass", fs=sample_rate, output="sos")
    return sosfilt(sos, mix, axis=0).astype(np.float32)
