"""A person's cue sheet in place of the detected one (`score --cues FILE`), and the cues.json we write.

cues.json is what a composer edits after a spotting session: move a cue's start to another cut, delete
a cue so the music rests, give two cues the same theme label so the theme comes back. The file is a
JSON object with a "cues" list (cues.json, or a whole spotting.json or plan.json) or the list alone;
each cue is {number, start, end, title, mood, reason, theme}, only start and end required. A missing
number is given by order (1M1, 1M2, ...), a missing theme or mood is the one the picture suggests.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..model import VOCABULARY, Cue, cue_number
from .cues import MAX_CUES
from .edits import read_json_list

#: a theme label: one to three capital letters ("A", "B", ..., "AA"); "" leaves it to the picture
THEME_LABEL = re.compile(r"[A-Z]{1,3}")
#: a cue may end this far (s) past the clip's stated length (containers round their durations)
END_SLACK = 0.5
#: the shortest cue (s): it must hold a beat at the slowest tempo a mood asks for (spot/tempo.py)
MIN_CUE = 2.0
#: what a cue of the file may say
_KEYS = ("number", "start", "end", "title", "mood", "reason", "theme")


def load_cues(path: str | Path, *, reel: int = 1, duration: float | None = None,
              max_cue: float | None = None) -> list[Cue]:
    """The cues in `path` in time order, or an InputError naming the file and the first problem:
    not JSON, not a list of cues, a bad time, mood or theme label, two cues overlapping, the same
    number twice, a cue too short to hold a beat or (with `max_cue`) longer than one arranged piece,
    or (with `duration`, the clip's length) a cue outside the clip."""
    path = Path(path)
    data = read_json_list(path, "cues",
                          neither="holds neither a list of cues nor an object with a \"cues\" list",
                          not_list="cues must be a JSON list of {number, start, end, title, mood, theme}")
    if not data:
        raise InputError(path, "holds no cues; a film needs at least one")
    cues = [_cue(path, number, item) for number, item in enumerate(data, 1)]
    cues.sort(key=lambda c: c.start)
    for index, cue in enumerate(cues, 1):
        cue.number = cue.number or cue_number(reel, index)
    for cue in cues:
        if cue.end - cue.start < MIN_CUE:
            raise InputError(path, f"cue {cue.number} lasts {cue.end - cue.start:.3f} s; a cue holds at least"
                                   f" {MIN_CUE:g} s (a beat at the slowest tempo)")
        if max_cue is not None and cue.end - cue.start > max_cue:
            raise InputError(path, f"cue {cue.number} lasts {cue.end - cue.start:.1f} s; at most"
                                   f" {max_cue:g} s is arranged as one cue (split it in two)")
    if len(cues) > MAX_CUES:
        raise InputError(path, f"holds {len(cues)} cues; at most {MAX_CUES} in one film (its overview"
                               " scheme has a section per cue)")
    numbers = [c.number for c in cues]
    twice = next((n for n in numbers if numbers.count(n) > 1), None)
    if twice is not None:
        raise InputError(path, f"cue number {twice} is used twice")
    for a, b in zip(cues, cues[1:], strict=False):
        if b.start < a.end - 1e-6:
            raise InputError(path, f"cues {a.number} ({a.start:.3f}-{a.end:.3f} s) and {b.number}"
                                   f" ({b.start:.3f}-{b.end:.3f} s) overlap")
    if duration is not None:
        check_inside(cues, duration, path)
    return cues


def check_inside(cues: list[Cue], duration: float, source: str | Path) -> None:
    """Refuse, naming `source`, a cue that ends past the clip (beyond END_SLACK) or is empty."""
    for cue in cues:
        if cue.end > duration + END_SLACK:
            raise InputError(source, f"cue {cue.number} ends at {cue.end:.3f} s, past the clip's end"
                                     f" ({duration:.3f} s)")
        if cue.start >= duration:
            raise InputError(source, f"cue {cue.number} starts at {cue.start:.3f} s, after the clip's end"
                                     f" ({duration:.3f} s)")


def _cue(path: Path, number: int, item: Any) -> Cue:
    """Cue `number` (1-based, as listed) of the file, checked field by field."""
    where = f"cue {number}"
    if not isinstance(item, dict):
        raise InputError(path, f"{where}: not an object")
    unknown = sorted(set(item) - set(_KEYS))
    if unknown:
        raise InputError(path, f"{where}: unknown key {unknown[0]!r} (a cue has {', '.join(_KEYS)})")
    for key in ("start", "end"):
        value = item.get(key)
        if value is None:
            raise InputError(path, f"{where}: has no {key!r}")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
                or value < 0:
            raise InputError(path, f"{where}: {key} must be seconds >= 0, got {value!r}")
    for key in ("number", "title", "mood", "reason", "theme"):
        if not isinstance(item.get(key, ""), str):
            raise InputError(path, f"{where}: {key} must be text, got {item[key]!r}")
    if item["end"] <= item["start"]:
        raise InputError(path, f"{where}: ends ({item['end']}) before it starts ({item['start']})")
    theme = item.get("theme", "").strip()
    if theme and not THEME_LABEL.fullmatch(theme):
        raise InputError(path, f"{where}: theme label {theme!r} is not one to three capital letters"
                               " (\"A\", \"B\", ... cues sharing a label share a theme)")
    mood = item.get("mood", "").strip()
    if mood and mood not in VOCABULARY["emotion"]:
        raise InputError(path, f"{where}: mood {mood!r} is not one of {', '.join(VOCABULARY['emotion'])}")
    return Cue(item.get("number", "").strip(), float(item["start"]), float(item["end"]),
               item.get("title", ""), mood=mood, reason=item.get("reason", "") or "placed by hand",
               theme=theme)


def cues_document(cues: list[Cue], *, video: str, duration: float) -> dict[str, Any]:
    """What cues.json holds: the clip it belongs to, its length, and the cues (load_cues reads it back)."""
    return {"video": Path(video).name, "duration": round(duration, 6), "cues": [c.to_dict() for c in cues]}
