"""The REAPER actions, run as REAPER runs them, on the simulated ReaScript host (tests/reaper_sim).

Each test executes the real script in reaper_scripts/ as REAPER does (`rp.run_script`: a fresh
`__main__` holding REAPER's `obj`, so the real python-reapy 0.10.0 imports in its inside-REAPER mode
and calls the simulated `reaper_python`), then runs its RPR_defer callbacks until the job ends, and
inspects the in-memory project. Scoring uses a bridge that replays a real score (the session's
`scored` fixture); re-roll runs the real `filmcomposer request reroll` against a local backend, review
the real `filmcomposer render`; one test scores through the real backend end to end.
"""

from __future__ import annotations

import ast
import base64
import json
import math
import os
import shutil
import signal
import socket
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = ROOT / "reaper_scripts"
SIM = Path(__file__).resolve().parent / "reaper_sim"
_VENV_CLI = Path(sys.executable).with_name("filmcomposer")
FILMCOMPOSER = [str(_VENV_CLI)] if _VENV_CLI.is_file() else [sys.executable, "-m", "fc_backend.cli"]
ACTIONS = ("score_selected_video.py", "reroll_region.py", "render_master.py", "render_cues.py",
           "review_scheme.py")
HELPERS = {"fc_apply", "fc_bridge", "fc_plan", "fc_reapy", "fc_review", "action_score", "action_reroll",
           "action_review", "action_render"}

if not (ROOT.parent / "shared" / "reference" / "reascript" / "reaper_python.py").is_file():
    pytest.skip("REAPER's binding is absent (../shared/reference/reascript beside the clone)",
                allow_module_level=True)

for path in (str(SIM), str(SCRIPTS)):
    if path not in sys.path:
        sys.path.insert(0, path)

import fc_plan  # noqa: E402  (stdlib only: importable outside REAPER, unlike fc_apply, which needs reapy)
import reaimgui_sim as imgui  # noqa: E402
import reaper_host as rp  # noqa: E402

# ------------------------------------------------------------------------------------------- helpers


def run_action(name: str) -> int:
    """Run one action as REAPER does, then its deferred callbacks until it finishes."""
    return rp.run_script(str(SCRIPTS / name), on_cycle=lambda _: time.sleep(0.005))


def state(key: str) -> str:
    """The project's FilmComposer ExtState value, read straight from the simulated project."""
    return rp.PROJECT.ext.get(("FilmComposer", key), "")


def add_video_item(path: Path, position: float, length: float, offset: float = 0.0,
                   playrate: float = 1.0) -> str:
    """What a user does: a track holding the clip, the item selected."""
    rp.api.RPR_InsertTrackAtIndex(rp.api.RPR_CountTracks(0), True)
    track = rp.api.RPR_GetTrack(0, rp.api.RPR_CountTracks(0) - 1)
    rp.api.RPR_GetSetMediaTrackInfo_String(track, "P_NAME", "Picture", True)
    item = rp.api.RPR_AddMediaItemToTrack(track)
    take = rp.api.RPR_AddTakeToMediaItem(item)
    rp.api.RPR_SetMediaItemTake_Source(take, rp.api.RPR_PCM_Source_CreateFromFile(str(path)))
    rp.api.RPR_SetMediaItemInfo_Value(item, "D_POSITION", position)
    rp.api.RPR_SetMediaItemInfo_Value(item, "D_LENGTH", length)
    rp.api.RPR_SetMediaItemTakeInfo_Value(take, "D_STARTOFFS", offset)
    rp.api.RPR_SetMediaItemTakeInfo_Value(take, "D_PLAYRATE", playrate)
    rp.api.RPR_SetMediaItemSelected(item, True)
    return item


def add_user_track() -> None:
    """The composer's own track: MIDI, an FX, a pan, a volume envelope and a marker of their own."""
    rp.api.RPR_InsertTrackAtIndex(rp.api.RPR_CountTracks(0), True)
    track = rp.api.RPR_GetTrack(0, rp.api.RPR_CountTracks(0) - 1)
    rp.api.RPR_GetSetMediaTrackInfo_String(track, "P_NAME", "My sound design", True)
    rp.api.RPR_SetMediaTrackInfo_Value(track, "D_PAN", 0.3)
    rp.api.RPR_TrackFX_AddByName(track, "ReaEQ", False, -1)
    take = rp.api.RPR_GetActiveTake(rp.api.RPR_CreateNewMIDIItemInProj(track, 1.0, 3.0, False)[0])
    rp.api.RPR_MIDI_InsertNote(take, False, False, 0, 480, 0, 36, 100, False)
    rp.api.RPR_SetOnlyTrackSelected(track)
    rp.api.RPR_Main_OnCommand(rp.CMD_TOGGLE_VOLUME_ENVELOPE, 0)
    env = rp.api.RPR_GetTrackEnvelopeByName(track, "Volume")
    rp.api.RPR_InsertEnvelopePoint(env, 1.5, rp.api.RPR_ScaleToEnvelopeMode(1, 0.5), 0, 0, False, False)
    rp.api.RPR_AddProjectMarker2(0, False, 5.0, 0, "my door slam", -1, 0)


def snapshot(track: rp.Track) -> tuple:
    return (track.name, track.volume, track.pan, dict(track.ext), list(track.fx),
            [(s.dest.name, s.volume) for s in track.sends],
            {k: [list(p) for p in e.points] for k, e in track.envelopes.items()},
            [(i.position, i.length, [[list(n) for n in t.notes] for t in i.takes]) for i in track.items])


def user_tracks() -> list[tuple]:
    return [snapshot(t) for t in rp.PROJECT.tracks if "filmcomposer" not in t.ext]


def part_tracks() -> list[rp.Track]:
    """The score's MIDI parts and reverb bus: the tracks in its "FC Instruments" folder."""
    tagged = rp.tagged_tracks()
    return tagged[[t.name for t in tagged].index(fc_plan.INSTRUMENTS_FOLDER) + 1:]


def score_tracks(plan: dict) -> int:
    """Tracks one score makes: two folders, a stem per part and the reverb's, the parts and the bus."""
    return 2 * (len(plan["tracks"]) + 1) + 2


def notes_by_track() -> dict[str, list[list]]:
    return {t.name: [n[2:] for i in t.items for tk in i.takes for n in tk.notes] for t in rp.tagged_tracks()}


