"""A ReaScript test host: REAPER's own Python binding over a simulated REAPER.

REAPER cannot run here. What runs instead is REAPER's generated binding itself,
`../shared/reference/reascript/reaper_python.py`, loaded unchanged as the module `reaper_python`, with
its function table (`rpr_initft`) filled by ctypes callbacks that stand in for REAPER's C functions over
an in-memory project (tracks, items, takes, MIDI, envelopes, markers, tempo map, ExtState, FX). So the
actions and the real python-reapy 0.10.0 they use meet REAPER's marshalling exactly: pointer strings
such as "(MediaTrack*)0x0000000000001000" checked through ValidatePtr, tuples holding every argument
for functions with out-arguments, char** outputs handed back unchanged (EnumProjectMarkers3 cannot read
a marker's name), and no RPR_defer in the module.

As in REAPER, one interpreter lives for the whole session (`reset()` starts a new one): the modules the
scripts import stay cached across runs, every script runs in the one `__main__`, where REAPER injects
RPR_defer, RPR_runloop and RPR_atexit (and the name `obj`, by which reapy knows it is inside REAPER),
and deferred code runs in that `__main__` too. So two actions running at once share everything a
module or `__main__` holds, exactly as they would in REAPER.

The C functions raise `HostError` where REAPER would crash or silently do the wrong thing (an unknown
pointer, an unsorted MIDI take left behind, an unbalanced undo block); an exception inside a ctypes
callback cannot cross back into Python, so it is kept and raised when the script's turn ends (or by
`api` right after the call). Setup and inspection for tests are plain functions (`reset`, `run_script`,
`run_deferred`, `project_text`, ...); `api` calls the binding the way a script would.
"""

from __future__ import annotations

import base64
import collections
import contextlib
import ctypes
import importlib.util
import itertools
import math
import os
import re
import sys
import types
import wave
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PPQ = 960
#: REAPER's generated binding; the shared reference folder sits beside the clone
SHARED = Path(__file__).resolve().parents[2].parent / "shared"
BINDING = SHARED / "reference" / "reascript" / "reaper_python.py"


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
    volume: float = 1.0
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
    mute: bool = False
    volume: float = 1.0
    takes: list[Take] = field(default_factory=list)
    active: int = 0


@dataclass
class Track:
    name: str = ""
    volume: float = 1.0
    pan: float = 0.0
    selected: bool = False
    mute: bool = False
    folder_depth: int = 0
    ext: dict[str, str] = field(default_factory=dict)
    fx: list[str] = field(default_factory=list)
    fx_params: dict[tuple[int, int], float] = field(default_factory=dict)
    fx_bypassed: dict[int, bool] = field(default_factory=dict)
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
    def __init__(self, file: str = "", installed_fx: tuple[str, ...] = STOCK_FX,
                 default_media: str = "") -> None:
        self.file = file  # the saved .RPP, "" while unsaved
        self.installed_fx = list(installed_fx)
        self.default_media = default_media
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

    @property
    def folder(self) -> str:
        return os.path.dirname(self.file) if self.file else ""

    @property
    def record_path(self) -> str:
        """What GetProjectPath answers: the recording path (a Media folder beside a saved project here,
        REAPER's default media folder for an unsaved one), which is not the project's folder."""
        return os.path.join(self.folder, "Media") if self.file else self.default_media

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


# ------------------------------------------------------------------- REAPER's binding, ctypes side


class Buf:
    """A char* buffer the binding passed (its own 4 MB string buffer): read it, or write a C string."""

    def __init__(self, address: int | None) -> None:
        self.address = address or 0

    @property
    def value(self) -> str:
        return ctypes.string_at(self.address).decode("utf-8") if self.address else ""

    def set(self, text: str, size: int | None = None) -> None:
        """Write `text`, cut to `size` - 1 bytes as REAPER does for a buffer of that size."""
        data = text.encode("utf-8")
        if size is not None:
            data = data[:max(int(size) - 1, 0)]
        ctypes.memmove(self.address, data + b"\0", len(data) + 1)


class Ref:
    """An out- or in/out-argument the binding passed by reference (byref(c_int(...)) and the like)."""

    def __init__(self, address: int | None, ctype: Any) -> None:
        self._ptr = ctypes.cast(address, ctypes.POINTER(ctype)) if address else None

    @property
    def value(self) -> Any:
        return self._ptr[0] if self._ptr else None

    @value.setter
    def value(self, v: Any) -> None:
        if self._ptr:
            self._ptr[0] = v


_CTYPES = {"c_int": ctypes.c_int, "c_double": ctypes.c_double, "c_byte": ctypes.c_byte,
           "c_uint64": ctypes.c_uint64, "c_char_p": ctypes.c_char_p, "c_void_p": ctypes.c_void_p,
           "None": None}


@dataclass
class Signature:
    """How the binding calls one C function: the ctypes prototype and what each argument is."""

    restype: Any
    argtypes: list[Any]
    #: ("ptr", "MediaTrack*"), ("str", None), ("buf", None), ("val", ctype) or ("ref", ctype)
    kinds: list[tuple[str, Any]]
    returns_ptr: str | None


def read_signatures(text: str) -> dict[str, Signature]:
    """Every function of the binding's source, read from its generated wrappers."""
    out = {}
    for name, body in re.findall(r"^def RPR_(\w+)\(.*?\):\n(.*?)(?=^def |\Z)", text, re.S | re.M):
        proto = re.search(r"f=CFUNCTYPE\((.*)\)\(a\)", body)
        if not proto or not re.search(rf"_ft\['{name}'\]", body):
            continue
        restype, *argtypes = (_CTYPES[p.strip()] for p in proto.group(1).split(","))
        packed = re.search(r"^  t=\((.*)\)$", body, re.M)
        exprs = [e.strip() for e in re.split(r",(?![^()]*\))", packed.group(1))] if packed else []
        exprs = [e for e in exprs if e]
        call = re.search(r"f\((.*)\)\s*$", body.split("\n  return")[0].strip().splitlines()[-1])
        byref = {int(i) for i in re.findall(r"byref\(t\[(\d+)\]\)", call.group(1) if call else "")}
        kinds: list[tuple[str, Any]] = []
        for i, expr in enumerate(exprs):
            if expr.startswith("rpr_packp("):
                kinds.append(("ptr", re.match(r"rpr_packp\('([^']*)'", expr).group(1)))
            elif expr.startswith("rpr_packsc("):
                kinds.append(("str", None))
            elif expr.startswith("rpr_packs("):
                kinds.append(("buf", None))
            else:
                ctype = _CTYPES.get(expr.split("(")[0], ctypes.c_void_p)
                kinds.append(("ref" if i in byref else "val", ctype))
        if not packed:  # ValidatePtr calls its function directly: read the prototype
            kinds = [("str", None) if t is ctypes.c_char_p else ("val", t) for t in argtypes]
        ret = re.search(r"rpr_unpackp\('([^']*)',r\)", body)
        out[name] = Signature(restype, argtypes, kinds, ret.group(1) if ret else None)
    return out


