"""Themes across a film: scenes in the same setting get the same theme label wherever they return.

A spotting decision made from the picture: places are told apart by their look (palette, brightness,
texture; see looks.py), so the forest of reel 1 and the forest of reel 3 share a label and the music
can bring its theme back. Labels are "A", "B", ... in order of first appearance.
"""

from __future__ import annotations

from string import ascii_uppercase

from .looks import Look, blend
from .scenes import Scene

#: a scene this close (Look.distance) to a setting seen before is that setting again
SAME_SETTING = 0.5


def theme_labels(scenes: list[Scene], *, same_setting: float = SAME_SETTING) -> list[str]:
    """One label per scene ("" for a black scene, which plays no theme): the nearest setting seen
    before when within `same_setting`, else a new one."""
    settings: list[tuple[Look, float]] = []  # (blended look, seconds seen) of each label so far
    labels = []
    for scene in scenes:
        if scene.black:
            labels.append("")
            continue
        near = sorted((look.distance(scene.look), i) for i, (look, _s) in enumerate(settings))
        if near and near[0][0] <= same_setting:
            i = near[0][1]
            look, seen = settings[i]
            settings[i] = (blend([look, scene.look], [seen, scene.duration]), seen + scene.duration)
        else:
            i = len(settings)
            settings.append((scene.look, scene.duration))
        labels.append(letters(i))
    return labels


def letters(index: int) -> str:
    """"A" for 0, ..., "Z", then "AA", "AB", ..."""
    if index < len(ascii_uppercase):
        return ascii_uppercase[index]
    return letters(index // len(ascii_uppercase) - 1) + ascii_uppercase[index % len(ascii_uppercase)]