@pytest.fixture(scope="module")
def plan_dir(scored, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the session's real score, which the replaying bridge hands to the action."""
    folder = tmp_path_factory.mktemp("reaper_scored") / "out"
    shutil.copytree(scored.out_dir, folder)
    return folder


@pytest.fixture()
def host(tmp_path: Path, plan_dir: Path, monkeypatch):
    """An empty simulated REAPER project whose bridge replays the real score; the clip selected.

    The action itself never opens a network connection (reapy's dist API would): the test fails if it
    tries. The bridge it starts is another process and may."""
    def no_network(*args, **kwargs):
        raise AssertionError(f"the action (or reapy) opened a network connection: {args}")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    rp.reset(project_file=str(tmp_path / "project" / "film.RPP"), resource_path=str(tmp_path / "resource"))
    log = tmp_path / "bridge.log"
    bridge = [sys.executable, str(SIM / "replay_bridge.py"), str(plan_dir), str(log)]
    rp.api.RPR_SetExtState("FilmComposer", "bridge", json.dumps(bridge), False)
    rp.api.RPR_SetExtState("FilmComposer", "editor", json.dumps([sys.executable, "-c", "pass"]), False)
    plan = json.loads((plan_dir / "plan.json").read_text())
    return {"plan": plan, "log": log, "tmp": tmp_path, "video": Path(plan["video"])}


# ---------------------------------------------------------------------------------------- the rules


def test_actions_import_only_the_standard_library_and_reaper() -> None:
    """REAPER's embedded Python crashes re-importing compiled packages: nothing else may be imported."""
    allowed = set(sys.stdlib_module_names) | {"__future__", "reaper_python", "reapy"} | HELPERS
    scripts = sorted(SCRIPTS.glob("*.py"))
    assert {p.name for p in scripts} >= set(ACTIONS) | {f"{name}.py" for name in HELPERS}
    for script in scripts:
        tree = ast.parse(script.read_text(encoding="utf-8"))
        names = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        names |= {n.module.split(".")[0] for n in ast.walk(tree)
                  if isinstance(n, ast.ImportFrom) and n.module}
        assert names <= allowed, f"{script.name} imports {sorted(names - allowed)}"


def test_the_apply_step_runs_on_real_reapy_inside_reaper(host) -> None:
    """reapy 0.10.0 itself drives the project (its calls, not fc_apply's raw ones, reach the host)."""
    import importlib.metadata
    import importlib.util

    add_video_item(host["video"], 0.0, host["plan"]["duration"])
    run_action("score_selected_video.py")
    assert rp.SCRIPT_MODULES["reapy"] == importlib.util.find_spec("reapy").origin  # not importing it here:
    assert importlib.metadata.version("python-reapy") == "0.10.0"  # outside REAPER it goes for the network
    assert rp.CALLS["RPR_EnumProjects"] > 0  # reapy.Project()
    assert rp.CALLS["RPR_SelectProjectInstance"] >= len(host["plan"]["tracks"]) + 1  # Project.add_track
    assert rp.CALLS["RPR_Undo_BeginBlock"] == rp.CALLS["RPR_Undo_EndBlock"] == 1  # reapy.undo_block
    assert rp.CALLS["RPR_MIDI_Sort"] == len(host["plan"]["tracks"])  # Take.sort_events, once a take
    assert rp.CALLS["RPR_InsertEnvelopePoint"] > 0 and rp.CALLS["RPR_Envelope_SortPoints"] > 0  # raw API
    assert rp.PROJECT.undo_points == [f"FilmComposer: score {host['video'].name}"]


# reapy 0.10.0's additional_api.py has a regex with an invalid escape sequence: compiled fresh (no .pyc,
# as in a new install) Python warns (DeprecationWarning on 3.11, SyntaxWarning from 3.12); it still works
@pytest.mark.filterwarnings("ignore:invalid escape sequence:DeprecationWarning")
def test_the_installed_actions_run_on_the_reapy_install_py_put_beside_them(host, monkeypatch) -> None:
    """What a REAPER user gets: the scripts and lib/reapy in Scripts/FilmComposer, and a Python that has
    no venv (its site-packages are off sys.path here)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("fc_install_for_reaper", ROOT / "install.py")
    install = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(install)
    resource = host["tmp"] / "resource"
    resource.mkdir()
    monkeypatch.setattr(install, "reaper_is_running", lambda: True)  # copy only; leave the ini files alone
    assert install.install_reaper(str(resource), Path(FILMCOMPOSER[0])) == 0
    installed = resource / "Scripts" / "FilmComposer"
    monkeypatch.setattr(sys, "path", [p for p in sys.path if "site-packages" not in p])
    add_video_item(host["video"], 0.0, host["plan"]["duration"])
    rp.run_script(str(installed / "score_selected_video.py"), on_cycle=lambda _: time.sleep(0.005))
    assert rp.SCRIPT_MODULES["reapy"] == str(installed / "lib" / "reapy" / "__init__.py")
    assert rp.SCRIPT_MODULES["fc_apply"] == str(installed / "fc_apply.py")
    assert rp.PROJECT.undo_points == [f"FilmComposer: score {host['video'].name}"], "".join(rp.CONSOLE)
    assert len(rp.tagged_tracks()) == score_tracks(host["plan"])


def reapack_install(index: Path, resource: Path) -> Path:
    """What ReaPack does with our index: every <source> of the package's version goes to
    Scripts/<index name>/<category>/<file>. A URL relative to the index is a file beside it; python-reapy's
    come from its upstream commit, whose .py files are the PyPI wheel's that the venv holds (no network
    here), so those are read from the venv's reapy."""
    import importlib.util
    import xml.etree.ElementTree as ET

    reapy = Path(importlib.util.find_spec("reapy").origin).parent
    root = ET.parse(index).getroot()
    (category,) = root.iter("category")
    folder = resource / "Scripts" / root.get("name") / category.get("name")
    for source in root.iter("source"):
        url, target = source.text, folder / source.get("file")
        if url.startswith("https://raw.githubusercontent.com/RomeoDespres/reapy/"):
            origin = reapy / url.split("/reapy/", 2)[2]
        else:
            origin = (index.parent / url).resolve()
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(origin, target)
    return folder


@pytest.mark.filterwarnings("ignore:invalid escape sequence:DeprecationWarning")
def test_the_reapack_package_alone_runs_an_action(host, monkeypatch) -> None:
    """From index.xml to a running action: ReaPack's install layout, no install.py, no filmcomposer.json,
    a Python with no venv: the package brings everything the action imports."""
    resource = host["tmp"] / "resource"
    folder = reapack_install(SCRIPTS / "index.xml", resource)
    assert folder == resource / "Scripts" / "FilmComposer" / "FilmComposer"
    assert not (folder / "filmcomposer.json").exists()
    assert (folder / "lib" / "reapy" / "__init__.py").is_file()
    monkeypatch.setattr(sys, "path", [p for p in sys.path if "site-packages" not in p])
    add_video_item(host["video"], 0.0, host["plan"]["duration"])
    rp.run_script(str(folder / "score_selected_video.py"), on_cycle=lambda _: time.sleep(0.005))
    assert rp.SCRIPT_MODULES["reapy"] == str(folder / "lib" / "reapy" / "__init__.py"), "".join(rp.CONSOLE)
    assert rp.SCRIPT_MODULES["action_score"] == str(folder / "action_score.py")
    assert rp.PROJECT.undo_points == [f"FilmComposer: score {host['video'].name}"], rp.MESSAGE_BOXES
    assert len(rp.tagged_tracks()) == score_tracks(host["plan"])


def test_outside_reaper_reapy_is_never_imported(monkeypatch) -> None:
    """Imported outside REAPER (no `obj` in __main__), the shim refuses instead of letting reapy reach
    for its network API."""
    monkeypatch.delitem(sys.modules, "reapy", raising=False)
    monkeypatch.delitem(sys.modules, "fc_reapy", raising=False)
    import fc_reapy

    try:
        assert fc_reapy.reapy is None and "only used inside REAPER" in fc_reapy.problem
        assert "reapy" not in sys.modules
    finally:
        del sys.modules["fc_reapy"]


def test_without_reapy_an_action_says_how_to_install_it_and_changes_nothing(host, monkeypatch) -> None:
    class NoReapy:
        def find_spec(self, name, path=None, target=None):
            if name == "reapy" or name.startswith("reapy."):
                raise ImportError("No module named 'reapy'")
            return None

    monkeypatch.setattr(sys, "meta_path", [NoReapy(), *sys.meta_path])
    add_video_item(host["video"], 0.0, host["plan"]["duration"])
    run_action("score_selected_video.py")
    assert "install.py --reaper" in rp.MESSAGE_BOXES[0][0]
    assert rp.tagged_tracks() == [] and rp.PROJECT.undo_points == []


def test_envelope_reading_matches_the_offline_renderer(host) -> None:
    from fc_backend.model import Plan
    from fc_backend.realize.envelope import envelope_breakpoints

    plan = Plan.from_dict(host["plan"])
    for track, raw in zip(plan.tracks, host["plan"]["tracks"], strict=True):
        ours = fc_plan.envelope_breakpoints(raw["volume_envelope"])
        assert ours == envelope_breakpoints(track.volume_envelope)


