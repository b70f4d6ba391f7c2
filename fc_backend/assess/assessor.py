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

__all__ = ["CRITERIA", "REVIEWER_MODULES", "assess"]


def assess(melody: Melody, spotting: Spotting | None = None, config: Config | None = None, *,
           progress: Progress = no_progress) -> Assessment:
    """Score `melody` on 19 criteria (each 0..1, with the measured value in its reason).

    With ``config.llm_base_url`` set, the reviewers are LLM agents on that endpoint (any reviewer
    whose answers stay invalid is replaced by its rule-based self, and `decisions` says so).

    Example: ``assess(melody, spotting).passed`` is True when the total reaches
    ``config.pass_threshold`` (14.5 of 19 by default: 89 % of human tunes of the dev split pass, 16 % of
    random notes in their keys, and no scale).
    """
    config = config or Config()
    if not melody.notes:
        criteria = [criterion(key, reviewer, 0.0, "the melody has no notes")
                    for reviewer, keys in CRITERIA for key in keys]
        return Assessment(criteria, threshold=config.pass_threshold)
    session = session_for(config)
    if session is not None and session.usable:
        from .llm import assess_with_llm

        return assess_with_llm(melody, spotting, config.pass_threshold, session, progress=progress)
    analysis = analyse(melody, spotting)
    criteria: list[Criterion] = []
    for i, reviewer in enumerate(REVIEWER_MODULES):
        criteria.extend(reviewer.review(analysis))
        progress((i + 1) / len(REVIEWER_MODULES))
    assessment = Assessment(criteria, threshold=config.pass_threshold)
    if session is not None:  # an endpoint was asked for but is unusable (optional): say so
        assessment.decisions = [session.rules(f"{reviewer}_reviewer") for reviewer, _ in CRITERIA]
        session.record(assessment.decisions)
    return assessment
