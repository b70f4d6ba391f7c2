"""Objective metrics on a real score, and on signals whose answer is known, including ones that must fail."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import soundfile as sf

from fc_backend.cli import main
from fc_backend.eval import diversity, evaluate
from fc_backend.eval.diversity import chroma_distance, chromagram
from fc_backend.eval.rhythm import chance_hit_rate, hit_rate, rhythm_alignment
from fc_backend.loudness import integrated_loudness, loudness_curve, loudness_range, true_peak_db
from fc_backend.model import RhythmSpot

SR = 48000


def sine(freq: float, seconds: float, dbfs: float, *, phase: float = 0.0, channels: int = 2) -> np.ndarray:
    t = np.arange(int(seconds * SR)) / SR
    tone = 10 ** (dbfs / 20) * np.sin(2 * np.pi * freq * t + phase)
    return np.repeat(tone[:, None], channels, axis=1)


@pytest.fixture(scope="module")
def metrics(scored) -> dict:
    return evaluate(scored.out_dir)


# ------------------------------------------------------------------------------ on the real score


def test_delivery_figures_match_the_file(metrics: dict, scored) -> None:
    info = sf.info(str(scored.out_dir / "master.wav"))
    delivery = metrics["delivery"]
    assert (delivery["sample_rate"], delivery["bit_depth"], delivery["channels"]) == (48000, 24, 2)
    assert delivery["duration_s"] == pytest.approx(info.duration, abs=1e-3)
    assert delivery["integrated_lufs"] == pytest.approx(-23.0, abs=0.5)  # Config's default target
    assert delivery["true_peak_dbtp"] <= -1.0 + 0.1  # the renderer's ceiling, measured by another meter
    assert 0.0 < delivery["loudness_range_lu"] < 25.0


def test_metrics_are_in_range_and_json_ready(metrics: dict, scored) -> None:
    rhythm = metrics["rhythm"]
    assert rhythm["spots"] == len(scored.spotting.rhythm_spots) and rhythm["onsets"] > 0
    assert 0.0 <= rhythm["hit_rate"] <= 1.0 and 0.0 <= rhythm["chance_hit_rate"] <= 1.0
    assert -1.0 <= rhythm["ncc_lag0"] <= rhythm["ncc_best"] <= 1.0
    assert abs(rhythm["best_lag_s"]) <= 0.5
    for key in ("curve_r", "shot_r"):
        assert metrics["dynamics"][key] is None or -1.0 <= metrics["dynamics"][key] <= 1.0
    assert metrics["musicality"]["total"] == pytest.approx(scored.assessment.total, abs=1e-3)
    assert metrics["musicality"]["out_of"] == 19
    assert json.loads(json.dumps(metrics, allow_nan=False)) == metrics


def plucks(times: list[float], seconds: float) -> np.ndarray:
    """A mono signal with a short decaying tone (5 ms attack) starting at each of `times`."""
    out = np.zeros(int(seconds * SR), np.float32)
    t = np.arange(int(0.4 * SR)) / SR
    for i, start in enumerate(times):
        tone = np.minimum(t / 0.005, 1.0) * np.exp(-t / 0.12) * np.sin(2 * np.pi * (330 + 55 * (i % 5)) * t)
        at = int(start * SR)
        n = min(len(tone), len(out) - at)
        if n > 0:
            out[at:at + n] += 0.3 * tone[:n].astype(np.float32)
    return out


def test_rhythm_alignment_falls_for_music_shifted_300_ms_or_spots_shuffled(scored) -> None:
    """Music that strikes every spot (and other beats) scores high; the same music late, or the spots
    moved, does not, and the best lag finds the 300 ms."""
    spotting = scored.spotting
    spots, duration = spotting.rhythm_spots, spotting.duration
    others = [t for t in np.arange(0.6, duration, 0.9) if min(abs(t - s.time) for s in spots) > 0.2]
    music = plucks([s.time for s in spots] + others, duration + 1)
    aligned = rhythm_alignment(spots, music, SR, duration)
    assert aligned["hit_rate"] == 1.0 and aligned["chance_hit_rate"] < 0.5
    assert aligned["ncc_lag0"] > 0.2 and abs(aligned["best_lag_s"]) <= 0.03

    late = rhythm_alignment(spots, np.concatenate([np.zeros(int(0.3 * SR), np.float32), music]), SR, duration)
    assert late["hit_rate"] <= 0.5 and late["ncc_lag0"] < aligned["ncc_lag0"] - 0.2
    assert late["best_lag_s"] == pytest.approx(aligned["best_lag_s"] + 0.3, abs=0.03)

    rng = np.random.default_rng(1)
    for _ in range(3):
        moved = [RhythmSpot(float(t), s.strength, s.kind)
                 for t, s in zip(rng.uniform(0.1, duration - 0.1, len(spots)), spots, strict=True)]
        shuffled = rhythm_alignment(moved, music, SR, duration)
        assert shuffled["hit_rate"] < aligned["hit_rate"]
        assert shuffled["ncc_lag0"] < aligned["ncc_lag0"] - 0.15


def test_diversity_of_two_seeds_beats_a_score_with_itself(scored, clip, tmp_path) -> None:
    from fc_backend.config import Config
    from fc_backend.pipeline import score

    other = score(clip[0], tmp_path / "seed11", Config(seed=11), show_progress=False)
    assert other.melody.notes != scored.melody.notes
    assert diversity([scored.out_dir, scored.out_dir]) == pytest.approx(0.0, abs=1e-6)
    apart = diversity([scored.out_dir, other.out_dir])
    assert 0.05 < apart <= 1.0
    assert diversity([other.out_dir, scored.out_dir]) == pytest.approx(apart)


def test_cli_eval_prints_json_and_refuses_a_folder_with_no_score(scored, tmp_path, capsys) -> None:
    assert main(["eval", str(scored.out_dir), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["scores"][0]["delivery"]["bit_depth"] == 24 and "diversity" not in data
    assert main(["eval", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "spotting.json" in err


# --------------------------------------------------------------------------- on known signals


@pytest.mark.parametrize(("first", "second", "expected"),
                         [(-20, -30, 10.0), (-20, -15, 5.0), (-40, -20, 20.0)])
def test_loudness_range_of_the_ebu_tech_3342_test_signals(first: float, second: float,
                                                          expected: float) -> None:
    """Tech 3342's cases 1-3: 1 kHz stereo sine, 20 s at one level then 20 s at another."""
    audio = np.concatenate([sine(1000, 20, first), sine(1000, 20, second)])
    assert loudness_range(audio, SR) == pytest.approx(expected, abs=1.0)


