"""Long films scored as cues: each cue its own composition, arrangement and plan, themes stated once
and developed where their label returns, merged onto the film's clock for one project and master."""

from .run import Film, replan_cues, reroll_cue, score_cues, write_cue_scores
from .spotting import is_multi_cue

__all__ = ["Film", "is_multi_cue", "replan_cues", "reroll_cue", "score_cues",
           "write_cue_scores"]
