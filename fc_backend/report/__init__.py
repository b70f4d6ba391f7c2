"""The report: one self-contained HTML page that shows a scored folder to a person.

Film composers look before they read: thumbnails per shot, the motion curve under the tempo map's
beats with the cuts and rhythm spots, the engraved melody, the reviewers' verdicts, the scheme with
its envelopes, and the master's loudness. Every image is inlined; only the master is referenced
(it sits beside the page), so the page opens from the folder with no server and no network.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from html import escape
from pathlib import Path

from ..loudness import measure_master
from ..model import Assessment, Melody, Plan, Scheme, Spotting
from ..progress import Progress, no_progress
from ..scorefolder import ASSESSMENT, MELODY, PLAN, SCHEME, SPOTTING, STILLS, ScoreFolder
from ..spot import saved_stills, stills_from_clip
from . import figures, page
from .notation import EngravingFailed, engrave

__all__ = ["Drawing", "draw", "report"]

log = logging.getLogger(__name__)

REPORT_NAME = "report.html"


@dataclass
class Drawing:
    """Everything on the page but the master: drawn from the artifacts while the master is rendered."""

    spotting: Spotting
    melody: Melody
    assessment: Assessment
    scheme: Scheme
    plan: Plan
    clip: Path | None
    spotted_stills: bool
    thumbs: list[bytes | None]
    motion_png: bytes
    assessment_png: bytes
    envelope_png: bytes
    score_html: str


def draw(out_dir: str | Path, *, video: str | Path | None = None,
         progress: Progress = no_progress) -> Drawing:
    """The stills, plots and engraving of `out_dir`'s artifacts; needs no master.wav.

    The pipeline draws these on a second core while realize renders (see `report`'s `drawing`).
    """
    out = Path(out_dir)
    folder = ScoreFolder(out)
    spotting = folder.load(Spotting, SPOTTING)
    plan = folder.load(Plan, PLAN)
    scheme = folder.load(Scheme, SCHEME)
    assessment = folder.load(Assessment, ASSESSMENT)
    melody = folder.load(Melody, MELODY)
    progress(0.1)
    clip = _find_video(out, video, plan, spotting)
    thumbs = saved_stills(out / STILLS, len(spotting.shots))
    spotted = thumbs is not None
    if thumbs is None:
        shots = spotting.shots
        thumbs = stills_from_clip(clip, shots, spotting.fps) if clip else [None] * len(shots)
    progress(0.4)
    motion_png = figures.motion_figure(spotting)
    assessment_png = figures.assessment_figure(assessment)
    envelope_png = figures.envelope_figure(plan, scheme)
    progress(0.9)
    return Drawing(spotting, melody, assessment, scheme, plan, clip, spotted, thumbs, motion_png,
                   assessment_png, envelope_png, _engraving(out / "melody.abc"))


def report(out_dir: str | Path, *, video: str | Path | None = None, progress: Progress = no_progress,
           drawing: Drawing | None = None) -> Path:
    """Write `out_dir`/report.html from the artifacts `score` wrote there; returns its path.

    `video` overrides the clip named in plan.json (absolute, or relative to `out_dir`); without
    stills from spotting and without a readable clip the page says so and shows no stills.
    `drawing` (from `draw`, made earlier from the same folder) skips drawing again.

    Example: ``report("out")`` -> ``Path("out/report.html")``.
    """
    out = Path(out_dir)
    if drawing is None:
        drawing = draw(out, video=video, progress=lambda f: progress(0.6 * f))
    d = drawing
    spotting, melody, assessment, scheme, plan, clip = (d.spotting, d.melody, d.assessment, d.scheme, d.plan,
                                                        d.clip)
    audio_html = _audio_section(out / "master.wav", spotting.duration)
    progress(0.95)

    title = f"FilmComposer report: {Path(plan.video or spotting.video).name}"
    stills_note = ("Stills taken while spotting, a little after each cut." if d.spotted_stills else
                   f"Stills from {escape(clip.name)}, a little after each cut." if clip else
                   f"The clip ({escape(str(plan.video or spotting.video))}) was not found, so there are no "
                   "stills; pass the video to the report to add them.")
    body = f"""
<h1>{escape(title)}</h1>
<p class=note>Written from the artifacts in this folder; regenerate after editing them.</p>
<section id="summary">{page.summary(spotting, melody, assessment, plan, scheme)}</section>
<section id="shots"><h2>Shots and their visual attributes</h2>
<p class=note>{stills_note} Motion speed is mean optical flow in frame widths per second (paper eq. 4),
saliency its mean surge (eq. 5); a dash is an attribute the image statistics cannot tell.</p>
{page.shots_table(spotting, d.thumbs)}</section>
<section id="motion"><h2>Motion, cuts, rhythm spots and the tempo map</h2>
{page.img(d.motion_png, "image/png", "motion curve with cuts, rhythm spots and beats")}
{page.cut_table(spotting)}</section>
<section id="melody"><h2>Melody</h2>{page.melody_facts(melody)}
<div class="score">{d.score_html}</div></section>
<section id="assessment"><h2>Assessment: 19 criteria of five reviewers</h2>
{page.img(d.assessment_png, "image/png", "assessment criteria chart")}
{page.assessment_table(assessment)}</section>
<section id="scheme"><h2>Arrangement scheme</h2>{page.scheme_tables(scheme)}
{page.img(d.envelope_png, "image/png", "volume envelopes over measures")}</section>
<section id="decisions"><h2>Who decided</h2>{page.decisions_table(assessment, scheme)}</section>
<section id="picture"><h2>Picture and cue sheet</h2>
{page.picture_section(plan, (out / "preview.mp4").is_file())}
{_sync_section(out / "master.wav", plan)}</section>
<section id="audio"><h2>Master</h2>{audio_html}</section>
"""
    html = (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{escape(title)}</title><style>{page.STYLE}</style></head><body>{body}</body></html>\n")
    target = out / REPORT_NAME
    partial = out / f".{REPORT_NAME}.partial"
    partial.write_text(html, encoding="utf-8")
    os.replace(partial, target)
    progress(1.0)
    return target


def _find_video(out: Path, video: str | Path | None, plan: Plan, spotting: Spotting) -> Path | None:
    """The clip asked for, else the plan's (relative to OUT when relative), else the one spotted."""
    candidates = [video] if video is not None else [plan.video, spotting.video]
    for candidate in candidates:
        if candidate:
            path = Path(candidate)
            path = path if path.is_absolute() else out / path
            if path.is_file():
                return path
    return None


def _engraving(abc_path: Path) -> str:
    if not abc_path.is_file():
        return '<p class="fail">melody.abc is missing from this folder.</p>'
    try:
        return engrave(abc_path.read_text(encoding="utf-8"))
    except EngravingFailed as err:
        log.warning("abcm2ps could not engrave %s: %s", abc_path, err)
        return f'<p class="fail">abcm2ps could not engrave melody.abc: {escape(str(err))}</p>'


def _audio_section(master: Path, duration: float) -> str:
    if not master.is_file():
        return '<p class="fail">master.wav is missing from this folder; run filmcomposer render.</p>'
    measured = measure_master(master)  # block by block: a film's master is never read whole
    figures_ = measured.figures
    plot = figures.loudness_figure(measured.momentary, measured.short_term, figures_["integrated_lufs"],
                                   float(figures_["duration_s"]))
    size_mb = master.stat().st_size / 1e6
    return (f'<audio controls preload="metadata" src="{REPORT_AUDIO}"></audio>'
            f"<p class=note>The player plays {REPORT_AUDIO}, which sits beside this page in the same folder"
            f" ({size_mb:.1f} MB: too large to inline). Keep the two together when moving the page.</p>"
            + page.loudness_table(figures_)
            + page.img(plot, "image/png", "loudness of the master over time"))


REPORT_AUDIO = "master.wav"


def _sync_section(master: Path, plan: Plan) -> str:
    """How far the master's attack lands from each hit, in ms and frames (report/sync.py)."""
    if not master.is_file():
        return ""
    from .sync import master_sync

    clock = plan.clock()
    rows = [[clock.label(h.time), f"{h.time:.3f}", h.kind,
             "no attack" if h.offset is None else f"{h.offset * 1000:+.0f}",
             "" if h.offset is None else f"{h.frames(clock.fps):+.1f}"] for h in master_sync(master, plan)]
    return ("<h3>Sync check: the master's attack at each hit</h3>"
            + page.table(["hit", "seconds", "kind", "ms off", "frames off"], rows))
