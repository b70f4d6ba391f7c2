"""A REAPER project (.RPP) written the way REAPER itself saves one.

Layout and field order follow projects REAPER saved (../shared/reference/rpp/: REAPER 5.50, 6.0,
6.11, 6.18) and the ReaTeam "State Chunk Definitions". Track order: the picture (when a video is
given, untagged, as the user's own), one track per plan track, then the reverb bus, which holds the
sends as AUXRECV lines because REAPER stores a send on the receiving track. Every track the product
creates carries `<EXT filmcomposer TAG>` (REAPER's storage of P_EXT:filmcomposer) so a re-score
replaces only those. MIDI is written in REAPER's delta-tick form at 960 ticks per quarter note;
the tempo envelope maps quarter notes to video seconds, as in arrangement.mid.

What REAPER plays is what master.wav is made of. A folder "FC Stems" holds one track per rendered stem
(stems/NAME.wav: each part after its own gain, pan and volume envelope, and the reverb return), at
unity gain and centre pan with no FX or sends, so nothing is applied twice and the tracks sum to
master.wav before its limiter. A muted folder "FC Instruments" holds the parts as MIDI with their FX
(ReaSynth, or the VSTi the instrument library names), gain, pan, volume envelope and reverb sends, and
the reverb bus: unmute it and mute "FC Stems" to hear (and play) the MIDI on those instruments.

The project also carries the ExtState an in-REAPER score writes (`<EXTSTATE <FilmComposer ...>>`, how
REAPER saves SetProjExtState), so the REAPER actions treat the opened file as scored: `out` is "." (the
folder of the project file, which is OUT), `video`, `placement` (the video item at 0 s), `scheme`, and
`markers` (each product marker's number, position, kind and colour, by which the actions recognise
their own markers: REAPER's API cannot read a marker's name back).
"""

from __future__ import annotations

import base64
import json
import logging
import re
import struct
import time
import uuid
from pathlib import Path

from ..model import Plan, PlanTrack, ReverbBus
from .envelope import envelope_breakpoints
from .rpp_picture import projoffs_line, region_state, regions, smptesync_line, timemode_line
from .stems import stem_names
from .streamers import NAME as STREAMERS_NAME
from .streamers import click_track, streamer_code, streamer_events, video_processor

log = logging.getLogger(__name__)

PPQ = 960
VERSION = '"6.0/linux-x86_64"'
#: REAPER's render config for WAV ('evaw' reversed fourcc), then bit depth 24, then flags
WAV_24_RENDER_CFG = b"evaw" + bytes([24, 1, 0])
#: the project ExtState section the REAPER actions keep their state in (reaper_scripts/fc_plan.SECTION)
SECTION = "FilmComposer"
#: marker colours (r, g, b) by rhythm-spot kind, as the REAPER actions colour them (fc_plan.MARKER_COLORS)
MARKER_COLORS = {"cut": (230, 60, 60), "motion": (60, 140, 230), "accent": (230, 180, 40),
                 "section": (120, 200, 120)}
#: a checked hit's colour by its sync (ranges.SYNC_COLORS), in place of its kind's (fc_plan.SYNC_COLORS)
SYNC_COLORS = {"green": (40, 200, 60), "yellow": (250, 220, 0), "red": (255, 0, 0)}
#: the two folders: the rendered stems (heard), the parts as MIDI on their instruments (muted)
STEMS_FOLDER, INSTRUMENTS_FOLDER = "FC Stems", "FC Instruments"
_NAMESPACE = uuid.UUID("6f1c3b52-4a8e-4d55-9c1e-0b9e5f3a7d21")

