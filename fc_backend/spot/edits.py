"""A person's rhythm spots in place of the detected ones (`score --spots FILE`).

The file is the same JSON the spotting writes: a list of {time, strength, kind}, or a whole
spotting.json (its `rhythm_spots` are used). The user's cut spots are the cuts: each shot boundary
moves to the nearest frame start of a cut spot, a deleted cut merges two shots, an added one splits a
shot, and the tempo map is fitted to those cuts. Motion and attributes are measured again over the
new shots; motion and accent spots are kept as given.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..errors import InputError
from ..model import MAX_WEIGHT, RhythmSpot


def read_json_list(path: Path, key: str, *, neither: str, not_list: str) -> list:
    """The JSON list in `path`, alone or under `key` of an object (a whole spotting.json or plan.json
    holds it there), or an InputError naming the file: missing, not JSON, `neither`, `not_list`."""
    if not path.is_file():
        raise InputError(path, "no such file" if not path.exists() else "not a file")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise InputError(path, f"not valid JSON ({err})") from None
    if isinstance(data, dict):
        if key not in data:
            raise InputError(path, neither)
        data = data[key]
    if not isinstance(data, list):
        raise InputError(path, not_list)
    return data


def load_spots(path: str | Path) -> list[RhythmSpot]:
    """The rhythm spots in `path`, or an InputError naming the file and the first problem."""
    path = Path(path)
    data = read_json_list(path, "rhythm_spots",
                          neither="holds neither a list of rhythm spots nor a spotting with rhythm_spots",
                          not_list="rhythm spots must be a JSON list of {time, strength, kind}")
    spots = []
    for number, item in enumerate(data, 1):
        try:
            if not isinstance(item, dict):
                raise ValueError("not an object")
            missing = [key for key in ("time", "strength") if key not in item]
            if missing:
                raise ValueError(f"has no {missing[0]!r}")
            name = item.get("name")  # REAPER's marker name; "door slam!" marks a heavy hit
            spot = RhythmSpot.from_dict({k: v for k, v in item.items() if k != "name"})
            if isinstance(name, str) and name.rstrip().endswith("!"):
                spot.weight = MAX_WEIGHT
            if not isinstance(spot.time, (int, float)) or not math.isfinite(spot.time) or spot.time < 0:
                raise ValueError(f"time must be seconds >= 0, got {spot.time!r}")
            spot.time, spot.strength = float(spot.time), float(spot.strength)
        except (ValueError, TypeError) as err:
            raise InputError(path, f"rhythm spot {number}: {err}") from None
        spots.append(spot)
    return spots


def fit_spots(spots: Sequence[RhythmSpot], frame_times: np.ndarray, duration: float,
              source: str | Path) -> list[RhythmSpot]:
    """`spots` checked against the clip, cut spots moved to the nearest frame start, in time order.

    Two cuts on one frame become the stronger one; a cut on the first frame (or after the last) is
    no cut and is refused, as is any spot past the clip's end, naming `source`.
    """
    kept: dict[int, RhythmSpot] = {}
    others = []
    for spot in spots:
        if spot.time > duration + 1e-6:
            raise InputError(source, f"{spot.kind} spot at {spot.time:.3f} s is past the clip's end"
                                     f" ({duration:.3f} s)")
        if spot.kind != "cut":
            others.append(RhythmSpot(spot.time, spot.strength, spot.kind, spot.weight))
            continue
        frame = int(np.argmin(np.abs(frame_times - spot.time)))
        if frame == 0 or spot.time >= duration:
            raise InputError(source, f"cut spot at {spot.time:.3f} s is at the clip's start or end;"
                                     " a cut must fall inside the clip")
        if frame not in kept or spot.weight > kept[frame].weight:
            kept[frame] = RhythmSpot(float(frame_times[frame]), spot.strength, "cut", spot.weight)
    return sorted([*kept.values(), *others], key=lambda s: (s.time, s.kind != "cut"))
