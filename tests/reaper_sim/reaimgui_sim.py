"""A simulated ReaImGui: the Python binding (`imgui.py`) ReaImGui 0.9+ installs for ReaScripts.

Only the functions the product's review window calls, with ReaImGui's Python conventions (as its own
examples use them): a function returns its return value followed by its in/out arguments, as a tuple
when there are several (`changed, value = Checkbox(ctx, label, value)`, `visible, open = Begin(...)`),
flags are functions (`TableFlags_Borders()`), and a context that misses a whole defer cycle is
destroyed. Immediate mode: every frame the script calls the widgets again; a scripted user answers.

The user is `USER`, a queue of (widget path, value) actions consumed in order, each when its widget is
drawn: a path is the widget's ID stack below the window joined by "/" (`"track0/##pan"`, `"Accept"`),
a value is what the widget then returns as its new value (True for a button press, an index for a
combo). A tree node opens when an action names it. `DRAWN` records every widget of every frame
(path, kind, value shown), so a test can check what the window showed. Misuse that ReaImGui reports
as an error (End without Begin, unbalanced IDs or tables, a destroyed context, an action whose widget
never appears) raises `ImGuiError`.

A test installs it where ReaImGui puts its binding: a file `imgui.py` in the resource path's
Scripts/ReaTeam Extensions/API folder containing `from reaimgui_sim import *` (`install(resource)`).
"""

from __future__ import annotations

import itertools
from collections import deque
from pathlib import Path
from typing import Any

import reaper_host as rp


class ImGuiError(RuntimeError):
    """What ReaImGui would raise (or crash on)."""


class _Context:
    def __init__(self, label: str) -> None:
        self.label = label
        self.alive = True
        self.used = True  # created in this cycle: it lives until the end of the next one
        self.window: str | None = None
        self.ids: list[str] = []
        self.tables = 0
        self.trees = 0
        self.open_trees: set[str] = set()
        self.frames = 0


USER: deque[tuple[str, Any]] = deque()
DRAWN: list[list[tuple[str, str, Any]]] = []
_CONTEXTS: dict[str, _Context] = {}
_NEXT = itertools.count(0x7000, 0x10)
_STALLED = {"cycles": 0}


def reset() -> None:
    USER.clear()
    DRAWN.clear()
    _CONTEXTS.clear()
    _STALLED["cycles"] = 0
    if _end_of_cycle not in rp.CYCLE_HOOKS:
        rp.CYCLE_HOOKS.append(_end_of_cycle)


def install(resource_path: str | Path) -> Path:
    """Put the binding where ReaImGui installs it, pointing at this simulation."""
    folder = Path(resource_path) / "Scripts" / "ReaTeam Extensions" / "API"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "imgui.py").write_text("from reaimgui_sim import *  # noqa: F403\n", encoding="utf-8")
    reset()
    return folder / "imgui.py"


def _end_of_cycle() -> None:
    """ReaImGui destroys a context that went a whole defer cycle unused; a user waiting on a widget that
    two drawn frames never showed is a test that cannot go on."""
    drawn = False
    for ctx in _CONTEXTS.values():
        if ctx.alive and not ctx.used:
            ctx.alive = False
        drawn |= ctx.used and ctx.frames > 0
        ctx.used = False
    if USER and drawn:
        _STALLED["cycles"] += 1
        if _STALLED["cycles"] >= 2:
            raise ImGuiError(f"the user looked for {USER[0][0]!r} but no frame drew it")


def _ctx(handle: str) -> _Context:
    ctx = _CONTEXTS.get(handle)
    if ctx is None or not ctx.alive:
        raise ImGuiError(f"ImGui context {handle!r} is not valid (destroyed after an unused defer cycle?)")
    ctx.used = True
    return ctx


def _in_window(ctx: _Context) -> None:
    if ctx.window is None:
        raise ImGuiError("widget drawn outside Begin/End")


def _widget(ctx: _Context, label: str, kind: str, value: Any) -> tuple[bool, Any]:
    """Record the widget; when the user's next action names it, return (True, the user's value)."""
    _in_window(ctx)
    path = "/".join([*ctx.ids, label])
    DRAWN[-1].append((path, kind, value))  # what the frame showed, before the user acts on it
    if USER and USER[0][0] == path:
        _STALLED["cycles"] = 0
        return True, USER.popleft()[1]
    return False, value


# ------------------------------------------------------------------------------------------ flags


def Cond_FirstUseEver() -> int:
    return 1 << 2


def TableFlags_Borders() -> int:
    return (1 << 7) | (1 << 8) | (1 << 9) | (1 << 10)


def TableFlags_RowBg() -> int:
    return 1 << 6


# ------------------------------------------------------------------------------- context, window


def CreateContext(label: str, config_flags: int = 0) -> str:
    handle = f"(ImGui_Context*)0x{next(_NEXT):016X}"
    _CONTEXTS[handle] = _Context(label)
    return handle


def ValidatePtr(pointer: str, type: str) -> bool:  # noqa: A002 (ReaImGui's parameter name)
    ctx = _CONTEXTS.get(pointer)
    return type == "ImGui_Context*" and ctx is not None and ctx.alive


def SetNextWindowSize(ctx: str, size_w: float, size_h: float, cond: int = 0) -> None:
    _ctx(ctx)


