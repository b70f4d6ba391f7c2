"""Key finding with the Krumhansl-Kessler probe-tone profiles, and the scales the reviewers check against."""

from __future__ import annotations

import numpy as np

from .. import theory
from ..theory import NAMES, SCALES

#: modes heard as major (major third) or minor (minor third)
MAJOR_FAMILY = ("major", "lydian", "mixolydian")

KK_MAJOR = np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88])
KK_MINOR = np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])


def parse_key(text: str) -> tuple[int, str] | None:
    """(tonic pitch class, mode) of "D minor", "Dm", "E dorian", "F"; None when unreadable."""
    try:
        return theory.parse_key(text)
    except ValueError:
        return None


def key_name(tonic: int, mode: str) -> str:
    return f"{NAMES[tonic % 12]} {mode}"


def profile(tonic: int, mode: str) -> np.ndarray:
    """The KK profile of a key; church modes alter the major/minor profile where their scale differs."""
    base = (KK_MAJOR if mode in MAJOR_FAMILY else KK_MINOR).copy()
    swaps = {"dorian": (8, 9), "phrygian": (1, 2), "lydian": (5, 6), "mixolydian": (10, 11)}
    if mode in swaps:
        a, b = swaps[mode]
        base[[a, b]] = base[[b, a]]
    return np.roll(base, tonic % 12)


def correlation(histogram: np.ndarray, tonic: int, mode: str) -> float:
    """Pearson correlation of a 12-bin pitch-class histogram with the key's profile (0 when flat)."""
    if histogram.sum() <= 0 or np.ptp(histogram) == 0:
        return 0.0
    return float(np.corrcoef(histogram, profile(tonic, mode))[0, 1])


def ranked_keys(histogram: np.ndarray, extra: tuple[int, str] | None = None) -> list[tuple[float, int, str]]:
    """All 24 major and minor keys (plus `extra`), best-correlated first."""
    keys = [(t, m) for m in ("major", "minor") for t in range(12)]
    if extra and extra not in keys:
        keys.append(extra)
    return sorted(((correlation(histogram, t, m), t, m) for t, m in keys), reverse=True)


def scale_pitch_classes(tonic: int, mode: str) -> set[int]:
    """Pitch classes that belong to the key; minor also admits its raised 6th and 7th."""
    steps = set(SCALES[mode])
    if mode == "minor":
        steps |= {9, 11}
    return {(tonic + s) % 12 for s in steps}


def stable_pitch_classes(tonic: int, mode: str) -> set[int]:
    """Degrees 1, 3 and 5: where a phrase can come to rest."""
    scale = SCALES[mode]
    return {tonic % 12, (tonic + scale[2]) % 12, (tonic + scale[4]) % 12}
