"""Scenes: runs of shots in one place, the units a spotting session thinks in.

Consecutive shots belong to one scene while they look alike (`Look.distance` to the scene so far
stays under `same_scene`): a new angle on the same place is one scene, a cut elsewhere starts the next.
A jump in brightness (lights out, a door opened on daylight) or in motion (a still scene breaks into a
chase) starts a new scene even in the same place, and a long take stands as a scene of its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..model import Shot
from .looks import Look, blend

#: a shot this far from the scene's look (Look.distance) starts a new scene
SAME_SCENE = 0.6
#: a change in mean brightness (0..255) this large starts a new scene
BRIGHTNESS_JUMP = 50.0
#: motion (frame widths per second) this many times faster or slower, above MOTION_FLOOR, starts one
MOTION_JUMP, MOTION_FLOOR = 4.0, 0.03
#: a take this long (s) is a scene of its own
LONG_TAKE = 45.0
#: a scene this dark all through (mean luma) is a black leader or fade: music may rest over it
BLACK_LUMA = 8.0


@dataclass
class Scene:
    """Shots `first`..`last` (indices into the spotting's shots), their time span and blended look."""

    first: int
    last: int
    start: float
    end: float
    look: Look
    #: why it starts where it does ("the opening", "a cut to another place", "brightness jumps", ...)
    why: str = "the opening"
    shots: list[int] = field(default_factory=list)

    @property
    def duration(self) -> float:
        return self.end - self.start

    @property
    def black(self) -> bool:
        return self.look.luma < BLACK_LUMA


def group_scenes(shots: list[Shot], looks: list[Look], *, same_scene: float = SAME_SCENE,
                 long_take: float = LONG_TAKE) -> list[Scene]:
    """The scenes of `shots` (each with its `Look`), in time order, covering every shot once.

    Example: three shots in a forest, two at sea -> two scenes, the second "a cut to another place".
    """
    scenes: list[Scene] = []
    for index, (shot, look) in enumerate(zip(shots, looks, strict=True)):
        why = "" if not scenes else _new_scene(scenes[-1], shots, looks, shot, look, same_scene, long_take)
        if scenes and not why:
            scene = scenes[-1]
            scene.shots.append(index)
            scene.last, scene.end = index, shot.end
            members = scene.shots
            scene.look = blend([looks[i] for i in members], [max(shots[i].duration, 1e-3) for i in members])
            continue
        scenes.append(Scene(index, index, shot.start, shot.end, look, why or "the opening", [index]))
    return scenes


def _new_scene(scene: Scene, shots: list[Shot], looks: list[Look], shot: Shot, look: Look,
               same_scene: float, long_take: float) -> str:
    """Why `shot` starts a new scene after `scene`, or "" when it continues it."""
    last = looks[scene.last]
    if (look.luma < BLACK_LUMA) != (scene.look.luma < BLACK_LUMA):
        return "a fade to black" if look.luma < BLACK_LUMA else "out of black"
    if shot.duration >= long_take or shots[scene.last].duration >= long_take:
        return "a long take"
    if look.distance(scene.look) > same_scene:
        return "a cut to another place"
    if abs(look.luma - last.luma) > BRIGHTNESS_JUMP:
        return "brightness jumps" if look.luma > last.luma else "the light falls"
    slow, fast = sorted((look.motion, last.motion))
    if fast > MOTION_FLOOR and fast > MOTION_JUMP * max(slow, 1e-6):
        return "the motion breaks out" if look.motion > last.motion else "the motion stops"
    return ""
