"""A simulated ReaScript host: the `reaper_python` module REAPER gives its embedded Python.

REAPER cannot run here, so the actions in reaper_scripts/ (and the real python-reapy 0.10.0 they apply
plans with) run against this module instead. It implements exactly the RPR_ functions the product and
reapy call, with the semantics of REAPER's API documentation
(https://www.reaper.fm/sdk/reascript/reascripthelp.html) and the calling convention of REAPER's
generated reaper_python.py: objects are opaque pointer strings such as
"(MediaTrack*)0x0000000000001000"; a function with output or pointer parameters returns a tuple of its
return value (when it has one) followed by every argument, outputs filled in; RPR_defer takes a string
of code that is run later in the calling script's global namespace.

Behind it is one in-memory project (`PROJECT`) that can be dumped as an .RPP (`project_text()`), so a
test can compare what the actions built with what the offline .RPP writer writes for the same plan.
Setup and inspection helpers a test needs but a script never calls are plain functions without the
RPR_ prefix (`reset`, `run_script`, `run_deferred`, `project_text`, ...). `run_script` runs a file the
way REAPER runs a ReaScript: in a fresh `__main__` holding the name `obj`, which REAPER's interpreter
leaves there and by which reapy knows it is inside REAPER (and so calls this module, not its network
client). A misuse REAPER would crash on or silently ignore (an unknown pointer, an unsorted MIDI take,
an unbalanced undo block) raises `HostError`, so a bug in an action fails its test loudly.
"""

from __future__ import annotations

import base64
import collections
import contextlib
import functools
import itertools
import math
import os
import sys
import types
from dataclasses import dataclass, field
from typing import Any

PPQ = 960


class HostError(RuntimeError):
    """A call REAPER would crash on, or that leaves the project in a state REAPER would not accept."""


# ------------------------------------------------------------------------------------- the project


@dataclass
class Envelope:
    name: str
    scaling_mode: int  # 1 = fader scaling (REAPER's default for volume envelopes), 0 = none
    points: list[list[float]] = field(default_factory=list)  # [time, value, shape, tension, selected]
    sorted: bool = True


@dataclass
class Send:
    dest: Track
    volume: float = 1.0
    pan: float = 0.0
    mode: int = 0  # 0 post-fader, 1 pre-FX, 3 post-FX (pre-fader)


@dataclass
class Take:
    item: Item
    source: Source | None = None
    start_offset: float = 0.0
    playrate: float = 1.0
    notes: list[list[Any]] = field(default_factory=list)  # [sel, muted, start, end, chan, pitch, vel]
    sorted: bool = True
    sorts: int = 0


@dataclass
class Source:
    kind: str  # "MIDI" or "VIDEO"/"WAVE"/...
    filename: str = ""


@dataclass
class Item:
    track: Track
    position: float = 0.0
    length: float = 0.0
    selected: bool = False
    takes: list[Take] = field(default_factory=list)
    active: int = 0


@dataclass
class Track:
    name: str = ""
    volume: float = 1.0
    pan: float = 0.0
    selected: bool = False
    ext: dict[str, str] = field(default_factory=dict)
    fx: list[str] = field(default_factory=list)
    fx_params: dict[tuple[int, int], float] = field(default_factory=dict)
    sends: list[Send] = field(default_factory=list)
    envelopes: dict[str, Envelope] = field(default_factory=dict)
    items: list[Item] = field(default_factory=list)


@dataclass
class Marker:
    number: int
    isrgn: bool
    pos: float
    rgnend: float
    name: str
    color: int = 0


@dataclass
class TempoMarker:
    time: float
    bpm: float
    num: int = 0  # 0: unchanged time signature
    den: int = 0
    linear: bool = False


#: what `TrackFX_AddByName` finds: REAPER's full names; a query matches one containing it (case-insensitive)
STOCK_FX = ("VSTi: ReaSynth (Cockos)", "VST: ReaVerbate (Cockos)", "VST: ReaEQ (Cockos)",
            "VST: ReaComp (Cockos)", "VST: ReaDelay (Cockos)", "VSTi: ReaSamplOmatic5000 (Cockos)")

#: REAPER's default tempo and the actions the product runs
DEFAULT_BPM = 120.0
CMD_RENDER_MOST_RECENT = 41824
CMD_RENDER_AUTOCLOSE = 42230
CMD_TOGGLE_VOLUME_ENVELOPE = 40406  # Track: Toggle track volume envelope visible (on selected tracks)


class Project:
    def __init__(self, path: str = "", installed_fx: tuple[str, ...] = STOCK_FX) -> None:
        self.path = path
        self.installed_fx = list(installed_fx)
        self.tracks: list[Track] = []
        self.markers: list[Marker] = []
        self.tempo: list[TempoMarker] = []
        self.meter = (4, 4)
        self.ext: dict[tuple[str, str], str] = {}
        self.info: dict[str, float] = {"RENDER_SRATE": 0.0, "RENDER_CHANNELS": 2.0, "RENDER_BOUNDSFLAG": 1.0,
                                       "RENDER_SETTINGS": 0.0, "RENDER_STARTPOS": 0.0, "RENDER_ENDPOS": 0.0}
        self.info_str: dict[str, str] = {"RENDER_FILE": "", "RENDER_PATTERN": "",
                                         "RENDER_FORMAT": base64.b64encode(b"evaw\x10\x00\x01").decode()}
        self.loop = (0.0, 0.0)
        self.cursor = 0.0
        self.undo_depth = 0
        self.undo_points: list[str] = []
        self.renders: list[dict[str, Any]] = []
        self.ui_refresh = 0

    # beats of the tempo map, REAPER's way: square tempo markers, the default tempo before the first
    def beats_at(self, t: float) -> float:
        beats, prev_t, bpm = 0.0, 0.0, DEFAULT_BPM
        for m in sorted(self.tempo, key=lambda m: m.time):
            if m.time >= t:
                break
            beats += (m.time - prev_t) * bpm / 60.0
            prev_t, bpm = m.time, m.bpm
        return beats + (t - prev_t) * bpm / 60.0

    def time_at_beats(self, beats: float) -> float:
        lo, hi = -1e6, 1e7
        for _ in range(200):
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if self.beats_at(mid) < beats else (lo, mid)
        return (lo + hi) / 2


