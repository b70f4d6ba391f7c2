"""Setting, behaviour and theme from pixels and flow, on pictures whose content is known; the arranger
colours the cue by them."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from fc_backend.demo import make_scene_clip
from fc_backend.model import VOCABULARY
from fc_backend.spot import spot
from fc_backend.spot.shot_labels import (
    THEME_RULES,
    behaviour_label,
    frame_regions,
    setting_label,
    theme_label,
)

W, H = 320, 180
SKY, GRASS, WATER, WALL = (250, 210, 150), (100, 220, 140), (200, 110, 40), (55, 70, 90)  # BGR


def frame(top: tuple[int, int, int], bottom: tuple[int, int, int], *, texture: float = 0.0,
          horizon: float = 0.4, seed: int = 0) -> np.ndarray:
    """A BGR frame: `top` above the horizon, `bottom` below it with blobs of noise of `texture`."""
    noise = np.kron(np.random.default_rng(seed).normal(0, 1, (H // 4, W // 4)), np.ones((4, 4)))
    out = np.clip(np.array(bottom, float) + texture * noise[..., None], 0, 255)
    out[: round(H * horizon)] = top
    return out.astype(np.uint8)


@pytest.mark.parametrize(("picture", "setting"), [
    (frame(SKY, GRASS, texture=60), "nature"),  # blue sky over grass
    (frame(SKY, WATER, texture=50), "water"),  # sky over rippled water
    (frame(SKY, SKY, horizon=1.0), "sky"),  # nothing but sky
    (frame(SKY, (128, 128, 128), texture=40), "outdoor"),  # sky over grey ground
    (frame(WALL, WALL, texture=40), None),  # no sky, no grass: a room or a street, pixels cannot tell
    (frame(GRASS, GRASS, texture=60, horizon=0.0), "nature"),  # looking down at the grass
    (frame(GRASS, GRASS, horizon=0.0), None),  # a flat green wall is no vegetation
])
def test_the_setting_reads_off_sky_green_and_water(picture: np.ndarray, setting: str | None) -> None:
    assert setting_label(frame_regions(picture)) == setting


def test_behaviour_is_the_pace_of_steady_motion() -> None:
    assert behaviour_label(0.0, 0.0) == "still"
    assert behaviour_label(0.02, 0.2) == "walking"
    assert behaviour_label(0.15, 0.2) == "running"
    assert behaviour_label(0.15, 1.5) is None  # flicker: motion that comes and goes is no pace
    assert behaviour_label(0.0, 0.0, texture=0.0) is None  # a clear sky: flow cannot see it pan


def test_theme_rules_use_the_vocabulary_and_follow_the_picture() -> None:
    assert {rule[-1] for rule in THEME_RULES} <= set(VOCABULARY["theme"])
    assert theme_label("nature", "calm", "bright", "still") == "nature"
    assert theme_label(None, "fear", "dark", "still") == "mystery"
    assert theme_label("nature", "heroic", "bright", "running") == "adventure"
    assert theme_label(None, "sad", "normal", "walking") == "tragedy"
    assert theme_label(None, "dignified", "normal", "walking") is None


@pytest.fixture(scope="module")
def scenes(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[float]]:
    clip = tmp_path_factory.mktemp("scenes") / "scenes.mp4"
    cuts = make_scene_clip(clip, [("meadow", 48, 0.0), ("sea", 48, 0.3), ("room", 48, 0.0),
                                  ("meadow", 48, 0.04), ("sky", 48, 0.3)])
    return clip, cuts


def test_spot_labels_known_scenes(scenes: tuple[Path, list[float]]) -> None:
    clip, cuts = scenes
    s = spot(clip)
    assert s.cuts == pytest.approx(cuts, abs=1 / 24)
    got = [(shot.attributes.setting, shot.attributes.behaviour) for shot in s.shots]
    assert got == [("nature", "still"), ("water", "running"), (None, "still"), ("nature", "walking"),
                   ("sky", None)]
    assert s.shots[0].attributes.brightness == "bright"
    assert s.shots[0].attributes.theme == "nature"  # open country in a quiet mood
    for shot in s.shots:
        assert shot.attributes.theme == theme_label(shot.attributes.setting, shot.attributes.emotion,
                                                    shot.attributes.brightness, shot.attributes.behaviour)


def test_the_arranger_colours_a_cue_by_its_setting() -> None:
    """The same melody and clip, once in a meadow and once nowhere in particular: the meadow's cue
    gets the pastoral colours (woodwinds, harp) the palette alone would not put first."""
    from fc_backend.arrange import arrange
    from fc_backend.compose import compose
    from tests.test_compose import make_spotting

    plain = make_spotting(emotion="dignified")
    meadow = dataclasses.replace(plain, shots=[
        dataclasses.replace(shot, attributes=dataclasses.replace(shot.attributes, setting="nature"))
        for shot in plain.shots])
    melody = compose(plain, seed=0)
    before = {t.role: t.instrument for t in arrange(melody, plain).tracks}
    after = {t.role: t.instrument for t in arrange(melody, meadow).tracks}
    assert before["melody"] == "french_horns" and after["melody"] in ("flutes", "oboe")
    assert after.get("ostinato", "harp") == "harp"
    assert after.get("counter", "clarinets") in ("clarinets", "oboe")
