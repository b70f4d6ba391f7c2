"""Notate: the melody as ABC text (abcmidi's midi2abc), readable and editable by people.

ABC, both ways, lives in `fc_backend.formats.abc`; this stage is its writing direction.
"""

from ..formats.abc import notate

__all__ = ["notate"]