PROJECT = Project()
CONSOLE: list[str] = []
_DEFERRED: list[tuple[str, dict[str, Any]]] = []
_EXT_GLOBAL: dict[tuple[str, str], str] = {}
_RESOURCE_PATH = ""
_HANDLES: dict[str, Any] = {}
_IDS: dict[int, str] = {}
_NEXT = itertools.count(0x1000, 0x10)
#: what RPR_ShowMessageBox answers, in order (1 OK, 2 Cancel, 6 Yes, 7 No), or callables returning one;
#: empty: OK
MESSAGE_BOX_ANSWERS: list[int] = []
MESSAGE_BOXES: list[tuple[str, str, int]] = []
#: the modules the last `run_script` brought in (reapy, the helpers beside the script), by name: their file
SCRIPT_MODULES: dict[str, str] = {}
#: callables run after every defer cycle (a simulated extension registers itself here)
CYCLE_HOOKS: list[Any] = []


def reset(*, project_path: str = "", resource_path: str = "",
          installed_fx: tuple[str, ...] = STOCK_FX) -> Project:
    """A fresh, empty project (what REAPER shows after File > New project)."""
    global PROJECT, _RESOURCE_PATH
    PROJECT = Project(project_path, installed_fx)
    _RESOURCE_PATH = resource_path
    CONSOLE.clear()
    _DEFERRED.clear()
    _EXT_GLOBAL.clear()
    _HANDLES.clear()
    _IDS.clear()
    MESSAGE_BOX_ANSWERS.clear()
    MESSAGE_BOXES.clear()
    CALLS.clear()
    return PROJECT


def _ptr(obj: Any) -> str:
    key = id(obj)
    if key not in _IDS or _HANDLES.get(_IDS[key]) is not obj:
        handle = {"Track": "MediaTrack", "Item": "MediaItem", "Take": "MediaItem_Take",
                  "Envelope": "TrackEnvelope", "Source": "PCM_source",
                  "Project": "ReaProject"}[type(obj).__name__]
        text = f"({handle}*)0x{next(_NEXT):016X}"
        _HANDLES[text] = obj
        _IDS[key] = text
    return _IDS[key]


_NULL = {"ReaProject": "(ReaProject*)0x0000000000000000", "MediaTrack": "(MediaTrack*)0x0000000000000000",
         "MediaItem": "(MediaItem*)0x0000000000000000",
         "MediaItem_Take": "(MediaItem_Take*)0x0000000000000000",
         "TrackEnvelope": "(TrackEnvelope*)0x0000000000000000"}


def _obj(handle: str, kind: type) -> Any:
    obj = _HANDLES.get(handle)
    if not isinstance(obj, kind):
        raise HostError(f"not a live {kind.__name__} pointer: {handle!r}")
    if isinstance(obj, Track) and obj not in PROJECT.tracks:
        raise HostError(f"track pointer used after DeleteTrack: {handle}")
    return obj


def _proj(proj: Any) -> Project:
    """0, None or a NULL pointer mean the current project, as in REAPER; else the project's own pointer."""
    if proj in (0, None, _NULL["ReaProject"]) or (isinstance(proj, str) and _HANDLES.get(proj) is PROJECT):
        return PROJECT
    raise HostError(f"only the current project is simulated, got {proj!r}")


def _must_be_sorted() -> None:
    for track in PROJECT.tracks:
        for env in track.envelopes.values():
            if not env.sorted:
                raise HostError(f"{track.name}: envelope {env.name} left unsorted (call Envelope_SortPoints)")
        for item in track.items:
            for take in item.takes:
                if not take.sorted:
                    raise HostError(f"{track.name}: MIDI take left unsorted (call MIDI_Sort)")


# ------------------------------------------------------------------------------------ running code


def run_deferred(limit: int = 100000, on_cycle: Any = None) -> int:
    """Run RPR_defer callbacks as REAPER's main loop would, one cycle at a time, until none is queued."""
    cycles = 0
    while _DEFERRED:
        if cycles >= limit:
            raise HostError(f"still deferring after {limit} cycles")
        batch = list(_DEFERRED)
        _DEFERRED.clear()
        for code, namespace in batch:
            exec(code, namespace)  # noqa: S102  (REAPER evaluates the deferred string the same way)
        for hook in list(CYCLE_HOOKS):  # extensions that track defer cycles (ReaImGui's context lifetime)
            hook()
        cycles += 1
        if on_cycle is not None:
            on_cycle(cycles)
    if PROJECT.undo_depth:
        raise HostError("script ended inside an undo block")
    return cycles


def _script_module(name: str, module: Any, folder: str) -> bool:
    """A module a ReaScript brings with it: reapy, ReaImGui's shim, or a file beside the script."""
    if name == "reapy" or name.startswith("reapy.") or name == "imgui":
        return True
    path = getattr(module, "__file__", None) or ""
    return bool(path) and os.path.abspath(path).startswith(folder + os.sep)


@contextlib.contextmanager
def reaper_main(script: str):
    """The interpreter state REAPER runs one ReaScript in, for the script and its deferred callbacks.

    `__main__` is a fresh module holding the script's namespace, the API (`from reaper_python import *`
    and `sys`, which REAPER's Python scripts, ReaImGui's examples among them, use without importing) and
    the name `obj`, which REAPER's embedded interpreter leaves in `__main__` and which python-reapy
    checks to know it runs inside REAPER. Modules the script brings (reapy, its helpers beside it) are
    imported afresh, as a new run of the script would; afterwards the test's own `__main__`, modules and
    sys.path come back.
    """
    folder = os.path.dirname(os.path.abspath(script))
    saved_main, saved_path = sys.modules["__main__"], list(sys.path)
    # a copy: another thread of the test process may import while this looks
    saved = {n: m for n, m in list(sys.modules.items()) if _script_module(n, m, folder)}
    for name in saved:
        del sys.modules[name]
    with open(script, encoding="utf-8") as f:
        code = compile(f.read(), script, "exec")
    main = types.ModuleType("__main__")
    main.__dict__.update({n: v for n, v in globals().items() if n.startswith("RPR_")})
    main.__dict__.update(__file__=script, __builtins__=__builtins__, sys=sys, obj=code)
    sys.modules["__main__"] = main
    try:
        yield main
    finally:
        sys.modules["__main__"] = saved_main
        sys.path[:] = saved_path  # what the script added (its folder, lib/, ReaImGui's API folder) goes
        SCRIPT_MODULES.clear()
        for name in [n for n, m in list(sys.modules.items()) if _script_module(n, m, folder)]:
            SCRIPT_MODULES[name] = getattr(sys.modules.pop(name), "__file__", None) or ""
        sys.modules.update(saved)


