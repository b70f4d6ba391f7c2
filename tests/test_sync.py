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


def _attacks(rate: int, at: list[float], seconds: float = 5.0) -> np.ndarray:
    audio = np.zeros((int(rate * seconds), 2), np.float32)
    rng = np.random.default_rng(2)
    for t in at:
        start = int(t * rate)
        burst = 0.5 * rng.standard_normal(4800) * np.exp(-np.arange(4800) / 800.0)
        audio[start:start + 4800] += burst[:, None]
    return audio


def test_hit_markers_are_coloured_by_how_many_frames_off_the_music_lands() -> None:
    from fc_backend.report.sync import colour_hits, sync_color

    assert [sync_color(f) for f in (0.0, -1.0, 1.4, -2.0, 2.3, None)] == \
        ["green", "green", "yellow", "yellow", "red", "red"]
    rate = 48000
    # at 25 fps a frame is 40 ms: 10 ms late, 60 ms late (1.5 frames), 90 ms early (2.25), nothing
    audio = _attacks(rate, [1.01, 2.06, 2.91])
    hits = [Marker(1.0, "cut", "cut"), Marker(2.0, "bang", "motion"), Marker(3.0, "slam", "accent"),
            Marker(4.0, "silence", "cut"), Marker(0.5, "A", "section")]
    plan = Plan(5.0, TempoMap.constant(120.0), None, [], hits, timecode=Timecode("25/1"))
    assert colour_hits(plan, hit_sync(audio, rate, plan)) == 4
    assert [m.sync for m in plan.markers] == ["green", "yellow", "red", "red", ""]


def test_the_offline_project_draws_the_sync_colours_and_records_them_for_recognition(scored) -> None:
    """The real score's plan.json carries each hit's sync colour; project.rpp draws it, and the
    ExtState record the actions recognise markers by holds the same colour."""
    import json
    from pathlib import Path

    rpp = pytest.importorskip("rpp")
    from fc_backend.realize.rpp import SECTION, SYNC_COLORS, marker_color
    from fc_backend.report.sync import colour_hits

    out = Path(scored.out_dir)
    plan = Plan.from_dict(json.loads((out / "plan.json").read_text()))
    hits = [m for m in plan.markers if m.kind in ("cut", "motion", "accent")]
    assert hits and all(m.sync in SYNC_COLORS for m in hits)
    audio, rate = __import__("soundfile").read(out / "master.wav")
    assert colour_hits(plan, hit_sync(audio, rate, plan)) == 0  # the colours are the master's own
    project = rpp.loads((out / "project.rpp").read_text(encoding="utf-8"))
    markers = {int(m[1]): m for m in project.children if isinstance(m, list) and m[0] == "MARKER"
               and m[4] == "0"}
    ext = next(e for e in project.children if getattr(e, "tag", "") == "EXTSTATE")
    section = next(s for s in ext.children if getattr(s, "tag", "") == SECTION)
    made = json.loads(next(line[1] for line in section.children if line[0] == "markers"))
    ordered = sorted(plan.markers, key=lambda m: m.time)
    assert len(markers) == len(ordered) == len(made)
    for number, marker in enumerate(ordered, start=1):
        color = marker_color(marker.kind, marker.sync)
        assert int(markers[number][5]) == color == made[str(number)]["color"]
        assert marker.kind == "section" or color != marker_color(marker.kind)  # not the kind's colour
