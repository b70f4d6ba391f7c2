"""Emotion reviewer: do mode, tempo and register suit the picture, and does the music follow its motion?"""

from __future__ import annotations

import numpy as np

from ..model import Criterion
from ..theory import MAJOR_FAMILY
from .analysis import Analysis
from .criteria import criterion, ramp

REVIEWER = "emotion"

#: emotion -> (mode family or "either", comfortable tempo range in bpm, mean-pitch range in MIDI)
PROFILES: dict[str, tuple[str, tuple[float, float], tuple[float, float]]] = {
    "joyous": ("major", (100, 160), (64, 79)),
    "graceful": ("major", (70, 115), (62, 76)),
    "heroic": ("major", (90, 140), (60, 76)),
    "calm": ("major", (50, 95), (57, 72)),
    "sad": ("minor", (50, 90), (55, 70)),
    "dignified": ("minor", (60, 100), (55, 72)),
    "tense": ("minor", (85, 150), (55, 74)),
    "fear": ("minor", (60, 150), (50, 72)),
    "dreamy": ("either", (50, 95), (60, 79)),
}


def review(a: Analysis) -> list[Criterion]:
    return [emotion_match(a), dynamic_development(a)]


def _mean_bpm(a: Analysis) -> float:
    tm = a.melody.tempo_map
    end = tm.time_at(float(a.ends.max()))
    times = [c.time for c in tm.changes if c.time < end] + [end]
    spans = np.diff(times) if len(times) > 1 else np.array([1.0])
    bpms = np.array([c.bpm for c in tm.changes[:len(spans)]])
    return float((bpms * spans).sum() / max(1e-9, spans.sum()))


def emotion_match(a: Analysis) -> Criterion:
    """Mode family, mean tempo and duration-weighted mean pitch against the emotion's profile."""
    emotion = a.spotting.emotion if a.spotting else None
    if emotion is None:
        return criterion("emotion_match", REVIEWER, 0.0,
                         "no spotting given: not judged (left out of the pass mark)")
    if emotion not in PROFILES:
        return criterion("emotion_match", REVIEWER, 0.5, f"emotion {emotion!r} has no profile: 0 to match")
    family, (lo_bpm, hi_bpm), (lo_pitch, hi_pitch) = PROFILES[emotion]
    heard = "major" if a.mode in MAJOR_FAMILY else "minor"
    mode_score = 1.0 if family in ("either", heard) else 0.0
    bpm = _mean_bpm(a)
    tempo_score = 1.0 - min(1.0, max(lo_bpm - bpm, bpm - hi_bpm, 0.0) / 40.0)
    mean_pitch = float(np.average(a.pitches, weights=np.maximum(a.durations, 1e-6)))
    register_score = 1.0 - min(1.0, max(lo_pitch - mean_pitch, mean_pitch - hi_pitch, 0.0) / 12.0)
    score = (mode_score + tempo_score + register_score) / 3
    return criterion("emotion_match", REVIEWER, score,
                     f"{emotion} wants {family} / {lo_bpm:.0f}-{hi_bpm:.0f} bpm / mean pitch "
                     f"{lo_pitch:.0f}-{hi_pitch:.0f}; heard {a.mode}, {bpm:.0f} bpm, "
                     f"mean pitch {mean_pitch:.1f}")


def dynamic_development(a: Analysis) -> Criterion:
    """Correlation of each shot's note density and register with its motion speed."""
    s = a.spotting
    if s is None:
        return criterion("dynamic_development", REVIEWER, 0.0,
                         "no spotting given: not judged (left out of the pass mark)")
    if len(s.shots) < 2:
        return criterion("dynamic_development", REVIEWER, 0.5,
                         "one shot: no development to follow")
    onsets = np.array([n.start for n in a.melody.notes])
    pitches = np.array([n.pitch for n in a.melody.notes])
    rows = []
    for shot in s.shots:
        inside = (onsets >= shot.start - 1e-6) & (onsets < shot.end - 1e-6)
        if inside.any() and shot.duration > 0:
            rows.append((shot.motion_speed, inside.sum() / shot.duration, pitches[inside].mean()))
    speeds = np.array([r[0] for r in rows])
    if len(rows) < 2 or np.ptp(speeds) == 0:
        return criterion("dynamic_development", REVIEWER, 0.5,
                         "shots with notes all move alike: no development to follow")
    density, register = (np.array([r[k] for r in rows]) for k in (1, 2))
    corr = [float(np.corrcoef(speeds, v)[0, 1]) if np.ptp(v) > 0 else 0.0 for v in (density, register)]
    mean = float(np.mean(corr))
    return criterion("dynamic_development", REVIEWER, ramp(mean, -0.5, 0.6),
                     f"over {len(rows)} shots, motion correlates r={corr[0]:.2f} with note density and "
                     f"r={corr[1]:.2f} with register")
