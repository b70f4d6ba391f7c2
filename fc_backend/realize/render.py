"""Dry stereo stems from a General MIDI SoundFont: one FluidSynth pass renders every track at once.

Each track plays on its own MIDI channel (unpitched kits on channel 10) and FluidSynth's multi-channel
output gives every channel its own stereo group (`synth.audio-channels` = `synth.audio-groups`), pulled
with `fluid_synth_process` as planar float32 buffers: one synthesis pass, one dry stem per track,
rendered block by block so memory does not grow with the clip. A MIDI port has 16 channels, one of
them the drum channel: more than 15 melodic tracks (or a second kit) run a second synth beside the
first, stepped over the same blocks. FluidSynth's own reverb and chorus are off: space is added once,
on the shared reverb bus, the way a mix engineer sends every track to one room.
"""

from __future__ import annotations

import ctypes
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import InputError
from ..model import PlanTrack
from .attack import lead_times

log = logging.getLogger(__name__)

#: seconds rendered after the clip so releases and the reverb can ring out (Config.tail, --tail)
TAIL = 2.0
DRUM_CHANNEL, DRUM_BANK = 9, 128
MELODIC_CHANNELS = tuple(c for c in range(16) if c != DRUM_CHANNEL)
#: FluidSynth output gain; the master is loudness-normalised later, this only keeps stems below 0 dBFS
SYNTH_GAIN = 0.4


def _fluidsynth():  # imported late: a missing libfluidsynth should fail only when rendering
    import fluidsynth

    process = fluidsynth.cfunc(
        "fluid_synth_process", ctypes.c_int, ("synth", ctypes.c_void_p, 1), ("len", ctypes.c_int, 1),
        ("nfx", ctypes.c_int, 1), ("fx", ctypes.c_void_p, 1), ("nout", ctypes.c_int, 1),
        ("out", ctypes.c_void_p, 1))
    return fluidsynth, process


def assign_channels(tracks: list[PlanTrack]) -> list[tuple[int, int]]:
    """(pass, MIDI channel) of every track: melodic tracks fill channels 1-9 and 11-16, a kit takes 10.

    Example: 16 melodic tracks -> the 16th goes to channel 1 of pass 2.
    """
    out: list[tuple[int, int]] = []
    melodic = drums = 0
    for track in tracks:
        if track.is_drum:
            out.append((drums, DRUM_CHANNEL))
            drums += 1
        else:
            pass_index, slot = divmod(melodic, len(MELODIC_CHANNELS))
            out.append((pass_index, MELODIC_CHANNELS[slot]))
            melodic += 1
    return out


@dataclass
class _Pass:
    """One FluidSynth, its tracks by channel and its note events in sample order."""

    synth: object
    groups: int
    channels: dict[int, int] = field(default_factory=dict)  # track index -> MIDI channel
    #: (sample, order, channel, pitch, velocity); order 0 = off, 1 = on
    events: list[tuple[int, int, int, int, int]] = field(default_factory=list)
    cursor: int = 0


