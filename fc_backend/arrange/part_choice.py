"""Arrange (paper table 2, role 2): which parts exist, and where the accompaniment steps back.

Every arrangement has the three parts a cue cannot do without (melody, sustained harmony, bass);
a picture with cuts adds percussion that marks them (sustained strings and brass cannot: their
attacks are too slow to be heard as a hit) unless the cue is a calm one whose arpeggios do it;
drive adds a counter-line and a moving ostinato, never more than six tracks in all.
"""

from __future__ import annotations

from ..model import SchemeTrack
from .analyze import CueAnalysis

MAX_TRACKS = 6
#: emotions that ask for a moving accompaniment (harp or piano arpeggios) even when quiet
FLOWING_EMOTIONS = {"calm", "graceful", "dreamy", "sad", "joyous"}
#: emotions that ask for drums or timpani once the picture moves
DRIVEN_EMOTIONS = {"heroic", "tense", "fear", "dignified"}
#: emotions whose cues are bright enough for a top octave
BRIGHT_EMOTIONS = {"joyous", "heroic", "graceful"}


def bright_cue(analysis: CueAnalysis) -> bool:
    """A bright picture (the shots' majority brightness) or a bright emotion."""
    return analysis.attributes.get("brightness") == "bright" or analysis.emotion in BRIGHT_EMOTIONS


def choose_parts(analysis: CueAnalysis) -> list[SchemeTrack]:
    """The parts, in score order, with role, source and softened measures (instruments come next)."""
    mean, peak = analysis.mean_intensity, analysis.peak_intensity
    wanted = [("melody", "melody")]
    if mean >= 0.45 or peak >= 0.65:
        wanted.append(("counter", "counter"))
    wanted.append(("harmony", "chords"))
    if mean >= 0.5 or analysis.emotion in FLOWING_EMOTIONS:
        wanted.append(("ostinato", "ostinato"))
    wanted.append(("bass", "bass"))
    if bright_cue(analysis):  # the tune doubled an octave up, so the mix has a top octave
        wanted.insert(1, ("doubling", "melody"))
    # a calm cue lets its harp mark the cuts
    marks_cuts = analysis.hits and analysis.emotion not in FLOWING_EMOTIONS
    if marks_cuts or mean >= 0.55 or peak >= 0.75 or (analysis.emotion in DRIVEN_EMOTIONS and peak >= 0.5):
        wanted.append(("percussion", "bass"))
    for expendable in ("counter", "ostinato", "doubling"):  # what a smaller ensemble gives up first
        if len(wanted) > MAX_TRACKS:
            wanted = [w for w in wanted if w[0] != expendable]
    calm = softened_measures(analysis)
    return [SchemeTrack(track_index=i, name=role, role=role, instrument="", source=source,
                        softened_measures=[] if role == "melody" else list(calm))
            for i, (role, source) in enumerate(wanted, start=1)]


def softened_measures(analysis: CueAnalysis) -> list[int]:
    """Measures where the picture is calmer than the clip around it (or near still)."""
    mean = analysis.mean_intensity
    return [m for m, level in enumerate(analysis.intensity, start=1) if level < mean - 0.08 or level < 0.15]
