"""Attack compensation: slow instruments start their notes early, so they sound on the beat.

A bowed string section or a pad swells for a few hundred milliseconds before it is heard at strength;
played exactly on the cut, it arrives late. Composers working with such samples move those tracks
earlier (a negative track delay). Here the delay is measured, not guessed: each preset the plan uses is
struck once in a scratch FluidSynth, and the time its envelope takes to reach a quarter of its peak
(-12 dB, where a slow sound is heard to begin) is how far that track's notes are moved ahead in the
offline render (at most MAX_LEAD). The plan, the MIDI and the REAPER project keep the notes where
the music puts them; only the rendered audio leads.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

#: a note is heard to begin when its envelope reaches this fraction of its peak (-12 dB): perceived
#: attack times of slow sounds sit early in their rise, well before the peak
ONSET_LEVEL = 0.25
#: a preset that reaches ONSET_LEVEL sooner than this is played as written
MIN_LEAD = 0.02
#: no note is moved ahead by more than this (s): beyond it a swell is a musical shape, not a delay
MAX_LEAD = 0.25
ALL_SOUND_OFF = 120  # MIDI controller: stop every voice on the channel at once
#: the test note's velocity and how long it is listened to (s)
_VELOCITY, _LISTEN = 100, 0.6


def lead_times(soundfont: str | Path, presets: list[tuple[int, int, int]], *,
               sample_rate: int = 48000) -> list[float]:
    """Seconds each (bank, program, pitch) is moved ahead: its time to ONSET_LEVEL, 0 below MIN_LEAD."""
    attacks = attack_times(str(soundfont), presets, sample_rate)
    return [0.0 if attack < MIN_LEAD else min(attack, MAX_LEAD) for attack in attacks]


#: measured attacks, by (soundfont, sample rate, bank, program, pitch): a preset is struck once a process
_MEASURED: dict[tuple[str, int, int, int, int], float] = {}


def attack_times(soundfont: str, presets: list[tuple[int, int, int]], sample_rate: int) -> list[float]:
    """Seconds from note-on until each preset's envelope first reaches ONSET_LEVEL of its peak within
    LISTEN seconds (0 when silent or missing); all struck in turn on one scratch synth."""
    missing = [p for p in dict.fromkeys(presets) if (soundfont, sample_rate, *p) not in _MEASURED]
    if missing:
        import fluidsynth

        synth = fluidsynth.Synth(gain=0.4, samplerate=float(sample_rate), **{
            "synth.reverb.active": 0, "synth.chorus.active": 0, "synth.dynamic-sample-loading": 1})
        try:
            sfid = synth.sfload(soundfont)
            for bank, program, pitch in missing:
                attack = 0.0
                if sfid >= 0 and synth.program_select(0, sfid, bank, program) == 0:
                    synth.noteon(0, pitch, _VELOCITY)
                    samples = synth.get_samples(int(_LISTEN * sample_rate))
                    synth.cc(0, ALL_SOUND_OFF, 0)  # silence, releases too, before the next preset
                    synth.get_samples(sample_rate // 100)
                    attack = _onset_seconds(np.asarray(samples, dtype=np.float32), sample_rate)
                _MEASURED[(soundfont, sample_rate, bank, program, pitch)] = attack
        finally:
            synth.delete()
    return [_MEASURED[(soundfont, sample_rate, *p)] for p in presets]


def _onset_seconds(interleaved: np.ndarray, sample_rate: int) -> float:
    level = np.abs(interleaved.reshape(-1, 2)).max(axis=1)
    window = max(1, sample_rate // 200)  # a 5 ms running mean: the envelope, not the waveform
    envelope = np.convolve(level, np.ones(window, np.float32) / window, mode="same")
    peak = float(envelope.max(initial=0.0))
    if peak <= 0.0:
        return 0.0
    return float(np.argmax(envelope >= ONSET_LEVEL * peak)) / sample_rate