def test_placement_maps_video_time_through_position_offset_and_playrate() -> None:
    place = fc_plan.Placement(position=10.0, length=4.0, offset=2.0, playrate=2.0)
    assert place.project_time(2.0) == 10.0 and place.project_time(6.0) == 12.0
    assert place.video_time(place.project_time(3.3)) == pytest.approx(3.3)
    assert fc_plan.Placement.from_json(place.to_json()).__dict__ == place.__dict__


def test_the_host_is_reapers_own_binding_and_catches_rpr_defer_imported_from_it(host) -> None:
    """RPR_defer lives in `__main__` (REAPER injects it), never in reaper_python: a script importing it
    from there dies on launch in REAPER, and here."""
    assert Path(sys.modules["reaper_python"].__file__) == rp.BINDING
    assert not hasattr(sys.modules["reaper_python"], "RPR_defer")
    script = host["tmp"] / "old_style.py"
    script.write_text("from reaper_python import RPR_defer\nRPR_defer('pass')\n", encoding="utf-8")
    with pytest.raises(ImportError, match="RPR_defer"):
        rp.run_script(str(script))
    fine = host["tmp"] / "new_style.py"
    fine.write_text("RPR_defer('RPR_ShowConsoleMsg(\"deferred\")')\n"
                    "from reaper_python import RPR_ShowConsoleMsg\n", encoding="utf-8")
    assert rp.run_script(str(fine)) == 1 and rp.CONSOLE == ["deferred"]


def test_marker_names_cannot_be_read_back_through_the_binding(host) -> None:
    number = rp.api.RPR_AddProjectMarker2(0, False, 2.0, 0, "door", -1, 0)
    result = rp.api.RPR_EnumProjectMarkers3(0, 0, False, 0.0, 0.0, "what I passed", 0, 0)
    assert result[4] == 2.0 and result[7] == number and result[6] == "what I passed"


# ---------------------------------------------------------------------------------------- scoring


def test_score_builds_the_plan_under_the_picture_and_leaves_the_user_alone(host) -> None:
    plan = host["plan"]
    position = 2.0
    add_video_item(host["video"], position, plan["duration"])
    add_user_track()
    before = user_tracks()
    user_markers = [m.name for m in rp.PROJECT.markers]

    run_action("score_selected_video.py")

    assert rp.PROJECT.undo_points == [f"FilmComposer: score {host['video'].name}"]
    args = json.loads(host["log"].read_text().splitlines()[0])
    assert args[:3] == ["request", "--progress-json", "-q"] and args[3:5] == ["score", str(host["video"])]
    assert user_tracks() == before
    assert [m.name for m in rp.PROJECT.markers if m.name in user_markers] == user_markers

    tagged = part_tracks()
    assert [t.name for t in tagged] == [t["name"] for t in plan["tracks"]] + [plan["reverb"]["name"]]
    # what REAPER plays: the rendered stems, at unity and centre, under the picture; the MIDI parts muted
    names = [t.name for t in rp.tagged_tracks()]
    stems = rp.tagged_tracks()[names.index(fc_plan.STEMS_FOLDER):names.index(fc_plan.INSTRUMENTS_FOLDER)]
    folder, *stems = stems
    assert (folder.folder_depth, folder.mute, stems[-1].folder_depth) == (1, False, -1)
    assert [t.name for t in stems] == [name for name, _ in fc_plan.stem_files(plan)]
    for track, (_, file) in zip(stems, fc_plan.stem_files(plan), strict=True):
        (item,) = track.items
        assert item.takes[0].source.filename == str(Path(state("out")) / file)
        assert (item.position, item.takes[0].start_offset) == (position, 0.0)
        assert (track.volume, track.pan, track.sends, track.fx, track.envelopes) == (1.0, 0.0, [], [], {})
    folder = rp.tagged_tracks()[names.index(fc_plan.INSTRUMENTS_FOLDER)]
    assert (folder.folder_depth, folder.mute, tagged[-1].folder_depth) == (1, True, -1)
    bus = tagged[-1]
    assert bus.fx == ["VST: ReaVerbate (Cockos)"]
    assert bus.fx_params[(0, fc_plan.REAVERBATE_ROOM)] == pytest.approx(plan["reverb"]["room_size"])
    for track, part in zip(tagged, plan["tracks"], strict=False):
        assert track.ext["filmcomposer"] == plan["tag"]
        assert (track.pan, track.volume) == (pytest.approx(part["pan"]), pytest.approx(part["volume"]))
        assert track.fx == ["VSTi: ReaSynth (Cockos)"]
        sends = [(s.dest.name, s.volume, s.mode) for s in track.sends]
        want = [(bus.name, pytest.approx(part["reverb_send"]), 0)] if part["reverb_send"] > 0 else []
        assert sends == want
        (item,) = track.items
        assert (item.position, item.length) == (position, pytest.approx(plan["duration"]))
        take = item.takes[0]
        assert take.sorts == 1 and take.sorted  # one batch, sorted once
        inside = [n for n in part["notes"] if n["start"] < plan["duration"]]
        assert [n[5] for n in take.notes] == [n["pitch"] for n in sorted(inside, key=lambda n: (n["start"],
                                                                                                   n["pitch"]))]
        env = track.envelopes["Volume"]
        expected = fc_plan.envelope_breakpoints(part["volume_envelope"])
        scale = rp.api.RPR_ScaleFromEnvelopeMode
        got = [(p[0] - position, scale(env.scaling_mode, p[1])) for p in env.points]
        assert [t for t, _ in got] == pytest.approx([t for t, _ in expected])
        assert [g for _, g in got] == pytest.approx([g for _, g in expected])
        assert all(p[1] != pytest.approx(g) for p, (_, g) in zip(env.points, expected, strict=True) if g < 1)
    markers = sorted((round(m.pos - position, 6), m.name) for m in rp.PROJECT.markers
                     if m.name not in user_markers and not m.isrgn)
    assert markers == sorted((round(m["time"], 6), m["name"]) for m in plan["markers"]
                             if m["time"] < plan["duration"])
    # one region per cue, named by its number, over the item: what REAPER's region render writes per cue
    regions = [(m.name, m.pos, m.rgnend) for m in rp.PROJECT.markers if m.isrgn]
    assert regions == [("1M1", position, pytest.approx(position + plan["duration"]))]
    tempo = [(m.time - position, m.bpm) for m in rp.PROJECT.tempo]
    assert tempo == [(pytest.approx(c["time"]), c["bpm"]) for c in plan["tempo_map"]["changes"]]
    assert state("out") == str(host["tmp"] / "project" / "FilmComposer" / host["video"].stem)
    assert json.loads(state("scheme")) == json.loads((Path(state("out"))
                                                                    / "scheme.json").read_text())


def test_rescore_replaces_only_the_tagged_tracks_and_markers(host) -> None:
    add_video_item(host["video"], 0.0, host["plan"]["duration"])
    add_user_track()
    run_action("score_selected_video.py")
    first = (notes_by_track(), [(m.pos, m.name) for m in rp.PROJECT.markers], len(rp.PROJECT.tracks))
    before = user_tracks()
    run_action("score_selected_video.py")
    assert (notes_by_track(), [(m.pos, m.name) for m in rp.PROJECT.markers], len(rp.PROJECT.tracks)) == first
    assert user_tracks() == before
    assert len(rp.PROJECT.undo_points) == 2 and rp.PROJECT.undo_depth == 0
    # the user's own marker (5 s) is read back as an accent; the product's markers keep their kinds and
    # its section markers are no spots at all
    args = json.loads(host["log"].read_text().splitlines()[1])
    written = json.loads(Path(args[args.index("--spots") + 1]).read_text())
    assert [s["time"] for s in written if s["kind"] == "accent"] == [5.0]
    made = {round(m["time"], 6): m.get("kind", "cut") for m in host["plan"]["markers"]}
    assert all(made[s["time"]] == s["kind"] for s in written if s["time"] != 5.0)
    assert not any(s["kind"] == "section" for s in written)