def run_script(script: str, limit: int = 100000, on_cycle: Any = None) -> int:
    """Run a ReaScript file as REAPER's action list does, then its RPR_defer callbacks until none is
    queued; returns the number of defer cycles."""
    with reaper_main(script) as main:
        exec(main.obj, main.__dict__)  # noqa: S102  (what REAPER does with the script file)
        return run_deferred(limit, on_cycle)


def RPR_defer(code: str) -> None:
    _DEFERRED.append((code, sys._getframe(1).f_globals))


def RPR_runloop(code: str) -> None:
    RPR_defer(code)


def RPR_ShowConsoleMsg(msg: str) -> None:
    CONSOLE.append(msg)


def RPR_ShowMessageBox(msg: str, title: str, type: int) -> int:  # noqa: A002 (REAPER's parameter name)
    MESSAGE_BOXES.append((msg, title, type))
    answer = MESSAGE_BOX_ANSWERS.pop(0) if MESSAGE_BOX_ANSWERS else 1
    return answer() if callable(answer) else answer  # a callable plays the user while the box is up


def RPR_GetResourcePath() -> str:
    return _RESOURCE_PATH


def RPR_GetProjectPath(buf: str, buf_sz: int) -> tuple[str, int]:
    return PROJECT.path, buf_sz


def RPR_GetOS() -> str:
    return {"win32": "Win64", "darwin": "macOS-arm64"}.get(sys.platform, "Other")


def RPR_ColorToNative(r: int, g: int, b: int) -> int:
    """Windows/Linux byte order (macOS swaps red and blue)."""
    return (int(r) & 255) | (int(g) & 255) << 8 | (int(b) & 255) << 16


def RPR_PreventUIRefresh(prevent_count: int) -> None:
    PROJECT.ui_refresh += prevent_count


def RPR_UpdateArrange() -> None:
    pass


def RPR_TrackList_AdjustWindows(isMinor: bool) -> None:
    pass


# ------------------------------------------------------------------------------------------- undo


def RPR_Undo_BeginBlock2(proj: Any) -> None:
    _proj(proj).undo_depth += 1


def RPR_Undo_EndBlock2(proj: Any, descchange: str, extraflags: int) -> None:
    p = _proj(proj)
    if p.undo_depth <= 0:
        raise HostError("Undo_EndBlock2 without Undo_BeginBlock2")
    p.undo_depth -= 1
    if p.undo_depth == 0:
        _must_be_sorted()
        p.undo_points.append(descchange)


# ---------------------------------------------------------------------------------------- ExtState


def RPR_SetProjExtState(proj: Any, extname: str, key: str, value: str) -> int:
    p = _proj(proj)
    if "\n" in value or "\r" in value:
        raise HostError(f"ExtState {extname}/{key}: a value REAPER saves in the .RPP is one line")
    if key == "":
        for k in [k for k in p.ext if k[0] == extname]:
            del p.ext[k]
    elif value == "":
        p.ext.pop((extname, key), None)
    else:
        p.ext[(extname, key)] = value
    return 1


def RPR_GetProjExtState(proj: Any, extname: str, key: str, valOutNeedBig: str,
                        valOutNeedBig_sz: int) -> tuple[int, Any, str, str, str, int]:
    value = _proj(proj).ext.get((extname, key), "")
    value = value[:max(0, valOutNeedBig_sz - 1)]
    return (len(value) if value else 0), proj, extname, key, value, valOutNeedBig_sz


def RPR_SetExtState(section: str, key: str, value: str, persist: bool) -> None:
    _EXT_GLOBAL[(section, key)] = value


def RPR_GetExtState(section: str, key: str) -> str:
    return _EXT_GLOBAL.get((section, key), "")


def RPR_HasExtState(section: str, key: str) -> bool:
    return (section, key) in _EXT_GLOBAL


# ------------------------------------------------------------------------------------------ tracks


def RPR_CountTracks(proj: Any) -> int:
    return len(_proj(proj).tracks)


def RPR_GetTrack(proj: Any, trackidx: int) -> str:
    tracks = _proj(proj).tracks
    return _ptr(tracks[trackidx]) if 0 <= trackidx < len(tracks) else _NULL["MediaTrack"]


def RPR_InsertTrackAtIndex(idx: int, wantDefaults: bool) -> None:
    idx = min(max(int(idx), 0), len(PROJECT.tracks))
    PROJECT.tracks.insert(idx, Track())


def RPR_DeleteTrack(tr: str) -> None:
    track = _obj(tr, Track)
    PROJECT.tracks.remove(track)
    for other in PROJECT.tracks:  # REAPER removes the sends and receives of a deleted track
        other.sends = [s for s in other.sends if s.dest is not track]


def RPR_GetSetMediaTrackInfo_String(tr: str, parmname: str, stringNeedBig: str,
                                    setNewValue: bool) -> tuple[bool, str, str, str, bool]:
    track = _obj(tr, Track)
    if parmname == "P_NAME":
        if setNewValue:
            track.name = stringNeedBig
        return True, tr, parmname, track.name, setNewValue
    if parmname.startswith("P_EXT:"):
        key = parmname[6:]
        if setNewValue:
            if stringNeedBig:
                track.ext[key] = stringNeedBig
            else:
                track.ext.pop(key, None)
            return True, tr, parmname, stringNeedBig, setNewValue
        return key in track.ext, tr, parmname, track.ext.get(key, ""), setNewValue
    raise HostError(f"GetSetMediaTrackInfo_String: {parmname} not simulated")


