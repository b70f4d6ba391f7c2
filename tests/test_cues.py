"""A film scored as cues: one region, tempo marker and item per cue, rests between them, themes that
come back recognisably but varied, and re-roll and render that touch one cue's music at a time."""

from __future__ import annotations

import json
import shutil
import statistics
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from fc_backend import pipeline
from fc_backend.compose import compose
from fc_backend.config import Config
from fc_backend.cues.merge import grouped, merge_tempo
from fc_backend.cues.spotting import cue_spotting, is_multi_cue
from fc_backend.demo import make_clip
from fc_backend.errors import InputError
from fc_backend.eval.themes import theme_similarity
from fc_backend.model import Cue, CueScores, Plan, Scheme, Section, TempoChange, TempoMap, states_theme
from fc_backend.ranges import MAX_SECTIONS
from fc_backend.spot import spot as real_spot

#: twelve 3-second shots; three cues, a rest of 3 s between the second and the third
CUES = (Cue("1M1", 0.0, 12.0, "Opening", "calm", "new scene: first setting", "A"),
        Cue("1M2", 12.0, 21.0, "Chase", "tense", "motion rises", "B"),
        Cue("1M3", 24.0, 36.0, "Return", "sad", "the first setting again", "A"))
REST = (21.0, 24.0)


def score_film_in_cues(root: Path) -> pipeline.ScoreResult:
    """A 36 s clip in `root` spotted for real, its cues assigned as a spotting session (or --cues)
    would, scored into root/out."""
    clip = root / "film.mp4"
    make_clip(clip, (72,) * 12, size=(320, 180))

    def spot_in_cues(*args, **kwargs):
        spotting = real_spot(*args, **kwargs)
        spotting.cues = [Cue(**c.to_dict()) for c in CUES]
        return spotting

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(pipeline, "spot", spot_in_cues)
        return pipeline.score(clip, root / "out", Config(seed=5), show_progress=False)


@pytest.fixture(scope="module")
def film(tmp_path_factory: pytest.TempPathFactory):
    return score_film_in_cues(tmp_path_factory.mktemp("film"))


def _rms_db(audio: np.ndarray, rate: int, t0: float, t1: float) -> float:
    part = audio[int(t0 * rate):int(t1 * rate)]
    return float(20 * np.log10(np.sqrt(np.mean(part ** 2)) + 1e-12))


def _notes_in(plan: Plan, t0: float, t1: float) -> list[tuple]:
    return sorted((t.name, n.pitch, n.start, n.end) for t in plan.tracks for n in t.notes
                  if t0 <= n.start < t1)


def test_merged_tempo_has_a_marker_at_every_cue_start_and_starts_cues_on_bar_lines() -> None:
    cues = [Cue("1M1", 0.0, 10.0), Cue("1M2", 13.3, 20.0), Cue("1M3", 20.0, 30.0)]
    maps = [TempoMap([TempoChange(0.0, 90.0), TempoChange(4.0, 94.0)]), TempoMap.constant(120.0),
            TempoMap.constant(70.0)]
    tm = merge_tempo(cues, maps)
    times = {round(c.time, 6): c.bpm for c in tm.changes}
    assert times[0.0] == 90.0 and times[13.3] == 120.0 and times[20.0] == 70.0
    assert tm.bpm_at(2.0) == 90.0 and tm.bpm_at(5.0) == 94.0  # each cue keeps its own tempo
    per = tm.beats_per_measure
    for cue in cues:
        assert tm.beat_at(cue.start) / per == pytest.approx(round(tm.beat_at(cue.start) / per), abs=1e-6)
    assert all(0 < c.bpm <= 400 for c in tm.changes)


def test_an_overview_of_many_cues_keeps_within_a_schemes_sections() -> None:
    sections = [Section(f"1M{i + 1}", (2 * i + 1, 2 * i + 2), 0.1 * (i % 3)) for i in range(150)]
    joined = grouped(sections, MAX_SECTIONS)
    assert len(joined) <= MAX_SECTIONS and joined[0].name == "1M1-1M3" and joined[0].measures == (1, 6)
    assert joined[-1].measures[1] == 300 and grouped(sections[:5], MAX_SECTIONS) == sections[:5]


def test_one_cue_over_the_clip_is_the_single_cue_path() -> None:
    assert states_theme([Cue("1", 0, 1, theme="A"), Cue("2", 1, 2, theme="B"), Cue("3", 2, 3, theme="A"),
                         Cue("4", 3, 4)]) == [True, True, False, True]