def test_rescore_without_marker_edits_reads_no_marker_back(host) -> None:
    """Nobody touched a marker: the backend spots the clip again, and nothing is duplicated."""
    add_video_item(host["video"], 0.0, host["plan"]["duration"])
    run_action("score_selected_video.py")
    first = sorted((m.number, m.pos, m.name) for m in rp.PROJECT.markers)
    run_action("score_selected_video.py")
    args = json.loads(host["log"].read_text().splitlines()[1])
    assert args[0] == "request" and "--spots" not in args
    assert sorted((m.number, m.pos, m.name) for m in rp.PROJECT.markers) == first


def test_edited_markers_become_the_next_scores_rhythm_spots(host) -> None:
    add_video_item(host["video"], 1.0, host["plan"]["duration"])
    run_action("score_selected_video.py")
    kinds = {int(k): v["kind"] for k, v in json.loads(state("markers")).items()}
    spot_markers = [m for m in rp.PROJECT.markers if kinds.get(m.number) != "section"]
    moved, deleted = spot_markers[0], spot_markers[1]
    moved.pos += 0.25
    rp.api.RPR_DeleteProjectMarker(0, deleted.number, False)
    rp.api.RPR_AddProjectMarker2(0, False, 1.0 + 4.2, 0, "my hit", -1, 0)

    run_action("score_selected_video.py")

    args = json.loads(host["log"].read_text().splitlines()[1])
    written = json.loads(Path(args[args.index("--spots") + 1]).read_text())
    times = [s["time"] for s in written]
    assert pytest.approx(moved.pos - 1.0) in times
    assert all(abs(t - (deleted.pos - 1.0)) > 1e-6 for t in times)
    assert {"time": pytest.approx(4.2), "strength": 1.0, "kind": "accent"} in written
    assert len(written) == len(spot_markers)  # one moved, one deleted, one added
    mine = [m for m in rp.PROJECT.markers if m.name == "my hit"]
    assert mine and mine[0].number == deleted.number  # it took the deleted marker's number...
    assert mine[0].pos == pytest.approx(5.2)  # ...and the re-score still left it alone


def test_an_unsaved_project_is_asked_to_be_saved_first(host) -> None:
    rp.PROJECT.file = ""  # File > New project, never saved
    add_video_item(host["video"], 0.0, host["plan"]["duration"])
    run_action("score_selected_video.py")
    assert "Save the project first" in rp.MESSAGE_BOXES[0][0]
    assert rp.tagged_tracks() == [] and rp.PROJECT.undo_points == []
    assert not host["log"].exists()  # no bridge was started


def _user_state() -> tuple:
    markers = [(m.number, m.isrgn, m.pos, m.name, m.color) for m in rp.PROJECT.markers
               if m.name == "my door slam"]
    return user_tracks(), markers


def _score_then_rescore(host, steps: tuple[str, ...]) -> None:
    """Score, the actions in `steps` ("review" accepts a scheme edit, "reroll" a span), then Score again:
    one undo point each, exactly one set of our tracks, markers and regions, the user's untouched."""
    add_video_item(host["video"], 0.0, host["plan"]["duration"])
    add_user_track()
    user = _user_state()
    run_action("score_selected_video.py")
    one_set = (len(rp.tagged_tracks()), len(rp.PROJECT.markers))
    out = Path(state("out"))
    replay = json.loads(rp.api.RPR_GetExtState("FilmComposer", "bridge"))
    rp.api.RPR_SetExtState("FilmComposer", "bridge", json.dumps(FILMCOMPOSER), False)
    for step in steps:
        if step == "review":
            rp.MESSAGE_BOX_ANSWERS.append(lambda: _edit_scheme(out / "scheme.json", -0.5))
            run_action("review_scheme.py")
        else:
            rp.api.RPR_GetSet_LoopTimeRange(True, False, 2.0, 4.0, False)
            run_action("reroll_region.py")
    rp.api.RPR_SetExtState("FilmComposer", "bridge", json.dumps(replay), False)
    run_action("score_selected_video.py")
    console = "".join(rp.CONSOLE)
    assert len(rp.PROJECT.undo_points) == 2 + len(steps), console
    assert (len(rp.tagged_tracks()), len(rp.PROJECT.markers)) == one_set
    assert _user_state() == user
    numbers = [(m.number, m.isrgn) for m in rp.PROJECT.markers]
    assert len(numbers) == len(set(numbers))


def test_score_review_score_keeps_one_set_and_the_user_untouched(host) -> None:
    _score_then_rescore(host, ("review",))


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="stops the backend it started by pid")
def test_score_review_reroll_score_keeps_one_set_and_the_user_untouched(host, local_backend) -> None:
    """The re-roll plans on the accepted scheme (the bridge tells the backend it is the user's own)."""
    _score_then_rescore(host, ("review", "reroll"))


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="stops the backend it started by pid")
def test_score_reroll_review_score_keeps_one_set_and_the_user_untouched(host, local_backend) -> None:
    _score_then_rescore(host, ("reroll", "review"))


def test_two_actions_running_at_once_keep_their_own_state(host) -> None:
    """A score polls its bridge while Review's window is up and cancelled: REAPER runs both in one
    `__main__`; each finishes as if alone."""
    add_video_item(host["video"], 0.0, host["plan"]["duration"])
    run_action("score_selected_video.py")
    tracks = len(rp.tagged_tracks())
    imgui.install(host["tmp"] / "resource")
    imgui.USER.extend([("tracks/track0/##pan", 0.9), ("Cancel", True)])
    rp.start_script(str(SCRIPTS / "score_selected_video.py"))
    rp.start_script(str(SCRIPTS / "review_scheme.py"))
    rp.run_deferred(on_cycle=lambda _: time.sleep(0.005))
    console = "".join(rp.CONSOLE)
    assert "review cancelled" in console and not imgui.USER
    assert rp.PROJECT.undo_points == [f"FilmComposer: score {host['video'].name}"] * 2, console
    assert len(rp.tagged_tracks()) == tracks


def test_score_without_a_selected_item_changes_nothing(host) -> None:
    add_user_track()
    before = user_tracks()
    run_action("score_selected_video.py")
    assert rp.MESSAGE_BOXES and "select the video item" in rp.MESSAGE_BOXES[0][0]
    assert user_tracks() == before and rp.PROJECT.undo_points == []


def test_a_failing_bridge_reports_its_error_and_changes_nothing(host) -> None:
    add_video_item(host["video"], 0.0, host["plan"]["duration"])
    failing = [sys.executable, "-c", "import json; print(json.dumps({'event': 'error', 'code': 'busy', "
               "'message': 'queue is full'})); raise SystemExit(1)"]
    rp.api.RPR_SetExtState("FilmComposer", "bridge", json.dumps(failing), False)
    run_action("score_selected_video.py")
    assert "busy: queue is full" in "".join(rp.CONSOLE)
    assert rp.tagged_tracks() == [] and rp.PROJECT.undo_points == []


# ------------------------------------------------------------------------- the .RPP writers agree


