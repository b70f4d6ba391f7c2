"""Sync check: attacks found in a rendered master, in ms and frames, against the hits they answer."""

from __future__ import annotations

import numpy as np
import pytest

from fc_backend.model import Marker, Plan, TempoMap, Timecode
from fc_backend.report.sync import hit_sync


def test_attacks_are_measured_against_each_hit_in_ms_and_frames() -> None:
    rate = 48000
    audio = np.zeros((rate * 4, 2), np.float32)
    rng = np.random.default_rng(1)
    for at in (1.02, 2.0, 2.97):  # late by 20 ms, on time, early by 30 ms
        start = int(at * rate)
        decay = np.exp(-np.arange(4800) / 800.0)
        audio[start:start + 4800] += (0.5 * rng.standard_normal(4800) * decay)[:, None]
    hits = [Marker(1.0, "cut", "cut"), Marker(2.0, "cut", "cut"), Marker(3.0, "impact", "motion"),
            Marker(3.6, "silence", "accent"), Marker(0.5, "A", "section")]
    plan = Plan(4.0, TempoMap.constant(120.0), None, [], hits, timecode=Timecode("25/1"))
    found = hit_sync(audio, rate, plan)
    assert [h.time for h in found] == [1.0, 2.0, 3.0, 3.6]  # section markers are not hits
    offsets = [h.offset for h in found]
    assert offsets[:3] == pytest.approx([0.02, 0.0, -0.03], abs=0.006)
    assert offsets[3] is None  # nothing plays there
    assert found[0].frames(25.0) == pytest.approx(0.5, abs=0.15)