class StemSynth:
    """Every track's dry stereo stem, `block(n)` samples at a time, from one pass of FluidSynth(s).

    Example::

        with StemSynth(plan.tracks, "FluidR3_GM.sf2", 48000, n_samples) as synth:
            for start in range(0, n_samples, 8192):
                stems = synth.block(8192)  # stems[i]: track i's dry audio, (n, 2) float32
    """

    def __init__(self, tracks: list[PlanTrack], soundfont: str | Path, sample_rate: int,
                 n_samples: int, *, compensate: bool = True) -> None:
        """`compensate`: slow presets play their notes early by their measured attack (attack.py)."""
        fluidsynth, self._process = _fluidsynth()
        self.sample_rate, self.n_samples, self.position = sample_rate, n_samples, 0
        self.soundfont = str(soundfont)
        self.tracks = tracks
        self._passes: list[_Pass] = []
        self._leads = self._lead_times(tracks) if compensate else [0.0] * len(tracks)
        assignment = assign_channels(tracks)
        cores = max(1, min(4, os.cpu_count() or 1))
        try:
            for index in range(max((p for p, _ in assignment), default=-1) + 1):
                groups = max(c for (p, c) in assignment if p == index) + 1
                synth = fluidsynth.Synth(gain=SYNTH_GAIN, samplerate=float(sample_rate), **{
                    "synth.reverb.active": 0, "synth.chorus.active": 0, "synth.cpu-cores": cores,
                    "synth.dynamic-sample-loading": 1,
                    "synth.polyphony": 1024, "synth.audio-channels": groups, "synth.audio-groups": groups})
                self._passes.append(_Pass(synth, groups))
                sfid = synth.sfload(str(soundfont))
                if sfid < 0:
                    raise InputError(soundfont,
                                     "FluidSynth could not load this SoundFont (not a valid .sf2/.sf3?)")
                for track_index, (p, channel) in enumerate(assignment):
                    if p == index:
                        self._setup(self._passes[-1], track_index, channel, sfid)
        except BaseException:
            self.close()
            raise
        for p in self._passes:
            p.events.sort()

    def _setup(self, p: _Pass, index: int, channel: int, sfid: int) -> None:
        track = self.tracks[index]
        p.channels[index] = channel
        bank = DRUM_BANK if track.is_drum else 0
        if p.synth.program_select(channel, sfid, bank, int(track.gm_program)) != 0:
            # a SoundFont without this preset (e.g. a drum kit number it lacks): its first one, audibly
            log.warning("SoundFont has no bank %d preset %d for %s; using preset 0",
                        bank, track.gm_program, track.name)
            p.synth.program_select(channel, sfid, bank, 0)
        sr, n = self.sample_rate, self.n_samples
        lead = self._leads[index]
        for note in track.notes:
            on = int(round(max(0.0, note.start - lead) * sr))
            if on >= n:
                continue
            off = min(max(on + 1, int(round((note.end - lead) * sr))), n - 1)
            # offs sort before ons at one sample: a repeated pitch is released, then struck again
            p.events.append((on, 1, channel, note.pitch, note.velocity))
            p.events.append((off, 0, channel, note.pitch, 0))

    def _lead_times(self, tracks: list[PlanTrack]) -> list[float]:
        """How far ahead each track's notes sound (attack.py): a slow preset starts early, a kit never."""
        melodic = [(i, t) for i, t in enumerate(tracks) if not t.is_drum and t.notes]
        leads = lead_times(self.soundfont, [(0, int(t.gm_program), int(np.median([n.pitch for n in t.notes])))
                                            for _i, t in melodic], sample_rate=self.sample_rate)
        out = [0.0] * len(tracks)
        for (i, _track), lead in zip(melodic, leads, strict=True):
            out[i] = lead
        return out

    def close(self) -> None:
        for p in self._passes:
            p.synth.delete()
        self._passes = []

    def __enter__(self) -> StemSynth:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def block(self, size: int) -> list[np.ndarray]:
        """The next `size` samples (fewer at the end) of every track, each (n, 2) float32."""
        start = self.position
        end = max(start, min(self.n_samples, start + size))
        stems: list[np.ndarray] = [np.zeros((end - start, 2), np.float32)] * len(self.tracks)
        for p in self._passes:
            planar = np.zeros((2 * p.groups, end - start), dtype=np.float32)
            pointers = (ctypes.c_void_p * (2 * p.groups))(*(row.ctypes.data for row in planar))
            pos = start
            while p.cursor < len(p.events) and p.events[p.cursor][0] < end:
                sample, is_on, channel, pitch, velocity = p.events[p.cursor]
                pos = self._render(p, planar, pointers, start, pos, sample)
                if is_on:
                    p.synth.noteon(channel, pitch, velocity)
                else:
                    p.synth.noteoff(channel, pitch)
                p.cursor += 1
            self._render(p, planar, pointers, start, pos, end)
            for index, channel in p.channels.items():
                stems[index] = planar[2 * channel:2 * channel + 2].T
        self.position = end
        return stems

    def _render(self, p: _Pass, planar: np.ndarray, pointers, block_start: int, pos: int, until: int) -> int:
        """Synthesize [pos, until) into the planar buffers (FluidSynth adds into them); returns `until`."""
        if until <= pos:
            return pos
        offset = (pos - block_start) * planar.itemsize
        if offset:
            pointers = (ctypes.c_void_p * len(planar))(*(row.ctypes.data + offset for row in planar))
        self._process(p.synth.synth, until - pos, 0, None, len(planar), pointers)
        return until