_TRACK_VALUES = {"D_VOL": "volume", "D_PAN": "pan", "I_SELECTED": "selected"}


def RPR_SetMediaTrackInfo_Value(tr: str, parmname: str, newvalue: float) -> bool:
    track = _obj(tr, Track)
    if parmname not in _TRACK_VALUES:
        raise HostError(f"SetMediaTrackInfo_Value: {parmname} not simulated")
    value = float(newvalue)
    if parmname == "D_PAN":
        value = min(max(value, -1.0), 1.0)
    setattr(track, _TRACK_VALUES[parmname], bool(value) if parmname == "I_SELECTED" else value)
    return True


def RPR_GetMediaTrackInfo_Value(tr: str, parmname: str) -> float:
    track = _obj(tr, Track)
    if parmname == "IP_TRACKNUMBER":
        return float(PROJECT.tracks.index(track) + 1)
    if parmname not in _TRACK_VALUES:
        raise HostError(f"GetMediaTrackInfo_Value: {parmname} not simulated")
    return float(getattr(track, _TRACK_VALUES[parmname]))


def RPR_SetTrackSelected(track: str, selected: bool) -> None:
    _obj(track, Track).selected = bool(selected)


def RPR_IsTrackSelected(track: str) -> bool:
    return _obj(track, Track).selected


def RPR_SetOnlyTrackSelected(track: str) -> None:
    chosen = _obj(track, Track)
    for t in PROJECT.tracks:
        t.selected = t is chosen


# -------------------------------------------------------------------------------------------- FX


def RPR_TrackFX_AddByName(track: str, fxname: str, recFX: bool, instantiate: int) -> int:
    """instantiate -1: always add; 0: only query; 1: add if not present. -1 when no such FX exists."""
    t = _obj(track, Track)
    if recFX:
        raise HostError("record-input FX are not simulated")
    query = fxname.strip().lower()
    match = next((fx for fx in PROJECT.installed_fx if fx.lower() == query), None)
    if match is None:
        match = next((fx for fx in PROJECT.installed_fx if query and query in fx.lower()), None)
    existing = next((i for i, fx in enumerate(t.fx) if match is not None and fx == match), -1)
    if instantiate == 0 or (instantiate > 0 and existing >= 0):
        return existing
    if match is None:
        return -1
    t.fx.append(match)
    return len(t.fx) - 1


def RPR_TrackFX_GetCount(track: str) -> int:
    return len(_obj(track, Track).fx)


def RPR_TrackFX_GetFXName(track: str, fx: int, buf: str, buf_sz: int) -> tuple[bool, str, int, str, int]:
    t = _obj(track, Track)
    ok = 0 <= fx < len(t.fx)
    return ok, track, fx, t.fx[fx] if ok else "", buf_sz


def RPR_TrackFX_SetParamNormalized(track: str, fx: int, param: int, value: float) -> bool:
    t = _obj(track, Track)
    if not 0 <= fx < len(t.fx):
        return False
    t.fx_params[(fx, param)] = min(max(float(value), 0.0), 1.0)
    return True


# ----------------------------------------------------------------------------------------- sends


def RPR_CreateTrackSend(tr: str, desttrInOptional: str) -> int:
    src, dest = _obj(tr, Track), _obj(desttrInOptional, Track)
    src.sends.append(Send(dest))
    return len(src.sends) - 1


def RPR_GetTrackNumSends(tr: str, category: int) -> int:
    track = _obj(tr, Track)
    if category == 0:
        return len(track.sends)
    if category < 0:
        return sum(1 for t in PROJECT.tracks for s in t.sends if s.dest is track)
    return 0


_SEND_VALUES = {"D_VOL": "volume", "D_PAN": "pan", "I_SENDMODE": "mode"}


def RPR_SetTrackSendInfo_Value(tr: str, category: int, sendidx: int, parmname: str, newvalue: float) -> bool:
    track = _obj(tr, Track)
    if category != 0 or not 0 <= sendidx < len(track.sends) or parmname not in _SEND_VALUES:
        raise HostError(f"SetTrackSendInfo_Value({category}, {sendidx}, {parmname}) not simulated")
    setattr(track.sends[sendidx], _SEND_VALUES[parmname], int(newvalue) if parmname == "I_SENDMODE"
            else float(newvalue))
    return True


def RPR_GetTrackSendInfo_Value(tr: str, category: int, sendidx: int, parmname: str) -> float:
    track = _obj(tr, Track)
    return float(getattr(track.sends[sendidx], _SEND_VALUES[parmname]))


# ------------------------------------------------------------------------------------ items, takes


def RPR_CountMediaItems(proj: Any) -> int:
    return sum(len(t.items) for t in _proj(proj).tracks)


def _all_items() -> list[Item]:
    return [item for t in PROJECT.tracks for item in t.items]


def RPR_GetSelectedMediaItem(proj: Any, selitem: int) -> str:
    _proj(proj)
    chosen = [item for item in _all_items() if item.selected]
    return _ptr(chosen[selitem]) if 0 <= selitem < len(chosen) else _NULL["MediaItem"]


def RPR_CountSelectedMediaItems(proj: Any) -> int:
    _proj(proj)
    return sum(1 for item in _all_items() if item.selected)


def RPR_AddMediaItemToTrack(tr: str) -> str:
    track = _obj(tr, Track)
    item = Item(track)
    track.items.append(item)
    return _ptr(item)


def RPR_AddTakeToMediaItem(item: str) -> str:
    it = _obj(item, Item)
    take = Take(it)
    it.takes.append(take)
    return _ptr(take)


def RPR_PCM_Source_CreateFromFile(filename: str) -> str:
    ext = os.path.splitext(filename)[1].lower()
    kind = "VIDEO" if ext in (".mp4", ".mov", ".mkv", ".avi", ".webm", ".m4v") else "WAVE"
    return _ptr(Source(kind, filename))


def RPR_SetMediaItemTake_Source(take: str, source: str) -> bool:
    _obj(take, Take).source = _obj(source, Source)
    return True


def RPR_GetMediaItemTake_Source(take: str) -> str:
    src = _obj(take, Take).source
    return _ptr(src) if src is not None else "(PCM_source*)0x0000000000000000"


