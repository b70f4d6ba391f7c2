"""Shared fixtures: real clips with known cuts, and one real end-to-end score of one of them."""

from __future__ import annotations

from pathlib import Path

import pytest

from fc_backend.demo import make_clip

#: fixtures that decode, spot or score a real clip: a test that uses one is slow
SLOW_FIXTURES = {"clip", "scored"}
#: modules whose every test starts servers or subprocesses, builds a model or reads a corpus
SLOW_MODULES = {"test_musicgen.py", "test_llm_endpoint.py", "test_reaper_osc.py", "test_install.py",
                "test_eval_music.py", "test_server_auth.py", "test_server_cancel.py",
                "test_server_confine.py", "test_server_jobs.py", "test_server_limits.py",
                "test_server_local.py", "test_server_out.py", "test_server_private.py",
                "test_server_reroll.py", "test_server_results.py"}


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """Under `-m "not slow"`, a slow module is not even imported (MusicGen's alone costs seconds)."""
    if collection_path.name in SLOW_MODULES and config.option.markexpr.replace(" ", "") == "notslow":
        return True
    return None


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark `slow` every test that needs a real clip or a whole score, or sits in a slow module."""
    for item in items:
        if SLOW_FIXTURES & set(getattr(item, "fixturenames", ())) or item.path.name in SLOW_MODULES:
            item.add_marker(pytest.mark.slow)


#: shots of a small multi-shot clip at 24 fps; the 8-frame shot is the shortest a cut detector must keep
CLIP_SHOT_FRAMES = (60, 36, 8, 72, 48, 56)
CLIP_FPS = 24


@pytest.fixture(scope="session")
def clip(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[float]]:
    """A 320x180 H.264 clip and its true cut times in seconds."""
    path = tmp_path_factory.mktemp("clip") / "multishot.mp4"
    cuts = make_clip(path, CLIP_SHOT_FRAMES, fps=CLIP_FPS, size=(320, 180))
    return path, cuts


@pytest.fixture(scope="session")
def scored(clip: tuple[Path, list[float]], tmp_path_factory: pytest.TempPathFactory):
    """The whole default pipeline run once on `clip`; tests read its artifacts."""
    from fc_backend.config import Config
    from fc_backend.pipeline import score

    out = tmp_path_factory.mktemp("score") / "out"
    return score(clip[0], out, Config(seed=3), show_progress=False)