# ReaSynth's state, exactly as REAPER saved a freshly inserted ReaSynth (Perlence/rpp tests/data/vst.RPP,
# REAPER 5.50). The same three lines appear verbatim in other projects' fixtures (helgoboss/reaper-rs
# tests "add FX by chunk", which REAPER 6 accepts), i.e. they are ReaSynth's default state, not a
# preset. Line 1: REAPER's VST header (uid 'resy' LE, magic 0xFEED5EEF, 0 inputs, 2 outputs with pin
# masks 1 and 2, 60-byte chunk); line 2: ReaSynth's own chunk; line 3: program name "" and flags.
# For ReaSynth we write this known default state; a user's plugin, whose state we cannot know, gets
# the VST line alone (`fx_block`).
_REASYNTH_STATE = (
    "eXNlcu9e7f4AAAAAAgAAAAEAAAAAAAAAAgAAAAAAAAA8AAAAAAAAAAAAEAA=",
    "776t3g3wrd6mm8Q7F7fROgAAAAAAAAAAAAAAAM5NAD/pZ4g9AAAAAAAAAD8AAIA/AACAPwAAAD8AAAAA",
    "AAAQAAAA",
)
_VST_MAGIC = 0xFEED5EEF
_CHUNK_MAGIC = struct.pack("<II", 0xDEADBEEF, 0xDEADF00D)


def _vst_header(display: str, dll: str, fourcc: str) -> str:
    """REAPER 6's VST line: name, dll, 0, "", uid<hex of 'VST' + fourcc + dll stem, 16 bytes>, ""."""
    uid = int.from_bytes(fourcc.encode(), "big")
    ident = (b"VST" + fourcc.encode() + dll.split(".")[0].encode())[:16].ljust(16, b"\0")
    return f'VST {_q(display)} {dll} 0 "" {uid}<{ident.hex().upper()}> ""'


def _reaverbate_state(reverb: ReverbBus) -> list[str]:
    """ReaVerbate state built from the plan, in the layout REAPER saves (2 in, 2 out, 40-byte chunk).

    Chunk floats in ReaVerbate's parameter order: wet, dry (linear gains), room size, dampening,
    stereo width, initial delay, low-pass, high-pass (normalised); checked against two REAPER-saved
    ReaVerbate presets in the reference project. A send bus is 100 % wet, 0 dry, filters open.
    """
    header = struct.pack("<4sII", b"8bvr", _VST_MAGIC, 2) + struct.pack("<QQ", 1, 2)
    header += struct.pack("<I", 2) + struct.pack("<QQ", 1, 2) + struct.pack("<IQ", 40, 0)
    params = (1.0, 0.0, _clip01(reverb.room_size), _clip01(reverb.damping), 1.0, 0.0, 1.0, 0.0)
    chunk = _CHUNK_MAGIC + struct.pack("<8f", *params)
    trailer = b"\0" + b"\0" + b"\0\0\0\0"  # program name "" (between two NULs), then flags 0
    return [base64.b64encode(part).decode() for part in (header, chunk, trailer)]


def _clip01(x: float) -> float:
    return min(max(float(x), 0.0), 1.0)


def _q(text: str) -> str:
    """Quote a string token the way REAPER does: "..." unless it holds ", then '...', then `...`."""
    for quote in ('"', "'", "`"):
        if quote not in text:
            return f"{quote}{text}{quote}"
    return '"' + text.replace('"', "'") + '"'


def _token(text: str) -> str:
    """A string token, quoted only when it must be (empty, spaces, or a leading quote)."""
    return _q(text) if not text or any(c in text for c in " \t\"'`") else text


def _n(x: float) -> str:
    """A number as REAPER writes it: no exponent, no trailing zeros."""
    text = f"{float(x):.10f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _guid(*parts: object) -> str:
    """A stable GUID, so the same plan always writes the same project."""
    return "{" + str(uuid.uuid5(_NAMESPACE, "/".join(map(str, parts)))).upper() + "}"


class _Writer:
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.depth = 0

    def line(self, text: str) -> None:
        self.lines.append("  " * self.depth + text)

    def open(self, text: str) -> None:
        self.line("<" + text)
        self.depth += 1

    def close(self) -> None:
        self.depth -= 1
        self.line(">")


def marker_color(kind: str, sync: str = "") -> int:
    """REAPER's stored colour for a marker of `kind` (or of its sync colour once a render checked it):
    native RGB (Windows/Linux order) | 0x1000000; 0 (REAPER's default) for an unknown kind."""
    rgb = SYNC_COLORS.get(sync) or MARKER_COLORS.get(kind)
    if rgb is None:
        return 0
    r, g, b = rgb
    return (r | g << 8 | b << 16) | 0x1000000


