"""What a shot looks like, reduced to what tells one place in a film from another.

A setting keeps its palette and its texture from shot to shot while the framing changes: the colour
histogram (hue, saturation, value) of the sampled frames, their mean brightness and their density of
edges (grain, foliage, a crowd) are kept per shot; positions are not, so a new angle on the same place
looks the same and a cut to another place does not.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .attributes import COLOUR_BINS, FrameStats

#: weights of the brightness and texture differences beside the palette's (a distance in 0..1)
LUMA_WEIGHT = 1.0 / 160.0
EDGE_WEIGHT = 3.0


@dataclass
class Look:
    """A shot's (or a scene's) palette, brightness (0..255) and edge density (0..1), and its motion."""

    colours: np.ndarray
    luma: float
    edges: float
    motion: float = 0.0

    def distance(self, other: Look) -> float:
        """0 for the same look; about 0.1 between two framings of one place, 0.5+ between places.

        The palette term is the Hellinger distance of the histograms (0 same, 1 disjoint).
        """
        overlap = float(np.sum(np.sqrt(self.colours * other.colours)))
        palette = float(np.sqrt(max(0.0, 1.0 - overlap)))
        light = LUMA_WEIGHT * abs(self.luma - other.luma)
        return palette + light + EDGE_WEIGHT * abs(self.edges - other.edges)


def shot_look(samples: list[FrameStats], motion: float = 0.0) -> Look:
    """The mean look of a shot's sampled frames (a grey, empty look when none was sampled)."""
    hists = [s.colours for s in samples if s.colours is not None]
    bins = int(np.prod(COLOUR_BINS))
    colours = np.mean(hists, axis=0) if hists else np.full(bins, 1.0 / bins)
    colours = colours / max(float(colours.sum()), 1e-12)
    luma = float(np.mean([s.luma for s in samples])) if samples else 0.0
    edges = float(np.mean([s.edges for s in samples])) if samples else 0.0
    return Look(colours.astype(np.float64), luma, edges, motion)


def blend(looks: list[Look], weights: list[float]) -> Look:
    """The duration-weighted mean of several looks: a scene's, or a setting's over its scenes."""
    total = sum(weights) or 1.0
    w = [x / total for x in weights]
    return Look(sum(wi * lk.colours for wi, lk in zip(w, looks, strict=True)),
                sum(wi * lk.luma for wi, lk in zip(w, looks, strict=True)),
                sum(wi * lk.edges for wi, lk in zip(w, looks, strict=True)),
                sum(wi * lk.motion for wi, lk in zip(w, looks, strict=True)))