def Begin(ctx: str, name: str, p_open: bool | None = None, flags: int = 0) -> tuple[bool, bool | None]:
    """(visible, open); the user closes the window with the action ("<close>", True)."""
    c = _ctx(ctx)
    if c.window is not None:
        raise ImGuiError("Begin inside Begin")
    c.window, c.ids, c.frames = name, [], c.frames + 1
    DRAWN.append([])
    if p_open is not None and USER and USER[0][0] == "<close>":
        USER.popleft()
        return True, False
    return True, p_open


def End(ctx: str) -> None:
    c = _ctx(ctx)
    if c.window is None:
        raise ImGuiError("End without Begin (ReaImGui 0.9: call End only when Begin returned true)")
    if c.ids or c.tables or c.trees:
        raise ImGuiError(f"End with IDs {c.ids}, {c.tables} tables, {c.trees} tree nodes still open")
    c.window = None


# ------------------------------------------------------------------------------------ layout, ID


def PushID(ctx: str, str_id: str) -> None:
    c = _ctx(ctx)
    _in_window(c)
    c.ids.append(str(str_id))


def PopID(ctx: str) -> None:
    c = _ctx(ctx)
    if not c.ids:
        raise ImGuiError("PopID without PushID")
    c.ids.pop()


def SameLine(ctx: str, offset_from_start_x: float = 0.0, spacing: float = -1.0) -> None:
    _in_window(_ctx(ctx))


def Separator(ctx: str) -> None:
    _in_window(_ctx(ctx))


def SetNextItemWidth(ctx: str, item_width: float) -> None:
    _in_window(_ctx(ctx))


def Text(ctx: str, text: str) -> None:
    c = _ctx(ctx)
    _in_window(c)
    DRAWN[-1].append(("/".join(c.ids), "text", str(text)))


# ----------------------------------------------------------------------------------------- tables


def BeginTable(ctx: str, str_id: str, column: int, flags: int = 0, outer_size_w: float = 0.0,
               outer_size_h: float = 0.0, inner_width: float = 0.0) -> bool:
    c = _ctx(ctx)
    _in_window(c)
    if column < 1:
        raise ImGuiError("BeginTable needs at least one column")
    c.tables += 1
    c.ids.append(str_id)
    return True


def EndTable(ctx: str) -> None:
    c = _ctx(ctx)
    if not c.tables:
        raise ImGuiError("EndTable without BeginTable")
    c.tables -= 1
    c.ids.pop()


def TableSetupColumn(ctx: str, label: str, flags: int = 0, init_width_or_weight: float = 0.0,
                     user_id: int = 0) -> None:
    if not _ctx(ctx).tables:
        raise ImGuiError("TableSetupColumn outside a table")


def TableHeadersRow(ctx: str) -> None:
    if not _ctx(ctx).tables:
        raise ImGuiError("TableHeadersRow outside a table")


def TableNextRow(ctx: str, row_flags: int = 0, min_row_height: float = 0.0) -> None:
    if not _ctx(ctx).tables:
        raise ImGuiError("TableNextRow outside a table")


def TableNextColumn(ctx: str) -> bool:
    if not _ctx(ctx).tables:
        raise ImGuiError("TableNextColumn outside a table")
    return True


# ---------------------------------------------------------------------------------------- widgets


def Button(ctx: str, label: str, size_w: float = 0.0, size_h: float = 0.0) -> bool:
    return _widget(_ctx(ctx), label, "button", False)[0]


def Checkbox(ctx: str, label: str, v: bool) -> tuple[bool, bool]:
    changed, value = _widget(_ctx(ctx), label, "checkbox", bool(v))
    return changed, bool(value)


def Combo(ctx: str, label: str, current_item: int, items: str,
          popup_max_height_in_items: int = -1) -> tuple[bool, int]:
    """`items` is ReaImGui's NUL-separated, NUL-terminated list."""
    if not items.endswith("\0"):
        raise ImGuiError("Combo items must be NUL-separated and NUL-terminated")
    entries = items[:-1].split("\0")
    changed, value = _widget(_ctx(ctx), label, "combo", (current_item, entries))
    if changed:
        if not 0 <= int(value) < len(entries):
            raise ImGuiError(f"the user picked item {value} of {len(entries)}")
        return True, int(value)
    return False, current_item


def SliderDouble(ctx: str, label: str, v: float, v_min: float, v_max: float, format: str = "%.3f",  # noqa: A002
                 flags: int = 0) -> tuple[bool, float]:
    changed, value = _widget(_ctx(ctx), label, "slider", float(v))
    return changed, min(max(float(value), v_min), v_max)  # a slider drag stays within its range


def InputDouble(ctx: str, label: str, v: float, step: float = 0.0, step_fast: float = 0.0,
                format: str = "%.3f", flags: int = 0) -> tuple[bool, float]:  # noqa: A002
    changed, value = _widget(_ctx(ctx), label, "input", float(v))
    return changed, float(value)


def TreeNode(ctx: str, label: str, flags: int = 0) -> bool:
    c = _ctx(ctx)
    changed, _ = _widget(c, label, "tree", None)
    path = "/".join([*c.ids, label])
    if changed:
        c.open_trees.add(path)
    if path in c.open_trees:
        c.trees += 1
        c.ids.append(label)
        return True
    return False


def TreePop(ctx: str) -> None:
    c = _ctx(ctx)
    if not c.trees:
        raise ImGuiError("TreePop without an open TreeNode")
    c.trees -= 1
    c.ids.pop()
