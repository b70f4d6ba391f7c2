"""The report's plots, drawn with matplotlib's object API (Agg, no pyplot state) into PNG bytes."""

from __future__ import annotations

import io

import numpy as np
from matplotlib.figure import Figure
from matplotlib.transforms import blended_transform_factory

from ..config import Config
from ..model import REVIEWERS, Assessment, Plan, Scheme, Spotting

SPOT_COLOURS = {"cut": "#d62728", "motion": "#1f77b4", "accent": "#ff7f0e"}
REVIEWER_COLOURS = dict(zip(REVIEWERS, ("#4c72b0", "#55a868", "#c44e52", "#8172b2", "#ccb974"), strict=True))
DPI = 100
#: at most this many beat or measure lines, and measure numbers, on the 12-inch motion plot
MAX_LINES, MAX_LABELS = 600, 80


def png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    # zlib level 1: a third of the default's encoding time for plots, for some 20 % more bytes
    fig.savefig(buffer, format="png", dpi=DPI, pil_kwargs={"compress_level": 1})
    return buffer.getvalue()


def motion_figure(spotting: Spotting) -> bytes:
    """Motion over time, with the tempo map's beats and downbeats, the cuts and the rhythm spots."""
    fig = Figure(figsize=(12, 3.6), layout="constrained")
    ax = fig.add_subplot()
    tm, duration = spotting.tempo_map, spotting.duration
    beats = tm.beat_times(duration)
    if len(beats) <= MAX_LINES:  # a long film's beats would paint the plot grey: its measures are enough
        ax.vlines(beats, 0, 1, transform=blended_transform_factory(ax.transData, ax.transAxes),
                  color="#dddddd", lw=0.6, zorder=0)
    measure_axis = blended_transform_factory(ax.transData, ax.transAxes)
    downbeats = tm.downbeat_times(duration)
    every = max(1, -(-len(downbeats) // MAX_LABELS))  # number every measure, or every 2nd, 5th... of a film
    if len(downbeats) <= MAX_LINES:
        ax.vlines(downbeats, 0, 1, transform=measure_axis, color="#999999", lw=0.9, zorder=0)
    for m, t in enumerate(downbeats, start=1):
        if (m - 1) % every == 0:
            ax.text(t, 1.01, str(m), transform=measure_axis, fontsize=7, color="#777777", ha="center",
                    va="bottom")
    for i, cut in enumerate(spotting.cuts):
        ax.axvline(cut, color=SPOT_COLOURS["cut"], lw=1.8, alpha=0.5, zorder=1,
                   label="cut" if i == 0 else None)
    curve = spotting.motion_curve
    ax.plot(curve.times, curve.values, color="#222222", lw=1.4, zorder=3, label="motion (flow)")
    if len(curve.impacts) == len(curve.times):  # where motion stopped or turned: what motion spots mark
        ax.fill_between(curve.times, curve.impacts, color=SPOT_COLOURS["motion"], alpha=0.25, lw=0, zorder=2,
                        label="impact (flow stopping, by direction)")
    for kind, colour in SPOT_COLOURS.items():
        spots = [s for s in spotting.rhythm_spots if s.kind == kind]
        if spots:  # stems from the axis top down, as long as the spot is strong
            times = [s.time for s in spots]
            ax.vlines(times, [1 - 0.35 * s.strength for s in spots], 1.0, transform=measure_axis,
                      color=colour, lw=2.0, zorder=4)
            ax.scatter(times, [1 - 0.35 * s.strength for s in spots], transform=measure_axis, marker="v",
                       s=30, color=colour, zorder=5, label=f"{kind} spot")
    ax.set_xlim(0, duration)
    ax.set_ylim(bottom=0)
    ax.set_xlabel("seconds (grey: beats and numbered measures of the tempo map)")
    ax.set_ylabel("frame widths / s")
    ax.legend(loc="upper left", fontsize=8, ncols=5, bbox_to_anchor=(0, -0.22), frameon=False)
    return png(fig)


def assessment_figure(assessment: Assessment) -> bytes:
    """One bar per criterion, coloured by reviewer."""
    criteria = assessment.criteria
    fig = Figure(figsize=(8, 0.28 * len(criteria) + 0.9), layout="constrained")
    ax = fig.add_subplot()
    y = np.arange(len(criteria))[::-1]
    ax.barh(y, [c.score for c in criteria], color=[REVIEWER_COLOURS[c.reviewer] for c in criteria])
    ax.set_yticks(y, [c.key.replace("_", " ") for c in criteria], fontsize=8)
    ax.set_xlim(0, 1)
    ax.set_xlabel(f"score (total {assessment.total:.2f} / {len(criteria)}, "
                  f"pass at {assessment.threshold:g})")
    for reviewer, colour in REVIEWER_COLOURS.items():
        ax.bar(0, 0, color=colour, label=reviewer)
    ax.legend(loc="lower right", fontsize=8)
    ax.grid(axis="x", color="#eeeeee")
    return png(fig)


def envelope_figure(plan: Plan, scheme: Scheme) -> bytes:
    """Every track's resolved volume envelope over measures, the scheme's keyframes and its sections."""
    tm = plan.tempo_map
    fig = Figure(figsize=(12, 3.4), layout="constrained")
    ax = fig.add_subplot()
    for i, section in enumerate(scheme.sections):
        first, last = section.measures
        ax.axvspan(first, last + 1, color="#f2f2f2" if i % 2 == 0 else "#ffffff", zorder=0)
        ax.text((first + last + 1) / 2, 1.0, f"{section.name} ({section.intensity:.2f})", ha="center",
                va="top", fontsize=8, transform=blended_transform_factory(ax.transData, ax.transAxes))
    end = tm.beat_at(plan.duration) / tm.beats_per_measure + 1
    any_soft = False
    for track, scheme_track in zip(plan.tracks, _scheme_tracks(plan, scheme), strict=True):
        points = track.volume_envelope
        if not points:
            continue
        xs = [tm.beat_at(p.time) / tm.beats_per_measure + 1 for p in points] + [end]
        ys = [p.gain for p in points] + [points[-1].gain]
        line, = ax.plot(xs, ys, lw=1.6, label=track.name)
        if scheme_track is not None:
            softened = set(scheme_track.softened_measures)
            keys = sorted(scheme_track.volume_envelope.items())  # (measure, level)
            plain = [(m, v) for m, v in keys if m not in softened]
            soft = [(m, v) for m, v in keys if m in softened]
            ax.scatter([m for m, _ in plain], [v for _, v in plain], color=line.get_color(), s=18, zorder=3)
            ax.scatter([m for m, _ in soft], [v for _, v in soft], s=22, zorder=3, facecolors="none",
                       edgecolors=line.get_color(), linewidths=1.2)
            any_soft = any_soft or bool(soft)
    ax.set_xlim(1, end)
    ax.set_ylim(0, 1.15)
    ax.set_xlabel("measure (dots: the scheme's keyframes; shading: sections with their intensity)")
    ax.set_ylabel("envelope gain")
    ax.scatter([], [], s=18, color="#555555", label="scheme keyframe")
    if any_soft:  # the line plays a softened measure quieter than its keyframe says
        ax.scatter([], [], s=22, facecolors="none", edgecolors="#555555",
                   label=f"keyframe in a softened measure (played at x{Config.soften_factor:g})")
    ax.legend(loc="upper left", fontsize=8, ncols=6, bbox_to_anchor=(0, -0.2), frameon=False)
    return png(fig)


def loudness_figure(momentary: tuple[np.ndarray, np.ndarray], short_term: tuple[np.ndarray, np.ndarray],
                    integrated: float | None, duration: float) -> bytes:
    """Momentary and short-term loudness of the master over time, with its integrated loudness."""
    fig = Figure(figsize=(12, 2.6), layout="constrained")
    ax = fig.add_subplot()
    ax.plot(*momentary, lw=0.9, color="#8da0cb", label="momentary (400 ms)")
    ax.plot(*short_term, lw=1.6, color="#1b3a6b", label="short-term (3 s)")
    if integrated is not None:
        ax.axhline(integrated, color="#d62728", lw=1, ls="--", label=f"integrated {integrated:.1f} LUFS")
    finite = np.concatenate([momentary[1][np.isfinite(momentary[1])], [integrated or Config.loudness]])
    ax.set_ylim(max(-70.0, float(finite.min()) - 3), float(finite.max()) + 3)
    ax.set_xlim(0, duration)
    ax.set_xlabel("seconds")
    ax.set_ylabel("LUFS")
    ax.legend(loc="lower left", fontsize=8, ncols=3)
    return png(fig)


def _scheme_tracks(plan: Plan, scheme: Scheme) -> list:
    """The scheme track each plan track came from: by position when the two list the same instruments
    (a track renamed after its new instrument still matches), else by name; None where there is none."""
    if [t.instrument for t in scheme.tracks] == [t.instrument for t in plan.tracks]:
        return list(scheme.tracks)
    by_name = {t.name: t for t in scheme.tracks}
    return [by_name.get(t.name) for t in plan.tracks]