def load_binding() -> types.ModuleType:
    """REAPER's reaper_python, unchanged, as the module `reaper_python` (once per test process)."""
    loaded = sys.modules.get("reaper_python")
    if loaded is not None and getattr(loaded, "__file__", "") == str(BINDING):
        return loaded
    if not BINDING.is_file():
        raise FileNotFoundError(f"REAPER's binding is not at {BINDING} (the shared reference folder)")
    spec = importlib.util.spec_from_file_location("reaper_python", BINDING)
    module = importlib.util.module_from_spec(spec)
    sys.modules["reaper_python"] = module
    spec.loader.exec_module(module)
    return module


#: the simulated C functions, by REAPER's name; each takes converted arguments (objects, str, Buf, Ref)
C_FUNCTIONS: dict[str, Any] = {}
#: how often each function was called since `reset()`, as "RPR_" + name, so a test can tell who drove it
CALLS: collections.Counter[str] = collections.Counter()
_ERRORS: list[BaseException] = []
_KEEP: list[Any] = []  # the ctypes callbacks and returned strings REAPER would own


def c_function(function: Any) -> Any:
    C_FUNCTIONS[function.__name__] = function
    return function


def _callback(name: str, sig: Signature) -> Any:
    """A C function pointer the binding calls: arguments converted in, the result converted out."""
    def as_c(t: Any) -> Any:
        return ctypes.c_void_p if t is ctypes.c_char_p else t

    prototype = ctypes.CFUNCTYPE(as_c(sig.restype), *[as_c(t) for t in sig.argtypes])
    impl = C_FUNCTIONS[name]

    def call(*raw: Any) -> Any:
        CALLS["RPR_" + name] += 1
        try:
            args = [_convert(kind, value) for kind, value in zip(sig.kinds, raw, strict=True)]
            result = impl(*args)
            if sig.returns_ptr:
                return _handle(result)
            if sig.restype is ctypes.c_char_p:
                buffer = ctypes.create_string_buffer(str(result).encode("utf-8"))
                _KEEP.append(buffer)
                return ctypes.addressof(buffer)
            if sig.restype is ctypes.c_byte:
                return 1 if result else 0
            return result
        except BaseException as err:  # noqa: BLE001  (it cannot cross the C boundary: raised later)
            _ERRORS.append(err)
            return None if sig.restype is None else 0

    pointer = prototype(call)
    _KEEP.append(pointer)
    return ctypes.cast(pointer, ctypes.c_void_p).value


def _convert(kind: tuple[str, Any], value: Any) -> Any:
    what, ctype = kind
    if what == "ptr":
        return None if ctype == "char**" else _object(value or 0, ctype)
    if what == "str":
        return ctypes.string_at(value).decode("utf-8") if value else ""
    if what == "buf":
        return Buf(value)
    if what == "ref":
        return Ref(value, ctype)
    return value


def raise_pending() -> None:
    """Raise what a C function raised during the last calls (the first of them)."""
    if _ERRORS:
        first = _ERRORS[0]
        _ERRORS.clear()
        raise first


class _Api:
    """The binding as a script calls it, raising a simulated function's error right after the call."""

    def __getattr__(self, name: str) -> Any:
        function = getattr(BINDING_MODULE, name)
        if not callable(function):
            return function

        def call(*args: Any) -> Any:
            result = function(*args)
            raise_pending()
            return result

        return call


api = _Api()


# --------------------------------------------------------------------------------- pointers


_HANDLES: dict[int, Any] = {}
_IDS: dict[int, int] = {}
_NEXT = itertools.count(0x1000, 0x10)
_TYPE_NAMES = {"Track": "MediaTrack*", "Item": "MediaItem*", "Take": "MediaItem_Take*",
               "Envelope": "TrackEnvelope*", "Source": "PCM_source*", "Project": "ReaProject*"}


def _handle(obj: Any) -> int:
    if obj is None:
        return 0
    key = id(obj)
    if key not in _IDS or _HANDLES.get(_IDS[key]) is not obj:
        number = next(_NEXT)
        _HANDLES[number] = obj
        _IDS[key] = number
    return _IDS[key]


def pointer(obj: Any) -> str:
    """The pointer string a script holds for `obj` (what the binding's functions return)."""
    return f"({_TYPE_NAMES[type(obj).__name__]})0x{_handle(obj):016X}"


def _live(obj: Any) -> bool:
    if isinstance(obj, Track):
        return obj in PROJECT.tracks
    if isinstance(obj, Project):
        return obj is PROJECT
    return obj is not None


def _object(number: int, ctype: str) -> Any:
    """The object behind a pointer; 0 (what the binding passes for a pointer it rejected) is None,
    except for a project, where NULL means the current one."""
    if number == 0:
        return PROJECT if ctype == "ReaProject*" else None
    obj = _HANDLES.get(number)
    if obj is None or (ctype != "void*" and _TYPE_NAMES.get(type(obj).__name__) != ctype) or not _live(obj):
        raise HostError(f"not a live {ctype} pointer: 0x{number:X}")
    return obj


def _need(obj: Any, what: str) -> Any:
    if obj is None:
        raise HostError(f"NULL (or stale) {what} passed: REAPER would crash")
    return obj


# --------------------------------------------------------------------------- the REAPER session


PROJECT = Project()
CONSOLE: list[str] = []
_EXT_GLOBAL: dict[tuple[str, str], str] = {}
_RESOURCE_PATH = ""
#: what ShowMessageBox answers, in order (1 OK, 2 Cancel, 6 Yes, 7 No), or callables returning one
#: (they play the user while the box is up); empty: OK
MESSAGE_BOX_ANSWERS: list[Any] = []
MESSAGE_BOXES: list[tuple[str, str, int]] = []
#: the modules REAPER's interpreter holds that scripts brought in (reapy, helpers), by name: their file
SCRIPT_MODULES: dict[str, str] = {}
#: callables run after every defer cycle (a simulated extension registers itself here)
CYCLE_HOOKS: list[Any] = []


class _Interpreter:
    """REAPER's one embedded Python: its `__main__`, sys.path, imported modules and defer queue.

    The test process is not REAPER, so while a script (or its deferred code) runs, these replace the
    test's own `__main__`, sys.path and script modules, and are put away afterwards until the next run.
    """

    def __init__(self) -> None:
        self.main = types.ModuleType("__main__")
        self.main.__dict__.update(__builtins__=__builtins__, RPR_defer=self.defer, RPR_runloop=self.defer,
                                  RPR_atexit=self.atexit, obj=None)
        self.path: list[str] | None = None
        self.modules: dict[str, types.ModuleType] = {}
        self.folders: set[str] = set()
        self.deferred: list[str] = []
        self.at_exit: list[str] = []
        self.active = 0

    def defer(self, code: str) -> None:
        self.deferred.append(str(code))

    def atexit(self, code: str) -> None:
        self.at_exit.append(str(code))

    def _ours(self, name: str, module: Any) -> bool:
        """A module a script brought: reapy, ReaImGui's binding, or a file beside a script that ran."""
        if name in self.modules or name == "reapy" or name.startswith("reapy.") or name == "imgui":
            return True
        path = getattr(module, "__file__", None) or ""
        return bool(path) and any(os.path.abspath(path).startswith(f + os.sep) for f in self.folders)

    @contextlib.contextmanager
    def inside(self):
        """Swap REAPER's interpreter state in for the duration (re-entrant)."""
        if self.active:
            self.active += 1
            try:
                yield
            finally:
                self.active -= 1
            return
        load_binding()
        saved_main, saved_path = sys.modules["__main__"], list(sys.path)
        if self.path is None:
            self.path = list(sys.path)
        saved = {n: m for n, m in list(sys.modules.items()) if self._ours(n, m)}
        for name in saved:
            del sys.modules[name]
        sys.modules.update(self.modules)
        sys.modules["__main__"] = self.main
        sys.path[:] = self.path
        self.active = 1
        try:
            yield
        finally:
            self.active = 0
            self.path = list(sys.path)
            sys.modules["__main__"] = saved_main
            sys.path[:] = saved_path
            self.modules = {n: m for n, m in list(sys.modules.items()) if self._ours(n, m)}
            for name in self.modules:
                del sys.modules[name]
            sys.modules.update(saved)
            SCRIPT_MODULES.clear()
            SCRIPT_MODULES.update({n: getattr(m, "__file__", None) or "" for n, m in self.modules.items()})


