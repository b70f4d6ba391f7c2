"""Plan: scheme + melody -> `Plan`, every note, gain, pan, send and marker resolved in seconds.

A deterministic part writer: each scheme track's `source` picks a writer (melody, its octave
doubling for a `doubling` track, counter-line, chord voicings, bass, an ostinato as busy as the
picture moves, or the kit for unpitched percussion); articulation, softening and
the range guard follow, so the REAPER, .RPP and offline paths all receive the same playable notes.
"""

from __future__ import annotations

from ..config import Config
from ..model import Melody, Note, Plan, PlanTrack, ReverbBus, Scheme, SchemeTrack, Spotting
from ..progress import Progress, no_progress
from ..schemes import Instrument, load_instruments, validate_scheme
from .dynamics import articulate, envelope, measure_levels, soften
from .follow import melody_as_scheme_says
from .harmony import harmony
from .markers import markers
from .motion import measure_motion
from .part_writers import WRITERS, Context, doubling_part, hits_part, kit_part
from .ranges import fit
from .texture import measure_textures
from .voicing import ABOVE_ALLOWED, TuneCeiling, sing_shift, under_tune

__all__ = ["plan"]

#: fader gain of every generated track; the envelopes carry the dynamics
FADER = 0.8
#: the reverb return's fader (-9.1 dB): the room sits 6 LU or more under the dry orchestra. At 0.55
#: bench/bench_mix.py measured -3.9 LU (bright meadow clip, calm, wide shots) and -4.8 LU (dreamy
#: neutral clip): the sends of wide, dreamy, calm pictures add up; clarity wants -6 or less everywhere
REVERB_RETURN = 0.35


def plan(scheme: Scheme, melody: Melody, spotting: Spotting, config: Config | None = None, *,
         instruments: dict[str, Instrument] | None = None, progress: Progress = no_progress) -> Plan:
    """Write every part of `scheme` for `melody` over the clip `spotting` describes.

    `instruments` is the instrument library (default: schemes/instruments.json); each track takes its
    General MIDI program, range and REAPER FX (`reaper_fx`: "ReaSynth" or a user's VSTi) from it.

    The scheme's tempo and key are honoured: where a person edited them, the melody is laid onto
    the scheme's tempo map and moved into its key before any part is written (plan/follow.py).

    Example: ``p = plan(scheme, melody, spotting); p.save("plan.json")``.
    """
    library = instruments if instruments is not None else load_instruments()
    validate_scheme(scheme.to_dict(), "scheme", instruments=library)
    config = config or Config()
    factor = config.soften_factor
    melody = melody_as_scheme_says(melody, scheme)
    tm = melody.tempo_map
    measures = max(scheme.measures, tm.measure_count(spotting.duration))
    motion = measure_motion(spotting, tm, measures, config.motion_reference)
    ctx = Context(melody, harmony(melody, measures, spotting.duration), measures, spotting.duration,
                  _intensity(scheme, measures), spotting.rhythm_spots, motion,
                  _melody_shift(scheme, melody, library), measure_textures(spotting, tm, measures, motion))
    tracks = []
    for i, track in enumerate(scheme.tracks):
        planned = _plan_track(track, library[track.instrument], ctx, factor)
        planned.name = track_name(track, library)
        tracks.append(planned)
        progress((i + 1) / (len(scheme.tracks) + 1))
    _voice_under_tune(tracks, scheme, library)
    sends = [t.reverb_space for t in scheme.tracks]
    room = 0.35 + 0.6 * (sum(sends) / len(sends))
    return Plan(spotting.duration, tm, scheme.key, tracks, markers(spotting, scheme, tm),
                ReverbBus(room_size=round(min(1.0, room), 3), volume=REVERB_RETURN), spotting.video,
                config.sample_rate,
                timecode=spotting.timecode, cues=spotting.cue_list(config.reel), streamers=config.streamers)


def _plan_track(track: SchemeTrack, inst: Instrument, ctx: Context, factor: float) -> PlanTrack:
    if inst.is_drum:
        notes = kit_part(ctx, inst, track.transpose, eighths=track.source == "ostinato")
    elif track.role == "doubling" and track.source == "melody":
        notes = doubling_part(ctx, inst, track.transpose)
    elif track.role == "percussion":
        notes = hits_part(ctx, inst, track.transpose)
    else:
        notes = WRITERS[track.source](ctx, inst, track.transpose)
    notes = articulate(notes, track.articulation, ctx.tm)
    notes = soften(notes, set(track.softened_measures), ctx.tm, factor)
    notes = _clip(fit(notes, inst.low, inst.high), ctx.duration)
    levels = measure_levels(track, ctx.measures, factor)
    return PlanTrack(track.name, track.role, inst.key, inst.gm_program, [inst.reaper_fx], notes,
                     pan=track.panning, volume=FADER, reverb_send=track.reverb_space,
                     volume_envelope=envelope(levels, ctx.tm), is_drum=inst.is_drum)


def track_name(track: SchemeTrack, library: dict[str, Instrument]) -> str:
    """The track's name, following an edited instrument: a name that is another instrument's display
    name was ours (the arranger names tracks after their instrument), so a track changed from French
    horns to a solo violin is called "Solo Violin" in REAPER, its stem and the .rpp; a name the
    user chose ("Lead line") stays."""
    current = library[track.instrument].name
    others = {inst.name for key, inst in library.items() if key != track.instrument}
    return current if track.name != current and track.name in others else track.name


def _melody_shift(scheme: Scheme, melody: Melody, library: dict[str, Instrument]) -> int:
    """How far the (first) melody track sounds from the theme: its transpose and its range octave."""
    lead = next((t for t in scheme.tracks if t.role == "melody" and t.source == "melody"), None)
    if lead is None or not melody.notes:
        return 0
    inst = library[lead.instrument]
    pitches = [n.pitch + lead.transpose for n in melody.notes]
    return lead.transpose + sing_shift(pitches, inst)


def _voice_under_tune(tracks: list[PlanTrack], scheme: Scheme, library: dict[str, Instrument]) -> None:
    """Every accompanying part at or under the tune as it sounds (plan/voicing.py), in place."""
    lead = next((t for t, s in zip(tracks, scheme.tracks, strict=True)
                 if s.role == "melody" and s.source == "melody"), None)
    if lead is None or not lead.notes:
        return
    line = sorted(lead.notes, key=lambda n: n.start)
    held = [Note(n.pitch, n.start, max(n.end, nxt.start), n.velocity)  # the tune rings on to its next note
            for n, nxt in zip(line, line[1:], strict=False)] + [line[-1]]
    ceiling = TuneCeiling(held)
    for track, spec in zip(tracks, scheme.tracks, strict=True):
        if track is not lead and not track.is_drum and spec.role not in ABOVE_ALLOWED:
            track.notes = under_tune(track.notes, ceiling, library[spec.instrument].low)


def _intensity(scheme: Scheme, measures: int) -> list[float]:
    """Each measure's section intensity (0.5 where no section covers it)."""
    levels = [0.5] * measures
    for section in scheme.sections:
        first, last = section.measures
        for m in range(max(1, first), min(measures, last) + 1):
            levels[m - 1] = section.intensity
    return levels


def _clip(notes: list[Note], duration: float) -> list[Note]:
    """Notes that start inside the clip, cut at its end, in time order."""
    out = [Note(n.pitch, n.start, min(n.end, duration), n.velocity) for n in notes
           if n.start < duration - 1e-3]
    return sorted(out, key=lambda n: (n.start, n.pitch))
