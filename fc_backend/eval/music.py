"""What a listener hears of a score, measured on the notes: the theme's rhythm, and the voicing around it.

Each measure reads a `Melody` (the theme, in beats through its own tempo map) or a `Plan` (every
part as it sounds), so a human tune from the corpus and one of ours are measured the same way.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..model import Melody, Plan, PlanTrack, Shot, Spotting, TempoMap

#: grids an onset may sit on, in beats: sixteenths and eighth-note triplets
GRIDS = (0.25, 1 / 3)
#: beats an onset may miss its grid by and still count as on it (a performed tick or two)
GRID_SLACK = 0.03
#: roles that sound the theme itself or unpitched hits, so they may sit above the melody
ABOVE_ALLOWED = ("melody", "doubling", "percussion")


def beat_notes(melody: Melody) -> list[tuple[float, float, int]]:
    """(start, duration, pitch) in beats, as a line: a chord's top note, each note cut at the next onset."""
    tm = melody.tempo_map
    notes = sorted(melody.notes, key=lambda n: (n.start, -n.pitch))
    line = [n for i, n in enumerate(notes) if i == 0 or abs(n.start - notes[i - 1].start) > 1e-6]
    out = []
    for i, n in enumerate(line):
        start, end = tm.beat_at(n.start), tm.beat_at(n.end)
        if i + 1 < len(line):
            end = min(end, tm.beat_at(line[i + 1].start))
        out.append((start, max(0.0, end - start), n.pitch))
    return out


def distinct_values(melody: Melody) -> int:
    """How many different note values (to a 48th of a beat) the theme uses; humans use about 3.

    The last note is left out: it is held as long as the tune (or the picture) lasts, not a value of
    the theme's rhythm.
    """
    return len({round(d * 48) for _, d, _ in beat_notes(melody)[:-1] if d > 1e-6})


def off_grid_share(melody: Melody) -> float:
    """Share of onsets on neither the sixteenth nor the eighth-triplet grid of the tempo map."""
    starts = [s for s, _, _ in beat_notes(melody)]
    if not starts:
        return 0.0
    return sum(not on_grid(s) for s in starts) / len(starts)


def on_grid(beat: float) -> bool:
    return any(abs(beat / g - round(beat / g)) * g <= GRID_SLACK for g in GRIDS)


def bar_rhythms(melody: Melody) -> list[tuple[int, ...]]:
    """Each bar's onset pattern (positions in 48ths of a beat), for bars with at least one onset."""
    per = melody.tempo_map.beats_per_measure
    bars: dict[int, list[int]] = {}
    for start, _, _ in beat_notes(melody):
        bar = int(start / per + 1e-6)
        bars.setdefault(bar, []).append(round((start - bar * per) * 48))
    return [tuple(bars[b]) for b in sorted(bars)]


def bar_recurrence(melody: Melody) -> float:
    """Share of bars whose rhythm another bar of the theme repeats exactly (humans: about half)."""
    bars = bar_rhythms(melody)
    if not bars:
        return 0.0
    counts = Counter(bars)
    return sum(counts[b] > 1 for b in bars) / len(bars)


def melody_on_top(plan: Plan, *, step_beats: float = 0.25) -> float:
    """Share of the time the melody track sounds that no accompanying part sounds above it.

    Sampled every `step_beats`; doublings, percussion and the drum kit may sit above (they are the
    theme itself or unpitched hits).
    """
    lead = next((t for t in plan.tracks if t.role == "melody"), None)
    if lead is None or not lead.notes:
        return 0.0
    others = [t for t in plan.tracks if t is not lead and not t.is_drum and t.role not in ABOVE_ALLOWED]
    tm = plan.tempo_map
    last = tm.beat_at(plan.duration)
    sampled = on_top = 0
    for i in range(int(last / step_beats)):
        t = tm.time_at(i * step_beats + step_beats / 2)
        top = _top_pitch([lead], t)
        if top is None:
            continue
        sampled += 1
        under = _top_pitch(others, t)
        on_top += under is None or under <= top
    return on_top / sampled if sampled else 0.0


def cut_hits(plan: Plan, *, window: float = 0.05) -> tuple[int, int]:
    """(cuts some part strikes a note within `window` seconds of, cuts): does the orchestra hit the picture?

    The cuts are the plan's cut markers inside the clip; every track counts, drums included.
    """
    cuts = [m.time for m in plan.markers if m.kind == "cut" and 0.0 < m.time < plan.duration]
    onsets = np.sort(np.array([n.start for t in plan.tracks for n in t.notes]))
    if not cuts or not onsets.size:
        return 0, len(cuts)
    at = np.searchsorted(onsets, cuts)
    near = [min(abs(onsets[max(0, i - 1)] - c), abs(onsets[min(onsets.size - 1, i)] - c))
            for i, c in zip(at, cuts, strict=True)]
    return sum(d <= window + 1e-9 for d in near), len(cuts)


#: roles whose figure and density make the accompaniment's texture (a counter-line follows the tune)
TEXTURE_ROLES = ("harmony", "ostinato", "bass")


