"""Realize: a hand-built Plan becomes a MIDI file, a REAPER project and a mastered 48 kHz/24-bit WAV."""

from __future__ import annotations

import base64
import math
from pathlib import Path

import mido
import numpy as np
import pytest
import rpp
import rppxml
import soundfile as sf
from scipy.signal import resample_poly

from fc_backend.config import Config
from fc_backend.loudness import integrated_loudness
from fc_backend.model import EnvelopePoint, Marker, Note, Plan, PlanTrack, ReverbBus, TempoChange, TempoMap
from fc_backend.realize import realize
from fc_backend.realize.envelope import RAMP, envelope_breakpoints
from fc_backend.realize.limiter import limiter_gain

REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "reference" / "rpp"
SR = 48000
QUIET_MEASURE = 4  # measure whose envelope point is low in every track


def _plan(duration: float = 14.0) -> Plan:
    """Five tracks (one drum kit) in D minor; 100 bpm, then 120 bpm from 6.0 s; 4/4."""
    tm = TempoMap([TempoChange(0.0, 100.0), TempoChange(6.0, 120.0)], (4, 4))
    measures = tm.measure_count(duration)
    beats = [tm.time_at(b) for b in range(int(tm.beat_at(duration)))]

    def envelope(level: float) -> list[EnvelopePoint]:
        return [EnvelopePoint(tm.measure_start(m), 0.2 if m == QUIET_MEASURE else level)
                for m in range(1, measures + 1)]

    scale = [62, 64, 65, 67, 69, 70, 72, 74]
    melody = [Note(scale[i % 8] + 12, t, t + 0.9 * (beats[i + 1] - t), 96) for i, t in enumerate(beats[:-1])]
    pad = [Note(p, tm.measure_start(m), tm.measure_start(m + 1) - 0.05, 70)
           for m in range(1, measures) for p in (50, 57, 62)]
    bass = [Note(38 if i % 2 == 0 else 45, t, t + 0.4, 100) for i, t in enumerate(beats[::2])]
    counter = [Note(scale[(i * 3) % 8], t, t + 0.3, 80) for i, t in enumerate(beats[1::2])]
    drums = [Note(36 if i % 2 == 0 else 38, t, t + 0.1, 127) for i, t in enumerate(beats)]
    drums += [Note(49, tm.measure_start(m), tm.measure_start(m) + 0.5, 127) for m in range(1, measures)]
    tracks = [
        PlanTrack("Flute", "melody", "flute", 73, ["ReaSynth"], melody, pan=-0.3, volume=0.9, reverb_send=0.3,
                  volume_envelope=envelope(1.0)),
        PlanTrack("Strings", "harmony", "strings1_ensemble", 48, ["ReaSynth"], pad, pan=0.2, volume=0.6,
                  reverb_send=0.4, volume_envelope=envelope(0.8)),
        PlanTrack("Bass", "bass", "contrabass", 32, ["ReaSynth"], bass, pan=0.0, volume=0.8, reverb_send=0.1,
                  volume_envelope=envelope(1.0)),
        PlanTrack("Clarinet \"B\u266d\"", "counter", "clarinet", 71, ["ReaSynth"], counter, pan=0.5,
                  volume=0.7, reverb_send=0.25, volume_envelope=envelope(0.9)),
        PlanTrack("Kit", "percussion", "drums", 0, ["ReaSynth"], drums, pan=0.0, volume=1.6, reverb_send=0.15,
                  volume_envelope=envelope(1.0), is_drum=True),
    ]
    markers = [Marker(2.4, "cut 1"), Marker(6.0, "cut 2"), Marker(9.5, "accent", "accent"),
               Marker(0.0, "A", "section")]
    return Plan(duration, tm, "D minor", tracks, markers, ReverbBus("FC Reverb", room_size=0.7))


# ------------------------------------------------------------------------------------------ helpers


def _true_peak_db(audio: np.ndarray) -> float:
    """The test's own BS.1770 true-peak meter: 4x polyphase oversampling of the whole file at once."""
    up = resample_poly(np.asarray(audio, dtype=np.float64), 4, 1, axis=0)
    return 20 * math.log10(max(float(np.abs(up).max()), float(np.abs(audio).max()), 1e-12))


def _rms_db(audio: np.ndarray) -> float:
    return 10 * math.log10(float(np.mean(np.square(audio, dtype=np.float64))) + 1e-20)


