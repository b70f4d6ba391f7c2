"""Dry stereo stems from a General MIDI SoundFont: one FluidSynth, one track at a time.

FluidSynth's own reverb and chorus are off: space is added once, on the shared reverb bus, the way a
mix engineer sends every track to one room. Samples are pulled as float32 straight into the stem
(`fluid_synth_write_float`) rather than through pyfluidsynth's 16-bit `get_samples`, so quiet
passages keep their resolution and no int->float copy is made.
"""

from __future__ import annotations

import ctypes
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from ..errors import InputError
from ..model import PlanTrack
from ..progress import Progress, no_progress

log = logging.getLogger(__name__)

#: seconds rendered after the clip so releases and the reverb can ring out
TAIL = 2.0
DRUM_CHANNEL, DRUM_BANK = 9, 128
MELODIC_CHANNEL = 0
#: FluidSynth output gain; the master is loudness-normalised later, this only keeps stems below 0 dBFS
SYNTH_GAIN = 0.4


def _fluidsynth():  # imported late: a missing libfluidsynth should fail only when rendering
    import fluidsynth

    write_float = fluidsynth.cfunc(
        "fluid_synth_write_float", ctypes.c_int, ("synth", ctypes.c_void_p, 1), ("len", ctypes.c_int, 1),
        ("lout", ctypes.c_void_p, 1), ("loff", ctypes.c_int, 1), ("lincr", ctypes.c_int, 1),
        ("rout", ctypes.c_void_p, 1), ("roff", ctypes.c_int, 1), ("rincr", ctypes.c_int, 1))
    return fluidsynth, write_float


class StemRenderer:
    """A FluidSynth with the SoundFont loaded once; `render(track, n)` returns an (n, 2) float32 stem."""

    def __init__(self, soundfont: str | Path, sample_rate: int) -> None:
        fluidsynth, self._write_float = _fluidsynth()
        cores = max(1, min(4, os.cpu_count() or 1))
        self.sample_rate = sample_rate
        self.synth = fluidsynth.Synth(gain=SYNTH_GAIN, samplerate=float(sample_rate), **{
            "synth.reverb.active": 0, "synth.chorus.active": 0, "synth.cpu-cores": cores,
            "synth.polyphony": 512})
        self.sfid = self.synth.sfload(str(soundfont))
        if self.sfid < 0:
            raise InputError(soundfont, "FluidSynth could not load this SoundFont (not a valid .sf2/.sf3?)")

    def close(self) -> None:
        self.synth.delete()

    def render(self, track: PlanTrack, n_samples: int) -> np.ndarray:
        """The track's notes played alone from silence: an (n_samples, 2) float32 array."""
        synth, sr = self.synth, self.sample_rate
        synth.system_reset()
        channel = DRUM_CHANNEL if track.is_drum else MELODIC_CHANNEL
        bank = DRUM_BANK if track.is_drum else 0
        if synth.program_select(channel, self.sfid, bank, int(track.gm_program)) != 0:
            # a SoundFont without this preset (e.g. a drum kit number it lacks): its first one, audibly
            log.warning("SoundFont has no bank %d preset %d for %s; using preset 0",
                        bank, track.gm_program, track.name)
            synth.program_select(channel, self.sfid, bank, 0)

        # (sample, order, pitch, velocity): offs sort before ons at the same sample, so a repeated
        # pitch is released and struck again instead of being cut by its own note-off
        events: list[tuple[int, int, int, int]] = []
        for note in track.notes:
            on = int(round(note.start * sr))
            off = max(on + 1, int(round(note.end * sr)))
            if on >= n_samples:
                continue
            events.append((on, 1, note.pitch, note.velocity))
            events.append((min(off, n_samples - 1), 0, note.pitch, 0))
        events.sort()

        stem = np.zeros((n_samples, 2), dtype=np.float32)
        pos = 0
        for sample, is_on, pitch, velocity in events:
            self._pull(stem, pos, sample)
            pos = max(pos, sample)
            if is_on:
                synth.noteon(channel, pitch, velocity)
            else:
                synth.noteoff(channel, pitch)
        self._pull(stem, pos, n_samples)
        synth.all_sounds_off(channel)
        return stem

    def _pull(self, stem: np.ndarray, start: int, end: int) -> None:
        """Synthesize samples [start, end) into the interleaved stem buffer."""
        if end <= start:
            return
        address = stem.ctypes.data + start * stem.strides[0]
        step = 1 << 16  # bounded calls: the length is a C int
        for offset in range(0, end - start, step):
            count = min(step, end - start - offset)
            self._write_float(self.synth.synth, count, address, 2 * offset, 2, address, 2 * offset + 1, 2)


@contextmanager
def stem_renderer(soundfont: str | Path, sample_rate: int) -> Iterator[StemRenderer]:
    renderer = StemRenderer(soundfont, sample_rate)
    try:
        yield renderer
    finally:
        renderer.close()


def render_stems(tracks: list[PlanTrack], soundfont: str | Path, n_samples: int, sample_rate: int, *,
                 progress: Progress = no_progress) -> Iterator[tuple[PlanTrack, np.ndarray]]:
    """Yield (track, dry stem) one track at a time, so a caller can mix without holding every stem."""
    with stem_renderer(soundfont, sample_rate) as renderer:
        for index, track in enumerate(tracks):
            yield track, renderer.render(track, n_samples)
            progress((index + 1) / max(1, len(tracks)))