_PYTHON = _Interpreter()


def reset(*, project_file: str = "", resource_path: str = "",
          installed_fx: tuple[str, ...] = STOCK_FX) -> Project:
    """REAPER started afresh (a new interpreter) with one empty project; `project_file` is where it is
    saved ("" : never saved)."""
    global PROJECT, _RESOURCE_PATH, _PYTHON
    default_media = os.path.join(resource_path or os.path.expanduser("~"), "REAPER Media")
    PROJECT = Project(project_file, installed_fx, default_media)
    _RESOURCE_PATH = resource_path
    _PYTHON = _Interpreter()
    for items in (CONSOLE, MESSAGE_BOX_ANSWERS, MESSAGE_BOXES, _ERRORS, SCRIPT_MODULES):
        items.clear()
    _EXT_GLOBAL.clear()
    _HANDLES.clear()
    _IDS.clear()
    CALLS.clear()
    return PROJECT


def run_deferred(limit: int = 100000, on_cycle: Any = None) -> int:
    """REAPER's main loop: run the queued RPR_defer code in `__main__`, a cycle at a time, until none
    is queued; then the RPR_atexit code. Returns the number of cycles."""
    cycles = 0
    with _PYTHON.inside():
        while _PYTHON.deferred:
            if cycles >= limit:
                raise HostError(f"still deferring after {limit} cycles")
            batch = list(_PYTHON.deferred)
            _PYTHON.deferred.clear()
            for code in batch:
                exec(code, _PYTHON.main.__dict__)  # noqa: S102  (what REAPER does with deferred code)
                raise_pending()
            for hook in list(CYCLE_HOOKS):  # extensions that track defer cycles (ReaImGui's context lifetime)
                hook()
            cycles += 1
            if on_cycle is not None:
                on_cycle(cycles)
        while _PYTHON.at_exit:
            exec(_PYTHON.at_exit.pop(0), _PYTHON.main.__dict__)  # noqa: S102
            raise_pending()
    if PROJECT.undo_depth:
        raise HostError("script ended inside an undo block")
    return cycles


def start_script(script: str) -> None:
    """Run a ReaScript file as REAPER's action list does (in `__main__`), without its deferred code."""
    path = os.path.abspath(script)
    _PYTHON.folders.add(os.path.dirname(path))
    with open(path, encoding="utf-8") as f:
        code = compile(f.read(), path, "exec")
    with _PYTHON.inside():
        _PYTHON.main.__dict__.update(__name__="__main__", __file__=path, obj=code)
        exec(code, _PYTHON.main.__dict__)  # noqa: S102  (what REAPER does with the script file)
        raise_pending()


def run_script(script: str, limit: int = 100000, on_cycle: Any = None) -> int:
    """Run a ReaScript file, then REAPER's defer cycles until nothing is queued; returns the cycles."""
    start_script(script)
    return run_deferred(limit, on_cycle)


def queue_deferred(code: str) -> None:
    """What RPR_defer does for a script: code for the next defer cycle (for tests that go on idling)."""
    _PYTHON.defer(code)


def install_table() -> None:
    """Fill the binding's function table once per process (rpr_initft keeps its first table)."""
    module = load_binding()
    if module._ft:
        return
    with open(BINDING, encoding="utf-8") as f:
        signatures = read_signatures(f.read())
    module.rpr_initft({name: _callback(name, sig) for name, sig in signatures.items() if name in C_FUNCTIONS})


# ------------------------------------------------------------------------ REAPER's C functions
# Parameter names are REAPER's (reascripthelp.html); a pointer arrives as its object (None for NULL),
# a char* buffer as a Buf, an out-argument as a Ref.


def _proj(proj: Project | None) -> Project:
    if proj is not PROJECT:
        raise HostError(f"only the current project is simulated, got {proj!r}")
    return proj


def _must_be_sorted() -> None:
    for track in PROJECT.tracks:
        for env in track.envelopes.values():
            if not env.sorted:
                raise HostError(f"{track.name}: envelope {env.name} left unsorted (call Envelope_SortPoints)")
        for item in track.items:
            for take in item.takes:
                if not take.sorted:
                    raise HostError(f"{track.name}: MIDI take left unsorted (call MIDI_Sort)")


@c_function
def ValidatePtr(pointer: int, ctypename: str) -> bool:  # noqa: N802  (REAPER's names, here and below)
    obj = _HANDLES.get(pointer)
    return obj is not None and _TYPE_NAMES.get(type(obj).__name__) == ctypename and _live(obj)


@c_function
def ValidatePtr2(proj: Project | None, pointer: int, ctypename: str) -> bool:  # noqa: N802
    return ValidatePtr(pointer, ctypename)


@c_function
def ShowConsoleMsg(msg: str) -> None:  # noqa: N802
    CONSOLE.append(msg)


@c_function
def ShowMessageBox(msg: str, title: str, type: int) -> int:  # noqa: N802, A002
    MESSAGE_BOXES.append((msg, title, type))
    answer = MESSAGE_BOX_ANSWERS.pop(0) if MESSAGE_BOX_ANSWERS else 1
    return answer() if callable(answer) else answer


@c_function
def GetResourcePath() -> str:  # noqa: N802
    return _RESOURCE_PATH


@c_function
def GetOS() -> str:  # noqa: N802
    return {"win32": "Win64", "darwin": "macOS-arm64"}.get(sys.platform, "Other")


@c_function
def GetAppVersion() -> str:  # noqa: N802
    return "7.0/sim"


@c_function
def ColorToNative(r: int, g: int, b: int) -> int:  # noqa: N802
    """Windows/Linux byte order (macOS swaps red and blue)."""
    return (int(r) & 255) | (int(g) & 255) << 8 | (int(b) & 255) << 16


@c_function
def PreventUIRefresh(prevent_count: int) -> None:  # noqa: N802
    PROJECT.ui_refresh += prevent_count


@c_function
def UpdateArrange() -> None:  # noqa: N802
    pass


@c_function
def UpdateTimeline() -> None:  # noqa: N802
    pass


@c_function
def TrackList_AdjustWindows(isMinor: bool) -> None:  # noqa: N802, N803
    pass


# ------------------------------------------------------------------------------- projects, paths