def project_text(plan: Plan, *, video: str | Path | None = None, timestamp: int | None = None,
                 scheme: dict | None = None) -> str:
    """The whole .RPP as text; `scheme` (scheme.json's content) goes into the ExtState for Review."""
    w = _Writer()
    tm = plan.tempo_map
    num, den = tm.meter
    w.open(f"REAPER_PROJECT 0.1 {VERSION} {int(time.time()) if timestamp is None else timestamp}")
    # frame rate, start time (the first frame's timecode) and timecode rate: the picture's (rpp_picture)
    for line in ("RIPPLE 0", "GROUPOVERRIDE 0 0 0", "AUTOXFADE 1", "ENVATTACH 1", "POOLEDENVATTACH 0",
                 "MIXERUIFLAGS 11 48", "PEAKGAIN 1", "FEEDBACK 0", "PANLAW 1", projoffs_line(plan.timecode),
                 "MAXPROJLEN 0 600", "GRID 3199 8 1 8 1 0 0 0", timemode_line(plan.timecode), "PANMODE 3",
                 "CURSOR 0", "ZOOM 100 0 0", "VZOOMEX 6", "USE_REC_CFG 0", "RECMODE 1",
                 smptesync_line(plan.timecode), "LOOP 0", "LOOPGRAN 0 4", 'RECORD_PATH "" ""'):
        w.line(line)
    # Render: the whole project to reaper_master.wav in the project folder, stereo, 48 kHz, 24-bit WAV
    w.line('RENDER_FILE ""')
    w.line('RENDER_PATTERN "reaper_master"')
    w.line(f"RENDER_FMT 0 2 {plan.sample_rate}")
    for line in ("RENDER_1X 0", "RENDER_RANGE 1 0 0 18 1000", "RENDER_RESAMPLE 3 0 1", "RENDER_ADDTOPROJ 0",
                 "RENDER_STEMS 0", "RENDER_DITHER 0", "TIMELOCKMODE 1", "TEMPOENVLOCKMODE 1", "ITEMMIX 0",
                 "DEFPITCHMODE 589824 0", "TAKELANE 1"):
        w.line(line)
    # second field 1: the project rate is enforced (as in the REAPER 6.11 reference), not just noted
    w.line(f"SAMPLERATE {plan.sample_rate} 1 0")
    w.open("RENDER_CFG")
    w.line(base64.b64encode(WAV_24_RENDER_CFG).decode())
    w.close()
    w.line("LOCK 1")
    w.line("GLOBAL_AUTO -1")
    w.line(f"TEMPO {_n(tm.changes[0].bpm)} {num} {den}")
    w.line("PLAYRATE 1 0 0.25 4")
    w.line("SELECTION 0 0")
    w.line("SELECTION2 0 0")
    for line in ("MASTERAUTOMODE 0", "MASTERTRACKHEIGHT 0 0", "MASTERPEAKCOL 16576", "MASTERMUTESOLO 0",
                 "MASTERTRACKVIEW 0 0.6667 0.5 0.5 0 0 0 0 0 0", "MASTERHWOUT 0 0 1 0 0 0 0 -1",
                 "MASTER_NCH 2 2", "MASTER_VOLUME 1 0 -1 -1 1", "MASTER_PANMODE -1", "MASTER_FX 1",
                 "MASTER_SEL 0"):
        w.line(line)
    w.open("TEMPOENVEX")
    for line in ("ACT 1 -1", "VIS 1 0 1", "LANEHEIGHT 0 0", "ARM 0", "DEFSHAPE 1 -1 -1"):
        w.line(line)
    for change in tm.changes:  # shape 1 = square: the tempo steps at the change, as in the plan
        w.line(f"PT {_n(change.time)} {_n(change.bpm)} 1")
    w.close()
    made = {}
    entries: list[tuple[float, int, list[str]]] = []  # REAPER's order: by position, markers first
    for index, marker in enumerate(sorted(plan.markers, key=lambda m: m.time), start=1):
        color = marker_color(marker.kind, marker.sync)
        line = f"MARKER {index} {_n(marker.time)} {_q(marker.name)} 0 {color} 1 R"
        entries.append((marker.time, 0, [line]))
        made[index] = {"kind": marker.kind, "pos": float(_n(marker.time)), "color": color}
    entries += [(start, 1, lines) for start, lines in regions(plan.cue_list())]  # a region per cue (1M1)
    for _pos, _isrgn, lines in sorted(entries, key=lambda e: (e[0], e[1])):
        for line in lines:
            w.line(line)
    w.open("PROJBAY")
    w.close()
    _ext_state(w, plan, made, video, scheme)

    offset = 0
    if plan.streamers:  # above the picture: its video processor draws over the tracks below
        _streamer_track(w, plan)
        offset += 1
    if video is not None:
        _video_track(w, plan, Path(video))
        offset += 1
    names = stem_files(plan)
    _folder_track(w, plan, STEMS_FOLDER, muted=False)
    seconds = _stem_seconds(plan)
    for number, (name, file) in enumerate(names):
        _stem_track(w, plan, name, file, seconds, last=number == len(names) - 1)
    _folder_track(w, plan, INSTRUMENTS_FOLDER, muted=True)
    first = offset + 1 + len(names) + 1
    for index, track in enumerate(plan.tracks):
        _instrument_track(w, plan, track, index)
    _reverb_track(w, plan, [(first + i, t) for i, t in enumerate(plan.tracks)])
    if plan.streamers:  # the players' click, muted until they want it
        _instrument_track(w, plan, click_track(plan), len(plan.tracks), muted=True, channel=9)
    w.close()
    return "\n".join(w.lines) + "\n"


