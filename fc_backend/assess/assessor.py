"""Five reviewers in the paper's order: mode -> melody -> harmony -> rhythm -> emotion.

Rule-based by default; LLM agents (assess/llm.py) when the Config names an endpoint.
"""

from __future__ import annotations

from ..agents.session import session_for
from ..config import Config
from ..model import Assessment, Criterion, Melody, Spotting
from ..progress import Progress, no_progress
from .analysis import analyse
from .criteria import criterion
from .panel import CRITERIA, REVIEWER_MODULES

__all__ = ["CRITERIA", "PICTURE_CRITERIA", "REVIEWER_MODULES", "assess", "pass_mark"]

#: the criteria that judge the music against the picture: without a spotting they have nothing to judge
PICTURE_CRITERIA = ("spot_alignment", "emotion_match", "dynamic_development")


def pass_mark(threshold: float, spotting: Spotting | None) -> float:
    """`threshold` (of all 19 criteria) as the same share of the criteria that apply: without a
    spotting the picture criteria are left out rather than given points."""
    if spotting is not None:
        return threshold
    count = sum(len(keys) for _, keys in CRITERIA)
    return round(threshold * (count - len(PICTURE_CRITERIA)) / count, 4)


def assess(melody: Melody, spotting: Spotting | None = None, config: Config | None = None, *,
           progress: Progress = no_progress) -> Assessment:
    """Score `melody` on 19 criteria (each 0..1, with the measured value in its reason).

    With ``config.llm_base_url`` set, the reviewers are LLM agents on that endpoint (any reviewer
    whose answers stay invalid is replaced by its rule-based self, and `decisions` says so).

    Example: ``assess(melody, spotting).passed`` is True when the total reaches
    ``config.pass_threshold`` (15 of 19 by default). Without a spotting the three picture criteria
    score 0 (nothing to judge, no free points) and the mark is the same share of the 16 musical
    criteria (`pass_mark`): of 200 human tunes of the dev split 92 % pass, none of random notes in
    their keys, 16 % of their pitch-scrambled and 30 % of their rhythm-shuffled selves, and no scale
    (bench/bench_music.py prints the figures).
    """
    config = config or Config()
    if not melody.notes:
        criteria = [criterion(key, reviewer, 0.0, "the melody has no notes")
                    for reviewer, keys in CRITERIA for key in keys]
        return Assessment(criteria, threshold=pass_mark(config.pass_threshold, spotting))
    session = session_for(config)
    if session is not None and session.usable:
        from .llm import assess_with_llm

        return assess_with_llm(melody, spotting, pass_mark(config.pass_threshold, spotting), session,
                               progress=progress)
    analysis = analyse(melody, spotting)
    criteria: list[Criterion] = []
    for i, reviewer in enumerate(REVIEWER_MODULES):
        criteria.extend(reviewer.review(analysis))
        progress((i + 1) / len(REVIEWER_MODULES))
    assessment = Assessment(criteria, threshold=pass_mark(config.pass_threshold, spotting))
    if session is not None:  # an endpoint was asked for but is unusable (optional): say so
        assessment.decisions = [session.rules(f"{reviewer}_reviewer") for reviewer, _ in CRITERIA]
        session.record(assessment.decisions)
    return assessment
