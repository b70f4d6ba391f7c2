"""The GPU composer: MusicGen-Melody conditioned on the picture, transcribed back to a melody.

Pipeline only; the model code is in model.py (loading), conditioning.py (text and chroma),
generate.py (windows and continuation), transcribe.py (basic-pitch ONNX) and extract.py (eq. 1-3).
"""

from __future__ import annotations

import random
import warnings
from dataclasses import dataclass, field

import numpy as np

from ...config import Config
from ...model import Melody, Note, Spotting
from ...progress import Progress, no_progress
from ..adopt import adopt
from ..align import BeatNote, onset_at
from ..composer import _spot_times, choose_key, compose_symbolic
from ..tonality import is_dark, is_sunny
from .conditioning import describe, one_hot_chroma, spot_waveform
from .extract import Candidate, main_melody
from .fast import Cue, fast_for
from .generate import generate
from .model import MusicGen, load
from .transcribe import NoteEvent, transcribe

_LOADED: dict[str, MusicGen] = {}
#: the transcribed line is folded by octaves into this range (MIDI pitches G3..A5)
SINGABLE = (55, 81)


@dataclass
class MusicGenResult:
    """Every level of the result, as basic-pitch's predict() returns them: audio, notes, melody."""

    text: str
    audio: np.ndarray
    sample_rate: int
    events: list[NoteEvent]
    chosen: Candidate | None
    melody: Melody
    fallback: bool = False
    extra: dict = field(default_factory=dict)


def compose_musicgen(spotting: Spotting, config: Config | None = None, *, description: str = "",
                     seed: int | None = None, progress: Progress = no_progress) -> Melody:
    """The theme by MusicGen-Melody (`Config.musicgen_model`, from the local Hugging Face cache)."""
    config = config or Config()
    name = config.musicgen_model
    if name not in _LOADED:
        _LOADED[name] = load(name)
    return run(_LOADED[name], spotting, config, description=description, seed=seed, progress=progress).melody


def run(mg: MusicGen, spotting: Spotting, config: Config | None = None, *, description: str = "",
        seed: int | None = None, window_s: float = 30.0, prompt_s: float = 10.0, fast: bool | None = None,
        progress: Progress = no_progress) -> MusicGenResult:
    """Generate, transcribe and extract; the melody is on the clip's clock with a note on every cut.

    `fast` (default: on a GPU) generates with fast.py's static-cache loop instead of generate()'s
    transformers loop: the same model and sampling, windows continued from codes, one codec decode.

    When nothing usable comes back (no transcribed note), the symbolic composer writes the theme and
    a warning says so: the pipeline never fails because a model produced nonsense.
    """
    config = config or Config()
    seed = config.seed if seed is None else int(seed)
    key = choose_key(spotting.emotion, random.Random(seed), sunny=is_sunny(spotting.shots),
                     dark=is_dark(spotting.shots))
    text = describe(spotting, description)
    sr = mg.sample_rate
    wave = spot_waveform(spotting, key, sample_rate=sr, duration=spotting.duration + 30.0)
    chroma = one_hot_chroma(wave, sr)
    progress(0.05)

    def step(fraction: float) -> None:
        progress(0.05 + 0.75 * fraction)

    if fast is None:
        fast = str(mg.device).startswith("cuda")
    if fast:
        cue = Cue(text, chroma, spotting.duration, seed=seed)
        audio = fast_for(mg).generate([cue], window_s=window_s, prompt_s=prompt_s, progress=step)[0]
    else:
        audio = generate(mg, text, chroma, spotting.duration, seed=seed, window_s=window_s, prompt_s=prompt_s,
                         progress=step)
    events = transcribe(audio, sr)
    progress(0.9)
    chosen = main_melody(events, spotting.duration)
    if chosen is None:
        warnings.warn("MusicGen's audio held no transcribable note; the symbolic composer wrote the theme",
                      stacklevel=2)
        melody = compose_symbolic(spotting, config, description=description, seed=seed)
        return MusicGenResult(text, audio, sr, events, None, melody, fallback=True)
    notes = [Note(_singable(e.pitch), e.start, max(e.end, e.start + 1e-3),
                  min(127, round(40 + 87 * e.amplitude))) for e in chosen.notes]
    raw = Melody(notes, "", spotting.tempo_map, seed=seed)
    melody = adopt(raw, spotting, description=description)
    melody.key = melody.key or key
    melody = _on_the_spots(melody, spotting)
    progress(1.0)
    return MusicGenResult(text, audio, sr, events, chosen, melody)


def _singable(pitch: int) -> int:
    """The pitch moved by octaves into G3..A5, where the composer's themes live and the arranger looks."""
    while pitch < SINGABLE[0]:
        pitch += 12
    while pitch > SINGABLE[1]:
        pitch -= 12
    return pitch


def _on_the_spots(melody: Melody, spotting: Spotting) -> Melody:
    """A note onset on every cut and strong spot (the sounding pitch is re-struck there)."""
    tm = melody.tempo_map
    line = [BeatNote(tm.beat_at(n.start), tm.beat_at(n.end), n.pitch, n.velocity) for n in melody.notes]
    spots = {tm.beat_at(t): t for t in _spot_times(spotting)}
    end = max(n.end for n in line)
    for beat in sorted(spots):
        onset_at(line, beat, lambda _b, previous: previous, end=end, keep=frozenset(spots))
    notes = [Note(n.pitch, spots.get(n.start, tm.time_at(n.start)), spots.get(n.end, tm.time_at(n.end)),
                  n.velocity) for n in line if n.end - n.start > 1e-9]
    melody.notes = sorted(notes, key=lambda n: n.start)
    return melody
