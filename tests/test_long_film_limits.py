"""A 30-minute film of very short shots scores within every artifact's limits, or is refused before
its decode in one line: nothing the ranges module caps is found too big after the picture is read."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import pytest

from fc_backend import pipeline
from fc_backend.arrange.analyze import restatement, section_letter
from fc_backend.config import Config
from fc_backend.cues.run import score_cues
from fc_backend.demo import make_clip
from fc_backend.errors import InputError
from fc_backend.model import Cue, RhythmSpot, Shot, Spotting, TempoMap
from fc_backend.progress import no_progress
from fc_backend.ranges import MAX_CUT_RATE, MAX_JSON_BYTES, MAX_TEMPO_CHANGES, check
from fc_backend.realize import write_project
from fc_backend.spot.cues import MAX_CUES
from fc_backend.spot.tempo import TEMPO_RANGES, TEMPO_TOLERANCE


@contextlib.contextmanager
def _quiet(_name: str):  # noqa: ANN202  (a stage reporter without a bar)
    yield no_progress


def _film(shot: float, cues: int, duration: float = Config.max_duration, fps: float = 24.0) -> Spotting:
    """A film cut every `shot` seconds throughout, in `cues` equal cues (themes A and B alternate); joyous,
    among the fastest tempos, so its parts write the most notes (about 22 a second per track)."""
    count = round(duration / shot)
    shots = [Shot(round(i * shot, 6), round(min(duration, (i + 1) * shot), 6), motion_speed=(i % 7) / 7,
                  motion_saliency=0.5) for i in range(count)]
    spots = [RhythmSpot(s.start, 0.3 + 0.6 * ((i * 37) % 11) / 11) for i, s in enumerate(shots[1:])]
    step = duration / cues
    sheet = [Cue(f"1M{i + 1}", round(i * step, 6), round((i + 1) * step, 6), f"scene {i}", theme="AB"[i % 2])
             for i in range(cues)]
    return Spotting("film.mp4", duration, fps, int(duration * fps), 64, 36, shots, spots,
                    TempoMap.constant(120.0), "joyous", cues=sheet)


@pytest.mark.parametrize(("shot", "cues"), [(1 / MAX_CUT_RATE, MAX_CUES), (0.25, 6), (1.5, 6)],
                         ids=["fastest-cuts-most-cues", "six-frame-shots-longest-cues", "1.5s-shots"])
def test_thirty_minutes_of_short_shots_stay_within_limits(shot: float, cues: int, tmp_path: Path) -> None:
    spotting = _film(shot, cues)
    assert len(spotting.shots) == round(Config.max_duration / shot)
    check("Spotting", spotting.to_dict(), "spotting.json")
    film = score_cues(spotting, Config(), _quiet)
    for kind, artifact in (("Plan", film.plan), ("Scheme", film.scheme), ("Melody", film.melody)):
        check(kind, json.loads(json.dumps(artifact.to_dict())), f"{kind}.json")
    assert len(film.plan.markers) >= len(spotting.rhythm_spots)  # every hit is marked, none dropped
    film.plan.save(tmp_path / "plan.json")
    assert (tmp_path / "plan.json").stat().st_size < MAX_JSON_BYTES
    rpp = write_project(film.plan, tmp_path).read_text()
    assert rpp.count("MARKER ") >= len(spotting.rhythm_spots)


def test_a_clip_that_could_cut_faster_than_allowed_is_refused_before_decoding(tmp_path: Path) -> None:
    """The container's frame count and rate decide it (pipeline's up-front check), not a decode."""
    clip = tmp_path / "clip.mp4"
    make_clip(clip, [24] * 10, fps=24, size=(64, 36))  # 10 s at 24 fps: 240 frames
    tight = Config(max_duration=20.0, min_shot_frames=1)  # 240 possible cuts > 10 a second * 20 s
    with pytest.raises(InputError, match=r"clip\.mp4.*may cut 240 times; at most 200 cuts"):
        pipeline._check_duration(clip, tight)
    assert pipeline._check_duration(clip, Config(max_duration=20.0)) == pytest.approx(10.0, abs=0.1)


def test_a_tempo_map_fitted_to_a_long_film_may_change_on_every_beat() -> None:
    """spot's fit changes tempo at hits a beat or more apart, up to its fastest tempo: a 30-minute film
    of cuts about a beat apart could change on each of its beats, and the plan must hold them all."""
    fastest = max(high for _, high in TEMPO_RANGES.values()) * (1 + TEMPO_TOLERANCE)
    assert Config.max_duration * fastest / 60 <= MAX_TEMPO_CHANGES


def test_a_letter_restated_sixty_times_in_a_cue_keeps_short_distinct_names() -> None:
    """A five-minute cue of short shots restates a section letter dozens of times (one prime each
    made a 38-character name, refused by the scheme check after the decode)."""
    names = [restatement("A", n) for n in range(64)]
    assert names[:4] == ["A", "A'", "A''", "A'''"] and names[4] == "A'4"
    assert len(set(names)) == 64 and max(map(len, names)) <= 32
    assert {section_letter(name) for name in names} == {"A"}
