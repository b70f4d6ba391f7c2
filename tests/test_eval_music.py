"""The listener's measures on small fixed inputs: grid, note values, bar recurrence, melody on top."""

from __future__ import annotations

import pytest

from fc_backend.eval import music
from fc_backend.eval.reference import nonsense, pitch_scrambled, random_in_key, rhythm_shuffled, split_of
from fc_backend.model import Melody, Note, Plan, PlanTrack, TempoMap
from fc_backend.theory import Key

TM = TempoMap.constant(120)  # a beat is 0.5 s


def line(notes: list[tuple[float, float, int]]) -> Melody:
    return Melody([Note(p, s * 0.5, e * 0.5) for s, e, p in notes], Key(0), TM)


def test_grid_values_and_bar_recurrence_are_counted_in_beats() -> None:
    bar = [(0, 1, 60), (1, 1.5, 62), (1.5, 2, 64), (2, 4, 65)]
    tune = line(bar + [(s + 4, e + 4, p) for s, e, p in bar] + [(8.1, 12, 60)])
    assert music.distinct_values(tune) == 3  # 1, 0.5 and 2; the last note is held as long as the tune
    assert music.off_grid_share(tune) == 1 / 9  # only the onset at 8.1 beats
    assert music.bar_recurrence(tune) == 2 / 3  # bars 1 and 2 share a rhythm, bar 3 does not


def test_melody_on_top_counts_only_accompaniment_above_the_tune() -> None:
    lead = PlanTrack("Horn", "melody", "french_horns", 60, ["ReaSynth"], [Note(60, 0.0, 2.0)])
    double = PlanTrack("Flute", "doubling", "flutes", 73, ["ReaSynth"], [Note(72, 0.0, 2.0)])
    counter = PlanTrack("Trombone", "counter", "trombones", 57, ["ReaSynth"], [Note(64, 1.0, 2.0)])
    plan = Plan(2.0, TM, Key(0), [lead, double, counter], [])
    assert music.melody_on_top(plan) == 0.5


def test_a_cut_counts_as_hit_only_with_an_onset_within_50_ms() -> None:
    from fc_backend.model import Marker

    pad = PlanTrack("Strings", "harmony", "strings1_ensemble", 48, ["ReaSynth"],
                    [Note(48, 0.0, 1.04), Note(48, 1.04, 4.0)])  # struck again 40 ms after the cut at 1.0
    timpani = PlanTrack("Timpani", "percussion", "timpani", 47, ["ReaSynth"], [Note(41, 2.94, 3.2)])
    cuts = [Marker(1.0, "cut 1"), Marker(3.0, "cut 2"), Marker(3.5, "cut 3"), Marker(2.0, "A", "section")]
    assert music.cut_hits(Plan(4.0, TM, Key(0), [pad, timpani], cuts)) == (1, 3)  # 60 ms early misses
    assert music.cut_hits(Plan(4.0, TM, Key(0), [], cuts)) == (0, 3)


def test_reference_split_and_counterfeits_are_fixed() -> None:
    assert split_of("essenFolksong/han1.abc X:1") == split_of("essenFolksong/han1.abc X:1")
    tune = line([(i, i + 1, 60 + i) for i in range(8)])
    assert sorted(n.pitch for n in pitch_scrambled(tune, 1).notes) == [n.pitch for n in tune.notes]
    assert [n.pitch for n in rhythm_shuffled(tune, 1).notes] == [n.pitch for n in tune.notes]
    assert all(n.pitch % 12 in Key(0).scale_pitch_classes() for n in random_in_key(tune, 1).notes)
    assert set(nonsense()) == {"C-major scale", "chromatic scale", "whole notes C-F-G-C", "one note repeated",
                               "arpeggio loop", "random walk"}
    assert music.auc([2, 3], [1, 2]) == 0.875


def test_reverb_against_dry_and_the_bright_band_are_measured(tmp_path) -> None:
    import numpy as np
    import soundfile as sf

    rate = 48000
    t = np.arange(rate * 2) / rate
    tone = 0.3 * np.sin(2 * np.pi * 440 * t)
    sf.write(tmp_path / "Violins.wav", np.stack([tone, tone], axis=1), rate)
    sf.write(tmp_path / "FC_Reverb.wav", np.stack([tone, tone], axis=1) / 2, rate)  # 6 dB under
    assert music.reverb_vs_dry_lu(tmp_path) == pytest.approx(-6.02, abs=0.1)
    bright = 0.3 * np.sin(2 * np.pi * 7000 * t)
    assert music.band_energy_db(tone, rate) < -60 < -1 < music.band_energy_db(tone + bright, rate) + 4