@c_function
def EnumProjects(idx: int, projfnOutOptional: Buf, projfnOutOptional_sz: int) -> Project | None:  # noqa: N802, N803
    """idx -1 is the current project, 0.. the open tabs (one here); the name buffer gets its .RPP file
    ("" while unsaved)."""
    if idx in (-1, 0):
        if projfnOutOptional.address:
            projfnOutOptional.set(PROJECT.file, projfnOutOptional_sz)
        return PROJECT
    return None


@c_function
def SelectProjectInstance(proj: Project | None) -> None:  # noqa: N802
    _proj(proj)


@c_function
def GetProjectName(proj: Project | None, buf: Buf, buf_sz: int) -> None:  # noqa: N802
    buf.set(os.path.basename(_proj(proj).file), buf_sz)


@c_function
def GetProjectPath(buf: Buf, buf_sz: int) -> None:  # noqa: N802
    buf.set(PROJECT.record_path, buf_sz)


@c_function
def GetProjectPathEx(proj: Project | None, buf: Buf, buf_sz: int) -> None:  # noqa: N802
    buf.set(_proj(proj).record_path, buf_sz)


# ------------------------------------------------------------------------------------------- undo


@c_function
def Undo_BeginBlock2(proj: Project | None) -> None:  # noqa: N802
    _proj(proj).undo_depth += 1


@c_function
def Undo_EndBlock2(proj: Project | None, descchange: str, extraflags: int) -> None:  # noqa: N802
    p = _proj(proj)
    if p.undo_depth <= 0:
        raise HostError("Undo_EndBlock2 without Undo_BeginBlock2")
    p.undo_depth -= 1
    if p.undo_depth == 0:
        _must_be_sorted()
        p.undo_points.append(descchange)


@c_function
def Undo_BeginBlock() -> None:  # noqa: N802
    Undo_BeginBlock2(PROJECT)


@c_function
def Undo_EndBlock(descchange: str, extraflags: int) -> None:  # noqa: N802
    Undo_EndBlock2(PROJECT, descchange, extraflags)


# ---------------------------------------------------------------------------------------- ExtState


@c_function
def SetProjExtState(proj: Project | None, extname: str, key: str, value: str) -> int:  # noqa: N802
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


@c_function
def GetProjExtState(proj: Project | None, extname: str, key: str, valOutNeedBig: Buf,  # noqa: N802, N803
                    valOutNeedBig_sz: int) -> int:  # noqa: N803
    value = _proj(proj).ext.get((extname, key), "")
    valOutNeedBig.set(value, valOutNeedBig_sz)
    return len(value[:max(0, valOutNeedBig_sz - 1)])


@c_function
def SetExtState(section: str, key: str, value: str, persist: bool) -> None:  # noqa: N802
    _EXT_GLOBAL[(section, key)] = value


@c_function
def GetExtState(section: str, key: str) -> str:  # noqa: N802
    return _EXT_GLOBAL.get((section, key), "")


@c_function
def HasExtState(section: str, key: str) -> bool:  # noqa: N802
    return (section, key) in _EXT_GLOBAL


@c_function
def DeleteExtState(section: str, key: str, persist: bool) -> None:  # noqa: N802
    _EXT_GLOBAL.pop((section, key), None)


# ------------------------------------------------------------------------------------------ tracks


@c_function
def CountTracks(proj: Project | None) -> int:  # noqa: N802
    return len(_proj(proj).tracks)


@c_function
def GetTrack(proj: Project | None, trackidx: int) -> Track | None:  # noqa: N802
    tracks = _proj(proj).tracks
    return tracks[trackidx] if 0 <= trackidx < len(tracks) else None


@c_function
def InsertTrackAtIndex(idx: int, wantDefaults: bool) -> None:  # noqa: N802, N803
    idx = min(max(int(idx), 0), len(PROJECT.tracks))
    PROJECT.tracks.insert(idx, Track())


@c_function
def DeleteTrack(tr: Track | None) -> None:  # noqa: N802
    track = _need(tr, "MediaTrack*")
    PROJECT.tracks.remove(track)
    for other in PROJECT.tracks:  # REAPER removes the sends and receives of a deleted track
        other.sends = [s for s in other.sends if s.dest is not track]


@c_function
def GetTrackName(track: Track | None, bufOut: Buf, bufOut_sz: int) -> bool:  # noqa: N802, N803
    """REAPER names an unnamed track "Track N" here (N its 1-based number)."""
    t = _need(track, "MediaTrack*")
    bufOut.set(t.name or f"Track {PROJECT.tracks.index(t) + 1}", bufOut_sz)
    return True


@c_function
def GetSetMediaTrackInfo_String(tr: Track | None, parmname: str, stringNeedBig: Buf,  # noqa: N802, N803
                                setNewValue: bool) -> bool:  # noqa: N803
    track = _need(tr, "MediaTrack*")
    if parmname == "P_NAME":
        if setNewValue:
            track.name = stringNeedBig.value
        else:
            stringNeedBig.set(track.name)
        return True
    if parmname.startswith("P_EXT:"):
        key = parmname[6:]
        if setNewValue:
            if stringNeedBig.value:
                track.ext[key] = stringNeedBig.value
            else:
                track.ext.pop(key, None)
            return True
        stringNeedBig.set(track.ext.get(key, ""))
        return key in track.ext
    raise HostError(f"GetSetMediaTrackInfo_String: {parmname} not simulated")


_TRACK_VALUES = {"D_VOL": "volume", "D_PAN": "pan", "I_SELECTED": "selected", "B_MUTE": "mute",
                 "I_FOLDERDEPTH": "folder_depth"}


@c_function
def SetMediaTrackInfo_Value(tr: Track | None, parmname: str, newvalue: float) -> bool:  # noqa: N802
    track = _need(tr, "MediaTrack*")
    if parmname not in _TRACK_VALUES:
        raise HostError(f"SetMediaTrackInfo_Value: {parmname} not simulated")
    value: Any = float(newvalue)
    if parmname == "D_PAN":
        value = min(max(value, -1.0), 1.0)
    elif parmname in ("I_SELECTED", "B_MUTE"):
        value = bool(value)
    elif parmname == "I_FOLDERDEPTH":
        value = int(value)
    setattr(track, _TRACK_VALUES[parmname], value)
    return True


@c_function
def GetMediaTrackInfo_Value(tr: Track | None, parmname: str) -> float:  # noqa: N802
    track = _need(tr, "MediaTrack*")
    if parmname == "IP_TRACKNUMBER":
        return float(PROJECT.tracks.index(track) + 1)
    if parmname not in _TRACK_VALUES:
        raise HostError(f"GetMediaTrackInfo_Value: {parmname} not simulated")
    return float(getattr(track, _TRACK_VALUES[parmname]))


@c_function
def SetTrackSelected(track: Track | None, selected: bool) -> None:  # noqa: N802
    _need(track, "MediaTrack*").selected = bool(selected)


@c_function
def IsTrackSelected(track: Track | None) -> bool:  # noqa: N802
    return _need(track, "MediaTrack*").selected


@c_function
def SetOnlyTrackSelected(track: Track | None) -> None:  # noqa: N802
    chosen = _need(track, "MediaTrack*")
    for t in PROJECT.tracks:
        t.selected = t is chosen


# -------------------------------------------------------------------------------------------- FX