def ext_state(plan: Plan, made: dict[int, dict], video: str | Path | None,
              scheme: dict | None) -> dict[str, str]:
    """The FilmComposer ExtState of a project that holds this plan with its video item at 0 s, each
    value one line (REAPER keeps ExtState values on one line of the .RPP)."""
    placement = {"position": 0.0, "length": float(plan.duration), "offset": 0.0, "playrate": 1.0}
    state = {"out": ".", "placement": json.dumps(placement), "markers": json.dumps(made),
             "regions": json.dumps(region_state(plan.cue_list()))}
    if video is not None:
        state["video"] = str(video)
    if scheme is not None:
        state["scheme"] = json.dumps(scheme, separators=(",", ":"))
    return state


def _ext_state(w: _Writer, plan: Plan, made: dict[int, dict], video: str | Path | None,
               scheme: dict | None) -> None:
    w.open("EXTSTATE")
    w.open(SECTION)
    for key, value in sorted(ext_state(plan, made, video, scheme).items()):
        w.line(f"{key} {_q(value)}")
    w.close()
    w.close()


def write_rpp(plan: Plan, path: str | Path, *, video: str | Path | None = None,
              scheme: dict | None = None) -> None:
    Path(path).write_text(project_text(plan, video=video, scheme=scheme), encoding="utf-8")


def stem_files(plan: Plan) -> list[tuple[str, str]]:
    """(track name, stems/FILE.wav) of every stem realize renders: the parts, then the reverb return."""
    names = [t.name for t in plan.tracks] + [plan.reverb.name]
    files = stem_names(names)
    return [(f"{name} (stem)", f"stems/{file}.wav") for name, file in zip(names, files, strict=True)]


def _stem_seconds(plan: Plan) -> float:
    from .mixdown import clip_samples

    return clip_samples(plan) / plan.sample_rate