def _rpp_summary(text: str) -> dict:
    """What both writers must agree on, read back with the `rpp` package."""
    import rpp

    project = rpp.loads(text)
    tracks = [e for e in project.children if isinstance(e, rpp.Element) and e.tag == "TRACK"]
    names = [next(c[1] for c in t.children if isinstance(c, list) and c[0] == "NAME") for t in tracks]
    out: dict = {"tracks": {}, "markers": [], "tempo": []}
    for line in project.children:
        if isinstance(line, list) and line[0] == "MARKER":
            out["markers"].append((round(float(line[2]), 6), line[3]))
    tempo = next(e for e in project.children if isinstance(e, rpp.Element) and e.tag == "TEMPOENVEX")
    out["tempo"] = [(round(float(p[1]), 6), float(p[2]), p[3]) for p in tempo.children if p[0] == "PT"]
    for name, track in zip(names, tracks, strict=True):
        lines = {c[0]: c for c in track.children if isinstance(c, list)}
        ext = next((e for e in track.children if isinstance(e, rpp.Element) and e.tag == "EXT"), None)
        if ext is None:
            continue
        volpan = lines["VOLPAN"]
        summary = {"tag": ext.children[0][1], "volume": float(volpan[1]), "pan": float(volpan[2]),
                   "mute": lines["MUTESOLO"][1], "folder": lines["ISBUS"][2]}
        summary["sends"] = sorted((names[int(c[1])], float(c[3])) for c in track.children
                                  if isinstance(c, list) and c[0] == "AUXRECV")
        chain = next((e for e in track.children if isinstance(e, rpp.Element) and e.tag == "FXCHAIN"), None)
        summary["fx"] = [e.attrib[0] for e in chain.children if isinstance(e, rpp.Element)] if chain else []
        env = next((e for e in track.children if isinstance(e, rpp.Element) and e.tag == "VOLENV2"), None)
        summary["envelope"] = []
        if env is not None:
            mode = next((int(c[1]) for c in env.children if c[0] == "VOLTYPE"), 0)
            summary["envelope"] = [(round(float(p[1]), 6),
                                    round(rp.api.RPR_ScaleFromEnvelopeMode(mode, float(p[2])), 6), p[3])
                                   for p in env.children if p[0] == "PT"]
        notes, summary["audio"] = [], []
        for item in (e for e in track.children if isinstance(e, rpp.Element) and e.tag == "ITEM"):
            source = next(e for e in item.children if isinstance(e, rpp.Element) and e.tag == "SOURCE")
            if source.attrib == ["WAVE"]:
                summary["audio"].append(Path(next(c[1] for c in source.children if c[0] == "FILE")).name)
            tick, held = 0, {}
            for event in (c for c in source.children if c[0] == "E"):
                tick += int(event[1])
                status, key, vel = (int(x, 16) for x in event[2:5])
                if status & 0xF0 == 0x90 and vel:
                    held.setdefault((status & 15, key), []).append((tick, vel))
                elif status & 0xF0 in (0x80, 0x90):
                    start, velocity = held[(status & 15, key)].pop(0)
                    notes.append((start, tick, status & 15, key, velocity))
        summary["notes"] = sorted(notes)
        out["tracks"][name] = summary
    return out


def test_the_simulated_project_saves_what_the_offline_rpp_writer_writes(host) -> None:
    from fc_backend.model import Plan
    from fc_backend.realize.rpp import project_text

    plan = host["plan"]
    add_video_item(host["video"], 0.0, plan["duration"])
    run_action("score_selected_video.py")
    live = _rpp_summary(rp.project_text())
    offline = _rpp_summary(project_text(Plan.from_dict(plan), video=host["video"], timestamp=0))
    assert live["tracks"].keys() == offline["tracks"].keys()
    for name, want in offline["tracks"].items():
        got = live["tracks"][name]
        assert got["notes"] == want["notes"], name
        for key in ("tag", "volume", "pan", "sends", "fx", "envelope", "mute", "folder", "audio"):
            assert got[key] == want[key], (name, key)
    assert live["markers"] == offline["markers"]  # the cue's region (1M1) among them, from both
    assert (0.0, "1M1") in live["markers"]
    run_action("score_selected_video.py")  # a re-score replaces its region, never adds a second
    assert sum(1 for m in _rpp_summary(rp.project_text())["markers"] if m[1] == "1M1") == 1
    assert live["tempo"] == offline["tempo"]
    assert len(live["tracks"]) == score_tracks(plan)
    assert sum(len(t["notes"]) for t in live["tracks"].values()) > 0


def _ext_state(project) -> dict[str, str]:
    import rpp

    block = next(e for e in project.children if isinstance(e, rpp.Element) and e.tag == "EXTSTATE")
    section = next(e for e in block.children if e.tag == "FilmComposer")
    return {line[0]: line[1] for line in section.children}


def test_the_offline_project_holds_the_ext_state_review_and_reroll_need(plan_dir: Path) -> None:
    """project.rpp written offline, read back with an RPP parser: the same ExtState a score in REAPER
    writes, consistent with the file's own markers, video item and scheme.json."""
    import rpp

    project = rpp.loads((plan_dir / "project.rpp").read_text(encoding="utf-8"))
    state = _ext_state(project)
    assert set(state) == {"out", "video", "placement", "scheme", "markers", "regions"}
    assert state["out"] == "."  # the project file's own folder: OUT
    assert json.loads(state["scheme"]) == json.loads((plan_dir / "scheme.json").read_text())
    plan = json.loads((plan_dir / "plan.json").read_text())
    assert state["video"] == plan["video"]
    video_item = next(e for t in project.children if isinstance(t, rpp.Element) and t.tag == "TRACK"
                      for e in t.children if isinstance(e, rpp.Element) and e.tag == "ITEM"
                      and any(isinstance(s, rpp.Element) and s.attrib == ["VIDEO"] for s in e.children))
    lines = {c[0]: c[1:] for c in video_item.children if isinstance(c, list)}
    place = fc_plan.Placement.from_json(state["placement"])
    assert (place.position, place.length, place.offset) == (float(lines["POSITION"][0]),
                                                            pytest.approx(float(lines["LENGTH"][0])),
                                                            float(lines["SOFFS"][0]))
    markers = {int(c[1]): (float(c[2]), int(c[5])) for c in project.children
               if isinstance(c, list) and c[0] == "MARKER" and not int(c[4]) & 1}
    regions = [(c[1], float(c[2]), c[3]) for c in project.children
               if isinstance(c, list) and c[0] == "MARKER" and int(c[4]) & 1]
    assert regions == [("1", 0.0, "1M1"), ("1", pytest.approx(plan["duration"]), "")]
    assert json.loads(state["regions"]) == {"1": {"name": "1M1", "pos": 0.0, "end": pytest.approx(
        plan["duration"])}}
    made = {int(k): (v["pos"], v["color"]) for k, v in json.loads(state["markers"]).items()}
    assert made == markers and len(made) == len(plan["markers"])
    kinds = sorted(v["kind"] for v in json.loads(state["markers"]).values())
    assert kinds == sorted(m.get("kind", "cut") for m in plan["markers"])


def test_an_offline_project_opened_in_reaper_is_a_score_the_actions_know(host, plan_dir: Path) -> None:
    """Open OUT/project.rpp in REAPER: Review finds its scheme, and a Score on it replaces its tracks
    and markers instead of adding a second set."""
    opened = host["tmp"] / "opened"
    shutil.copytree(plan_dir, opened)
    rp.open_project(str(opened / "project.rpp"))
    offline_markers = len(rp.PROJECT.markers)
    video = next(i for t in rp.PROJECT.tracks for i in t.items if i.takes[0].source.kind == "VIDEO")
    video.selected = True
    rp.MESSAGE_BOX_ANSWERS.append(2)  # Review: the editor opens, then Cancel
    run_action("review_scheme.py")
    assert rp.MESSAGE_BOXES[-1][0].startswith("Edit the scheme"), rp.MESSAGE_BOXES
    assert str(opened / "scheme.json") in rp.MESSAGE_BOXES[-1][0]
    run_action("score_selected_video.py")
    assert rp.PROJECT.undo_points == [f"FilmComposer: score {host['video'].name}"], "".join(rp.CONSOLE)
    assert len(rp.PROJECT.markers) == offline_markers
    assert len(rp.tagged_tracks()) == score_tracks(host["plan"])
    args = json.loads(host["log"].read_text().splitlines()[0])
    assert args[0] == "request"  # the markers were not edited: none was read back as a rhythm spot