@c_function
def TrackFX_AddByName(track: Track | None, fxname: str, recFX: bool, instantiate: int) -> int:  # noqa: N802, N803
    """instantiate -1: always add; 0: only query; 1: add if not present. -1 when no such FX exists."""
    t = _need(track, "MediaTrack*")
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


@c_function
def TrackFX_GetCount(track: Track | None) -> int:  # noqa: N802
    return len(_need(track, "MediaTrack*").fx)


@c_function
def TrackFX_GetFXName(track: Track | None, fx: int, buf: Buf, buf_sz: int) -> bool:  # noqa: N802
    t = _need(track, "MediaTrack*")
    ok = 0 <= fx < len(t.fx)
    buf.set(t.fx[fx] if ok else "", buf_sz)
    return ok


@c_function
def TrackFX_SetParamNormalized(track: Track | None, fx: int, param: int, value: float) -> bool:  # noqa: N802
    t = _need(track, "MediaTrack*")
    if not 0 <= fx < len(t.fx):
        return False
    t.fx_params[(fx, param)] = min(max(float(value), 0.0), 1.0)
    return True


@c_function
def TrackFX_SetEnabled(track: Track | None, fx: int, enabled: bool) -> None:  # noqa: N802
    t = _need(track, "MediaTrack*")
    if 0 <= fx < len(t.fx):
        t.fx_bypassed[fx] = not enabled


@c_function
def TrackFX_GetEnabled(track: Track | None, fx: int) -> bool:  # noqa: N802
    return not _need(track, "MediaTrack*").fx_bypassed.get(fx, False)


# ----------------------------------------------------------------------------------------- sends


@c_function
def CreateTrackSend(tr: Track | None, desttrInOptional: Track | None) -> int:  # noqa: N802, N803
    src, dest = _need(tr, "MediaTrack*"), _need(desttrInOptional, "MediaTrack*")
    src.sends.append(Send(dest))
    return len(src.sends) - 1


@c_function
def GetTrackNumSends(tr: Track | None, category: int) -> int:  # noqa: N802
    track = _need(tr, "MediaTrack*")
    if category == 0:
        return len(track.sends)
    if category < 0:
        return sum(1 for t in PROJECT.tracks for s in t.sends if s.dest is track)
    return 0


_SEND_VALUES = {"D_VOL": "volume", "D_PAN": "pan", "I_SENDMODE": "mode"}


@c_function
def SetTrackSendInfo_Value(tr: Track | None, category: int, sendidx: int, parmname: str,  # noqa: N802
                           newvalue: float) -> bool:
    track = _need(tr, "MediaTrack*")
    if category != 0 or not 0 <= sendidx < len(track.sends) or parmname not in _SEND_VALUES:
        raise HostError(f"SetTrackSendInfo_Value({category}, {sendidx}, {parmname}) not simulated")
    setattr(track.sends[sendidx], _SEND_VALUES[parmname], int(newvalue) if parmname == "I_SENDMODE"
            else float(newvalue))
    return True


@c_function
def GetTrackSendInfo_Value(tr: Track | None, category: int, sendidx: int, parmname: str) -> float:  # noqa: N802
    track = _need(tr, "MediaTrack*")
    return float(getattr(track.sends[sendidx], _SEND_VALUES[parmname]))


# ------------------------------------------------------------------------------------ items, takes


def _all_items() -> list[Item]:
    return [item for t in PROJECT.tracks for item in t.items]


@c_function
def CountMediaItems(proj: Project | None) -> int:  # noqa: N802
    return sum(len(t.items) for t in _proj(proj).tracks)


@c_function
def GetSelectedMediaItem(proj: Project | None, selitem: int) -> Item | None:  # noqa: N802
    _proj(proj)
    chosen = [item for item in _all_items() if item.selected]
    return chosen[selitem] if 0 <= selitem < len(chosen) else None


@c_function
def CountSelectedMediaItems(proj: Project | None) -> int:  # noqa: N802
    _proj(proj)
    return sum(1 for item in _all_items() if item.selected)


@c_function
def AddMediaItemToTrack(tr: Track | None) -> Item:  # noqa: N802
    track = _need(tr, "MediaTrack*")
    item = Item(track)
    track.items.append(item)
    return item


@c_function
def AddTakeToMediaItem(item: Item | None) -> Take:  # noqa: N802
    it = _need(item, "MediaItem*")
    take = Take(it)
    it.takes.append(take)
    return take


@c_function
def PCM_Source_CreateFromFile(filename: str) -> Source:  # noqa: N802
    ext = os.path.splitext(filename)[1].lower()
    kind = "VIDEO" if ext in (".mp4", ".mov", ".mkv", ".avi", ".webm", ".m4v") else "WAVE"
    return Source(kind, filename)


@c_function
def SetMediaItemTake_Source(take: Take | None, source: Source | None) -> bool:  # noqa: N802
    _need(take, "MediaItem_Take*").source = _need(source, "PCM_source*")
    return True


@c_function
def GetMediaItemTake_Source(take: Take | None) -> Source | None:  # noqa: N802
    return _need(take, "MediaItem_Take*").source


@c_function
def GetMediaSourceFileName(source: Source | None, filenamebuf: Buf, filenamebuf_sz: int) -> None:  # noqa: N802
    filenamebuf.set(_need(source, "PCM_source*").filename, filenamebuf_sz)


@c_function
def GetMediaSourceType(source: Source | None, typebuf: Buf, typebuf_sz: int) -> None:  # noqa: N802
    typebuf.set(_need(source, "PCM_source*").kind, typebuf_sz)


@c_function
def GetActiveTake(item: Item | None) -> Take | None:  # noqa: N802
    it = _need(item, "MediaItem*")
    return it.takes[it.active] if it.takes else None


@c_function
def GetMediaItem_Track(item: Item | None) -> Track:  # noqa: N802
    return _need(item, "MediaItem*").track


@c_function
def GetMediaItemTake_Item(take: Take | None) -> Item:  # noqa: N802
    return _need(take, "MediaItem_Take*").item


@c_function
def CountTrackMediaItems(track: Track | None) -> int:  # noqa: N802
    return len(_need(track, "MediaTrack*").items)


@c_function
def GetTrackMediaItem(tr: Track | None, itemidx: int) -> Item | None:  # noqa: N802
    items = _need(tr, "MediaTrack*").items
    return items[itemidx] if 0 <= itemidx < len(items) else None


_ITEM_VALUES = {"D_POSITION": "position", "D_LENGTH": "length", "B_UISEL": "selected", "B_MUTE": "mute",
                "D_VOL": "volume"}
_TAKE_VALUES = {"D_STARTOFFS": "start_offset", "D_PLAYRATE": "playrate", "D_VOL": "volume"}


@c_function
def GetMediaItemInfo_Value(item: Item | None, parmname: str) -> float:  # noqa: N802
    if parmname not in _ITEM_VALUES:
        raise HostError(f"GetMediaItemInfo_Value: {parmname} not simulated")
    return float(getattr(_need(item, "MediaItem*"), _ITEM_VALUES[parmname]))