def _track_head(w: _Writer, guid: str, name: str, volume: float, pan: float, tag: str | None, *,
                muted: bool = False, folder: int = 0) -> None:
    """`folder`: 1 opens a folder (this track is its parent), -1 closes one after this track."""
    w.open(f"TRACK {guid}")
    w.line(f"NAME {_q(name)}")
    for line in ("PEAKCOL 16576", "BEAT -1", "AUTOMODE 0"):
        w.line(line)
    w.line(f"VOLPAN {_n(volume)} {_n(min(max(pan, -1.0), 1.0))} -1 -1 1")
    w.line(f"MUTESOLO {int(muted)} 0 0")
    w.line("IPHASE 0")
    w.line(f"ISBUS {1 if folder > 0 else 2 if folder < 0 else 0} {folder}")
    for line in ("BUSCOMP 0 0 0 0 0",
                 "SHOWINMIX 1 0.6667 0.5 1 0.5 0 0 0", "SEL 0", "REC 0 0 0 0 0 0 0", "VU 2",
                 "TRACKHEIGHT 0 0 0", "INQ 0 0 0 0.5 100 0 0 100", "NCHAN 2", "FX 1"):
        w.line(line)
    w.line(f"TRACKID {guid}")
    w.line("PERF 0")
    if tag is not None:
        w.open("EXT")
        w.line(f"filmcomposer {_token(tag)}")
        w.close()


def _track_tail(w: _Writer) -> None:
    w.line("MIDIOUT -1")
    w.line("MAINSEND 1 0")


def _streamer_track(w: _Writer, plan: Plan) -> None:
    """A track with no items whose video processor draws streamers and punches (realize/streamers.py)."""
    guid = _guid(plan.tag, "streamers")
    _track_head(w, guid, STREAMERS_NAME, 1.0, 0.0, plan.tag)
    _track_tail(w)
    _fx_chain(w, [video_processor(streamer_code(streamer_events(plan)))], guid)
    w.close()


def _folder_track(w: _Writer, plan: Plan, name: str, *, muted: bool) -> None:
    guid = _guid(plan.tag, "folder", name)
    _track_head(w, guid, name, 1.0, 0.0, plan.tag, muted=muted, folder=1)
    _track_tail(w)
    w.close()


def _stem_track(w: _Writer, plan: Plan, name: str, file: str, seconds: float, *, last: bool) -> None:
    """A rendered stem at unity gain, centre pan, no FX, no sends: it already holds its mix."""
    guid = _guid(plan.tag, "stem", name)
    _track_head(w, guid, name, 1.0, 0.0, plan.tag, folder=-1 if last else 0)
    _track_tail(w)
    w.open("ITEM")
    w.line("POSITION 0")
    w.line("SNAPOFFS 0")
    w.line(f"LENGTH {_n(seconds)}")
    for line in ("LOOP 0", "ALLTAKES 0", "FADEIN 1 0 0 1 0 0", "FADEOUT 1 0 0 1 0 0", "MUTE 0", "SEL 0"):
        w.line(line)
    w.line(f"IGUID {_guid(guid, 'item')}")
    w.line("IID 1")
    w.line(f"NAME {_q(file.rsplit('/', 1)[-1])}")
    w.line("VOLPAN 1 0 1 -1")
    w.line("SOFFS 0")
    w.line("PLAYRATE 1 1 0 -1 0 0.0025")
    w.line("CHANMODE 0")
    w.line(f"GUID {_guid(guid, 'take')}")
    w.open("SOURCE WAVE")
    w.line(f"FILE {_q(file)}")
    w.close()
    w.close()
    w.close()


def _video_track(w: _Writer, plan: Plan, video: Path) -> None:
    guid = _guid(plan.tag, "video", video.name)
    _track_head(w, guid, "Video", 1.0, 0.0, None)
    _track_tail(w)
    w.open("ITEM")
    w.line("POSITION 0")
    w.line("SNAPOFFS 0")
    w.line(f"LENGTH {_n(plan.duration)}")
    for line in ("LOOP 0", "ALLTAKES 0", "FADEIN 1 0 0 1 0 0", "FADEOUT 1 0 0 1 0 0", "MUTE 0", "SEL 0"):
        w.line(line)
    w.line(f"IGUID {_guid(guid, 'item')}")
    w.line("IID 1")
    w.line(f"NAME {_q(video.name)}")
    w.line("VOLPAN 1 0 1 -1")
    w.line("SOFFS 0")
    w.line("PLAYRATE 1 1 0 -1 0 0.0025")
    w.line("CHANMODE 0")
    w.line(f"GUID {_guid(guid, 'take')}")
    w.open("SOURCE VIDEO")
    w.line(f"FILE {_q(str(video))}")
    w.close()
    w.close()
    w.close()


