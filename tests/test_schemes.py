"""The instrument library and the scheme contract: what the arranger, part writer and CLI trust."""

from __future__ import annotations

import copy
import json

import jsonschema
import pytest

from fc_backend.errors import InputError
from fc_backend.model import Scheme
from fc_backend.schemes import (
    EXAMPLES_DIR,
    INSTRUMENT_SCHEMA_FILE,
    INSTRUMENTS_FILE,
    SCHEME_SCHEMA_FILE,
    load_instruments,
    validate_scheme,
)

#: the scheme exactly as DESIGN.md shows it: the contract must accept its own documentation
DESIGN_EXAMPLE = {
    "version": 1, "tempo": {"bpm": 96, "meter": [4, 4], "map": [[1, 96]]}, "key": "D minor",
    "measures": 24, "sections": [{"name": "A", "measures": [1, 8], "intensity": 0.3}],
    "tracks": [{"track_index": 1, "name": "Violins I", "role": "melody",
                "instrument": "strings1_ensemble", "source": "melody", "transpose": 0,
                "panning": -0.4, "reverb_space": 0.3,
                "volume_envelope": {"measure1": 0.3, "measure3": 0.6},
                "softened_measures": [5, 6], "articulation": "legato"}]}

FILM_ORCHESTRA = {
    "violins_1", "violins_2", "violas", "cellos", "basses", "strings1_ensemble", "solo_violin",
    "solo_viola", "solo_cello", "piccolo", "flutes", "oboe", "english_horn", "clarinets", "bass_clarinet",
    "bassoons", "contrabassoon", "french_horns", "trumpets", "trombones", "bass_trombone", "tuba", "harp",
    "piano", "celesta", "glockenspiel", "vibraphone", "marimba", "xylophone", "tubular_bells", "timpani",
    "orchestral_percussion", "choir_aahs", "choir_oohs", "synth_pad_warm", "synth_strings",
    "synth_pad_choir", "guitar_nylon"}


def example(name: str) -> dict:
    return json.loads((EXAMPLES_DIR / name).read_text(encoding="utf-8"))