@c_function
def SetMediaItemInfo_Value(item: Item | None, parmname: str, newvalue: float) -> bool:  # noqa: N802
    if parmname not in _ITEM_VALUES:
        raise HostError(f"SetMediaItemInfo_Value: {parmname} not simulated")
    value = bool(newvalue) if parmname in ("B_UISEL", "B_MUTE") else float(newvalue)
    setattr(_need(item, "MediaItem*"), _ITEM_VALUES[parmname], value)
    return True


@c_function
def SetMediaItemSelected(item: Item | None, selected: bool) -> None:  # noqa: N802
    _need(item, "MediaItem*").selected = bool(selected)


@c_function
def GetMediaItemTakeInfo_Value(take: Take | None, parmname: str) -> float:  # noqa: N802
    if parmname not in _TAKE_VALUES:
        raise HostError(f"GetMediaItemTakeInfo_Value: {parmname} not simulated")
    return float(getattr(_need(take, "MediaItem_Take*"), _TAKE_VALUES[parmname]))


@c_function
def SetMediaItemTakeInfo_Value(take: Take | None, parmname: str, newvalue: float) -> bool:  # noqa: N802
    if parmname not in _TAKE_VALUES:
        raise HostError(f"SetMediaItemTakeInfo_Value: {parmname} not simulated")
    setattr(_need(take, "MediaItem_Take*"), _TAKE_VALUES[parmname], float(newvalue))
    return True


@c_function
def CreateNewMIDIItemInProj(track: Track | None, starttime: float, endtime: float,  # noqa: N802
                            qnInOptional: Ref) -> Item:  # noqa: N803
    t = _need(track, "MediaTrack*")
    if qnInOptional.value:
        starttime, endtime = PROJECT.time_at_beats(starttime), PROJECT.time_at_beats(endtime)
    item = Item(t, position=float(starttime), length=float(endtime) - float(starttime))
    item.takes.append(Take(item, source=Source("MIDI")))
    t.items.append(item)
    return item


@c_function
def DeleteTrackMediaItem(tr: Track | None, it: Item | None) -> bool:  # noqa: N802
    track, item = _need(tr, "MediaTrack*"), _need(it, "MediaItem*")
    if item not in track.items:
        return False
    track.items.remove(item)
    return True


# -------------------------------------------------------------------------------------------- MIDI


def _midi_take(take: Take | None) -> Take:
    t = _need(take, "MediaItem_Take*")
    if t.source is None or t.source.kind != "MIDI":
        raise HostError("not a MIDI take")
    return t


@c_function
def MIDI_GetPPQPosFromProjTime(take: Take | None, projtime: float) -> float:  # noqa: N802
    t = _midi_take(take)
    return (PROJECT.beats_at(projtime) - PROJECT.beats_at(t.item.position)) * PPQ


@c_function
def MIDI_GetProjTimeFromPPQPos(take: Take | None, ppqpos: float) -> float:  # noqa: N802
    t = _midi_take(take)
    return PROJECT.time_at_beats(PROJECT.beats_at(t.item.position) + ppqpos / PPQ)


@c_function
def MIDI_InsertNote(take: Take | None, selected: bool, muted: bool, startppqpos: float,  # noqa: N802
                    endppqpos: float, chan: int, pitch: int, vel: int, noSortInOptional: Ref) -> bool:  # noqa: N803
    t = _midi_take(take)
    if not (0 <= chan <= 15 and 0 <= pitch <= 127 and 0 <= vel <= 127) or endppqpos < startppqpos:
        return False
    t.notes.append([bool(selected), bool(muted), float(startppqpos), float(endppqpos), int(chan), int(pitch),
                    int(vel)])
    if noSortInOptional.value:
        t.sorted = False
    else:
        MIDI_Sort(take)
    return True


@c_function
def MIDI_Sort(take: Take | None) -> None:  # noqa: N802
    t = _midi_take(take)
    t.notes.sort(key=lambda n: (n[2], n[5]))
    t.sorted = True
    t.sorts += 1


@c_function
def MIDI_CountEvts(take: Take | None, notecntOut: Ref, ccevtcntOut: Ref, textsyxevtcntOut: Ref) -> int:  # noqa: N802, N803
    t = _midi_take(take)
    notecntOut.value, ccevtcntOut.value, textsyxevtcntOut.value = len(t.notes), 0, 0
    return len(t.notes)


@c_function
def MIDI_GetNote(take: Take | None, noteidx: int, selectedOut: Ref, mutedOut: Ref, startppqposOut: Ref,  # noqa: N802, N803
                 endppqposOut: Ref, chanOut: Ref, pitchOut: Ref, velOut: Ref) -> bool:  # noqa: N803
    t = _midi_take(take)
    if not 0 <= noteidx < len(t.notes):
        return False
    outs = (selectedOut, mutedOut, startppqposOut, endppqposOut, chanOut, pitchOut, velOut)
    for ref, value in zip(outs, t.notes[noteidx], strict=True):
        ref.value = value
    return True


# --------------------------------------------------------------------------------------- envelopes


@c_function
def GetTrackEnvelopeByName(track: Track | None, envname: str) -> Envelope | None:  # noqa: N802
    """The envelope, or NULL while it does not exist yet (REAPER creates Volume when it is shown)."""
    return _need(track, "MediaTrack*").envelopes.get(envname)


@c_function
def CountTrackEnvelopes(track: Track | None) -> int:  # noqa: N802
    return len(_need(track, "MediaTrack*").envelopes)


@c_function
def GetTrackEnvelope(track: Track | None, envidx: int) -> Envelope | None:  # noqa: N802
    envs = list(_need(track, "MediaTrack*").envelopes.values())
    return envs[envidx] if 0 <= envidx < len(envs) else None


@c_function
def GetEnvelopeScalingMode(env: Envelope | None) -> int:  # noqa: N802
    return _need(env, "TrackEnvelope*").scaling_mode


# REAPER's fader taper is not published; this stand-in has its properties (monotone, 0 at -inf, 1000 at
# +12 dB, exactly invertible), so a script that forgets ScaleToEnvelopeMode writes wrong values here too.
_FADER_MAX_DB = 12.0


@c_function
def ScaleToEnvelopeMode(scaling_mode: int, val: float) -> float:  # noqa: N802
    if scaling_mode != 1:
        return float(val)
    if val <= 0:
        return 0.0
    db = min(20 * math.log10(val), _FADER_MAX_DB)
    return 1000.0 * math.exp((db - _FADER_MAX_DB) / 40.0)


@c_function
def ScaleFromEnvelopeMode(scaling_mode: int, val: float) -> float:  # noqa: N802
    if scaling_mode != 1:
        return float(val)
    if val <= 0:
        return 0.0
    return 10 ** ((40.0 * math.log(val / 1000.0) + _FADER_MAX_DB) / 20)


@c_function
def InsertEnvelopePoint(envelope: Envelope | None, time: float, value: float, shape: int, tension: float,  # noqa: N802
                        selected: bool, noSortInOptional: Ref) -> bool:  # noqa: N803
    env = _need(envelope, "TrackEnvelope*")
    env.points.append([float(time), float(value), int(shape), float(tension), bool(selected)])
    if noSortInOptional.value:
        env.sorted = False
    else:
        Envelope_SortPoints(envelope)
    return True


@c_function
def Envelope_SortPoints(envelope: Envelope | None) -> bool:  # noqa: N802
    env = _need(envelope, "TrackEnvelope*")
    env.points.sort(key=lambda p: p[0])
    env.sorted = True
    return True