# ----------------------------------------------------------------------------- re-roll, review


@pytest.fixture()
def local_backend(host, monkeypatch):
    """Where the real bridge's `request` starts a local backend on demand; stopped (by its pid) after."""
    run = host["tmp"] / "run"
    monkeypatch.setenv("FC_RUNTIME_DIR", str(run))
    yield run
    state_file = run / "backend.json"
    if state_file.is_file():
        os.kill(json.loads(state_file.read_text())["pid"], signal.SIGTERM)


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="stops the backend it started by pid")
def test_reroll_changes_only_the_span(host, local_backend) -> None:
    from fc_backend.compose.reroll import region_measures
    from fc_backend.model import Melody

    position = 3.0
    add_video_item(host["video"], position, host["plan"]["duration"])
    add_user_track()
    run_action("score_selected_video.py")
    before, users = notes_by_track(), user_tracks()
    out = Path(state("out"))
    rp.api.RPR_SetExtState("FilmComposer", "bridge", json.dumps(FILMCOMPOSER), False)
    t0, t1 = 2.0, 4.0
    rp.api.RPR_GetSet_LoopTimeRange(True, False, position + t0, position + t1, False)

    run_action("reroll_region.py")

    console = "".join(rp.CONSOLE)
    assert rp.PROJECT.undo_points[-1] == f"FilmComposer: re-roll {t0:.1f}-{t1:.1f} s", console
    assert "upload" in console and "download" in console  # it went through the backend, with progress
    melody = Melody.load(out / "melody.json")
    first, last = region_measures(melody, t0, t1)
    tm = melody.tempo_map
    lo, hi = tm.measure_start(first) + position, tm.measure_start(last + 1) + position
    after = notes_by_track()
    assert after.keys() == before.keys()
    changed = False
    for name in before:
        def outside(notes):
            take_beats = rp.PROJECT.beats_at(position)
            return [n for n in notes if rp.PROJECT.time_at_beats(take_beats + n[1] / rp.PPQ) <= lo + 1e-6
                    or rp.PROJECT.time_at_beats(take_beats + n[0] / rp.PPQ) >= hi - 1e-6]
        assert outside(after[name]) == outside(before[name]), name
        changed |= after[name] != before[name]
    assert changed
    assert user_tracks() == users


def _edit_scheme(path: Path, pan: float) -> int:
    scheme = json.loads(path.read_text())
    scheme["tracks"][0]["panning"] = pan
    path.write_text(json.dumps(scheme, indent=2))
    return 1  # the user presses OK


def test_review_applies_an_edited_scheme_and_refuses_an_invalid_one(host) -> None:
    add_video_item(host["video"], 0.0, host["plan"]["duration"])
    run_action("score_selected_video.py")
    out = Path(state("out"))
    rp.api.RPR_SetExtState("FilmComposer", "bridge", json.dumps(FILMCOMPOSER), False)
    first = host["plan"]["tracks"][0]["name"]

    rp.MESSAGE_BOX_ANSWERS.append(lambda: _edit_scheme(out / "scheme.json", -0.9))
    run_action("review_scheme.py")
    assert rp.PROJECT.undo_points[-1] == "FilmComposer: apply reviewed scheme", "".join(rp.CONSOLE)
    assert next(t for t in rp.tagged_tracks() if t.name == first).pan == pytest.approx(-0.9)
    assert json.loads(state("scheme"))["tracks"][0]["panning"] == -0.9

    def break_it() -> int:
        scheme = json.loads((out / "scheme.json").read_text())
        scheme["tracks"][0]["instrument"] = "no_such_instrument"
        (out / "scheme.json").write_text(json.dumps(scheme))
        return 1

    before, points = [snapshot(t) for t in rp.PROJECT.tracks], list(rp.PROJECT.undo_points)
    rp.MESSAGE_BOX_ANSWERS.append(break_it)
    run_action("review_scheme.py")
    assert "not accepted" in rp.MESSAGE_BOXES[-1][0] and "no_such_instrument" in rp.MESSAGE_BOXES[-1][0]
    assert [snapshot(t) for t in rp.PROJECT.tracks] == before and rp.PROJECT.undo_points == points


