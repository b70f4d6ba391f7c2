"""Five reviewers in the paper's order: mode -> melody -> harmony -> rhythm -> emotion.

Rule-based by default; LLM agents (assess/llm.py) when the Config names an endpoint.
"""

from __future__ import annotations

from ..agents.settings import llm_settings
from ..config import Config
from ..model import Assessment, Criterion, Melody, Spotting
from ..progress import Progress, no_progress
from . import emotion, harmony, melody, mode, rhythm
from .analysis import analyse
from .criteria import criterion

REVIEWERS = (mode, melody, harmony, rhythm, emotion)
#: the 19 criteria, in order; an empty melody scores 0 on each
CRITERIA = (("mode", ("key_clarity", "tonal_stability", "mode_consistency")),
            ("melody", ("contour", "interval_smoothness", "range", "motif_repetition", "variation",
                        "phrase_endings")),
            ("harmony", ("chord_tone_support", "progression_coherence", "harmonic_variety", "cadences")),
            ("rhythm", ("rhythmic_clarity", "beat_consistency", "rhythmic_variety", "spot_alignment")),
            ("emotion", ("emotion_match", "dynamic_development")))


def assess(melody: Melody, spotting: Spotting | None = None, config: Config | None = None, *,
           progress: Progress = no_progress) -> Assessment:
    """Score `melody` on 19 criteria (each 0..1, with the measured value in its reason).

    With ``config.llm_base_url`` set, the reviewers are LLM agents on that endpoint (any reviewer
    whose answers stay invalid is replaced by its rule-based self, with a warning).

    Example: ``assess(melody, spotting).passed`` is True when the total reaches
    ``config.pass_threshold`` (14 of 19 by default).
    """
    config = config or Config()
    if not melody.notes:
        criteria = [criterion(key, reviewer, 0.0, "the melody has no notes")
                    for reviewer, keys in CRITERIA for key in keys]
        return Assessment(criteria, threshold=config.pass_threshold)
    settings = llm_settings(config)
    if settings is not None:
        from .llm import assess_with_llm

        return assess_with_llm(melody, spotting, config.pass_threshold, settings, progress=progress)
    analysis = analyse(melody, spotting)
    criteria: list[Criterion] = []
    for i, reviewer in enumerate(REVIEWERS):
        criteria.extend(reviewer.review(analysis))
        progress((i + 1) / len(REVIEWERS))
    return Assessment(criteria, threshold=config.pass_threshold)
