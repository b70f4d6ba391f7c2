# @noindex
# @version 0.3.0
"""The "Review scheme" window, drawn with ReaImGui when the user has it (standard library only).

ReaImGui 0.9+ ships a Python binding, `imgui.py`, in REAPER's Scripts/ReaTeam Extensions/API folder
(its own examples append that folder to sys.path and `import imgui as ImGui`). It is loaded here from
that file by path, so a different `imgui` on REAPER's sys.path (pyimgui is a compiled package, which
would crash REAPER when re-imported) is never picked up. Without the file, `load_imgui` returns None
and the action falls back to the system editor.

`ReviewWindow.frame()` draws one frame; the action calls it from its defer loop (a ReaImGui context
that misses a defer cycle is destroyed, so it is drawn every cycle until the user decides). The edits
it offers are the ones a scheme allows: which tracks exist, each track's instrument (from the
instrument library), pan, reverb send, and its volume envelope as one dB value per measure.
"""

from __future__ import annotations

import copy
import importlib.util
import json
import os
import sys

from fc_plan import db_to_gain, gain_to_db

API_FOLDER = ("Scripts", "ReaTeam Extensions", "API")
TITLE = "FilmComposer: Review scheme"


def load_imgui(resource_path: str):
    """ReaImGui's `imgui` module, or None when ReaImGui is not installed."""
    folder = os.path.join(resource_path, *API_FOLDER)
    path = os.path.join(folder, "imgui.py")
    if not os.path.isfile(path):
        return None
    if folder not in sys.path:
        sys.path.append(folder)  # as ReaImGui's examples do; the binding may import its neighbours
    spec = importlib.util.spec_from_file_location("imgui", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["imgui"] = module
    spec.loader.exec_module(module)
    return module


def instrument_keys(here: str, scheme: dict) -> list[str]:
    """The instrument library's keys: instruments.json beside the scripts (install.py copies it there),
    else the checkout's schemes/instruments.json; the scheme's own instruments are always offered."""
    keys: list[str] = []
    for path in (os.path.join(here, "instruments.json"),
                 os.path.join(os.path.dirname(here), "schemes", "instruments.json")):
        try:
            with open(path, encoding="utf-8") as f:
                library = json.load(f)["instruments"]
        except (OSError, ValueError, KeyError, TypeError):
            continue
        keys = [entry["key"] for entry in library if isinstance(entry, dict) and "key" in entry]
        break
    for track in scheme.get("tracks", []):
        if track["instrument"] not in keys:
            keys.append(track["instrument"])
    return keys


def measure_levels(envelope: dict, measures: int) -> list[float]:
    """The level each measure plays at: a key measureN sets it from measure N on (before the first key,
    full level)."""
    levels, current = [], 1.0
    for m in range(1, measures + 1):
        current = float(envelope.get(f"measure{m}", current))
        levels.append(current)
    return levels


class ReviewWindow:
    """The scheme as rows the user edits; `frame()` returns None (still open), "accept" or "cancel"."""

    def __init__(self, imgui, scheme: dict, instruments: list[str]) -> None:
        self.ImGui = imgui
        self.scheme = scheme
        self.instruments = instruments
        self.measures = int(scheme.get("measures", 1))
        self.rows = []
        for track in scheme["tracks"]:
            self.rows.append({
                "enabled": True,
                "instrument": instruments.index(track["instrument"]),
                "pan": float(track.get("panning", 0.0)),
                "reverb": float(track.get("reverb_space", 0.0)),
                "db": [round(gain_to_db(g), 2) for g in measure_levels(track.get("volume_envelope", {}),
                                                                         self.measures)],
                "edited": {},  # measure -> gain the user set
            })
        self.ctx = imgui.CreateContext(TITLE)
        self.message = ""

    def edited(self) -> dict:
        """The scheme with the user's edits; untouched values stay exactly as they were."""
        out = copy.deepcopy(self.scheme)
        tracks = []
        for track, row in zip(out["tracks"], self.rows, strict=True):
            if not row["enabled"]:
                continue
            track["instrument"] = self.instruments[row["instrument"]]
            if row["pan"] != float(track.get("panning", 0.0)):
                track["panning"] = round(row["pan"], 3)
            if row["reverb"] != float(track.get("reverb_space", 0.0)):
                track["reverb_space"] = round(row["reverb"], 3)
            if row["edited"]:
                envelope = dict(track.get("volume_envelope", {}))
                envelope.update({f"measure{m}": g for m, g in row["edited"].items()})
                track["volume_envelope"] = dict(sorted(envelope.items(), key=lambda kv: int(kv[0][7:])))
            tracks.append(track)
        if len(tracks) != len(out["tracks"]):
            for number, track in enumerate(tracks, 1):
                track["track_index"] = number
        out["tracks"] = tracks
        return out

    def _row(self, index: int, row: dict) -> None:
        ImGui, ctx = self.ImGui, self.ctx
        ImGui.PushID(ctx, f"track{index}")
        ImGui.TableNextRow(ctx)
        ImGui.TableNextColumn(ctx)
        row["enabled"] = ImGui.Checkbox(ctx, "##enabled", row["enabled"])[1]
        ImGui.TableNextColumn(ctx)
        ImGui.Text(ctx, self.scheme["tracks"][index]["name"])
        ImGui.TableNextColumn(ctx)
        items = "".join(f"{key}\0" for key in self.instruments)
        row["instrument"] = ImGui.Combo(ctx, "##instrument", row["instrument"], items)[1]
        ImGui.TableNextColumn(ctx)
        row["pan"] = ImGui.SliderDouble(ctx, "##pan", row["pan"], -1.0, 1.0, "%.2f")[1]
        ImGui.TableNextColumn(ctx)
        row["reverb"] = ImGui.SliderDouble(ctx, "##reverb", row["reverb"], 0.0, 1.0, "%.2f")[1]
        ImGui.TableNextColumn(ctx)
        if ImGui.TreeNode(ctx, "dB per measure##envelope"):
            for m in range(1, self.measures + 1):
                changed, db = ImGui.InputDouble(ctx, f"measure {m}", row["db"][m - 1], 1.0, 6.0, "%.1f dB")
                if changed:
                    row["db"][m - 1] = db
                    row["edited"][m] = round(db_to_gain(db), 4)
            ImGui.TreePop(ctx)
        ImGui.PopID(ctx)

    def frame(self) -> str | None:
        ImGui, ctx = self.ImGui, self.ctx
        ImGui.SetNextWindowSize(ctx, 820, 420, ImGui.Cond_FirstUseEver())
        visible, still_open = ImGui.Begin(ctx, TITLE, True)
        decision = None
        if visible:
            tempo = self.scheme.get("tempo", {})
            ImGui.Text(ctx, f"{self.scheme.get('key', '')}, {self.measures} measures, "
                            f"{tempo.get('bpm', '')} BPM")
            flags = ImGui.TableFlags_Borders() | ImGui.TableFlags_RowBg()
            if ImGui.BeginTable(ctx, "tracks", 6, flags):
                for label in ("on", "track", "instrument", "pan", "reverb", "volume"):
                    ImGui.TableSetupColumn(ctx, label)
                ImGui.TableHeadersRow(ctx)
                for index, row in enumerate(self.rows):
                    self._row(index, row)
                ImGui.EndTable(ctx)
            if self.message:
                ImGui.Text(ctx, self.message)
            if ImGui.Button(ctx, "Accept"):
                if any(row["enabled"] for row in self.rows):
                    decision = "accept"
                else:
                    self.message = "Keep at least one track."
            ImGui.SameLine(ctx)
            if ImGui.Button(ctx, "Cancel"):
                decision = "cancel"
            ImGui.End(ctx)
        if not still_open:
            decision = "cancel"
        return decision