def _midi_channel(plan: Plan, index: int) -> int:
    """The channel arrangement.mid gives this track (write_midi's rule: 10 for drums, else in turn)."""
    if plan.tracks[index].is_drum:
        return 9
    melodic = [c for c in range(16) if c != 9]
    return melodic[index % len(melodic)]


def midi_events(plan: Plan, track: PlanTrack, channel: int, end_tick: int) -> list[str]:
    """`E delta status data1 data2` lines for one item starting at 0 s, ending with all-notes-off."""
    tm = plan.tempo_map
    events: list[tuple[int, int, str]] = []  # (tick, order, payload): offs before ons at one tick
    if not track.is_drum:
        events.append((0, 0, f"{0xC0 | channel:02x} {track.gm_program & 0x7F:02x} 00"))
    for note in track.notes:
        on = round(tm.beat_at(note.start) * PPQ)
        if on >= end_tick:
            continue
        off = min(end_tick, max(on + 1, round(tm.beat_at(note.end) * PPQ)))
        events.append((on, 2, f"{0x90 | channel:02x} {note.pitch:02x} {note.velocity:02x}"))
        events.append((off, 1, f"{0x80 | channel:02x} {note.pitch:02x} 00"))
    events.sort(key=lambda e: (e[0], e[1]))
    lines, now = [], 0
    for tick, _, payload in events:
        lines.append(f"E {tick - now} {payload}")
        now = tick
    lines.append(f"E {end_tick - now} {0xB0 | channel:02x} 7b 00")
    return lines


def _instrument_track(w: _Writer, plan: Plan, track: PlanTrack, index: int, *, muted: bool = False,
                      channel: int | None = None) -> None:
    guid = _guid(plan.tag, "track", index, track.name)
    _track_head(w, guid, track.name, track.volume, track.pan, plan.tag, muted=muted)
    _track_tail(w)
    breakpoints = envelope_breakpoints(track.volume_envelope)
    if breakpoints:
        w.open("VOLENV2")
        for line in ("ACT 1 -1", "VIS 1 1 1", "LANEHEIGHT 0 0", "ARM 0", "DEFSHAPE 0 -1 -1"):
            w.line(line)
        for t, gain in breakpoints:  # shape 0 = linear: REAPER plays the ramps the offline mix renders
            w.line(f"PT {_n(t)} {_n(gain)} 0")
        w.close()
    _fx_chain(w, _instrument_fx(track), guid)

    tm = plan.tempo_map
    end = max([plan.duration, *(n.end for n in track.notes)])
    end_tick = max(1, round(tm.beat_at(end) * PPQ))
    num, den = tm.meter
    w.open("ITEM")
    w.line("POSITION 0")
    w.line("SNAPOFFS 0")
    w.line(f"LENGTH {_n(tm.time_at(end_tick / PPQ))}")
    for line in ("LOOP 0", "ALLTAKES 0", "FADEIN 1 0 0 1 0 0", "FADEOUT 1 0 0 1 0 0", "MUTE 0", "SEL 0"):
        w.line(line)
    w.line(f"IGUID {_guid(guid, 'item')}")
    w.line("IID 1")
    w.line(f"NAME {_q(track.name)}")
    w.line("VOLPAN 1 0 1 -1")
    w.line("SOFFS 0 0")
    w.line("PLAYRATE 1 1 0 -1 0 0.0025")
    w.line("CHANMODE 0")
    w.line(f"GUID {_guid(guid, 'take')}")
    w.open("SOURCE MIDI")
    w.line(f"HASDATA 1 {PPQ} QN")
    channel = _midi_channel(plan, index) if channel is None else channel
    for line in midi_events(plan, track, channel, end_tick):
        w.line(line)
    w.line(f"GUID {_guid(guid, 'source')}")
    w.line(f"IGNTEMPO 0 {_n(tm.changes[0].bpm)} {num} {den}")
    w.close()
    w.close()
    w.close()


