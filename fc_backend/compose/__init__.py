"""Compose: spotting -> the main theme (`Melody`): a rule-based symbolic composer on the CPU, or
MusicGen-Melody on a GPU; also adopts a melody the user wrote and re-rolls a region of one."""

from .stage import compose

__all__ = ["compose"]