def test_library_is_a_film_orchestra_with_real_ranges() -> None:
    data = json.loads(INSTRUMENTS_FILE.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(json.loads(INSTRUMENT_SCHEMA_FILE.read_text())).validate(data)
    library = load_instruments()
    assert len(library) >= 39
    assert set(library) >= FILM_ORCHESTRA
    for inst in library.values():
        assert 0 <= inst.gm_program <= 127, inst.key
        assert 0 <= inst.low < inst.high <= 127, inst.key
        assert inst.high - inst.low >= 12, f"{inst.key} cannot hold an octave"
        assert inst.reaper_fx == "ReaSynth"
        assert -1.0 <= inst.pan <= 1.0
    assert {i.family for i in library.values()} == {"strings", "woodwinds", "brass", "keys", "percussion",
                                                   "choir", "synth", "plucked"}
    # timpani are pitched (GM 47); only the unpitched kit goes to channel 10
    assert library["timpani"].gm_program == 47 and not library["timpani"].is_drum
    assert [k for k, i in library.items() if i.is_drum] == ["orchestral_percussion"]
    # a few facts of orchestration: the ranges are the real ones, in sounding pitch
    assert (library["violins_1"].low, library["cellos"].low, library["violas"].low) == (55, 36, 48)
    assert library["piano"].low == 21 and library["piano"].high == 108
    assert library["piccolo"].low > library["flutes"].low > library["clarinets"].low > library["bassoons"].low
    assert library["glockenspiel"].low >= 72 and library["tuba"].high <= 67
    # seating: violins I on the left, cellos and basses on the right
    assert library["violins_1"].pan < library["violins_2"].pan < library["cellos"].pan < library["basses"].pan


def test_library_errors_name_the_file_and_entry(tmp_path) -> None:
    data = json.loads(INSTRUMENTS_FILE.read_text(encoding="utf-8"))
    data["instruments"][3]["range"] = [80, 40]
    bad = tmp_path / "instruments.json"
    bad.write_text(json.dumps(data))
    with pytest.raises(InputError, match=r"instruments\[3\]\.range: lowest 80 is above highest 40"):
        load_instruments(bad)
    data["instruments"][3]["gm_program"] = 128
    bad.write_text(json.dumps(data))
    with pytest.raises(InputError, match=r"instruments\[3\]\.gm_program: 128 is greater than the maximum"):
        load_instruments(bad)


@pytest.mark.parametrize("name", sorted(p.name for p in EXAMPLES_DIR.glob("*.json")))
def test_examples_validate_and_round_trip(name: str) -> None:
    data = example(name)
    scheme = validate_scheme(data, name)
    assert isinstance(scheme, Scheme)
    assert scheme.to_dict() == data
    assert 4 <= len(scheme.tracks) <= 6
    assert scheme.tracks[0].role == "melody"


def test_there_are_three_distinct_examples() -> None:
    names = sorted(p.name for p in EXAMPLES_DIR.glob("*.json"))
    assert len(names) >= 3
    sets = [frozenset(t["instrument"] for t in example(n)["tracks"]) for n in names]
    assert len(set(sets)) == len(sets)


def test_design_example_is_valid() -> None:
    scheme = validate_scheme(copy.deepcopy(DESIGN_EXAMPLE))
    assert scheme.tracks[0].volume_envelope == {1: 0.3, 3: 0.6}
    assert scheme.sections[0].measures == (1, 8)


def test_schema_is_bounded_and_closed() -> None:
    schema = json.loads(SCHEME_SCHEMA_FILE.read_text())
    assert schema["$schema"].endswith("2020-12/schema")

    def walk(node, path="") -> None:
        if isinstance(node, dict):
            if node.get("type") == "object":
                assert node.get("additionalProperties") is False, path
            if node.get("type") == "array":
                assert "maxItems" in node, path
            for k, v in node.items():
                walk(v, f"{path}/{k}")
        elif isinstance(node, list):
            for v in node:
                walk(v, path)

    walk(schema)


def _broken(edit) -> dict:
    data = example("action_brass.json")
    edit(data)
    return data


@pytest.mark.parametrize(("edit", "message"), [
    (lambda d: d["tracks"][2].update(panning=1.7), "tracks[2].panning: 1.7 is greater than the maximum of 1"),
    (lambda d: d["tracks"][0].update(instrument="kazoo"), "tracks[0].instrument: unknown instrument 'kazoo'"),
    (lambda d: d["tracks"][1].update(role="lead"), "tracks[1].role: 'lead' is not one of"),
    (lambda d: d["tracks"][3].update(source="drums"), "tracks[3].source: 'drums' is not one of"),
    (lambda d: d["tracks"][4].update(transpose=36), "tracks[4].transpose: 36 is greater than the maximum"),
    (lambda d: d["tracks"][0]["volume_envelope"].update(measure3=2.5),
     "tracks[0].volume_envelope.measure3: 2.5 is greater than the maximum of 2"),
    (lambda d: d["tracks"][0]["volume_envelope"].update(bar3=0.5), "tracks[0].volume_envelope: 'bar3'"),
    (lambda d: d["tracks"][0]["volume_envelope"].update(measure99=0.5),
     "tracks[0].volume_envelope.measure99: no such measure"),
    (lambda d: d["tracks"][1].update(softened_measures=[0]), "tracks[1].softened_measures[0]: 0 is less"),
    (lambda d: d["tracks"][1].update(softened_measures=[40]), "tracks[1].softened_measures: no measure 40"),
    (lambda d: d["tracks"][2].update(articulation="growl"), "tracks[2].articulation: 'growl' is not one of"),
    (lambda d: d["tracks"][2].update(mood="sad"), "tracks[2]: Additional properties are not allowed"),
    (lambda d: d["tracks"][0].update(instrument="orchestral_percussion"), "tracks[0].instrument: "
     "'orchestral_percussion' is an unpitched kit"),
    (lambda d: d["tracks"][5].update(track_index=1), "tracks[5].track_index: 1 is used by an earlier track"),
    (lambda d: d.update(key="H minor"), "key: 'H minor' does not match"),
    (lambda d: d.update(version=2), "version: 1 was expected"),
    (lambda d: d["tempo"].update(meter=[4, 3]), "tempo.meter[1]: 3 is not one of"),
    (lambda d: d["tempo"]["map"].append([0.5, 100]), "tempo.map[2][0]: 0.5 is less than the minimum of 1"),
    (lambda d: d["tempo"].update(bpm=120), "tempo.map: measure-1 tempo 132 disagrees with tempo.bpm 120"),
    (lambda d: d["sections"][1].update(measures=[8, 5]), "sections[1].measures: first measure 8 is after"),
    (lambda d: d["sections"][2].update(intensity=1.5), "sections[2].intensity: 1.5 is greater than"),
    (lambda d: d.pop("tracks"), "(top level): 'tracks' is a required property"),
])
def test_validate_scheme_names_the_offending_key(edit, message: str) -> None:
    with pytest.raises(InputError) as caught:
        validate_scheme(_broken(edit), "my_scheme.json")
    text = str(caught.value)
    assert text.startswith("my_scheme.json: ")
    assert message in text
    assert "\n" not in text


def test_too_many_tracks_is_rejected_as_too_long() -> None:
    with pytest.raises(InputError, match=r"tracks: has 18 items, at most 16 allowed$"):
        validate_scheme(_broken(lambda d: d["tracks"].extend([d["tracks"][0]] * 12)))


def test_not_an_object_is_rejected() -> None:
    with pytest.raises(InputError, match=r"\(top level\): \[\] is not of type 'object'"):
        validate_scheme([])  # type: ignore[arg-type]