def RPR_GetMediaSourceFileName(source: str, filenamebuf: str, filenamebuf_sz: int) -> tuple[str, str, int]:
    return source, _obj(source, Source).filename, filenamebuf_sz


def RPR_GetMediaSourceType(source: str, typebuf: str, typebuf_sz: int) -> tuple[str, str, int]:
    return source, _obj(source, Source).kind, typebuf_sz


def RPR_GetActiveTake(item: str) -> str:
    it = _obj(item, Item)
    return _ptr(it.takes[it.active]) if it.takes else _NULL["MediaItem_Take"]


def RPR_GetMediaItem_Track(item: str) -> str:
    return _ptr(_obj(item, Item).track)


def RPR_GetMediaItemTrack(item: str) -> str:
    return RPR_GetMediaItem_Track(item)


def RPR_CountTrackMediaItems(track: str) -> int:
    return len(_obj(track, Track).items)


def RPR_GetTrackMediaItem(tr: str, itemidx: int) -> str:
    items = _obj(tr, Track).items
    return _ptr(items[itemidx]) if 0 <= itemidx < len(items) else _NULL["MediaItem"]


_ITEM_VALUES = {"D_POSITION": "position", "D_LENGTH": "length", "B_UISEL": "selected"}
_TAKE_VALUES = {"D_STARTOFFS": "start_offset", "D_PLAYRATE": "playrate"}


def RPR_GetMediaItemInfo_Value(item: str, parmname: str) -> float:
    if parmname not in _ITEM_VALUES:
        raise HostError(f"GetMediaItemInfo_Value: {parmname} not simulated")
    return float(getattr(_obj(item, Item), _ITEM_VALUES[parmname]))


def RPR_SetMediaItemInfo_Value(item: str, parmname: str, newvalue: float) -> bool:
    if parmname not in _ITEM_VALUES:
        raise HostError(f"SetMediaItemInfo_Value: {parmname} not simulated")
    value = bool(newvalue) if parmname == "B_UISEL" else float(newvalue)
    setattr(_obj(item, Item), _ITEM_VALUES[parmname], value)
    return True


def RPR_SetMediaItemSelected(item: str, selected: bool) -> None:
    _obj(item, Item).selected = bool(selected)


def RPR_GetMediaItemTakeInfo_Value(take: str, parmname: str) -> float:
    if parmname not in _TAKE_VALUES:
        raise HostError(f"GetMediaItemTakeInfo_Value: {parmname} not simulated")
    return float(getattr(_obj(take, Take), _TAKE_VALUES[parmname]))


def RPR_SetMediaItemTakeInfo_Value(take: str, parmname: str, newvalue: float) -> bool:
    if parmname not in _TAKE_VALUES:
        raise HostError(f"SetMediaItemTakeInfo_Value: {parmname} not simulated")
    setattr(_obj(take, Take), _TAKE_VALUES[parmname], float(newvalue))
    return True


def RPR_CreateNewMIDIItemInProj(track: str, starttime: float, endtime: float,
                                qnInOptional: bool) -> tuple[str, str, float, float, int]:
    """REAPER returns a tuple here (qnInOptional is a pointer argument): (item, track, start, end, qn)."""
    t = _obj(track, Track)
    if qnInOptional:
        starttime, endtime = PROJECT.time_at_beats(starttime), PROJECT.time_at_beats(endtime)
    item = Item(t, position=float(starttime), length=float(endtime) - float(starttime))
    item.takes.append(Take(item, source=Source("MIDI")))
    t.items.append(item)
    return _ptr(item), track, starttime, endtime, int(bool(qnInOptional))


def RPR_DeleteTrackMediaItem(tr: str, it: str) -> bool:
    track, item = _obj(tr, Track), _obj(it, Item)
    if item not in track.items:
        return False
    track.items.remove(item)
    return True


# -------------------------------------------------------------------------------------------- MIDI


def _midi_take(take: str) -> Take:
    t = _obj(take, Take)
    if t.source is None or t.source.kind != "MIDI":
        raise HostError("not a MIDI take")
    return t


def RPR_MIDI_GetPPQPosFromProjTime(take: str, projtime: float) -> float:
    t = _midi_take(take)
    return (PROJECT.beats_at(projtime) - PROJECT.beats_at(t.item.position)) * PPQ


def RPR_MIDI_GetProjTimeFromPPQPos(take: str, ppqpos: float) -> float:
    t = _midi_take(take)
    return PROJECT.time_at_beats(PROJECT.beats_at(t.item.position) + ppqpos / PPQ)


def RPR_MIDI_InsertNote(take: str, selected: bool, muted: bool, startppqpos: float, endppqpos: float,
                        chan: int, pitch: int, vel: int, noSortInOptional: bool) -> tuple:
    """A tuple, as REAPER returns it (noSortInOptional is a pointer argument): (ok, take, ..., noSort)."""
    args = (take, selected, muted, startppqpos, endppqpos, chan, pitch, vel, int(bool(noSortInOptional)))
    t = _midi_take(take)
    if not (0 <= chan <= 15 and 0 <= pitch <= 127 and 0 <= vel <= 127) or endppqpos < startppqpos:
        return (False, *args)
    t.notes.append([bool(selected), bool(muted), float(startppqpos), float(endppqpos), int(chan), int(pitch),
                    int(vel)])
    if noSortInOptional:
        t.sorted = False
    else:
        RPR_MIDI_Sort(take)
    return (True, *args)


def RPR_MIDI_Sort(take: str) -> None:
    t = _midi_take(take)
    t.notes.sort(key=lambda n: (n[2], n[5]))
    t.sorted = True
    t.sorts += 1


def RPR_MIDI_CountEvts(take: str, notecntOut: int, ccevtcntOut: int,
                       textsyxevtcntOut: int) -> tuple[int, str, int, int, int]:
    t = _midi_take(take)
    return len(t.notes), take, len(t.notes), 0, 0