@pytest.fixture(scope="module")
def plan() -> Plan:
    return _plan()


@pytest.fixture(scope="module")
def realized(tmp_path_factory: pytest.TempPathFactory, plan: Plan):
    """realize() once per loudness target, with a video; cached for the module."""
    cache: dict[float, tuple[Path, dict[str, Path]]] = {}

    def get(target: float) -> tuple[Path, dict[str, Path]]:
        if target not in cache:
            out = tmp_path_factory.mktemp(f"realize{int(-target)}")
            seen: list[float] = []
            files = realize(plan, out, Config(loudness=target), video=Path("media") / "clip 1.mp4",
                            progress=seen.append)
            assert seen and all(0 <= f <= 1 for f in seen) and seen == sorted(seen) and seen[-1] == 1.0
            cache[target] = (out, files)
        return cache[target]

    return get


# ------------------------------------------------------------------------------------------ files


@pytest.mark.slow
def test_realize_writes_every_artifact(realized, plan: Plan) -> None:
    out, files = realized(-23.0)
    assert files == {"arrangement.mid": out / "arrangement.mid", "project.rpp": out / "project.rpp",
                     "master.wav": out / "master.wav", "stems": out / "stems"}
    assert sorted(p.name for p in out.iterdir()) == ["arrangement.mid", "master.wav", "project.rpp", "stems"]
    stems = sorted(p.name for p in files["stems"].iterdir())
    assert stems == sorted(["Flute.wav", "Strings.wav", "Bass.wav", "Clarinet_B.wav", "Kit.wav",
                            "FC_Reverb.wav"])
    for stem in files["stems"].iterdir():
        info = sf.info(stem)
        assert (info.samplerate, info.channels, info.subtype) == (SR, 2, "PCM_24")


def test_arrangement_mid_holds_every_note_in_video_time(realized, plan: Plan) -> None:
    from fc_backend.formats.midi import read_midi

    _, files = realized(-23.0)
    parts, tempo_map = read_midi(files["arrangement.mid"])
    assert [p.name for p in parts] == ["Flute", "Strings", "Bass", "Clarinet \"B\u266d\"", "Kit"]
    assert np.allclose([(c.time, c.bpm) for c in tempo_map.changes], [(0.0, 100.0), (6.0, 120.0)], atol=1e-3)
    for part, track in zip(parts, plan.tracks, strict=True):
        assert (part.program, part.is_drum) == (track.gm_program, track.is_drum)
        assert len(part.notes) == len(track.notes)
        got = sorted((n.start, n.pitch) for n in part.notes)
        want = sorted((n.start, n.pitch) for n in track.notes)
        assert np.allclose([g[0] for g in got], [w[0] for w in want], atol=2e-3)
        assert [g[1] for g in got] == [w[1] for w in want]
    assert mido.MidiFile(files["arrangement.mid"]).ticks_per_beat == 960


# ------------------------------------------------------------------------------------------ master


@pytest.mark.slow
@pytest.mark.parametrize("target", [-23.0, -24.0, -16.0, -14.0])
def test_master_meets_loudness_target_under_true_peak_ceiling(realized, plan: Plan, target: float) -> None:
    _, files = realized(target)
    info = sf.info(files["master.wav"])
    assert (info.samplerate, info.channels, info.subtype, info.format) == (SR, 2, "PCM_24", "WAV")
    assert info.frames >= plan.duration * SR
    audio, _ = sf.read(files["master.wav"], dtype="float64")
    assert abs(integrated_loudness(audio, SR) - target) <= 1.0
    assert _true_peak_db(audio) <= -1.0


def test_quieter_envelope_measure_is_quieter(realized, plan: Plan) -> None:
    _, files = realized(-23.0)
    tm = plan.tempo_map

    def window(audio: np.ndarray, measure: int) -> np.ndarray:
        start, end = tm.measure_start(measure), tm.measure_start(measure + 1)
        return audio[int((start + 0.1) * SR):int((end - 0.05) * SR)]  # skip the ramp and the previous release

    strings, _ = sf.read(files["stems"] / "Strings.wav")
    master, _ = sf.read(files["master.wav"])
    for audio, min_drop in ((strings, 9.0), (master, 4.0)):  # envelope 0.8 -> 0.2 is -12 dB on the strings
        quiet = _rms_db(window(audio, QUIET_MEASURE))
        for neighbour in (QUIET_MEASURE - 1, QUIET_MEASURE + 1):
            assert _rms_db(window(audio, neighbour)) - quiet >= min_drop