@pytest.mark.slow
def test_a_film_in_cues_is_one_project_one_master_one_track_per_instrument(film) -> None:
    out, plan = film.out_dir, film.plan
    assert is_multi_cue(film.spotting)
    assert [(c.number, c.start, c.end, c.theme) for c in plan.cues] == [
        (c.number, c.start, c.end, c.theme) for c in CUES]
    rpp = (out / "project.rpp").read_text()
    for cue in CUES:  # one region per cue, and a tempo marker at its start
        assert f'"{cue.number}" 1' in rpp
        assert any(abs(c.time - cue.start) < 1e-6 for c in plan.tempo_map.changes)
    # no music in the rest, the cues' own notes only inside them
    assert _notes_in(plan, REST[0], REST[1]) == []
    audio, rate = sf.read(out / "master.wav")
    assert len(audio) / rate >= 36.0
    assert _rms_db(audio, rate, REST[0] + 1.5, REST[1]) < -50.0
    for cue in CUES:
        assert _rms_db(audio, rate, cue.start + 0.5, cue.end - 0.5) > -40.0
    # one track per instrument part, not a track set per cue
    parts = [(t.instrument, t.name) for t in plan.tracks]
    assert len(parts) == len(set(parts))
    per_cue = [p.plan for p in film_cues(out)]
    assert len(plan.tracks) < sum(len(p.tracks) for p in per_cue)
    # each cue's notes are its own plan's, moved to its start
    for cue, own in zip(CUES, per_cue, strict=True):
        moved = sorted(round(n.start + cue.start, 6) for t in own.tracks for n in t.notes)
        assert sorted(n[2] for n in _notes_in(plan, cue.start, cue.end)) == moved
    Scheme.load(out / "scheme.json")  # the overview validates as a scheme
    rows = (out / "cuesheet.csv").read_text().splitlines()
    assert [r.split(",")[0] for r in rows[1:]] == [c.number for c in CUES]
    html = (out / "report.html").read_text()
    assert "Cues and their themes" in html and "develops" in html and "the first setting again" in html


@pytest.mark.slow
def test_a_returning_label_develops_the_same_theme_and_a_new_label_gets_another(film) -> None:
    melodies = [c.melody for c in CueScores.load(film.out_dir / "cue_scores.json").cues]
    first, other, back = melodies
    assert back.theme.statement == first.theme.statement and back.theme.contour == first.theme.contour
    assert other.theme.statement != first.theme.statement
    assert [m.theme.label for m in melodies] == ["A", "B", "A"]
    assert [n.pitch for n in back.notes] != [n.pitch for n in first.notes]


@pytest.mark.slow
def test_themes_are_recognisable_on_the_notes_over_seeds(film) -> None:
    """Measured on the notes (rhythm of each bar, contour 3-grams): cues developing a theme are much
    closer to its statement than cues of another theme are, for every seed; and never the same line."""
    spotting = film.spotting
    stating, other, later = (cue_spotting(spotting, c) for c in CUES)
    elsewhere = cue_spotting(spotting, Cue("x", 21.0, 33.0, mood="joyous"))
    same, different = [], []
    for seed in range(6):
        theme = compose(stating, seed=10 * seed)
        rival = compose(other, seed=10 * seed + 1)
        if rival.theme.statement == theme.theme.statement:
            rival = compose(other, seed=10 * seed + 5)
        developed = [compose(spot, seed=10 * seed + 2 + i, theme=theme.theme)
                     for i, spot in enumerate((later, elsewhere))]
        near = [theme_similarity(theme, d) for d in developed]
        far = [theme_similarity(rival, d) for d in developed] + [theme_similarity(theme, rival)]
        assert statistics.mean(near) > statistics.mean(far), seed
        for d in developed:
            assert [(n.pitch, n.start) for n in d.notes] != [(n.pitch, n.start) for n in theme.notes]
        same += near
        different += far
    assert statistics.mean(same) > 3 * statistics.mean(different)


def film_cues(out: Path):
    """Each cue's plan as render makes it from cue_scores.json and cue_schemes.json."""
    from fc_backend.cues.run import load_film, replan_cues
    from fc_backend.model import Spotting
    from fc_backend.scorefolder import ScoreFolder

    folder = ScoreFolder(out)
    spotting = Spotting.load(out / "spotting.json")
    placed, spottings = load_film(folder, spotting)
    quiet = pipeline._stage_reporter(False, None)
    return replan_cues(folder, spotting, Config(seed=5), quiet, placed, spottings).cues


