"""The .RPP lines that tie a project to picture: frame rate, start time and one region per cue.

Field meanings are the ReaTeam "State Chunk Definitions" (../shared/reference/reaper-docs/): TIMEMODE's
second field is REAPER's frame-rate preset, its fourth the whole frames a second and its fifth 1 for
drop-frame, 2 for the other NTSC (x/1.001) rates; PROJOFFS's first field is the project start time in
seconds (the first frame's label as real time), and SMPTESYNC's second the rate timecode runs at, as
REAPER writes it (23.976024). A region is two MARKER lines with flag 1 sharing one number.
"""

from __future__ import annotations

from fractions import Fraction

from ..model import Cue, Timecode
from ..timecode import can_drop, nominal_fps

#: REAPER's frame-rate presets by (whole frames a second, drop-frame, NTSC): the index it stores
_PRESETS = {(24, False, True): 0, (24, False, False): 1, (25, False, False): 2, (30, True, True): 3,
            (30, False, True): 4, (30, False, False): 5, (75, False, False): 6, (48, False, False): 7,
            (50, False, False): 8, (60, False, False): 9}
#: where REAPER has no preset (59.94, 15 fps): the whole fps and flags carry the rate
_NO_PRESET = 9
#: what a project without picture is set to: REAPER's default, 30 fps
DEFAULT = Timecode("30/1")


def _number(x: float) -> str:
    text = f"{float(x):.10f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def timemode_line(timecode: Timecode | None) -> str:
    """TIMEMODE with the picture's frame rate (ruler unit and secondary unit as REAPER's default)."""
    tc = timecode or DEFAULT
    rate = tc.fraction
    ntsc = rate.denominator != 1
    drop = tc.drop_frame and can_drop(rate)
    whole = nominal_fps(rate)
    preset = _PRESETS.get((whole, drop, ntsc), _NO_PRESET)
    flag = 1 if drop else 2 if ntsc else 0
    return f"TIMEMODE 1 {preset} -1 {whole} {flag} 0 -1"


def projoffs_line(timecode: Timecode | None) -> str:
    """PROJOFFS: the project starts at the first frame's label (seconds), measure numbering from 1."""
    return f"PROJOFFS {_number((timecode or DEFAULT).start_seconds)} 0 0"


def smptesync_line(timecode: Timecode | None) -> str:
    """SMPTESYNC with the picture's rate, the other fields REAPER's defaults (reference projects)."""
    rate: Fraction = (timecode or DEFAULT).fraction
    shown = _number(round(float(rate), 6))
    return f"SMPTESYNC 0 {shown} 100 40 1000 300 0 0 1 0 0"


def regions(cues: list[Cue], *, color: int = 0) -> list[tuple[float, list[str]]]:
    """(start, its two MARKER lines) per cue: the start named by cue number, then the end; numbered
    1.. in time order (REAPER numbers regions apart from markers)."""
    out = []
    for number, cue in enumerate(sorted(cues, key=lambda c: c.start), start=1):
        name = cue.number.replace('"', "'")
        out.append((cue.start, [f'MARKER {number} {_number(cue.start)} "{name}" 1 {color} 1 R',
                                f'MARKER {number} {_number(cue.end)} "" 1 {color} 1 R']))
    return out


def region_state(cues: list[Cue]) -> dict[int, dict]:
    """The regions an apply made, as the ExtState records them: {number: {"name", "pos", "end"}}."""
    return {number: {"name": cue.number, "pos": float(_number(cue.start)), "end": float(_number(cue.end))}
            for number, cue in enumerate(sorted(cues, key=lambda c: c.start), start=1)}
