"""Compose: spotting -> the main theme (`Melody`), with a rule-based symbolic composer on the CPU."""

from .composer import compose

__all__ = ["compose"]
