"""The compose stage's one entry: a new theme, a melody the user brought, or a re-rolled region."""

from __future__ import annotations

from ..config import Config
from ..model import Melody, Spotting, Theme
from ..progress import Progress, no_progress
from .adopt import adopt
from .composer import compose_symbolic
from .reroll import reroll

#: values of `Config.composer`
BACKENDS = ("symbolic", "musicgen")


def compose(spotting: Spotting, config: Config | None = None, *, description: str = "",
            seed: int | None = None, progress: Progress = no_progress, melody: Melody | None = None,
            region: tuple[float, float] | None = None, theme: Theme | None = None) -> Melody:
    """The main theme for `spotting`, in video time; the same seed gives the same melody.

    Parameters
    ----------
    config : `Config.composer` picks the backend ("symbolic", the CPU default, or "musicgen", the GPU
        path); `Config.seed` is the seed unless `seed` is given.
    melody : a melody the user brought (read with `fc_backend.formats.melody_file.read_melody`):
        used instead of composing, laid on the clip's tempo map beat for beat, given a key (its own,
        else estimated) and a chord per measure.
    region : with `melody`, (t0, t1) in seconds: only the measures overlapping it are composed anew
        (always by the symbolic writer, over the melody's key and chords); every other note is kept.
    theme : an earlier cue's `Melody.theme` to develop (same cells and contour, this cue's key,
        harmony and devices) instead of stating a new one; the symbolic composer's option.

    Example: ``melody = compose(spotting, Config(seed=3))``; ``melody.key`` -> ``"D minor"``.
    """
    config = config or Config()
    seed = config.seed if seed is None else int(seed)
    if melody is not None:
        if region is None:
            result = adopt(melody, spotting, description=description)
        else:
            result = reroll(melody, spotting, region[0], region[1], seed=seed)
        progress(1.0)
        return result
    backend = (config or Config()).composer
    if backend == "symbolic":
        return compose_symbolic(spotting, config, description=description, seed=seed, progress=progress,
                                theme=theme)
    if backend == "musicgen":
        from .musicgen import compose_musicgen  # torch and transformers only on this path

        return compose_musicgen(spotting, config, description=description, seed=seed, progress=progress)
    raise ValueError(f"Config.composer must be one of {BACKENDS}, got {backend!r}")
