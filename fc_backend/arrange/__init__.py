"""Arrange: melody + spotting -> `Scheme`, by the six roles of paper table 2 in their fixed order.

Analyze -> Arrange -> Instrument -> Volume -> Mixing -> Reviewer; each role is one function in its
own module. With an LLM endpoint configured, the roles are LLM agents in a group chat (arrange/llm.py)
and each falls back to its function here when its answers stay invalid.
"""

from __future__ import annotations

import logging

from ..agents.session import session_for
from ..config import Config
from ..model import Melody, Scheme, SchemeTempo, Spotting
from ..progress import Progress, no_progress
from ..schemes import load_instruments
from .analyze import analyze_cue
from .instrument import choose_instruments
from .mixing import mix
from .part_choice import choose_parts
from .review import review
from .roles import ROLES
from .volume import write_volume

__all__ = ["ROLES", "arrange"]
log = logging.getLogger(__name__)


def arrange(melody: Melody, spotting: Spotting, config: Config | None = None, *,
            progress: Progress = no_progress) -> Scheme:
    """The rule-based arrangement scheme of `melody` for the clip `spotting` describes.

    With ``config.llm_base_url`` set, the six roles are LLM agents on that endpoint; the rule-based
    reviewer still checks their scheme (ranges, schema) before it is returned.

    Example: ``scheme = arrange(melody, spotting); scheme.save("scheme.json")``.
    """
    library = load_instruments()
    session = session_for(config)
    if session is not None and session.usable:
        from .llm import arrange_with_llm

        scheme, analysis = arrange_with_llm(melody, spotting, config, session, library,
                                            progress=lambda f: progress(0.95 * f))
        for fix in review(scheme, analysis, library):
            log.warning("reviewer: the LLM scheme's %s", fix)
        progress(1.0)
        return scheme
    analysis = analyze_cue(melody, spotting, config)
    progress(0.2)
    tracks = choose_parts(analysis)
    choose_instruments(tracks, analysis, library, seed=melody.seed)
    progress(0.5)
    write_volume(tracks, analysis)
    mix(tracks, analysis, library)
    progress(0.8)
    scheme = Scheme(SchemeTempo.of(melody.tempo_map), melody.heard_key(), analysis.measures,
                    analysis.sections, tracks)
    for fix in review(scheme, analysis, library):
        log.info("reviewer: %s", fix)
    if session is not None:  # an endpoint was asked for but is unusable (optional): say so
        scheme.decisions = [session.rules(role) for role in ROLES]
        session.record(scheme.decisions)
    progress(1.0)
    return scheme

