"""Hit weights: a heavy hit goes on a downbeat first; a person's '!' marks one heavy."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fc_backend.model import MAX_WEIGHT, RhythmSpot
from fc_backend.spot.edits import load_spots
from fc_backend.spot.tempo import cut_errors, fit_tempo


def test_a_heavy_hit_moves_onto_the_downbeat_the_unweighted_fit_left_between_beats() -> None:
    """At 120 bpm 4/4 a bar is 2 s. A soft cut at 2.0 s is a bar line as it stands; a door slam at
    2.25 s is a quarter second later, too close to reach from it. Unweighted, the soft cut anchors
    (no tempo change) and the slam falls between beats; weighted, the slam takes the bar line at
    106.7 bpm (within 12 %) and the soft cut gives way."""
    cuts = [2.0, 2.25]
    plain = fit_tempo(cuts, 120.0, (4, 4))
    assert plain.beat_at(2.0) == pytest.approx(4.0)
    assert plain.beat_at(2.25) % 1 == pytest.approx(0.5)  # between beats
    heavy = fit_tempo(cuts, 120.0, (4, 4), weights=[1.0, MAX_WEIGHT])
    assert heavy.beat_at(2.25) == pytest.approx(4.0)  # the downbeat of bar 2
    assert cut_errors(heavy, [2.25]) == pytest.approx([0.0], abs=1e-9)
    assert all(abs(c.bpm - 120.0) <= 0.12 * 120.0 + 1e-9 for c in heavy.changes)


def test_equal_weights_anchor_every_reachable_cut() -> None:
    cuts = [0.3, 3.0, 4.6, 9.0]
    assert fit_tempo(cuts, 80.0, weights=[1.0] * 4).changes == fit_tempo(cuts, 80.0).changes
    errors = cut_errors(fit_tempo(cuts, 80.0), cuts)
    assert errors[1:] == pytest.approx([0.0, 0.0, 0.0], abs=1e-9)


def test_a_spot_named_with_an_exclamation_mark_is_heavy(tmp_path: Path) -> None:
    path = tmp_path / "spots.json"
    path.write_text(json.dumps([{"time": 1.0, "strength": 0.5, "kind": "cut", "name": "door slam!"},
                                {"time": 2.0, "strength": 0.5, "kind": "cut", "name": "glance"},
                                {"time": 3.0, "strength": 0.4, "kind": "accent"}]))
    spots = load_spots(path)
    assert [s.weight for s in spots] == [MAX_WEIGHT, 0.5, 0.4]
    assert RhythmSpot(1.0, 0.7).weight == 0.7  # a detected hit weighs its strength
    with pytest.raises(ValueError):
        RhythmSpot(1.0, 0.5, weight=3.0)