def RPR_MIDI_GetNote(take: str, noteidx: int, selectedOut: bool, mutedOut: bool, startppqposOut: float,
                     endppqposOut: float, chanOut: int, pitchOut: int, velOut: int) -> tuple:
    t = _midi_take(take)
    if not 0 <= noteidx < len(t.notes):
        return False, take, noteidx, False, False, 0.0, 0.0, 0, 0, 0
    return (True, take, noteidx, *t.notes[noteidx])


# --------------------------------------------------------------------------------------- envelopes


def RPR_GetTrackEnvelopeByName(track: str, envname: str) -> str:
    """The envelope, or NULL while it does not exist yet (REAPER creates Volume when it is shown)."""
    env = _obj(track, Track).envelopes.get(envname)
    return _ptr(env) if env is not None else _NULL["TrackEnvelope"]


def RPR_CountTrackEnvelopes(track: str) -> int:
    return len(_obj(track, Track).envelopes)


def RPR_GetEnvelopeScalingMode(env: str) -> int:
    return _obj(env, Envelope).scaling_mode


# REAPER's fader taper is not published; this stand-in has its properties (monotone, 0 at -inf, 1000 at
# +12 dB, exactly invertible), so a script that forgets ScaleToEnvelopeMode writes wrong values here too.
_FADER_MAX_DB = 12.0


def RPR_ScaleToEnvelopeMode(scaling_mode: int, val: float) -> float:
    if scaling_mode != 1:
        return float(val)
    if val <= 0:
        return 0.0
    db = min(20 * math.log10(val), _FADER_MAX_DB)
    return 1000.0 * math.exp((db - _FADER_MAX_DB) / 40.0)


def RPR_ScaleFromEnvelopeMode(scaling_mode: int, val: float) -> float:
    if scaling_mode != 1:
        return float(val)
    if val <= 0:
        return 0.0
    return 10 ** ((40.0 * math.log(val / 1000.0) + _FADER_MAX_DB) / 20)


def RPR_InsertEnvelopePoint(envelope: str, time: float, value: float, shape: int, tension: float,
                            selected: bool, noSortInOptional: bool) -> tuple:
    """A tuple, as REAPER returns it (noSortInOptional is a pointer argument): (ok, envelope, ..., noSort)."""
    env = _obj(envelope, Envelope)
    env.points.append([float(time), float(value), int(shape), float(tension), bool(selected)])
    if noSortInOptional:
        env.sorted = False
    else:
        RPR_Envelope_SortPoints(envelope)
    return True, envelope, time, value, shape, tension, selected, int(bool(noSortInOptional))


def RPR_Envelope_SortPoints(envelope: str) -> bool:
    env = _obj(envelope, Envelope)
    env.points.sort(key=lambda p: p[0])
    env.sorted = True
    return True


def RPR_CountEnvelopePoints(envelope: str) -> int:
    return len(_obj(envelope, Envelope).points)


def RPR_DeleteEnvelopePointRange(envelope: str, time_start: float, time_end: float) -> bool:
    env = _obj(envelope, Envelope)
    env.points = [p for p in env.points if not time_start <= p[0] < time_end]
    return True


# ---------------------------------------------------------------------------------------- commands


def RPR_Main_OnCommand(command: int, flag: int) -> None:
    RPR_Main_OnCommandEx(command, flag, 0)


def RPR_Main_OnCommandEx(command: int, flag: int, proj: Any) -> None:
    p = _proj(proj)
    if command == CMD_TOGGLE_VOLUME_ENVELOPE:
        for track in p.tracks:
            if track.selected and "Volume" not in track.envelopes:
                track.envelopes["Volume"] = Envelope("Volume", scaling_mode=1)
    elif command in (CMD_RENDER_MOST_RECENT, CMD_RENDER_AUTOCLOSE):
        # The render itself needs REAPER's audio engine: the host records what it was asked to render.
        p.renders.append({"info": dict(p.info), "info_str": dict(p.info_str), "targets": _render_targets()})
    else:
        raise HostError(f"Main_OnCommand({command}) not simulated")


# ----------------------------------------------------------------------------------- project info


_INFO_KEYS = ("RENDER_SRATE", "RENDER_CHANNELS", "RENDER_BOUNDSFLAG", "RENDER_SETTINGS", "RENDER_STARTPOS",
              "RENDER_ENDPOS")


def RPR_GetSetProjectInfo(project: Any, desc: str, value: float, is_set: bool) -> float:
    p = _proj(project)
    if desc not in _INFO_KEYS:
        raise HostError(f"GetSetProjectInfo: {desc} not simulated")
    if is_set:
        p.info[desc] = float(value)
    return p.info[desc]


def _render_targets() -> str:
    p = PROJECT
    folder = p.info_str["RENDER_FILE"] or p.path
    return os.path.join(folder, (p.info_str["RENDER_PATTERN"] or "untitled") + ".wav")


def RPR_GetSetProjectInfo_String(project: Any, desc: str, valuestrNeedBig: str,
                                 is_set: bool) -> tuple[bool, Any, str, str, bool]:
    p = _proj(project)
    if desc == "RENDER_TARGETS":
        if is_set:
            raise HostError("RENDER_TARGETS is read-only")
        return True, project, desc, _render_targets(), is_set
    if desc not in p.info_str:
        raise HostError(f"GetSetProjectInfo_String: {desc} not simulated")
    if is_set:
        if desc == "RENDER_FORMAT":
            base64.b64decode(valuestrNeedBig, validate=True)
        p.info_str[desc] = valuestrNeedBig
    return True, project, desc, p.info_str[desc], is_set


# ---------------------------------------------------------------------------------- markers, tempo


def RPR_AddProjectMarker2(proj: Any, isrgn: bool, pos: float, rgnend: float, name: str, wantidx: int,
                          color: int) -> int:
    p = _proj(proj)
    taken = {m.number for m in p.markers if m.isrgn == bool(isrgn)}
    number = wantidx if wantidx >= 0 and wantidx not in taken else next(
        n for n in itertools.count(1) if n not in taken)
    p.markers.append(Marker(number, bool(isrgn), float(pos), float(rgnend) if isrgn else 0.0, name, color))
    p.markers.sort(key=lambda m: (m.pos, m.isrgn))
    return number


