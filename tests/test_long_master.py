"""A long film's master is measured block by block: the same figures as reading it whole."""

from __future__ import annotations

import importlib
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from fc_backend.loudness import (
    MOMENTARY,
    SHORT_TERM,
    delivery,
    k_weighted,
    loudness_curve,
    measure_master,
    read_audio,
)
from fc_backend.model import Marker, Plan, TempoMap
from fc_backend.report.sync import hit_sync, master_sync


@pytest.fixture
def master(tmp_path: Path) -> Path:
    """20 s of 24-bit stereo: quiet noise, with loud bursts that start at known times."""
    rate = 48000
    rng = np.random.default_rng(1)
    audio = 0.01 * rng.standard_normal((20 * rate, 2)).astype(np.float32)
    for start in (2.0, 5.5, 9.25, 14.0):
        i = int(start * rate)
        audio[i:i + rate // 2] += 0.5 * np.sin(np.arange(rate // 2) * 2 * np.pi * 440 / rate)[:, None]
    path = tmp_path / "master.wav"
    sf.write(path, audio, rate, subtype="PCM_24")
    return path


def test_block_by_block_figures_and_curves_equal_the_whole_read(master: Path, monkeypatch) -> None:
    module = importlib.import_module("fc_backend.loudness.delivery")  # not the function it exports
    monkeypatch.setattr(module, "BLOCK_SECONDS", 0.77)  # blocks that split hops and windows
    audio, rate = read_audio(master)
    weighted = k_weighted(audio, rate)
    measured = measure_master(master)
    assert measured.figures == delivery(master, audio, weighted=weighted)
    for window, (times, lufs) in ((MOMENTARY, measured.momentary), (SHORT_TERM, measured.short_term)):
        whole_times, whole = loudness_curve(audio, rate, window=window, hop=0.1, weighted=weighted)
        assert np.array_equal(times, whole_times)
        assert lufs == pytest.approx(whole, abs=1e-3)


def test_the_sync_check_reads_the_master_in_blocks_and_finds_the_same_attacks(master: Path) -> None:
    markers = [Marker(t, "hit", "cut") for t in (2.02, 5.45, 9.25, 12.0)]
    plan = Plan(20.0, TempoMap.constant(120), None, [], markers)
    audio, rate = read_audio(master)
    found = master_sync(master, plan)
    assert found == hit_sync(audio, rate, plan)
    assert [h.offset is None for h in found] == [False, False, False, True]
    assert found[0].offset == pytest.approx(-0.02, abs=0.006)
