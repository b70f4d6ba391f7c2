"""Spotting: what the picture asks of the music (shots, motion, attributes, rhythm spots, tempo)."""

from .stage import spot

__all__ = ["spot"]
