"""Spotting: what the picture asks of the music (shots, motion, attributes, rhythm spots, tempo).

Besides `spot`, the stills of the shots: the ones spot kept in OUT/stills, or new ones from the clip.
"""

from .stage import spot
from .stills import saved_stills, stills_from_clip

__all__ = ["saved_stills", "spot", "stills_from_clip"]
