"""The panel: five reviewers in the paper's order and the criteria each answers for (paper table 1).

Its own module so the rule-based assessor and the LLM reviewers both read it without importing
each other.
"""

from __future__ import annotations

from . import emotion, harmony, melody, mode, rhythm

#: the reviewer modules, in the order of `model.REVIEWERS` (the names criteria carry)
REVIEWER_MODULES = (mode, melody, harmony, rhythm, emotion)
#: the 19 criteria, in order; an empty melody scores 0 on each
CRITERIA = (
    ("mode", ("key_clarity", "tonal_stability", "mode_consistency")),
    (
        "melody",
        ("contour", "interval_smoothness", "range", "motif_repetition", "variation", "phrase_endings"),
    ),
    ("harmony", ("chord_tone_support", "progression_coherence", "harmonic_variety", "cadences")),
    ("rhythm", ("rhythmic_clarity", "beat_consistency", "rhythmic_variety", "spot_alignment")),
    ("emotion", ("emotion_match", "dynamic_development")),
)
