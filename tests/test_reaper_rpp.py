"""The offline project.rpp, played as REAPER would: what reaches the master is master.wav's mix.

REAPER is not here, so the test reads the file back with the `rpp` parser and does what REAPER's mixer
does with what it finds: every track that is heard (neither it nor a folder above it muted) plays its
audio items (files relative to the project folder, at their position, take offset and item gain)
through its fader and pan, into its parent folder and on to the master. A heard MIDI item or send
would add sound master.wav does not have, so there must be none.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

rpp = pytest.importorskip("rpp")


def _lines(element) -> dict[str, list[str]]:
    return {c[0]: c[1:] for c in element.children if isinstance(c, list)}


def _blocks(element, tag: str) -> list:
    return [c for c in element.children if isinstance(c, rpp.Element) and c.tag == tag]


def heard_tracks(project) -> list[tuple[object, float]]:
    """(track, gain through its folders) of every track REAPER plays, folders resolved."""
    out, stack = [], []  # stack: (muted, gain) of the open folders
    for track in _blocks(project, "TRACK"):
        lines = _lines(track)
        muted = lines["MUTESOLO"][0] == "1" or any(m for m, _ in stack)
        gain = float(lines["VOLPAN"][0]) * np.prod([g for _, g in stack] or [1.0])
        depth = int(lines["ISBUS"][1])
        if not muted:
            out.append((track, gain))
        if depth > 0:
            stack.append((muted, float(lines["VOLPAN"][0])))
        for _ in range(-depth if depth < 0 else 0):
            stack.pop()
    return out


def play(project_file: Path, sample_rate: int) -> np.ndarray:
    """The stereo sum REAPER's master receives from `project_file`."""
    project = rpp.loads(project_file.read_text(encoding="utf-8"))
    total = np.zeros((0, 2))
    for track, gain in heard_tracks(project):
        lines = _lines(track)
        assert "AUXRECV" not in lines, "a heard track receives a send"
        assert float(lines["VOLPAN"][1]) == 0.0, "a heard track pans what is already panned"
        assert not _blocks(track, "VOLENV2"), "a heard track applies a volume envelope again"
        for item in _blocks(track, "ITEM"):
            item_lines = _lines(item)
            (source,) = _blocks(item, "SOURCE")
            if item_lines["MUTE"][0] == "1" or source.attrib[0] == "VIDEO":
                continue
            assert source.attrib[0] == "WAVE", f"a heard {source.attrib[0]} item: it would sound too"
            audio, rate = sf.read(project_file.parent / _lines(source)["FILE"][0], always_2d=True)
            assert rate == sample_rate
            start = round(float(item_lines["POSITION"][0]) * rate)
            offset = round(float(item_lines["SOFFS"][0]) * rate)
            length = round(float(item_lines["LENGTH"][0]) * rate)
            clip = audio[offset:offset + length] * float(item_lines["VOLPAN"][0]) * gain
            if len(total) < start + len(clip):
                total = np.vstack([total, np.zeros((start + len(clip) - len(total), 2))])
            total[start:start + len(clip)] += clip
    return total


def _db(x: np.ndarray) -> float:
    return 10 * np.log10(np.mean(x ** 2) + 1e-20)


def test_the_offline_project_plays_master_wav_in_stock_reaper(scored) -> None:
    out = Path(scored.out_dir)
    master, rate = sf.read(out / "master.wav", always_2d=True)
    heard = play(out / "project.rpp", rate)
    n = min(len(master), len(heard))
    assert abs(len(master) - len(heard)) <= 1
    assert abs(_db(heard[:n]) - _db(master[:n])) <= 0.5
    # second by second too, wherever the music is not near silence (the limiter only rounds peaks)
    level = _db(master[:n])
    for start in range(0, n - rate + 1, rate):
        a, b = heard[start:start + rate], master[start:start + rate]
        if _db(b) > level - 30:
            assert abs(_db(a) - _db(b)) <= 0.5, start / rate


def test_the_instruments_are_there_muted_and_complete(scored) -> None:
    """The MIDI parts with their FX, sends and envelopes stay in the project, for the composer's own
    instruments: in the muted folder, every part and the reverb bus."""
    from fc_backend.realize.rpp import INSTRUMENTS_FOLDER

    project = rpp.loads((Path(scored.out_dir) / "project.rpp").read_text(encoding="utf-8"))
    tracks = _blocks(project, "TRACK")
    names = [_lines(t)["NAME"][0] for t in tracks]
    folder = names.index(INSTRUMENTS_FOLDER)
    assert _lines(tracks[folder])["MUTESOLO"][0] == "1" and _lines(tracks[folder])["ISBUS"] == ["1", "1"]
    inside = tracks[folder + 1:]
    assert [_lines(t)["NAME"][0] for t in inside] == [t.name for t in scored.plan.tracks] + [
        scored.plan.reverb.name]
    assert _lines(inside[-1])["ISBUS"] == ["2", "-1"]
    for track in inside[:-1]:
        assert _blocks(track, "FXCHAIN") and any(_blocks(i, "SOURCE")[0].attrib == ["MIDI"]
                                                 for i in _blocks(track, "ITEM"))
    heard = {id(t) for t, _ in heard_tracks(project)}
    assert not any(id(t) in heard for t in inside)


def test_the_actions_and_the_offline_writer_agree_on_names_colours_and_stems(scored) -> None:
    """reaper_scripts/fc_plan.py (stdlib, inside REAPER) restates what the offline writer decides."""
    import importlib.util

    from fc_backend.realize import rpp as writer

    path = Path(__file__).resolve().parent.parent / "reaper_scripts" / "fc_plan.py"
    spec = importlib.util.spec_from_file_location("fc_plan_for_test", path)
    fc_plan = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(fc_plan)
    assert (fc_plan.SECTION, fc_plan.MARKER_COLORS) == (writer.SECTION, writer.MARKER_COLORS)
    assert fc_plan.STEMS_FOLDER == writer.STEMS_FOLDER
    assert fc_plan.INSTRUMENTS_FOLDER == writer.INSTRUMENTS_FOLDER
    odd = {"tracks": [{"name": "Violins I"}, {"name": "violins i"}, {"name": "..."}, {"name": "Bass/Low"}],
           "reverb": {"name": "FC Reverb"}}
    from dataclasses import replace

    first = scored.plan.tracks[0]
    plan = replace(scored.plan, tracks=[replace(first, name=t["name"]) for t in odd["tracks"]])
    assert fc_plan.stem_files(odd) == writer.stem_files(plan)
    on_disk = sorted(p.name for p in (Path(scored.out_dir) / "stems").iterdir())
    assert sorted(f.split("/")[1] for _, f in writer.stem_files(scored.plan)) == on_disk