def _reasynth_block() -> list[str]:
    return [_vst_header("VSTi: ReaSynth (Cockos)", "reasynth.dll", "resy"), *_REASYNTH_STATE]


#: "VSTi: LABS (Spitfire Audio)", "VST3i: Pianoteq 8 (Modartt)": REAPER's own FX names (as TrackFX_AddByName
#: takes them)
_PLUGIN_NAME = re.compile(r"^(?P<kind>VST3?i?): (?P<name>.+?)(?: \((?P<vendor>[^()]*)\))?$")


def fx_block(fx: str) -> list[str] | None:
    """The FXCHAIN block (header line, then state lines) for one of a plan track's FX names.

    "ReaSynth" gets ReaSynth with its default state. A user's plugin named the way REAPER names it
    ("VSTi: LABS (Spitfire Audio)", "VST3i: ...") gets REAPER's VST line with no state lines, so REAPER
    instantiates it with the plugin's own defaults: the file is the plugin's name (REAPER finds a VST by
    its file name; .dll and .vst3 are REAPER's Windows spellings) and the unique id is 0, which REAPER
    replaces with the real one when it saves. Other kinds (JS, AU, CLAP) are not written: None.
    """
    if fx in ("ReaSynth", "VSTi: ReaSynth (Cockos)"):
        return _reasynth_block()
    match = _PLUGIN_NAME.match(fx.strip())
    if not match:
        return None
    name = match["name"].strip()
    if match["kind"].startswith("VST3"):
        return [f"VST {_q(fx.strip())} {_token(name + '.vst3')} 0 \"\" 0{{{'0' * 32}}} \"\""]
    stem = re.sub(r"\s+", "", name).lower()
    ident = (b"VST" + b"\0" * 4 + stem.encode("utf-8", "replace"))[:16].ljust(16, b"\0")
    return [f"VST {_q(fx.strip())} {_token(name + '.dll')} 0 \"\" 0<{ident.hex().upper()}> \"\""]


def _instrument_fx(track: PlanTrack) -> list[list[str]]:
    """The track's FX chain as blocks; an instrument we cannot write becomes ReaSynth, with a warning."""
    blocks = []
    for position, fx in enumerate(track.fx or ["ReaSynth"]):
        block = fx_block(fx)
        if block is None:
            log.warning("%s: cannot write FX %r into the .RPP (only ReaSynth and VST/VST3 plugins);%s",
                        track.name, fx, " using ReaSynth" if position == 0 else " left out")
            block = _reasynth_block() if position == 0 else None
        if block is not None:
            blocks.append(block)
    return blocks


def _fx_chain(w: _Writer, plugins: list[list[str]], guid: str) -> None:
    w.open("FXCHAIN")
    for line in ("SHOW 0", "LASTSEL 0", "DOCKED 0"):
        w.line(line)
    for number, (header, *state) in enumerate(plugins):
        w.line("BYPASS 0 0 0")
        w.open(header)
        for line in state:
            w.line(line)
        w.close()
        w.line("FLOATPOS 0 0 0 0")
        w.line(f"FXID {_guid(guid, 'fx', number)}")
        w.line("WAK 0 0")
    w.close()


def _reverb_track(w: _Writer, plan: Plan, sources: list[tuple[int, PlanTrack]]) -> None:
    reverb = plan.reverb
    guid = _guid(plan.tag, "reverb", reverb.name)
    _track_head(w, guid, reverb.name, reverb.volume, 0.0, plan.tag, folder=-1)
    for source, track in sources:
        if track.reverb_send > 0:
            # src, mode 0 = post-fader, volume, pan, mute, mono, phase, src chans 1/2, dst chans 1/2,
            # pan law (track default), MIDI off, automation mode (track's), name
            w.line(f"AUXRECV {source} 0 {_n(track.reverb_send)} 0 0 0 0 0 0 -1:U 0 -1 ''")
    _track_tail(w)
    header = _vst_header("VST: ReaVerbate (Cockos)", "reaverbate.dll", "rvb8")
    _fx_chain(w, [[header, *_reaverbate_state(reverb)]], guid)
    w.close()