def RPR_AddProjectMarker(proj: Any, isrgn: bool, pos: float, rgnend: float, name: str, wantidx: int) -> int:
    return RPR_AddProjectMarker2(proj, isrgn, pos, rgnend, name, wantidx, 0)


def RPR_DeleteProjectMarker(proj: Any, markrgnindexnumber: int, isrgn: bool) -> bool:
    p = _proj(proj)
    found = [m for m in p.markers if m.number == markrgnindexnumber and m.isrgn == bool(isrgn)]
    for m in found:
        p.markers.remove(m)
    return bool(found)


def RPR_CountProjectMarkers(proj: Any, num_markersOut: int, num_regionsOut: int) -> tuple[int, Any, int, int]:
    p = _proj(proj)
    regions = sum(1 for m in p.markers if m.isrgn)
    return len(p.markers), proj, len(p.markers) - regions, regions


def RPR_EnumProjectMarkers3(proj: Any, idx: int, isrgnOut: bool, posOut: float, rgnendOut: float,
                            nameOut: str, markrgnindexnumberOut: int, colorOut: int) -> tuple:
    p = _proj(proj)
    if not 0 <= idx < len(p.markers):
        return 0, proj, idx, False, 0.0, 0.0, "", 0, 0
    m = p.markers[idx]
    return idx + 1, proj, idx, m.isrgn, m.pos, m.rgnend, m.name, m.number, m.color


def RPR_GetSet_LoopTimeRange(isSet: bool, isLoop: bool, startOut: float, endOut: float,
                             allowautoseek: bool) -> tuple[bool, bool, float, float, bool]:
    if isSet:
        PROJECT.loop = (float(startOut), float(endOut))
    return isSet, isLoop, PROJECT.loop[0], PROJECT.loop[1], allowautoseek


def RPR_GetCursorPosition() -> float:
    return PROJECT.cursor


def RPR_SetEditCurPos(time: float, moveview: bool, seekplay: bool) -> None:
    PROJECT.cursor = float(time)


def RPR_CountTempoTimeSigMarkers(proj: Any) -> int:
    return len(_proj(proj).tempo)


def RPR_SetTempoTimeSigMarker(proj: Any, ptidx: int, timepos: float, measurepos: int, beatpos: float,
                              bpm: float,
                              timesig_num: int, timesig_denom: int, lineartempo: bool) -> bool:
    """ptidx -1 adds a marker; measurepos/beatpos -1 place it by timepos (seconds)."""
    p = _proj(proj)
    if measurepos >= 0 or beatpos >= 0:
        raise HostError("placing tempo markers by measure/beat is not simulated; use timepos")
    if bpm <= 0:
        return False
    marker = TempoMarker(float(timepos), float(bpm), int(timesig_num), int(timesig_denom), bool(lineartempo))
    if ptidx < 0:
        p.tempo.append(marker)
    elif ptidx < len(p.tempo):
        p.tempo[ptidx] = marker
    else:
        return False
    p.tempo.sort(key=lambda m: m.time)
    return True


def RPR_AddTempoTimeSigMarker(proj: Any, timepos: float, bpm: float, timesig_num: int, timesig_denom: int,
                              lineartempochange: bool) -> bool:
    return RPR_SetTempoTimeSigMarker(proj, -1, timepos, -1, -1, bpm, timesig_num, timesig_denom,
                                     lineartempochange)


def RPR_DeleteTempoTimeSigMarker(project: Any, markerindex: int) -> bool:
    p = _proj(project)
    if not 0 <= markerindex < len(p.tempo):
        return False
    del p.tempo[markerindex]
    return True


def RPR_GetTempoTimeSigMarker(proj: Any, ptidx: int, timeposOut: float, measureposOut: int, beatposOut: float,
                              bpmOut: float, timesig_numOut: int, timesig_denomOut: int,
                              lineartempoOut: bool) -> tuple:
    p = _proj(proj)
    if not 0 <= ptidx < len(p.tempo):
        return False, proj, ptidx, 0.0, 0, 0.0, 0.0, 0, 0, False
    m = p.tempo[ptidx]
    return True, proj, ptidx, m.time, 0, 0.0, m.bpm, m.num, m.den, m.linear


# ---------------------------------------------------------------- what python-reapy 0.10.0 calls too


def RPR_EnumProjects(idx: int, projfn: str, projfn_sz: int) -> tuple[str, int, str, int]:
    """idx -1 is the current project; 0.. the open project tabs (one here); NULL past the end."""
    if idx in (-1, 0):
        return _ptr(PROJECT), idx, "", projfn_sz
    return _NULL["ReaProject"], idx, "", projfn_sz


def RPR_SelectProjectInstance(proj: str) -> None:
    _proj(proj)


def RPR_ValidatePtr(pointer: Any, ctypename: str) -> bool:
    """REAPER's low-level check; its Python wrapper passes the pointer as an integer."""
    text = pointer if isinstance(pointer, str) else f"({ctypename})0x{int(pointer):016X}"
    obj = _HANDLES.get(text)
    if obj is None or not text.startswith(f"({ctypename})"):
        return False
    if isinstance(obj, Track):
        return obj in PROJECT.tracks
    return obj is PROJECT if isinstance(obj, Project) else True


def RPR_Undo_BeginBlock() -> None:
    RPR_Undo_BeginBlock2(0)


def RPR_Undo_EndBlock(descchange: str, extraflags: int) -> None:
    RPR_Undo_EndBlock2(0, descchange, extraflags)


def RPR_GetTrackName(track: str, bufOut: str, bufOut_sz: int) -> tuple[bool, str, str, int]:
    """REAPER names an unnamed track "Track N" here (N its 1-based number)."""
    t = _obj(track, Track)
    return True, track, t.name or f"Track {PROJECT.tracks.index(t) + 1}", bufOut_sz


def RPR_GetCursorPositionEx(proj: Any) -> float:
    return _proj(proj).cursor


def RPR_GetSet_LoopTimeRange2(proj: Any, isSet: bool, isLoop: bool, startOut: float, endOut: float,
                              allowautoseek: bool) -> tuple[Any, bool, bool, float, float, bool]:
    p = _proj(proj)
    if isSet:
        p.loop = (float(startOut), float(endOut))
    return proj, isSet, isLoop, p.loop[0], p.loop[1], allowautoseek