@c_function
def CountEnvelopePoints(envelope: Envelope | None) -> int:  # noqa: N802
    return len(_need(envelope, "TrackEnvelope*").points)


@c_function
def DeleteEnvelopePointRange(envelope: Envelope | None, time_start: float, time_end: float) -> bool:  # noqa: N802
    env = _need(envelope, "TrackEnvelope*")
    env.points = [p for p in env.points if not time_start <= p[0] < time_end]
    return True


# ---------------------------------------------------------------------------------------- commands


@c_function
def Main_OnCommand(command: int, flag: int) -> None:  # noqa: N802
    Main_OnCommandEx(command, flag, PROJECT)


@c_function
def Main_OnCommandEx(command: int, flag: int, proj: Project | None) -> None:  # noqa: N802
    p = _proj(proj)
    if command == CMD_TOGGLE_VOLUME_ENVELOPE:
        for track in p.tracks:
            if track.selected and "Volume" not in track.envelopes:
                track.envelopes["Volume"] = Envelope("Volume", scaling_mode=1)
    elif command in (CMD_RENDER_MOST_RECENT, CMD_RENDER_AUTOCLOSE):
        _render(p)
    else:
        raise HostError(f"Main_OnCommand({command}) not simulated")


def _render(p: Project) -> None:
    """REAPER's render: an existing target stops it at the overwrite prompt (a HostError here, as no one
    answers it). The audio needs REAPER's engine: the file written holds silence of the rendered span."""
    target = _render_targets()
    if os.path.exists(target):
        raise HostError(f"the render stops at REAPER's overwrite prompt: {target} exists")
    if p.info["RENDER_BOUNDSFLAG"] == 0:
        seconds = p.info["RENDER_ENDPOS"] - p.info["RENDER_STARTPOS"]
    else:
        seconds = max((i.position + i.length for t in p.tracks for i in t.items), default=0.0)
    rate = int(p.info["RENDER_SRATE"]) or 44100
    channels = int(p.info["RENDER_CHANNELS"]) or 2
    os.makedirs(os.path.dirname(target) or ".", exist_ok=True)
    with wave.open(target, "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(3)
        w.setframerate(rate)
        w.writeframes(bytes(3 * channels * max(int(seconds * rate), 0)))
    p.renders.append({"info": dict(p.info), "info_str": dict(p.info_str), "targets": target})


# ----------------------------------------------------------------------------------- project info


_INFO_KEYS = ("RENDER_SRATE", "RENDER_CHANNELS", "RENDER_BOUNDSFLAG", "RENDER_SETTINGS", "RENDER_STARTPOS",
              "RENDER_ENDPOS")


@c_function
def GetSetProjectInfo(project: Project | None, desc: str, value: float, is_set: bool) -> float:  # noqa: N802
    p = _proj(project)
    if desc not in _INFO_KEYS:
        raise HostError(f"GetSetProjectInfo: {desc} not simulated")
    if is_set:
        p.info[desc] = float(value)
    return p.info[desc]


def _render_targets() -> str:
    p = PROJECT
    folder = p.info_str["RENDER_FILE"] or p.record_path
    return os.path.join(folder, (p.info_str["RENDER_PATTERN"] or "untitled") + ".wav")


@c_function
def GetSetProjectInfo_String(project: Project | None, desc: str, valuestrNeedBig: Buf,  # noqa: N802, N803
                             is_set: bool) -> bool:
    p = _proj(project)
    if desc == "RENDER_TARGETS":
        if is_set:
            raise HostError("RENDER_TARGETS is read-only")
        valuestrNeedBig.set(_render_targets())
        return True
    if desc not in p.info_str:
        raise HostError(f"GetSetProjectInfo_String: {desc} not simulated")
    if is_set:
        if desc == "RENDER_FORMAT":
            base64.b64decode(valuestrNeedBig.value, validate=True)
        p.info_str[desc] = valuestrNeedBig.value
    else:
        valuestrNeedBig.set(p.info_str[desc])
    return True


# ---------------------------------------------------------------------------------- markers, tempo


@c_function
def AddProjectMarker2(proj: Project | None, isrgn: bool, pos: float, rgnend: float, name: str,  # noqa: N802
                      wantidx: int, color: int) -> int:
    p = _proj(proj)
    taken = {m.number for m in p.markers if m.isrgn == bool(isrgn)}
    number = wantidx if wantidx >= 0 and wantidx not in taken else next(
        n for n in itertools.count(1) if n not in taken)
    p.markers.append(Marker(number, bool(isrgn), float(pos), float(rgnend) if isrgn else 0.0, name, color))
    p.markers.sort(key=lambda m: (m.pos, m.isrgn))
    return number


@c_function
def AddProjectMarker(proj: Project | None, isrgn: bool, pos: float, rgnend: float, name: str,  # noqa: N802
                     wantidx: int) -> int:
    return AddProjectMarker2(proj, isrgn, pos, rgnend, name, wantidx, 0)


@c_function
def DeleteProjectMarker(proj: Project | None, markrgnindexnumber: int, isrgn: bool) -> bool:  # noqa: N802
    p = _proj(proj)
    found = [m for m in p.markers if m.number == markrgnindexnumber and m.isrgn == bool(isrgn)]
    for m in found:
        p.markers.remove(m)
    return bool(found)


@c_function
def CountProjectMarkers(proj: Project | None, num_markersOut: Ref, num_regionsOut: Ref) -> int:  # noqa: N802, N803
    p = _proj(proj)
    regions = sum(1 for m in p.markers if m.isrgn)
    num_markersOut.value, num_regionsOut.value = len(p.markers) - regions, regions
    return len(p.markers)


@c_function
def EnumProjectMarkers3(proj: Project | None, idx: int, isrgnOut: Ref, posOut: Ref, rgnendOut: Ref,  # noqa: N802, N803
                        nameOut: None, markrgnindexnumberOut: Ref, colorOut: Ref) -> int:  # noqa: N803
    """nameOut is a char** REAPER would point at the name; the binding passes NULL and hands back what
    the script gave, so the name cannot be read here (as in REAPER)."""
    p = _proj(proj)
    if not 0 <= idx < len(p.markers):
        return 0
    m = p.markers[idx]
    isrgnOut.value, posOut.value, rgnendOut.value = int(m.isrgn), m.pos, m.rgnend
    markrgnindexnumberOut.value, colorOut.value = m.number, m.color
    return idx + 1


@c_function
def EnumProjectMarkers2(proj: Project | None, idx: int, isrgnOut: Ref, posOut: Ref, rgnendOut: Ref,  # noqa: N802, N803
                        nameOut: None, markrgnindexnumberOut: Ref) -> int:  # noqa: N803
    return EnumProjectMarkers3(proj, idx, isrgnOut, posOut, rgnendOut, nameOut, markrgnindexnumberOut,
                               Ref(None, ctypes.c_int))


@c_function
def GetSet_LoopTimeRange(isSet: bool, isLoop: bool, startOut: Ref, endOut: Ref,  # noqa: N802, N803
                         allowautoseek: bool) -> None:
    GetSet_LoopTimeRange2(PROJECT, isSet, isLoop, startOut, endOut, allowautoseek)


@c_function
def GetSet_LoopTimeRange2(proj: Project | None, isSet: bool, isLoop: bool, startOut: Ref,  # noqa: N802, N803
                          endOut: Ref, allowautoseek: bool) -> None:  # noqa: N803
    p = _proj(proj)
    if isSet:
        p.loop = (float(startOut.value), float(endOut.value))
    startOut.value, endOut.value = p.loop


@c_function
def GetCursorPosition() -> float:  # noqa: N802
    return PROJECT.cursor


@c_function
def GetCursorPositionEx(proj: Project | None) -> float:  # noqa: N802
    return _proj(proj).cursor


@c_function
def SetEditCurPos(time: float, moveview: bool, seekplay: bool) -> None:  # noqa: N802
    PROJECT.cursor = float(time)


@c_function
def CountTempoTimeSigMarkers(proj: Project | None) -> int:  # noqa: N802
    return len(_proj(proj).tempo)


@c_function
def SetTempoTimeSigMarker(proj: Project | None, ptidx: int, timepos: float, measurepos: int,  # noqa: N802
                          beatpos: float, bpm: float, timesig_num: int, timesig_denom: int,
                          lineartempo: bool) -> bool:
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


@c_function
def AddTempoTimeSigMarker(proj: Project | None, timepos: float, bpm: float, timesig_num: int,  # noqa: N802
                          timesig_denom: int, lineartempochange: bool) -> bool:
    return SetTempoTimeSigMarker(proj, -1, timepos, -1, -1, bpm, timesig_num, timesig_denom,
                                 lineartempochange)


@c_function
def DeleteTempoTimeSigMarker(project: Project | None, markerindex: int) -> bool:  # noqa: N802
    p = _proj(project)
    if not 0 <= markerindex < len(p.tempo):
        return False
    del p.tempo[markerindex]
    return True


@c_function
def GetTempoTimeSigMarker(proj: Project | None, ptidx: int, timeposOut: Ref, measureposOut: Ref,  # noqa: N802, N803
                          beatposOut: Ref, bpmOut: Ref, timesig_numOut: Ref, timesig_denomOut: Ref,  # noqa: N803
                          lineartempoOut: Ref) -> bool:  # noqa: N803
    p = _proj(proj)
    if not 0 <= ptidx < len(p.tempo):
        return False
    m = p.tempo[ptidx]
    timeposOut.value, measureposOut.value, beatposOut.value, bpmOut.value = m.time, 0, 0.0, m.bpm
    timesig_numOut.value, timesig_denomOut.value, lineartempoOut.value = m.num, m.den, int(m.linear)
    return True


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
    if p.ext:  # how REAPER saves project ExtState: a block per section, a line per key
        open_("EXTSTATE")
        for section in sorted({s for s, _ in p.ext}):
            open_(section)
            for (sec, key), value in sorted(p.ext.items()):
                if sec == section:
                    line(f"{key} {_q(value)}")
            close()
        close()
    for track in p.tracks:
        open_("TRACK")
        line(f"NAME {_q(track.name)}")
        line(f"VOLPAN {_n(track.volume)} {_n(track.pan)} -1 -1 1")
        line(f"MUTESOLO {int(track.mute)} 0 0")
        line(f"ISBUS {1 if track.folder_depth > 0 else (2 if track.folder_depth < 0 else 0)} "
             f"{track.folder_depth}")
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
    line(f"MUTE {int(item.mute)} 0")
    line(f"VOLPAN {_n(item.volume)} 0 1 -1")
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


def open_project(path: str) -> Project:
    """File > Open project, for what the actions read: tracks (name, volume, pan, P_EXT tags, items with
    their sources and MIDI notes), markers, the tempo map and the project ExtState. Read with the `rpp`
    package, as REAPER would read the file."""
    import rpp

    root = rpp.loads(Path(path).read_text(encoding="utf-8"))
    PROJECT.file = str(path)
    for child in root.children:
        if isinstance(child, list) and child[0] == "MARKER" and len(child) >= 6:
            isrgn, number, pos = child[4] == "1", int(child[1]), float(child[2])
            start = next((m for m in PROJECT.markers if m.isrgn and m.number == number), None)
            if isrgn and start is not None:  # a region's second line: its end
                start.rgnend = pos
                continue
            PROJECT.markers.append(Marker(number, isrgn, pos, 0.0, child[3], int(child[5])))
        elif isinstance(child, rpp.Element) and child.tag == "EXTSTATE":
            for section in child.children:
                for key, value, *_ in section.children:
                    PROJECT.ext[(section.tag, key)] = value
        elif isinstance(child, rpp.Element) and child.tag == "TEMPOENVEX":
            PROJECT.tempo = [TempoMarker(float(p[1]), float(p[2]), linear=p[3] == "0")
                             for p in child.children if p[0] == "PT"]
        elif isinstance(child, rpp.Element) and child.tag == "TRACK":
            PROJECT.tracks.append(_read_track(child))
    PROJECT.markers.sort(key=lambda m: (m.pos, m.isrgn))
    return PROJECT


def _read_track(element: Any) -> Track:
    import rpp

    track = Track()
    for child in element.children:
        if isinstance(child, list) and child[0] == "NAME":
            track.name = child[1]
        elif isinstance(child, list) and child[0] == "VOLPAN":
            track.volume, track.pan = float(child[1]), float(child[2])
        elif isinstance(child, list) and child[0] == "MUTESOLO":
            track.mute = child[1] == "1"
        elif isinstance(child, rpp.Element) and child.tag == "EXT":
            track.ext.update({line[0]: line[1] for line in child.children})
        elif isinstance(child, rpp.Element) and child.tag == "ITEM":
            track.items.append(_read_item(child, track))
    return track


def _read_item(element: Any, track: Track) -> Item:
    import rpp

    item = Item(track)
    take = Take(item)
    item.takes.append(take)
    for child in element.children:
        if isinstance(child, list) and child[0] in ("POSITION", "LENGTH"):
            setattr(item, child[0].lower(), float(child[1]))
        elif isinstance(child, list) and child[0] == "MUTE":
            item.mute = child[1] == "1"
        elif isinstance(child, list) and child[0] == "SOFFS":
            take.start_offset = float(child[1])
        elif isinstance(child, rpp.Element) and child.tag == "SOURCE":
            kind = child.attrib[0]
            take.source = Source(kind, next((c[1] for c in child.children if c[0] == "FILE"), ""))
            tick, held = 0, {}
            for event in (c for c in child.children if c[0] == "E") if kind == "MIDI" else ():
                tick += int(event[1])
                status, key, vel = (int(x, 16) for x in event[2:5])
                if status & 0xF0 == 0x90 and vel:
                    held.setdefault((status & 15, key), []).append((tick, vel))
                elif status & 0xF0 in (0x80, 0x90) and held.get((status & 15, key)):
                    start, velocity = held[(status & 15, key)].pop(0)
                    take.notes.append([False, False, float(start), float(tick), status & 15, key, velocity])
            take.notes.sort(key=lambda n: (n[2], n[5]))
    return item


def tagged_tracks(key: str = "filmcomposer") -> list[Track]:
    return [t for t in PROJECT.tracks if key in t.ext]


BINDING_MODULE = load_binding()
install_table()
