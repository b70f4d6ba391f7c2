"""Sync check: where the rendered music actually attacks near each hit, in milliseconds and frames.

The tempo map puts beats on the hits, but a note's attack can land late (a slow instrument, a
softened measure) or not at all. The master's onset envelope (half-wave rectified rise of the
log energy in 5 ms hops) is searched around each hit; the strongest rise within `window` seconds is
taken as the music's answer to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from ..model import RHYTHM_SPOT_KINDS, Plan
from ..ranges import SYNC_FRAMES

HOP = 0.005


@dataclass
class HitSync:
    """One hit and how far the music's nearest attack is from it (None: no attack in the window)."""

    time: float
    kind: str
    offset: float | None  # seconds, positive: the music comes after the hit

    def frames(self, fps: float) -> float | None:
        return None if self.offset is None else self.offset * fps


def onset_envelope(audio: np.ndarray, rate: int, *, hop: float = HOP) -> np.ndarray:
    """Rise of log energy per hop (>= 0), one value a hop from time 0."""
    mono = audio.mean(axis=1) if audio.ndim == 2 else audio
    size = max(1, int(round(rate * hop)))
    count = len(mono) // size
    energy = (mono[: count * size].reshape(count, size) ** 2).mean(axis=1)
    level = np.log10(energy + 1e-10)
    rise = np.zeros(count)
    rise[1:] = np.maximum(np.diff(level), 0.0)
    return rise


def hit_sync(audio: np.ndarray, rate: int, plan: Plan, *, window: float = 0.1,
             threshold: float = 0.5) -> list[HitSync]:
    """For every hit marker of `plan`: the offset of the strongest attack within `window` s of it.

    An attack is a rise of at least `threshold` (log10 energy, i.e. 5 dB) within one hop; quieter
    rises are none.
    """
    return _nearest_attacks(onset_envelope(audio, rate), plan, window=window, threshold=threshold)


def master_sync(path: str | Path, plan: Plan) -> list[HitSync]:
    """`hit_sync` of a master file, read block by block (the onset envelope holds one value per
    5 ms hop): a long film's master is never in memory whole."""
    info = sf.info(str(path))
    size = max(1, int(round(info.samplerate * HOP)))
    levels = []
    for block in sf.blocks(str(path), blocksize=size * 2000, dtype="float32", always_2d=True):
        mono = block.mean(axis=1)
        count = len(mono) // size
        energy = (mono[: count * size].reshape(count, size) ** 2).mean(axis=1)
        levels.append(np.log10(energy + 1e-10))
    level = np.concatenate(levels) if levels else np.zeros(0)
    rise = np.zeros(len(level))
    rise[1:] = np.maximum(np.diff(level), 0.0)
    return _nearest_attacks(rise, plan)


def _nearest_attacks(rise: np.ndarray, plan: Plan, *, window: float = 0.1,
                     threshold: float = 0.5) -> list[HitSync]:
    out = []
    for marker in sorted(plan.markers, key=lambda m: m.time):
        if marker.kind not in RHYTHM_SPOT_KINDS:
            continue
        first = max(0, int((marker.time - window) / HOP))
        last = min(len(rise), int((marker.time + window) / HOP) + 1)
        span = rise[first:last]
        if span.size == 0 or span.max() < threshold:
            out.append(HitSync(marker.time, marker.kind, None))
            continue
        peak = first + int(np.argmax(span))
        out.append(HitSync(marker.time, marker.kind, peak * HOP - marker.time))
    return out


def sync_color(frames: float | None) -> str:
    """The hit's colour by how close the music landed: green within 1 frame, yellow 2, red beyond or
    no attack at all (the convention a music editor reads at a glance on the timeline)."""
    if frames is None:
        return "red"
    return next((color for color, limit in SYNC_FRAMES.items() if abs(frames) <= limit), "red")


def colour_hits(plan: Plan, syncs: list[HitSync]) -> int:
    """Set each hit marker's `sync` colour from `syncs` (hit_sync's result for this plan, in its order);
    returns how many markers changed colour."""
    fps = plan.clock().fps
    hits = [m for m in sorted(plan.markers, key=lambda m: m.time) if m.kind in RHYTHM_SPOT_KINDS]
    changed = 0
    for marker, sync in zip(hits, syncs, strict=True):
        color = sync_color(sync.frames(fps))
        changed += color != marker.sync
        marker.sync = color
    return changed