@pytest.fixture(scope="module")
def cue_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 36 s film in three cues (tests/test_cues.py's), scored for real, for the bridge to replay."""
    from tests.test_cues import score_film_in_cues

    return score_film_in_cues(tmp_path_factory.mktemp("reaper_cues")).out_dir


def _score_film_in_cues(host, cue_dir: Path, position: float) -> Path:
    """The film in cues scored into the project at `position`; Review then runs the real render."""
    bridge = [sys.executable, str(SIM / "replay_bridge.py"), str(cue_dir), str(host["log"])]
    rp.api.RPR_SetExtState("FilmComposer", "bridge", json.dumps(bridge), False)
    plan = json.loads((cue_dir / "plan.json").read_text())
    add_video_item(Path(plan["video"]), position, plan["duration"])
    run_action("score_selected_video.py")
    rp.api.RPR_SetExtState("FilmComposer", "bridge", json.dumps(FILMCOMPOSER), False)
    return Path(state("out"))


def _envelopes_in(plan: dict, t0: float, t1: float) -> dict[str, list]:
    return {t["name"]: [p for p in t.get("volume_envelope", []) if t0 <= p["time"] < t1]
            for t in plan["tracks"]}


def _notes_in(plan: dict, t0: float, t1: float) -> list:
    return sorted((t["name"], n["pitch"], n["start"]) for t in plan["tracks"] for n in t["notes"]
                  if t0 <= n["start"] < t1)


def test_review_of_a_film_in_cues_edits_the_cue_under_the_cursor(host, cue_dir: Path) -> None:
    """Cursor in cue 2: its own scheme (from cue_schemes.json) is edited and written back there, render
    re-plans, the new plan is applied; cues 1 and 3 and scheme.json's overview stay as they were."""
    position = 2.0
    out = _score_film_in_cues(host, cue_dir, position)
    schemes_before = json.loads((out / "cue_schemes.json").read_text())
    plan_before = json.loads((out / "plan.json").read_text())
    assert [c["number"] for c in plan_before["cues"]] == ["1M1", "1M2", "1M3"]
    rp.api.RPR_SetEditCurPos(position + 15.0, False, False)  # inside 1M2 (12-21 s of the video)

    def quieter() -> int:
        path = out / "cue_scheme_1M2.json"
        scheme = json.loads(path.read_text())
        assert scheme == schemes_before["schemes"]["1M2"]  # the cue's own scheme is what the user edits
        for track in scheme["tracks"]:
            track["volume_envelope"] = {"measure1": 0.25}
        path.write_text(json.dumps(scheme, indent=2))
        return 1

    rp.MESSAGE_BOX_ANSWERS.append(quieter)
    run_action("review_scheme.py")

    console = "".join(rp.CONSOLE)
    assert rp.PROJECT.undo_points[-1] == "FilmComposer: apply reviewed scheme", console
    assert "reviewing cue 1M2" in console
    schemes = json.loads((out / "cue_schemes.json").read_text())["schemes"]
    assert all(t["volume_envelope"] == {"measure1": 0.25} for t in schemes["1M2"]["tracks"])
    assert {k: v for k, v in schemes.items() if k != "1M2"} == \
        {k: v for k, v in schemes_before["schemes"].items() if k != "1M2"}
    plan = json.loads((out / "plan.json").read_text())
    for t0, t1 in ((0.0, 12.0), (24.0, 36.0)):  # the other cues plan to what they had
        assert _envelopes_in(plan, t0, t1) == _envelopes_in(plan_before, t0, t1)
        assert _notes_in(plan, t0, t1) == _notes_in(plan_before, t0, t1)
    assert _envelopes_in(plan, 12.0, 21.0) != _envelopes_in(plan_before, 12.0, 21.0)
    inside = [p["gain"] for points in _envelopes_in(plan, 12.001, 21.0).values() for p in points]
    assert inside and max(inside) <= 0.25 + 1e-6  # cue 2 plays at the level set (12.0 is 1M1's end)
    assert [t.name for t in part_tracks()][:-1] == [t["name"] for t in plan["tracks"]]
    assert json.loads(state("scheme")) == json.loads((out / "scheme.json").read_text())  # the overview

    def break_it() -> int:
        path = out / "cue_scheme_1M3.json"
        scheme = json.loads(path.read_text())
        scheme["tracks"][0]["instrument"] = "no_such_instrument"
        path.write_text(json.dumps(scheme))
        return 1

    before, points = [snapshot(t) for t in rp.PROJECT.tracks], list(rp.PROJECT.undo_points)
    rp.api.RPR_GetSet_LoopTimeRange(True, False, position + 23.0, position + 30.0, False)  # mostly 1M3
    rp.MESSAGE_BOX_ANSWERS.append(break_it)
    run_action("review_scheme.py")
    message = rp.MESSAGE_BOXES[-1][0]
    assert "not accepted" in message and "cue_schemes.json" in message and "1M3" in message, message
    assert "no_such_instrument" in message
    assert [snapshot(t) for t in rp.PROJECT.tracks] == before and rp.PROJECT.undo_points == points


def test_review_window_of_a_film_in_cues_shows_the_selected_cues_scheme(host, cue_dir: Path) -> None:
    """ReaImGui present, a time selection mostly over 1M3: the window holds 1M3's tracks and pans; Accept
    writes the edit into 1M3's entry of cue_schemes.json only."""
    out = _score_film_in_cues(host, cue_dir, 0.0)
    schemes = json.loads((out / "cue_schemes.json").read_text())["schemes"]
    rp.api.RPR_GetSet_LoopTimeRange(True, False, 20.0, 30.0, False)  # 1 s of 1M2, 6 s of 1M3
    imgui.install(host["tmp"] / "resource")
    imgui.USER.extend([("tracks/track0/##pan", -0.7), ("Accept", True)])
    run_action("review_scheme.py")
    console = "".join(rp.CONSOLE)
    assert rp.PROJECT.undo_points[-1] == "FilmComposer: apply reviewed scheme", console
    pans = [value for path, kind, value in imgui.DRAWN[0] if path.endswith("/##pan")]
    assert pans == [float(t.get("panning", 0.0)) for t in schemes["1M3"]["tracks"]]
    after = json.loads((out / "cue_schemes.json").read_text())["schemes"]
    assert after["1M3"]["tracks"][0]["panning"] == -0.7
    assert {k: after[k] for k in ("1M1", "1M2")} == {k: schemes[k] for k in ("1M1", "1M2")}


def test_review_of_a_film_in_cues_between_cues_says_where_to_put_the_cursor(host, cue_dir: Path) -> None:
    out = _score_film_in_cues(host, cue_dir, 0.0)
    before = (out / "cue_schemes.json").read_text()
    rp.api.RPR_SetEditCurPos(22.5, False, False)  # the rest between 1M2 and 1M3
    run_action("review_scheme.py")
    assert "edit cursor in a cue" in rp.MESSAGE_BOXES[-1][0]
    assert (out / "cue_schemes.json").read_text() == before


def _review_with_imgui(host, actions: list[tuple[str, object]]) -> dict:
    add_video_item(host["video"], 0.0, host["plan"]["duration"])
    add_user_track()
    run_action("score_selected_video.py")
    rp.api.RPR_SetExtState("FilmComposer", "bridge", json.dumps(FILMCOMPOSER), False)
    imgui.install(host["tmp"] / "resource")
    imgui.USER.extend(actions)
    before = {"users": user_tracks(), "undo": list(rp.PROJECT.undo_points),
              "scheme": json.loads(state("scheme"))}
    run_action("review_scheme.py")
    return before


def test_review_window_edits_tracks_instruments_pans_and_envelopes(host) -> None:
    """ReaImGui present: a scripted user edits the window; Accept re-plans and applies it."""
    instruments = json.loads((ROOT / "schemes" / "instruments.json").read_text())["instruments"]
    library = [entry["key"] for entry in instruments]
    before = _review_with_imgui(host, [
        ("tracks/track0/##instrument", library.index("violins_1")),
        ("tracks/track0/##pan", -0.8),
        ("tracks/track1/##enabled", False),
        ("tracks/track2/dB per measure##envelope", True),
        ("tracks/track2/dB per measure##envelope/measure 2", -12.0),
        ("Accept", True),
    ])
    console = "".join(rp.CONSOLE)
    old = before["scheme"]["tracks"]
    assert rp.PROJECT.undo_points == before["undo"] + ["FilmComposer: apply reviewed scheme"], console
    assert not imgui.USER  # every action found its widget
    combo = next(value for path, kind, value in imgui.DRAWN[0] if path == "tracks/track0/##instrument")
    assert combo == (library.index(old[0]["instrument"]), library)  # the library; the track's own chosen
    shown = [value for path, kind, value in imgui.DRAWN[0] if path.startswith("tracks/track2/dB per measure")
             and kind == "input"]
    assert len(shown) == before["scheme"]["measures"]
    assert shown[0] == pytest.approx(20 * math.log10(old[2]["volume_envelope"]["measure1"]), abs=0.01)

    edited = json.loads(state("scheme"))
    assert [t["name"] for t in edited["tracks"]] == [t["name"] for t in old if t is not old[1]]
    assert edited["tracks"][0]["panning"] == -0.8
    assert edited["tracks"][1]["volume_envelope"]["measure2"] == pytest.approx(10 ** (-12 / 20), abs=1e-4)
    assert edited["tracks"][0]["instrument"] == "violins_1"
    assert [t["track_index"] for t in edited["tracks"]] == list(range(1, len(old)))  # renumbered
    for new, was in zip(edited["tracks"][2:], old[3:], strict=True):  # the others stay as they were
        assert {**new, "track_index": was["track_index"]} == was
    tagged = part_tracks()
    plan = json.loads((Path(state("out")) / "plan.json").read_text())
    assert [t.name for t in tagged][:-1] == [t["name"] for t in plan["tracks"]]  # a new instrument renames
    assert len(tagged) - 1 == len(edited["tracks"])
    assert tagged[0].pan == pytest.approx(-0.8)
    assert plan["tracks"][0]["instrument"] == "violins_1" and plan["tracks"][0]["pan"] == pytest.approx(-0.8)
    assert user_tracks() == before["users"]


def test_review_window_cancel_changes_nothing(host) -> None:
    before = _review_with_imgui(host, [("tracks/track0/##pan", 0.9), ("Cancel", True)])
    assert rp.PROJECT.undo_points == before["undo"]
    assert json.loads(state("scheme")) == before["scheme"]
    assert "cancelled" in "".join(rp.CONSOLE) and not rp.MESSAGE_BOXES  # no editor fallback either


def test_review_window_closing_it_is_cancel_and_the_context_is_freed(host) -> None:
    before = _review_with_imgui(host, [("<close>", True)])
    assert rp.PROJECT.undo_points == before["undo"]
    rp.queue_deferred("pass")  # REAPER goes on: one more defer cycle, without the window...
    rp.run_deferred()  # ...after which ReaImGui has freed its context
    assert not any(imgui.ValidatePtr(h, "ImGui_Context*") for h in list(imgui._CONTEXTS))


# ---------------------------------------------------------------------------------------- render


def test_render_sets_48k_24bit_wav_over_the_video_and_renders(host) -> None:
    from fc_backend.realize.rpp import WAV_24_RENDER_CFG

    add_video_item(host["video"], 1.5, host["plan"]["duration"])
    run_action("score_selected_video.py")
    run_action("render_master.py")
    assert rp.PROJECT.undo_points[-1].startswith("FilmComposer: render settings")
    (render,) = rp.PROJECT.renders
    info = render["info"]
    assert (info["RENDER_SRATE"], info["RENDER_CHANNELS"], info["RENDER_SETTINGS"]) == (48000, 2, 0)
    assert base64.b64decode(render["info_str"]["RENDER_FORMAT"]) == WAV_24_RENDER_CFG  # 'evaw', 24 bits
    assert info["RENDER_BOUNDSFLAG"] == 0
    bounds = (info["RENDER_STARTPOS"], info["RENDER_ENDPOS"])
    assert bounds == (1.5, pytest.approx(1.5 + host["plan"]["duration"]))
    assert render["targets"] in "".join(rp.CONSOLE)
    run_action("render_master.py")  # the same file again: no overwrite prompt stops it
    assert len(rp.PROJECT.renders) == 2 and rp.PROJECT.renders[1]["targets"] == render["targets"]


def test_render_cues_renders_master_and_stems_of_every_region_named_by_cue(host) -> None:
    """One region per cue (1M1) is what REAPER's region render needs: stems and master, all regions,
    each file named by its region; an earlier render of ours is replaced without a prompt."""
    add_video_item(host["video"], 1.5, host["plan"]["duration"])
    run_action("score_selected_video.py")
    assert [(m.name, m.pos) for m in rp.PROJECT.markers if m.isrgn] == [("1M1", 1.5)]
    run_action("render_cues.py")
    (render,) = rp.PROJECT.renders
    info, names = render["info"], render["info_str"]
    assert info["RENDER_SETTINGS"] == 1  # stems and the master mix
    assert info["RENDER_BOUNDSFLAG"] == 3  # all project regions
    assert (info["RENDER_SRATE"], info["RENDER_CHANNELS"]) == (48000, 2)
    assert "$region" in names["RENDER_PATTERN"] and "$track" in names["RENDER_PATTERN"]
    assert names["RENDER_PATTERN"].startswith("cues/")
    run_action("render_cues.py")
    assert len(rp.PROJECT.renders) == 2


# ------------------------------------------------------------------------------- end to end, real


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="stops the backend it started by pid")
def test_score_through_the_real_bridge_and_a_local_backend(host, clip, local_backend) -> None:
    video, _ = clip
    rp.api.RPR_SetExtState("FilmComposer", "bridge", json.dumps(FILMCOMPOSER), False)
    add_video_item(video, 0.5, 4.0)
    run_action("score_selected_video.py")
    console = "".join(rp.CONSOLE)
    assert rp.PROJECT.undo_points == [f"FilmComposer: score {video.name}"], console
    assert "spot" in console and "%" in console  # progress arrived while the job ran
    plan = json.loads((Path(state("out")) / "plan.json").read_text())
    assert [t.name for t in part_tracks()][:-1] == [t["name"] for t in plan["tracks"]]
    assert all(t.items[0].length == 4.0 for t in part_tracks()[:-1])
    assert sum(len(tk.notes) for t in rp.tagged_tracks() for i in t.items for tk in i.takes) > 0