def test_integrated_and_short_term_loudness_of_a_1khz_sine() -> None:
    """Tech 3341 case 1: a stereo 1 kHz sine at -23 dBFS reads -23 LUFS (the K-weighting is +0.7 dB there,
    and two channels add 3 dB over the 0.707 RMS of a sine's peak level)."""
    audio = sine(1000, 20, -23.0)
    assert integrated_loudness(audio, SR) == pytest.approx(-23.0, abs=0.1)
    _, short = loudness_curve(audio, SR, window=3.0)
    assert np.median(short) == pytest.approx(-23.0, abs=0.1)
    assert loudness_range(audio, SR) == pytest.approx(0.0, abs=0.1)


def test_true_peak_finds_the_peak_between_samples() -> None:
    """A sine at a quarter of the rate, 45 degrees off: every sample is at 0.707 of the real peak."""
    audio = sine(SR / 4, 1, -6.0, phase=np.pi / 4)
    assert 20 * math.log10(np.abs(audio).max()) == pytest.approx(-9.0, abs=0.1)
    assert true_peak_db(audio) == pytest.approx(-6.0, abs=0.2)
    assert true_peak_db(np.zeros((100, 2))) == -math.inf


def test_hit_rate_and_its_chance_level() -> None:
    onsets = np.array([1.0, 2.0, 3.02, 5.5])
    assert hit_rate([1.01, 3.0, 4.0, 5.56], onsets) == 0.5  # 5.56 is 60 ms off: outside ±50 ms
    assert chance_hit_rate(onsets, 10.0) == pytest.approx(0.4 / 10.0)


@pytest.mark.slow
def test_chroma_distance_ignores_the_octave_and_hears_the_pitch_class() -> None:
    a4, a5, eb5 = (chromagram(sine(f, 4, -20, channels=1)[:, 0], SR) for f in (440.0, 880.0, 622.25))
    assert chroma_distance(a4, a4) == pytest.approx(0.0, abs=1e-6)
    assert chroma_distance(a4, a5) < 0.15
    assert chroma_distance(a4, eb5) > 0.6