def test_stems_are_the_mix_components(realized) -> None:
    """Tracks plus the reverb return, at the mastering gain, sum to the master as they are.

    At -23 LUFS this mix needs no limiting, so the match is close to 24-bit rounding; at -14 the
    limiter works on the peaks and the sum must exceed the ceiling that the master respects.
    """
    for target, min_corr in ((-23.0, 0.9999), (-14.0, 0.99)):
        _, files = realized(target)
        total = sum(sf.read(p, dtype="float64")[0] for p in files["stems"].iterdir())
        master, _ = sf.read(files["master.wav"], dtype="float64")
        corr = float(np.sum(total * master) / math.sqrt(np.sum(total**2) * np.sum(master**2)))
        assert corr > min_corr
        assert abs(_rms_db(total) - _rms_db(master)) < 0.5
    assert _true_peak_db(total) > -1.0 >= _true_peak_db(master)  # the limiter was needed, and worked


def test_envelope_ramps_instead_of_stepping() -> None:
    from fc_backend.realize.envelope import gain_curve

    points = [EnvelopePoint(t, g) for t, g in ((0.0, 1.0), (1.0, 0.25), (2.0, 0.25), (3.0, 1.0))]
    assert np.allclose(envelope_breakpoints(points), [(0.0, 1.0), (1.0 - RAMP, 1.0), (1.0, 0.25), (2.0, 0.25),
                                                      (3.0 - RAMP, 0.25), (3.0, 1.0)])
    curve = gain_curve(points, 4 * SR, SR)
    steps = np.abs(np.diff(curve))
    assert steps.max() <= 0.75 / (RAMP * SR) * 1.01  # the jump spread over the whole ramp
    assert curve[int(1.0 * SR)] == pytest.approx(0.25) and curve[int(0.9 * SR)] == pytest.approx(1.0)
    assert gain_curve([], 10, SR) is None


