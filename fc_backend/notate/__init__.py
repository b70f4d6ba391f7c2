"""Notate: the melody as ABC text (abcmidi's midi2abc), readable and editable by people."""

from .abc import notate

__all__ = ["notate"]
