"""A cue's own spotting: the film's shots, spots and motion inside the cue, on the cue's clock.

Each cue is composed, arranged and planned as a clip of its own (0 s is the cue's first frame), so
every stage works on it unchanged; its tempo is fitted to its own cuts at the tempo its mood and
motion ask for, as a composer sets a new tempo for each cue.
"""

from __future__ import annotations

from ..errors import InputError
from ..model import Cue, MotionCurve, RhythmSpot, Shot, Spotting, Timecode
from ..spot.attributes import main_emotion
from ..spot.tempo import base_tempo, cut_errors, fit_tempo

#: a shot shorter than this inside a cue (a cue boundary a frame off a cut) is merged into its neighbour
_SLIVER = 1e-3


def is_multi_cue(spotting: Spotting) -> bool:
    """True when music does not simply play over the whole clip: several cues, or one shorter cue."""
    cues = spotting.cue_list()
    if len(cues) != 1:
        return True
    frame = 1.0 / spotting.fps if spotting.fps > 0 else 0.05
    return cues[0].start > frame or cues[0].end < spotting.duration - frame


def check_cues(spotting: Spotting, where: str) -> list[Cue]:
    """The cues in time order, refused in one line (naming `where`) when they overlap, leave the clip
    or are shorter than a beat of their tempo."""
    cues = sorted(spotting.cue_list(), key=lambda c: c.start)
    for cue in cues:
        if cue.start < 0 or cue.end > spotting.duration + 1e-6:
            raise InputError(where, f"cue {cue.number} ({cue.start:g}..{cue.end:g} s) is not inside the clip"
                                    f" (0..{spotting.duration:g} s)")
    for a, b in zip(cues, cues[1:], strict=False):
        if b.start < a.end - 1e-6:
            raise InputError(where, f"cues {a.number} and {b.number} overlap ({b.start:g} s < {a.end:g} s)")
    if len({c.number for c in cues}) != len(cues):
        raise InputError(where, "two cues share a number")
    return cues


def cue_spotting(spotting: Spotting, cue: Cue, *, meter: tuple[int, int] | None = None) -> Spotting:
    """`spotting` cut to `cue` and moved to start at 0 s, with a tempo map fitted to the cue's cuts at
    the tempo the cue's mood and motion ask for. `meter` (default: the film's) is every cue's, since
    the film's one tempo map carries one meter."""
    t0, t1 = cue.start, min(cue.end, spotting.duration)
    shots = [Shot(max(s.start, t0) - t0, min(s.end, t1) - t0, s.motion_speed, s.motion_saliency, s.attributes)
             for s in spotting.shots if min(s.end, t1) - max(s.start, t0) > _SLIVER]
    if not shots:
        raise InputError(spotting.video, f"cue {cue.number} ({t0:g}..{t1:g} s) covers no picture")
    shots[0].start, shots[-1].end = 0.0, t1 - t0
    spots = [RhythmSpot(s.time - t0, s.strength, s.kind, s.weight) for s in spotting.rhythm_spots
             if t0 + _SLIVER < s.time < t1 - _SLIVER]
    curve = spotting.motion_curve
    inside = [i for i, t in enumerate(curve.times) if t0 <= t < t1]
    local = MotionCurve([curve.times[i] - t0 for i in inside], [curve.values[i] for i in inside],
                        [curve.impacts[i] for i in inside] if len(curve.impacts) == len(curve.times) else [])
    duration = t1 - t0
    emotion = cue.mood or main_emotion(shots) or spotting.emotion
    speed = sum(s.motion_speed * s.duration for s in shots) / duration
    bpm, _ = base_tempo(emotion, speed)
    meter = meter or spotting.tempo_map.meter
    if duration < 60.0 / bpm:
        raise InputError(spotting.video, f"cue {cue.number} is {duration:.2f} s long, shorter than one beat"
                                         f" ({60.0 / bpm:.2f} s)")
    cuts = [s.start for s in shots[1:]]
    weights = {round(s.time, 6): s.weight for s in spots if s.kind == "cut"}
    tempo_map = fit_tempo(cuts, bpm, meter, weights=[weights.get(round(t, 6), 1.0) for t in cuts])
    clock = spotting.clock()
    return Spotting(video=spotting.video, duration=duration, fps=spotting.fps,
                    frame_count=max(1, round(duration * spotting.fps)), width=spotting.width,
                    height=spotting.height, shots=shots, rhythm_spots=spots, tempo_map=tempo_map,
                    emotion=emotion, motion_curve=local, cut_errors=cut_errors(tempo_map, cuts),
                    timecode=Timecode(clock.rate, clock.drop_frame, clock.label(t0)),
                    cues=[Cue(cue.number, 0.0, duration, cue.title, cue.mood, cue.reason, cue.theme)])

