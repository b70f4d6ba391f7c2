"""How the accompaniment moves in each measure: the picture under it picks the figure and the density.

A film score changes texture where the picture changes: a new shot scale gets another ostinato figure
(a wide shot a sweeping rise, a close-up a close alberti turn) and another pulse in the harmony (a
wide shot holds, a close-up beats); motion and light move the pulse a step (a dark shot holds longer,
a bright or moving one pulses faster).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..model import Spotting, TempoMap

#: ostinato figures: indices into the chord's tones, 3 being the root an octave up for a triad
FIGURES: dict[str, tuple[int, ...]] = {"wave": (0, 1, 2, 1), "rise": (0, 1, 2, 3), "turn": (0, 2, 1, 2)}
#: shot scale -> figure; an unknown scale keeps the wave
SCALE_FIGURES = {"extreme long shot": "rise", "long shot": "rise", "medium shot": "wave",
                 "close-up": "turn", "extreme close-up": "turn"}
#: how often the harmony is struck, by the shot's scale: a wide shot holds, a medium one pulses in
#: halves, a close-up on the beat (index into the stroke counts 1, 2, every beat; an unknown scale holds)
SCALE_PULSE = {"extreme long shot": 0, "long shot": 0, "medium shot": 1, "close-up": 2, "extreme close-up": 2}
#: picture motion (0..1) from which the harmony is struck one step more often, and two steps
MOVING, DRIVEN = 0.25, 0.6


@dataclass(frozen=True)
class Texture:
    """One measure's accompaniment: the ostinato's figure and how many strokes the harmony takes."""

    figure: str = "wave"
    strokes: int = 1  # the sustained harmony struck this many times, evenly, in the measure


def measure_textures(spotting: Spotting, tm: TempoMap, measures: int, motion: list[float]) -> list[Texture]:
    """Per measure, the texture of the shot under its downbeat (`motion`: 0..1 per measure)."""
    beats = max(1, round(tm.beats_per_measure))
    counts = [1, 2, beats] if beats % 2 == 0 else [1, beats]
    out = []
    for m in range(1, measures + 1):
        downbeat = tm.measure_start(m) + 1e-6
        shot = next((s for s in spotting.shots if s.start <= downbeat < s.end),
                    spotting.shots[-1] if spotting.shots else None)
        scale = (shot.attributes.view_scale if shot else None) or ""
        brightness = (shot.attributes.brightness if shot else None) or ""
        level = motion[m - 1] if len(motion) >= m else 0.0
        pulse = (SCALE_PULSE.get(scale, 0) + (level >= MOVING) + (level >= DRIVEN)
                 + (brightness == "bright") - (brightness in ("dark", "dim")))
        out.append(Texture(SCALE_FIGURES.get(scale, "wave"), counts[max(0, min(len(counts) - 1, pulse))]))
    return out