def test_limiter_catches_intersample_peaks_without_makeup_gain() -> None:
    t = np.arange(SR) / SR
    quiet = 0.1 * np.sin(2 * np.pi * 440 * t)
    # fs/4 sine at 45 degrees: every sample is 0.707 of the true peak, which is +3 dBTP here
    burst = np.sqrt(2) * np.sin(2 * np.pi * (SR / 4) * t[: SR // 10] + np.pi / 4)
    signal = np.concatenate([quiet, burst, quiet])
    stereo = np.stack([signal, signal], axis=1).astype(np.float32)
    assert np.abs(stereo).max() <= 1.0001 and _true_peak_db(stereo) > 2.5  # sample peak lies about it
    gain = limiter_gain(stereo, SR, -1.0)
    limited = stereo * gain[:, None]
    assert _true_peak_db(limited) <= -1.0
    assert gain.max() <= 1.0
    assert np.allclose(gain[: SR - int(0.01 * SR)], 1.0)  # untouched before the look-ahead
    assert np.allclose(gain[-SR // 2:], 1.0)  # released afterwards


def test_silent_plan_renders_silence(tmp_path: Path) -> None:
    plan = Plan(3.0, TempoMap.constant(90.0), "C major", [], [])
    files = realize(plan, tmp_path)
    audio, sr = sf.read(files["master.wav"])
    assert sr == SR and len(audio) >= 3 * SR and not np.any(audio)
    assert [p.name for p in files["stems"].iterdir()] == ["FC_Reverb.wav"]


# ------------------------------------------------------------------------------------------ .RPP


def _hex(value: object) -> int:
    return int.from_bytes(value, "big") if isinstance(value, bytes) else int(str(value), 16)


def _read_rpp(text: str) -> dict:
    """The facts the tests check, read with Perlence's `rpp` (pure Python)."""
    root = rpp.loads(text)

    def track(el) -> dict:
        src = el.find(".//SOURCE")
        volenv = el.find("VOLENV2")
        ext = el.find("EXT")
        return {
            "name": el.find("NAME")[1], "volpan": [float(v) for v in el.find("VOLPAN")[1:3]],
            "ext": [list(c) for c in ext.children] if ext is not None else [],
            "auxrecv": [(int(a[1]), int(a[2]), float(a[3])) for a in el.findall("AUXRECV")],
            "volenv": [(float(p[1]), float(p[2]), int(p[3])) for p in volenv.findall("PT")] if volenv else [],
            "items": len(el.findall("ITEM")),
            "source": src.attrib[0] if src is not None else None,
            "file": src.find("FILE")[1] if src is not None and src.find("FILE") else None,
            "events": [(int(e[1]), _hex(e[2]), _hex(e[3]), _hex(e[4])) for e in src.findall("E")]
            if src is not None and src.attrib[0] == "MIDI" else [],
            "vst": [list(v.attrib) for v in el.iterfind(".//VST")],
            "vst_state": [list(v.children) for v in el.iterfind(".//VST")],
        }

    return {
        "head": list(root.attrib),
        "samplerate": [int(v) for v in root.find("SAMPLERATE")[1:]],
        "render_fmt": [int(v) for v in root.find("RENDER_FMT")[1:]],
        "render_cfg": root.find("RENDER_CFG").children[0],
        "tempo": [float(v) for v in root.find("TEMPO")[1:]],
        "tempo_pts": [(float(p[1]), float(p[2]), int(p[3])) for p in root.find("TEMPOENVEX").findall("PT")],
        "markers": [(int(m[1]), float(m[2]), m[3]) for m in root.findall("MARKER")],
        "tracks": [track(t) for t in root.findall("TRACK")],
    }


def _read_rppxml(text: str) -> dict:
    """The same facts through rppxml (a C++ parser built on REAPER's WDL project-context code)."""
    root = rppxml.loads(text)

    def lines(node, key):
        return [c for c in node.children if isinstance(c, list) and c and c[0] == key]

    def blocks(node, key):
        return [c for c in node.children if not isinstance(c, list) and c.name == key]

    def walk(node, key):
        for c in node.children:
            if not isinstance(c, list):
                if c.name == key:
                    yield c
                yield from walk(c, key)

    def track(el) -> dict:
        items = blocks(el, "ITEM")
        src = blocks(items[0], "SOURCE")[0] if items else None
        volenv = blocks(el, "VOLENV2")
        ext = blocks(el, "EXT")
        midi = src is not None and src.params[0] == "MIDI"
        return {
            "name": str(lines(el, "NAME")[0][1]), "volpan": [float(v) for v in lines(el, "VOLPAN")[0][1:3]],
            "ext": [[str(v) for v in c] for c in ext[0].children] if ext else [],
            "auxrecv": [(int(a[1]), int(a[2]), float(a[3])) for a in lines(el, "AUXRECV")],
            "volenv": [(float(p[1]), float(p[2]), int(p[3])) for p in lines(volenv[0], "PT")]
            if volenv else [],
            "items": len(items),
            "source": src.params[0] if src is not None else None,
            "file": str(lines(src, "FILE")[0][1]) if src is not None and lines(src, "FILE") else None,
            "events": [(int(e[1]), _hex(e[2]), _hex(e[3]), _hex(e[4])) for e in lines(src, "E")]
            if midi else [],
            "vst": [[str(p) for p in v.params] for v in walk(el, "VST")],
            "vst_state": [[c[0] for c in v.children] for v in walk(el, "VST")],
        }

    return {
        "head": [str(p) for p in root.params],
        "samplerate": [int(v) for v in lines(root, "SAMPLERATE")[0][1:]],
        "render_fmt": [int(v) for v in lines(root, "RENDER_FMT")[0][1:]],
        "render_cfg": blocks(root, "RENDER_CFG")[0].children[0][0],
        "tempo": [float(v) for v in lines(root, "TEMPO")[0][1:]],
        "tempo_pts": [(float(p[1]), float(p[2]), int(p[3]))
                      for p in lines(blocks(root, "TEMPOENVEX")[0], "PT")],
        "markers": [(int(m[1]), float(m[2]), str(m[3])) for m in lines(root, "MARKER")],
        "tracks": [track(t) for t in blocks(root, "TRACK")],
    }


@pytest.fixture(scope="module")
def projects(realized) -> tuple[dict, dict]:
    _, files = realized(-23.0)
    text = files["project.rpp"].read_text(encoding="utf-8")
    return _read_rpp(text), _read_rppxml(text)


def test_both_readers_read_the_same_project(projects) -> None:
    with_rpp, with_rppxml = projects
    assert with_rpp == with_rppxml


def test_project_header_render_settings_tempo_and_markers(projects, plan: Plan) -> None:
    for project in projects:
        assert project["head"][:2] == ["0.1", "6.0/linux-x86_64"] and project["head"][2].isdigit()
        assert project["samplerate"][0] == 48000
        assert project["render_fmt"] == [0, 2, 48000]
        cfg = base64.b64decode(project["render_cfg"])
        assert cfg[:4] == b"evaw" and cfg[4] == 24 and cfg == b"evaw" + bytes([24, 1, 0])
        assert project["tempo"] == [100.0, 4.0, 4.0]
        assert project["tempo_pts"] == [(0.0, 100.0, 1), (6.0, 120.0, 1)]
        # the plan's markers and its one cue as a region (start named 1M1, then its end), by position
        want = sorted([(m.time, 0, m.name) for m in plan.markers] + [(0.0, 1, "1M1")])
        want.insert(want.index((0.0, 1, "1M1")) + 1, (plan.duration, 1, ""))
        assert [(m[1], m[2]) for m in project["markers"]] == [(t, name) for t, _, name in want]
        assert sorted(m[0] for m in project["markers"]) == [1, 1, 1, 2, 3, 4]


def _track_names(plan: Plan, video: bool = True) -> list[str]:
    """The .RPP's tracks: the picture, the heard stems folder, the muted instruments folder."""
    from fc_backend.realize.rpp import INSTRUMENTS_FOLDER, STEMS_FOLDER, stem_files

    stems = [name for name, _ in stem_files(plan)]
    parts = [t.name for t in plan.tracks]
    return (["Video"] if video else []) + [STEMS_FOLDER, *stems, INSTRUMENTS_FOLDER, *parts, plan.reverb.name]


def test_project_tracks_items_notes_envelopes_and_sends(projects, plan: Plan) -> None:
    tm = plan.tempo_map
    for project in projects:
        tracks = project["tracks"]
        assert [t["name"] for t in tracks] == _track_names(plan)
        first = len(tracks) - len(plan.tracks) - 1
        video, instruments, bus = tracks[0], tracks[first:-1], tracks[-1]
        assert (video["source"], video["file"]) == ("VIDEO", str(Path("media") / "clip 1.mp4"))
        assert video["ext"] == []  # the picture is the user's: never tagged, never replaced
        for got, track in zip(instruments, plan.tracks, strict=True):
            assert got["ext"] == [["filmcomposer", plan.tag]]
            assert got["volpan"] == pytest.approx([track.volume, track.pan])
            assert got["items"] == 1 and got["source"] == "MIDI"
            tick, ons, offs = 0, [], 0
            for delta, status, data1, data2 in got["events"]:
                tick += delta
                if status & 0xF0 == 0x90 and data2 > 0:
                    ons.append((tm.time_at(tick / 960), data1, data2))
                    assert status & 0x0F == (9 if track.is_drum else plan.tracks.index(track))
                offs += status & 0xF0 == 0x80
            assert len(ons) == len(track.notes) == offs
            want = sorted((n.start, n.pitch, n.velocity) for n in track.notes)
            assert [o[1:] for o in sorted(ons)] == [w[1:] for w in want]
            assert np.allclose([o[0] for o in sorted(ons)], [w[0] for w in want], atol=1e-3)
            last = got["events"][-1]
            assert (last[1] & 0xF0, last[2]) == (0xB0, 0x7B)  # all notes off ends the source
            want_env = [(t, g, 0) for t, g in envelope_breakpoints(track.volume_envelope)]
            assert np.allclose(got["volenv"], want_env, atol=1e-9)
            assert len(got["volenv"]) > len(track.volume_envelope)  # the ramps are written too
        assert bus["ext"] == [["filmcomposer", plan.tag]]
        assert np.allclose(bus["auxrecv"], [(first + i, 0, t.reverb_send) for i, t in enumerate(plan.tracks)])
        senders = [tracks[src]["name"] for src, _, _ in bus["auxrecv"]]
        assert senders == [t.name for t in plan.tracks]


def _reference_vsts(name: str) -> list[list[str]]:
    root = rpp.loads((REFERENCE / name).read_text(encoding="utf-8", errors="replace"))
    return [list(v.attrib) + ["|"] + list(v.children) for v in root.iterfind(".//VST")]


@pytest.mark.skipif(not REFERENCE.is_dir(), reason="REAPER reference projects not present")
def test_fx_blocks_have_the_shape_reaper_saves(projects, plan: Plan) -> None:
    project = projects[0]
    synth_ref = next(v for v in _reference_vsts("perlence_rpp__vst.RPP") if "ReaSynth" in v[0])
    verbs = _reference_vsts("griffinsauce__with-external-files.rpp")
    verb_ref = next(v for v in verbs if "ReaVerbate" in v[0])
    v6_ref = verb_ref[: verb_ref.index("|")]
    for track in project["tracks"][-len(plan.tracks) - 1:-1]:
        (header,), (state,) = track["vst"], track["vst_state"]
        assert len(header) == len(v6_ref)  # REAPER 6 form: name dll 0 "" uid<id> ""
        assert header[:4] == synth_ref[:4] and header[4].startswith(synth_ref[4] + "<")
        assert state == synth_ref[synth_ref.index("|") + 1:]
    (header,), (state,) = project["tracks"][-1]["vst"], project["tracks"][-1]["vst_state"]
    assert header == v6_ref  # derived from the plugin's ids, equal to what REAPER 6.11 wrote
    ref_state = verb_ref[verb_ref.index("|") + 1:]
    assert state[0] == ref_state[0]  # same pin/size header as REAPER's own ReaVerbate state
    chunk = base64.b64decode(state[1])
    assert len(chunk) == len(base64.b64decode(ref_state[1])) == 40
    wet, dry, room, damp = np.frombuffer(chunk[8:24], "<f4")
    assert (wet, dry) == (1.0, 0.0)
    assert (room, damp) == pytest.approx((plan.reverb.room_size, plan.reverb.damping))


@pytest.mark.skipif(not REFERENCE.is_dir(), reason="REAPER reference projects not present")
def test_track_fields_line_up_with_a_reaper_saved_project(realized) -> None:
    """AUXRECV, VOLENV2 points, MARKER and VOLPAN lines have the field counts REAPER writes."""
    ref = rpp.loads((REFERENCE / "perlence_rpp__vst.RPP").read_text(encoding="utf-8", errors="replace"))
    _, files = realized(-23.0)
    ours = rpp.loads(files["project.rpp"].read_text(encoding="utf-8"))
    for path in (".//AUXRECV", "MARKER", ".//TRACK/VOLPAN", ".//SOURCE/HASDATA"):
        assert {len(x) for x in ours.findall(path)} == {len(ref.find(path))}, path
    assert {len(x) for x in ours.iterfind(".//VOLENV2/PT")} == {len(ref.find(".//VOLENV2/PT"))}
    assert {len(x) for x in ours.iterfind(".//SOURCE/E")} == {len(ref.find(".//SOURCE/E"))}


def test_project_without_video_indexes_sends_from_the_first_track(plan: Plan) -> None:
    from dataclasses import replace

    from fc_backend.realize.rpp import project_text

    odd = replace(plan, tracks=[replace(plan.tracks[0], name="it's a \"quoted\" name"), *plan.tracks[1:]])
    text = project_text(odd, timestamp=1700000000)
    assert text == project_text(odd, timestamp=1700000000)  # same plan, same file (stable GUIDs)
    for project in (_read_rpp(text), _read_rppxml(text)):
        names = [t["name"] for t in project["tracks"]]
        assert names == _track_names(odd, video=False)
        first = len(names) - len(odd.tracks) - 1
        senders = [a[0] for a in project["tracks"][-1]["auxrecv"]]
        assert senders == list(range(first, first + len(odd.tracks)))
        assert project["head"][2] == "1700000000"


def test_instrument_library_fx_reaches_the_project(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A user who sets `reaper_fx` in (a copy of) the instrument library gets that plugin in the .RPP."""
    import json

    from fc_backend.plan import plan as write_plan
    from fc_backend.realize.rpp import project_text
    from fc_backend.schemes import INSTRUMENTS_FILE, load_instruments
    from tests.test_plan import make_melody, make_scheme, make_spotting, track

    data = json.loads(INSTRUMENTS_FILE.read_text(encoding="utf-8"))
    configured = {"flutes": "VSTi: LABS (Spitfire Audio)", "cellos": "VST3i: Pianoteq 8 (Modartt)",
                  "violas": "JS: loser/3BandEQ"}
    for entry in data["instruments"]:
        entry["reaper_fx"] = configured.get(entry["key"], entry["reaper_fx"])
    copy = tmp_path / "instruments.json"
    copy.write_text(json.dumps(data), encoding="utf-8")
    scheme = make_scheme([track(1, "flutes", "melody"), track(2, "cellos", "bass"),
                          track(3, "harp", "ostinato"), track(4, "violas", "counter")])
    melody, spotting = make_melody([62, 65, 69]), make_spotting()
    assert [t.fx for t in write_plan(scheme, melody, spotting).tracks] == [["ReaSynth"]] * 4
    result = write_plan(scheme, melody, spotting, instruments=load_instruments(copy))
    assert [t.fx for t in result.tracks] == [[configured["flutes"]], [configured["cellos"]], ["ReaSynth"],
                                             [configured["violas"]]]
    text = project_text(result, timestamp=1700000000)
    assert "JS: loser/3BandEQ" in caplog.text  # a kind we cannot write is named, and ReaSynth stands in
    ident = (b"VST" + b"\0" * 4 + b"labs").ljust(16, b"\0").hex().upper()
    for project in (_read_rpp(text), _read_rppxml(text)):
        flute, cello, harp, viola, _bus = project["tracks"][-5:]
        assert flute["vst"] == [["VSTi: LABS (Spitfire Audio)", "LABS.dll", "0", "", f"0<{ident}>", ""]]
        vst3_uid = "0{" + "0" * 32 + "}"
        assert cello["vst"] == [["VST3i: Pianoteq 8 (Modartt)", "Pianoteq 8.vst3", "0", "", vst3_uid, ""]]
        assert flute["vst_state"] == cello["vst_state"] == [[]]  # no state: the plugin's own defaults
        for synth in (harp, viola):
            assert synth["vst"][0][:2] == ["VSTi: ReaSynth (Cockos)", "reasynth.dll"]
            assert synth["vst_state"][0]
    if REFERENCE.is_dir():  # the field layout of the VST line REAPER 6 saves
        saved = _reference_vsts("griffinsauce__with-external-files.rpp")
        reference = next(v for v in saved if "VSTi" in v[0])
        assert len(flute["vst"][0]) == len(cello["vst"][0]) == reference.index("|")


# ------------------------------------------------------------------------------------------ streaming


def test_streaming_meters_equal_whole_signal_meters() -> None:
    """Fed in odd-sized blocks, loudness equals pyloudnorm on the whole signal and true peaks equal
    the whole-signal 4x meter sample for sample."""
    from fc_backend.loudness import LoudnessMeter, TruePeakStream, sample_true_peaks

    rng = np.random.default_rng(7)
    n = 5 * SR + 1234
    audio = (rng.standard_normal((n, 2)) * np.linspace(0.02, 0.6, n)[:, None]).astype(np.float32)
    audio[: SR] *= 1e-3  # a quiet second the relative gate must drop
    meter, peaks = LoudnessMeter(SR), TruePeakStream()
    parts = []
    for start in range(0, n, 7777):
        meter.feed(audio[start:start + 7777])
        parts.append(peaks.feed(audio[start:start + 7777]))
    parts.append(peaks.finish())
    assert meter.integrated() == pytest.approx(integrated_loudness(audio, SR), abs=1e-6)
    assert np.array_equal(np.concatenate(parts), sample_true_peaks(audio))
    assert peaks.peak == pytest.approx(float(sample_true_peaks(audio).max()))


def test_streaming_limiter_equals_the_whole_signal_limiter() -> None:
    from fc_backend.loudness import sample_true_peaks
    from fc_backend.realize.limiter import LookaheadLimiter

    rng = np.random.default_rng(3)
    audio = (rng.standard_normal((3 * SR, 2)) * 0.3).astype(np.float32)
    audio[SR:SR + 2000] *= 4.0  # a burst far over the ceiling
    whole = audio * limiter_gain(audio, SR, -1.0)[:, None]
    limiter, peaks, out = LookaheadLimiter(SR, -1.0), sample_true_peaks(audio), []
    for start in range(0, len(audio), 5000):
        out.append(limiter.process(audio[start:start + 5000], peaks[start:start + 5000]))
    out.append(limiter.flush())
    streamed = np.concatenate(out)
    assert streamed.shape == audio.shape
    edge = 2 * limiter.width  # the edges differ only in what the look-ahead sees outside the signal
    assert np.allclose(streamed[edge:-edge], whole[edge:-edge], atol=1e-6)
    assert _true_peak_db(streamed) <= -1.0 < _true_peak_db(audio)


def test_one_synth_pass_gives_each_track_its_own_dry_stem() -> None:
    """Tracks rendered together on their own channels equal each track rendered alone: no bleed
    (another track's sound would be a residual near 0 dB; FluidSynth's own jitter stays under -70 dB)."""
    from fc_backend.realize.render import StemSynth
    from fc_backend.tools import soundfont

    tracks = _plan(4.0).tracks
    n = 5 * SR
    together = _render_dry(StemSynth(tracks, soundfont(None), SR, n), n)
    for index in (0, 2, 4):  # flute, bass, kit (channel 10)
        alone = _render_dry(StemSynth([tracks[index]], soundfont(None), SR, n), n)[0]
        assert np.abs(alone).max() > 0.01
        assert _rms_db(together[index] - alone) - _rms_db(alone) < -60.0


def test_more_than_fifteen_melodic_tracks_take_a_second_pass() -> None:
    from fc_backend.realize.render import DRUM_CHANNEL, StemSynth, assign_channels
    from fc_backend.tools import soundfont

    tracks = [PlanTrack(f"T{i}", "melody", "piano", i % 8, ["ReaSynth"],
                        [Note(48 + i, 0.1 * i, 0.1 * i + 0.5, 90)]) for i in range(17)]
    tracks.append(PlanTrack("Kit", "percussion", "drums", 0, ["ReaSynth"], [Note(36, 0.0, 0.2, 120)],
                            is_drum=True))
    channels = assign_channels(tracks)
    assert channels[:15] == [(0, c) for c in range(16) if c != DRUM_CHANNEL]
    assert channels[15:] == [(1, 0), (1, 1), (0, DRUM_CHANNEL)]
    n = 3 * SR
    stems = _render_dry(StemSynth(tracks, soundfont(None), SR, n), n)
    for index, stem in enumerate(stems[:17]):  # every melodic track sounds, from its own note on
        onset = int(np.argmax(np.abs(stem).max(axis=1) > 1e-3))
        assert np.abs(stem).max() > 1e-3 and onset >= int(0.1 * index * SR) - 64, index
    assert np.abs(stems[17]).max() > 1e-3


def _render_dry(synth, n: int, block: int = 10000) -> list[np.ndarray]:
    with synth:
        blocks = [synth.block(block) for _ in range(0, n, block)]
    return [np.concatenate([b[i] for b in blocks]) for i in range(len(blocks[0]))]


def _heard(stem: np.ndarray, after: float) -> float:
    """When the envelope (5 ms mean of |x|) first reaches a quarter of its peak, from `after` s on."""
    level = np.abs(stem).max(axis=1)[int(after * SR):]
    envelope = np.convolve(level, np.ones(SR // 200) / (SR // 200), mode="same")
    return after + float(np.argmax(envelope >= 0.25 * envelope.max())) / SR


def test_slow_presets_start_early_so_they_sound_on_the_beat() -> None:
    """Slow strings and a cello reach a quarter of their strength (-12 dB, where they are heard to
    begin) 0.09-0.17 s after note-on: rendered with attack compensation they do so at the written
    time; a piano and a kit are left exactly where they are."""
    from fc_backend.realize.attack import MAX_LEAD
    from fc_backend.realize.render import StemSynth
    from fc_backend.tools import soundfont

    def track(program: int, pitch: int, drum: bool = False) -> PlanTrack:
        return PlanTrack(f"P{program}", "melody", "x", program, ["ReaSynth"], [Note(pitch, 1.0, 2.0, 100)],
                         is_drum=drum)

    tracks = [track(49, 60), track(42, 50), track(0, 60), track(0, 38, drum=True)]
    n = 3 * SR
    early = _render_dry(StemSynth(tracks, soundfont(None), SR, n), n)
    written = _render_dry(StemSynth(tracks, soundfont(None), SR, n, compensate=False), n)
    for index in (0, 1):  # the slow ones: late as written, on time compensated
        assert _heard(written[index], 0.5) > 1.08
        assert abs(_heard(early[index], 0.5) - 1.0) < 0.03
        assert _heard(written[index], 0.5) - _heard(early[index], 0.5) <= MAX_LEAD + 0.01
    for index in (2, 3):  # the fast ones: not moved by a single sample
        assert np.array_equal(early[index], written[index])