@pytest.fixture()
def copy(film, tmp_path: Path) -> Path:
    out = tmp_path / "out"
    shutil.copytree(film.out_dir, out)
    return out


@pytest.mark.slow
def test_reroll_of_a_cue_leaves_the_other_cues_as_they_were(film, copy: Path) -> None:
    before = Plan.load(copy / "plan.json")
    result = pipeline.reroll(copy, 24.0, 36.0, Config(seed=5), show_progress=False)
    after = result.plan
    old, new = (CueScores.load(folder / "cue_scores.json").cues for folder in (film.out_dir, copy))
    for i, cue in enumerate(CUES[:2]):
        assert _notes_in(after, cue.start, cue.end) == _notes_in(before, cue.start, cue.end)
        assert new[i].melody == old[i].melody
    assert _notes_in(after, 24.0, 36.0) != _notes_in(before, 24.0, 36.0)
    assert new[2].melody.theme.statement == new[0].melody.theme.statement
    assert new[2].melody.notes != old[2].melody.notes
    # a span inside a cue re-rolls only its measures there; a span in the rest is refused in one line
    part = pipeline.reroll(copy, 14.0, 16.0, Config(seed=5), show_progress=False).plan
    assert _notes_in(part, 0.0, 12.0) == _notes_in(after, 0.0, 12.0)
    assert _notes_in(part, 24.0, 36.0) == _notes_in(after, 24.0, 36.0)
    with pytest.raises(InputError, match="falls between cues"):
        pipeline.reroll(copy, 21.5, 23.5, Config(seed=5), show_progress=False)


@pytest.mark.slow
def test_render_replans_each_cue_from_its_own_scheme(film, copy: Path) -> None:
    path = copy / "cue_schemes.json"
    schemes = json.loads(path.read_text())
    schemes["schemes"]["1M1"]["tracks"][0]["panning"] = -0.9
    path.write_text(json.dumps(schemes, indent=1))
    plan = pipeline.render(copy, Config(seed=5), show_progress=False)
    assert plan.tracks[0].pan == -0.9
    assert path.read_text() == json.dumps(schemes, indent=1)  # the person's edit stays as they wrote it
    assert _notes_in(plan, 12.0, 36.0) == _notes_in(film.plan, 12.0, 36.0)
    overview = json.loads((copy / "scheme.json").read_text())
    overview["tracks"][0]["panning"] = 0.5
    (copy / "scheme.json").write_text(json.dumps(overview))
    with pytest.raises(InputError, match="cue_schemes.json"):
        pipeline.render(copy, Config(seed=5), show_progress=False)
    # a re-roll then plans on the edited cue schemes and keeps the file as the person left it
    pipeline.reroll(copy, 24.0, 36.0, Config(seed=5), show_progress=False, force=True)
    assert path.read_text() == json.dumps(schemes, indent=1)


@pytest.mark.slow
def test_the_service_rerolls_a_cue_as_the_reaper_action_asks(film, copy: Path, tmp_path: Path) -> None:
    """The REAPER Re-roll action sends `request reroll OUT --from --to` (a region's span) to the service:
    the cue's artifacts travel with the others, and only that cue's music changes."""
    from tests.test_server_support import events, request, running_server

    before = Plan.load(copy / "plan.json")
    with running_server(tmp_path / "serve", "--workers", "1", ready=1) as server:
        proc = request(server.endpoint, "reroll", str(copy), "--from", "12.0", "--to", "21.0")
        stdout, stderr = proc.communicate(timeout=300)
    assert proc.returncode == 0, stderr
    rewritten = set(events(stdout)[-1]["files"])
    assert {"cue_scores.json", "plan.json", "master.wav"} <= rewritten
    after = Plan.load(copy / "plan.json")
    for t0, t1 in ((0.0, 12.0), (24.0, 36.0)):
        assert _notes_in(after, t0, t1) == _notes_in(before, t0, t1)
    assert _notes_in(after, 12.0, 21.0) != _notes_in(before, 12.0, 21.0)
    assert [c.number for c in after.cues] == [c.number for c in CUES]


def test_a_hit_a_hair_before_a_bar_line_is_on_its_downbeat_in_the_cue_sheet() -> None:
    from fc_backend.report.cuesheet import bar_beat

    tm = TempoMap([TempoChange(0.0, 90.0), TempoChange(13.333333, 117.0)])
    assert bar_beat(tm, tm.time_at(8.0) - 4e-7) == "3|1"
    assert bar_beat(tm, tm.time_at(9.5)) == "3|2.50"