def texture_changes(plan: Plan, spotting: Spotting, *,
                    reference: float = 0.1) -> tuple[tuple[int, int], tuple[int, int]]:
    """Does the accompaniment change texture where the picture changes, and only there?

    At each cut, the measure of the last downbeat before it is compared with that of the first
    downbeat after it (a cut whose shots hold no downbeat of their own is skipped): each
    accompanying part's onsets in the measure, and the ostinato's up/down steps (its figure), leaving
    out the positions where a cut in either measure re-strikes the parts. Returns ((changed, cuts
    where the shot's scale, brightness or motion class changes), (changed, cuts where none does));
    `reference` is `Config.motion_reference`.
    """
    tm = plan.tempo_map
    cuts = [c for c in spotting.cuts if 0.0 < c < plan.duration]
    parts = [t for t in plan.tracks if t.role in TEXTURE_ROLES and not t.is_drum]
    counts = {True: [0, 0], False: [0, 0]}
    for cut in cuts:
        before = next((s for s in spotting.shots if s.start < cut <= s.end), None)
        after = next((s for s in spotting.shots if s.start <= cut < s.end), None)
        if before is None or after is None:
            continue
        new_picture = _look(before, reference) != _look(after, reference)
        m0 = tm.measure_at(cut - 1e-3)  # the last downbeat inside the shot before the cut
        m1 = m0 + 1  # the first downbeat inside the shot after it
        if tm.measure_start(m0) < before.start - 1e-3 or tm.measure_start(m1) >= after.end - 1e-3:
            continue  # a shot without a downbeat of its own gives the texture nowhere to change
        if tm.measure_start(m1 + 1) > plan.duration + 1e-3:
            continue
        struck = _cut_positions(tm, m0, cuts) | _cut_positions(tm, m1, cuts)
        changed = _texture(parts, tm, m0, struck) != _texture(parts, tm, m1, struck)
        counts[new_picture][0] += changed
        counts[new_picture][1] += 1
    return (counts[True][0], counts[True][1]), (counts[False][0], counts[False][1])


def _look(shot: Shot, reference: float) -> tuple:
    """What a viewer sees change at a cut: the shot's scale, its light, and still / moving / racing."""
    level = shot.motion_speed / (shot.motion_speed + reference) if reference > 0 else 1.0
    return shot.attributes.view_scale, shot.attributes.brightness, (level >= 0.25) + (level >= 0.6)


def _cut_positions(tm: TempoMap, measure: int, cuts: Sequence[float]) -> set[int]:
    """Where cuts fall inside `measure` (48ths of a beat after its downbeat, the downbeat left out)."""
    downbeat = tm.beat_at(tm.measure_start(measure))
    return {round((tm.beat_at(c) - downbeat) * 48) for c in cuts
            if tm.measure_start(measure) + 1e-3 < c < tm.measure_start(measure + 1) - 1e-3}


def _texture(parts: Sequence[PlanTrack], tm: TempoMap, measure: int, struck: set[int]) -> tuple:
    """Each part's onsets in `measure` (48ths of a beat after its downbeat), and the ostinato's steps;
    positions in `struck` (where a cut re-strikes the parts, in this measure or the one compared) are
    left out."""
    downbeat, per = tm.beat_at(tm.measure_start(measure)), tm.beats_per_measure
    out = []
    for track in parts:
        tops: dict[int, int] = {}
        for n in track.notes:
            at = tm.beat_at(n.start) - downbeat
            if -1e-6 <= at < per - 1e-6 and round(at * 48) not in struck:
                tops[round(at * 48)] = max(tops.get(round(at * 48), 0), n.pitch)
        line = [tops[k] for k in sorted(tops)] if track.role == "ostinato" else []
        steps = tuple(int(np.sign(q - p)) for p, q in zip(line, line[1:], strict=False))
        out.append((tuple(sorted(tops)), steps))
    return tuple(out)


def _top_pitch(tracks: Sequence[PlanTrack], time: float) -> int | None:
    pitches = [n.pitch for t in tracks for n in t.notes if n.start <= time < n.end]
    return max(pitches) if pitches else None


def singing_share(plan: Plan, registers: dict[str, tuple[int, int]]) -> float | None:
    """Share of the melody track's notes inside its instrument's singing register (None: not listed)."""
    lead = next((t for t in plan.tracks if t.role == "melody"), None)
    if lead is None or lead.instrument not in registers or not lead.notes:
        return None
    lo, hi = registers[lead.instrument]
    return sum(lo <= n.pitch <= hi for n in lead.notes) / len(lead.notes)


def auc(positives: Sequence[float], negatives: Sequence[float]) -> float:
    """Probability that a positive outscores a negative (ties count half): the ROC area."""
    if not positives or not negatives:
        return float("nan")
    wins = sum((p > n) + 0.5 * (p == n) for p in positives for n in negatives)
    return wins / (len(positives) * len(negatives))


def reverb_vs_dry_lu(stems_dir: str | Path, reverb_stem: str = "FC_Reverb.wav") -> float:
    """Integrated loudness of the reverb return minus that of the dry stems' sum (LU; goal <= -6)."""
    from ..loudness import integrated_loudness, read_audio

    dry, rate = None, 48000
    for path in sorted(Path(stems_dir).glob("*.wav")):
        if path.name == reverb_stem:
            continue
        audio, rate = read_audio(path)
        dry = audio if dry is None else dry + audio
    wet, rate = read_audio(Path(stems_dir) / reverb_stem)
    if dry is None:
        raise ValueError(f"no dry stems in {stems_dir}")
    return integrated_loudness(wet, rate) - integrated_loudness(dry, rate)


def band_energy_db(audio: np.ndarray, rate: int, low: float = 5000.0, high: float = 10000.0) -> float:
    """Energy between `low` and `high` Hz relative to the total (dB): how bright the mix sounds."""
    mono = audio.mean(axis=1) if audio.ndim == 2 else audio
    spectrum = np.abs(np.fft.rfft(mono)) ** 2
    freqs = np.fft.rfftfreq(len(mono), 1.0 / rate)
    band = spectrum[(freqs >= low) & (freqs < high)].sum()
    return float(10 * np.log10(max(band, 1e-30) / max(spectrum.sum(), 1e-30)))
