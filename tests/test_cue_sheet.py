"""The cue sheet from spotting: shots -> scenes -> theme labels -> cues, cues.json and `score --cues`."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from fc_backend.cli import main
from fc_backend.errors import InputError
from fc_backend.model import Shot, Spotting, VisualAttributes
from fc_backend.spot.attributes import COLOUR_BINS
from fc_backend.spot.cue_edits import load_cues
from fc_backend.spot.cues import MAX_CUE, MAX_CUES, spot_cues
from fc_backend.spot.looks import Look
from fc_backend.spot.scenes import group_scenes
from fc_backend.spot.themes import theme_labels

BINS = int(np.prod(COLOUR_BINS))
#: synthetic places: (palette bins holding the colour, brightness, edge density)
PLACES = {"forest": ((30, 31, 32), 60.0, 0.02), "sea": ((90, 91), 110.0, 0.05),
          "desert": ((10, 11, 14), 170.0, 0.01), "black": ((0,), 2.0, 0.0)}


def _look(place: str, rng: np.random.Generator) -> Look:
    """A framing of `place`: its palette with a little of every colour, brightness and texture jittered."""
    bins, luma, edges = PLACES[place]
    colours = np.full(BINS, 0.002) + rng.random(BINS) * 0.002
    colours[list(bins)] += 1.0 / len(bins)
    return Look(colours / colours.sum(), luma + rng.normal(0, 6), max(0.0, edges + rng.normal(0, 0.005)))


def _film(sequence: list[tuple[str, list[float]]], seed: int = 0) -> tuple[list[Shot], list[Look]]:
    """Shots of the given lengths in each place, in order."""
    rng = np.random.default_rng(seed)
    shots, looks, t = [], [], 0.0
    for place, lengths in sequence:
        for length in lengths:
            shots.append(Shot(t, t + length, attributes=VisualAttributes(emotion="calm")))
            looks.append(_look(place, rng))
            t += length
    return shots, looks


def _cues(shots: list[Shot], looks: list[Look], **options):
    scenes = group_scenes(shots, looks)
    return scenes, spot_cues(scenes, theme_labels(scenes), shots, shots[-1].end, **options)


def test_shots_in_one_place_are_one_scene_and_places_that_return_share_a_theme() -> None:
    shots, looks = _film([("forest", [6, 5, 8, 7]), ("sea", [9, 6, 6]), ("desert", [12, 10]),
                          ("forest", [7, 7, 9]), ("sea", [20])])
    scenes, cues = _cues(shots, looks)
    assert [(s.start, s.end) for s in scenes] == [(0, 26), (26, 47), (47, 69), (69, 92), (92, 112)]
    assert [c.number for c in cues] == ["1M1", "1M2", "1M3", "1M4", "1M5"]
    assert [(c.start, c.end) for c in cues] == [(s.start, s.end) for s in scenes]
    assert [c.theme for c in cues] == ["A", "B", "C", "A", "B"]
    assert "theme A first heard" in cues[0].reason
    assert "a cut to another place" in cues[1].reason and "the setting of 1M1 returns" in cues[3].reason
    assert all(c.mood == "calm" for c in cues)


def test_music_rests_over_black_and_a_short_scene_elsewhere_stays_in_its_cue() -> None:
    shots, looks = _film([("forest", [20, 20]), ("desert", [4]), ("forest", [20]), ("black", [5]),
                          ("sea", [30, 15])])
    _scenes, cues = _cues(shots, looks)
    assert [(c.start, c.end, c.theme) for c in cues] == [(0, 64, "A"), (69, 114, "C")]
    assert "out of black" in cues[1].reason


def test_no_cue_is_longer_than_one_piece_and_a_long_scene_is_split_on_a_cut() -> None:
    shots, looks = _film([("forest", [40.0] * 12), ("sea", [50])])
    _scenes, cues = _cues(shots, looks)
    assert all(c.end - c.start <= MAX_CUE for c in cues)
    cuts = {s.start for s in shots}
    assert all(c.start in cuts for c in cues)
    assert [c.theme for c in cues] == ["A", "A", "B"]
    assert "goes on past" in cues[1].reason


def test_a_film_of_many_short_scenes_keeps_to_the_most_cues_one_film_holds() -> None:
    shots, looks = _film([(place, [10]) for place in ["forest", "sea", "desert"] * 30])
    _scenes, cues = _cues(shots, looks)
    assert len(cues) == MAX_CUES
    assert cues[0].start == 0 and cues[-1].end == shots[-1].end
    assert all(a.end == b.start for a, b in zip(cues, cues[1:], strict=False))
    assert {c.start for c in cues} <= {s.start for s in shots}


def test_a_short_clip_stays_one_cue_over_the_whole_clip() -> None:
    shots, looks = _film([("forest", [6, 5]), ("sea", [9, 6])])
    _scenes, cues = _cues(shots, looks, title="clip", mood="tense", reel=2)
    assert [(c.number, c.start, c.end, c.title, c.mood, c.theme) for c in cues] == [
        ("2M1", 0.0, 26.0, "clip", "tense", "A")]


def _write(tmp_path: Path, data) -> Path:
    path = tmp_path / "cues.json"
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return path


def test_a_cue_file_is_read_in_time_order_numbered_where_it_does_not_say(tmp_path: Path) -> None:
    path = _write(tmp_path, {"video": "x.mp4", "cues": [
        {"start": 30, "end": 50, "theme": "B"}, {"number": "1M1", "start": 0, "end": 20.5, "mood": "sad"}]})
    cues = load_cues(path, reel=1)
    assert [(c.number, c.start, c.end, c.theme, c.mood) for c in cues] == [
        ("1M1", 0.0, 20.5, "", "sad"), ("1M2", 30.0, 50.0, "B", "")]


@pytest.mark.parametrize("content, problem", [
    ("[{]", "not valid JSON"),
    ('{"spots": []}', "neither a list of cues"),
    ("[]", "holds no cues"),
    ('[{"start": 0, "end": 10}, {"start": 8, "end": 20}]',
     "cues 1M1 (0.000-10.000 s) and 1M2 (8.000-20.000 s) overlap"),
    ('[{"start": 0, "end": 10, "theme": "a1"}]',
     "cue 1: theme label 'a1' is not one to three capital letters"),
    ('[{"start": 0, "end": 10, "mood": "grumpy"}]', "cue 1: mood 'grumpy' is not one of"),
    ('[{"start": 5, "end": 2}]', "cue 1: ends (2) before it starts (5)"),
    ('[{"start": -1, "end": 2}]', "cue 1: start must be seconds >= 0"),
    ('[{"end": 2}]', "cue 1: has no 'start'"),
    ('[{"start": 0, "end": 2, "colour": "red"}]', "cue 1: unknown key 'colour'"),
    ('[{"number": "1M1", "start": 0, "end": 2}, {"number": "1M1", "start": 3, "end": 6}]',
     "1M1 is used twice"),
    ('[{"start": 30, "end": 69}]', "cue 1M1 ends at 69.000 s, past the clip's end (60.000 s)"),
    ('[{"start": 0, "end": 1.5}]', "cue 1M1 lasts 1.500 s; a cue holds at least 2 s"),
    ('[{"start": 0, "end": 50}]', "cue 1M1 lasts 50.0 s; at most 40 s is arranged as one cue"),
])
def test_a_bad_cue_file_is_one_line_naming_it(tmp_path: Path, content: str, problem: str) -> None:
    path = _write(tmp_path, content)
    with pytest.raises(InputError) as info:
        load_cues(path, duration=60.0, max_cue=40.0)
    message = str(info.value)
    assert message.startswith(str(path)) and problem in message and "\n" not in message


def test_a_cue_file_with_more_cues_than_a_film_holds_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, [{"start": 3.0 * i, "end": 3.0 * i + 2.5} for i in range(MAX_CUES + 1)])
    with pytest.raises(InputError, match=f"holds {MAX_CUES + 1} cues; at most {MAX_CUES} in one film"):
        load_cues(path)


def test_score_writes_cues_json_and_reads_an_edited_one_back(clip, scored, tmp_path: Path, capsys) -> None:
    written = json.loads((scored.out_dir / "cues.json").read_text())
    assert [c["number"] for c in written["cues"]] == [c.number for c in scored.spotting.cue_list()]
    assert written["duration"] == pytest.approx(scored.spotting.duration)
    assert load_cues(scored.out_dir / "cues.json", duration=scored.spotting.duration)

    cuts = scored.spotting.cuts
    edited = _write(tmp_path, {"cues": [
        {"number": "1M1", "start": 0.0, "end": cuts[1], "title": "Opening", "theme": "A"},
        {"number": "1M2", "start": cuts[2], "end": scored.spotting.duration, "title": "Return", "theme": "A",
         "mood": "tense"}]})
    out = tmp_path / "out"
    assert main(["score", str(clip[0]), "-o", str(out), "--cues", str(edited), "-q"]) == 0
    spotting = Spotting.load(out / "spotting.json")
    assert [(c.number, c.start, c.end, c.theme, c.title) for c in spotting.cues] == [
        ("1M1", 0.0, cuts[1], "A", "Opening"), ("1M2", cuts[2], scored.spotting.duration, "A", "Return")]
    assert spotting.cues[1].mood == "tense" and spotting.cues[0].mood  # the picture's mood, none given
    again = load_cues(out / "cues.json")
    assert [(c.start, c.end, c.theme) for c in again] == [(c.start, c.end, c.theme) for c in spotting.cues]

    bad = _write(tmp_path, '[{"start": 0, "end": 40}]')
    assert main(["score", str(clip[0]), "-o", str(tmp_path / "out2"), "--cues", str(bad), "-q"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith(f"filmcomposer: error: {bad}: cue 1M1 ends at 40.000 s, past the clip's end")
    assert not (tmp_path / "out2").exists()


#: frames per second of the generated 20-minute film: half a cinema's rate halves what the test costs
FILM_FPS = 12


@pytest.mark.slow
def test_a_20_minute_film_gets_a_cue_per_setting_and_each_setting_keeps_its_theme(tmp_path: Path) -> None:
    """A 20-minute 360p reel of five settings that come back in a shuffled order, with black leaders:
    every cue starts and ends on a change of setting, music rests over black, a setting that returns
    is heard with the same theme label in every cue where it appears, and no two settings share one."""
    from fc_backend.demo import BLACK, film_sequences, make_film
    from fc_backend.spot import spot

    path = tmp_path / "reel.mp4"
    sequences = make_film(path, film_sequences(20 * 60.0), fps=FILM_FPS)
    assert sequences[-1][2] == pytest.approx(1200.0)
    names = [name for name, _start, _end in sequences]
    assert len(set(names) - {BLACK}) >= 4 and len(names) > len(set(names)) + 5  # settings come back

    spotting = spot(path)
    cues = spotting.cues
    frame = 1.0 / FILM_FPS
    changes = [start for _name, start, _end in sequences[1:]] + [0.0, sequences[-1][2]]
    for cue in cues:
        for edge in (cue.start, cue.end):
            assert min(abs(edge - c) for c in changes) <= frame + 1e-6, f"{cue.number}: {edge} s is no change"
        assert cue.start in spotting.cuts or cue.start == 0.0  # on a cut the spotting found
    labels: dict[str, set[str]] = {}
    for name, start, end in sequences:
        heard = [c for c in cues if min(end, c.end) - max(start, c.start) > 0.5 * (end - start)]
        if name == BLACK:
            assert not heard, f"music over the black leader at {start} s"
            continue
        assert len(heard) == 1, f"{name} at {start}-{end} s is not one cue"
        labels.setdefault(name, set()).add(heard[0].theme)
    assert all(len(found) == 1 for found in labels.values()), labels
    themes = [next(iter(found)) for found in labels.values()]
    assert len(set(themes)) == len(themes), labels
    assert all(c.mood and c.reason and c.title for c in cues)