def RPR_GetProjectPathEx(proj: Any, buf: str, buf_sz: int) -> tuple[Any, str, int]:
    return proj, _proj(proj).path, buf_sz


# -------------------------------------------------------------------------------------------- .RPP


def _q(text: str) -> str:
    for quote in ('"', "'", "`"):
        if quote not in text:
            return f"{quote}{text}{quote}"
    return '"' + text.replace('"', "'") + '"'


def _n(x: float) -> str:
    text = f"{float(x):.10f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def project_text() -> str:
    """The project as REAPER would save it (the parts the product touches), for reading back with `rpp`."""
    from fc_backend.realize.rpp import fx_block  # FX lines exactly as the offline writer spells them

    _must_be_sorted()
    p = PROJECT
    lines: list[str] = []
    depth = 0

    def line(text: str) -> None:
        lines.append("  " * depth + text)

    def open_(text: str) -> None:
        nonlocal depth
        line("<" + text)
        depth += 1

    def close() -> None:
        nonlocal depth
        depth -= 1
        line(">")

    first = p.tempo[0] if p.tempo else TempoMarker(0.0, DEFAULT_BPM, *p.meter)
    open_('REAPER_PROJECT 0.1 "7.0/sim" 0')
    line(f"RENDER_FILE {_q(p.info_str['RENDER_FILE'])}")
    line(f"RENDER_PATTERN {_q(p.info_str['RENDER_PATTERN'])}")
    line(f"RENDER_FMT 0 {int(p.info['RENDER_CHANNELS'])} {int(p.info['RENDER_SRATE'])}")
    line(f"RENDER_RANGE {int(p.info['RENDER_BOUNDSFLAG'])} {_n(p.info['RENDER_STARTPOS'])} "
         f"{_n(p.info['RENDER_ENDPOS'])} 18 1000")
    open_("RENDER_CFG")
    line(p.info_str["RENDER_FORMAT"])
    close()
    line(f"TEMPO {_n(first.bpm)} {first.num or 4} {first.den or 4}")
    open_("TEMPOENVEX")
    for m in p.tempo:
        line(f"PT {_n(m.time)} {_n(m.bpm)} {0 if m.linear else 1}")
    close()
    for m in p.markers:
        line(f"MARKER {m.number} {_n(m.pos)} {_q(m.name)} {1 if m.isrgn else 0} {m.color} 1 R")
        if m.isrgn:
            line(f"MARKER {m.number} {_n(m.rgnend)} \"\" 1")
    if p.ext:
        open_("EXTENSIONS")
        for (section, key), value in sorted(p.ext.items()):
            line(f"{section} {key} {_q(value)}")
        close()
    for track in p.tracks:
        open_("TRACK")
        line(f"NAME {_q(track.name)}")
        line(f"VOLPAN {_n(track.volume)} {_n(track.pan)} -1 -1 1")
        if track.ext:
            open_("EXT")
            for key, value in track.ext.items():
                line(f"{key} {value if value and ' ' not in value else _q(value)}")
            close()
        for src_index, src in enumerate(p.tracks):  # REAPER stores a send on the receiving track
            for send in src.sends:
                if send.dest is track:
                    line(f"AUXRECV {src_index} {send.mode} {_n(send.volume)} {_n(send.pan)}"
                         " 0 0 0 0 0 -1:U 0 -1 ''")
        line("MAINSEND 1 0")
        env = track.envelopes.get("Volume")
        if env is not None:
            open_("VOLENV2")
            line(f"VOLTYPE {env.scaling_mode}")
            for t, value, shape, tension, _sel in env.points:
                line(f"PT {_n(t)} {_n(value)} {shape}" + (f" {_n(tension)}" if tension else ""))
            close()
        if track.fx:
            open_("FXCHAIN")
            for fx in track.fx:
                header, *state = fx_block(fx) or [f"VST {_q(fx)} x.dll 0 \"\" 0"]
                line("BYPASS 0 0 0")
                open_(header)
                for s in state:
                    line(s)
                close()
            close()
        for item in track.items:
            _item_lines(item, line, open_, close)
        close()
    close()
    return "\n".join(lines) + "\n"


def _item_lines(item: Item, line: Any, open_: Any, close: Any) -> None:
    open_("ITEM")
    line(f"POSITION {_n(item.position)}")
    line(f"LENGTH {_n(item.length)}")
    for take in item.takes:
        line(f"SOFFS {_n(take.start_offset)}")
        line(f"PLAYRATE {_n(take.playrate)} 1 0 -1 0 0.0025")
        if take.source is None:
            continue
        if take.source.kind == "MIDI":
            open_("SOURCE MIDI")
            line(f"HASDATA 1 {PPQ} QN")
            events = []
            for _sel, _muted, start, end, chan, pitch, vel in take.notes:
                events.append((round(start), 1, f"{0x90 | chan:02x} {pitch:02x} {vel:02x}"))
                events.append((round(end), 0, f"{0x80 | chan:02x} {pitch:02x} 00"))
            events.sort(key=lambda e: (e[0], e[1]))
            now = 0
            for tick, _, payload in events:
                line(f"E {tick - now} {payload}")
                now = tick
            close()
        else:
            open_(f"SOURCE {take.source.kind}")
            line(f"FILE {_q(take.source.filename)}")
            close()
    close()


def tagged_tracks(key: str = "filmcomposer") -> list[Track]:
    return [t for t in PROJECT.tracks if key in t.ext]


#: how often each RPR_ function was called since `reset()`, so a test can tell who drove the project
CALLS: collections.Counter[str] = collections.Counter()


def _counted(name: str, function: Any) -> Any:
    @functools.wraps(function)
    def call(*args: Any, **kwargs: Any) -> Any:
        CALLS[name] += 1
        return function(*args, **kwargs)

    return call


for _name in [n for n in dir() if n.startswith("RPR_") and n not in ("RPR_defer", "RPR_runloop")]:
    globals()[_name] = _counted(_name, globals()[_name])  # RPR_defer reads its caller's frame: not wrapped

__all__ = [name for name in dir() if name.startswith("RPR_")]