def test_score_colours_hit_markers_by_sync_and_still_recognises_them(host) -> None:
    """The plan's sync colours reach REAPER's markers; the ExtState record holds them, so a re-score
    still finds (and replaces) every one of its markers and leaves none behind."""
    from fc_backend.realize.rpp import marker_color

    add_video_item(host["video"], 0.0, host["plan"]["duration"])
    run_action("score_selected_video.py")
    made = {int(k): v for k, v in json.loads(state("markers")).items()}
    wanted = sorted(host["plan"]["markers"], key=lambda m: m["time"])
    ours = sorted((m for m in rp.PROJECT.markers if not m.isrgn and m.number in made), key=lambda m: m.pos)
    assert len(ours) == len(wanted)
    assert any(m.get("sync") for m in wanted)
    for marker, plan_marker in zip(ours, wanted, strict=True):
        assert marker.color == marker_color(plan_marker.get("kind", "cut"), plan_marker.get("sync", ""))
        assert made[marker.number]["color"] == marker.color
    run_action("score_selected_video.py")
    assert len([m for m in rp.PROJECT.markers if not m.isrgn]) == len(wanted)


def test_the_live_click_restates_the_offline_click_track() -> None:
    """fc_plan (stdlib, inside REAPER) computes the same clicks as realize.streamers.click_track, tempo
    changes and an odd meter included."""
    from fc_backend.model import Plan, TempoChange, TempoMap
    from fc_backend.realize.streamers import CLICK_NAME, click_track

    plan = Plan(9.3, TempoMap([TempoChange(0.0, 100.0), TempoChange(2.9, 137.0), TempoChange(6.1, 88.0)],
                              (3, 4)), None, [], [], streamers=True)
    live = fc_plan.click_notes(json.loads(json.dumps(plan.to_dict())))
    offline = [{"pitch": n.pitch, "start": n.start, "end": n.end, "velocity": n.velocity}
               for n in click_track(plan).notes]
    assert fc_plan.CLICK_NAME == CLICK_NAME
    assert len(live) == len(offline) > 10 and {n["pitch"] for n in live} == {76, 77}
    for a, b in zip(live, offline, strict=True):
        assert a == {k: pytest.approx(v, abs=1e-9) for k, v in b.items()}


def test_score_with_streamers_adds_the_muted_click_track_live(host) -> None:
    """A plan scored with --streamers gets the players' click from the Score action too, muted; one
    without gets none (the same option the offline writer follows)."""
    add_video_item(host["video"], 0.0, host["plan"]["duration"])
    run_action("score_selected_video.py")
    assert fc_plan.CLICK_NAME not in [t.name for t in rp.PROJECT.tracks]

    folder = host["tmp"] / "streamers" / "out"
    shutil.copytree(json.loads(rp.api.RPR_GetExtState("FilmComposer", "bridge"))[2], folder)
    plan = json.loads((folder / "plan.json").read_text())
    plan["streamers"] = True
    (folder / "plan.json").write_text(json.dumps(plan))
    bridge = [sys.executable, str(SIM / "replay_bridge.py"), str(folder), str(host["log"])]
    rp.api.RPR_SetExtState("FilmComposer", "bridge", json.dumps(bridge), False)
    run_action("score_selected_video.py")
    clicks = [t for t in rp.PROJECT.tracks if t.name == fc_plan.CLICK_NAME]
    assert len(clicks) == 1 and clicks[0].ext.get("filmcomposer")
    assert rp.api.RPR_GetMediaTrackInfo_Value(rp.api.RPR_GetTrack(0, rp.PROJECT.tracks.index(clicks[0])),
                                              "B_MUTE") == 1
    notes = [n for i in clicks[0].items for tk in i.takes for n in tk.notes]
    assert len(notes) == len(fc_plan.click_notes(plan))
    run_action("score_selected_video.py")  # a re-score replaces it: still one
    assert [t.name for t in rp.PROJECT.tracks].count(fc_plan.CLICK_NAME) == 1
