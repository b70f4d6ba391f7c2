"""HTML pieces of the report: small functions that each return one escaped fragment."""

from __future__ import annotations

import base64
from html import escape
from typing import Any

from ..model import VOCABULARY, Assessment, Melody, Plan, Scheme, Spotting, states_theme
from ..theory import NAMES

STYLE = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0 auto;max-width:1240px;
  padding:0 20px 40px;color:#1d1d1f;background:#fff}
h1{font-size:24px;margin:24px 0 4px}
h2{font-size:19px;margin:34px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}
table{border-collapse:collapse;margin:8px 0}
th,td{border-bottom:1px solid #eee;padding:3px 8px;text-align:left;vertical-align:top}
th{background:#f6f6f6;font-weight:600}td.num{text-align:right;font-variant-numeric:tabular-nums}
img.plot{max-width:100%;height:auto;display:block}img.thumb{width:160px;height:auto;display:block}
.note{color:#666;font-size:12.5px}.unknown{color:#aaa}.score svg{max-width:100%;height:auto}
dl.summary{display:grid;grid-template-columns:max-content auto;gap:2px 16px;margin:8px 0}
dl.summary dt{color:#666}dl.summary dd{margin:0}
.pass{color:#1a7f37;font-weight:600}.fail{color:#cf222e;font-weight:600}
"""


def img(data: bytes, mime: str, alt: str, css: str = "plot") -> str:
    encoded = base64.b64encode(data).decode("ascii")
    return f'<img class="{css}" alt="{escape(alt)}" src="data:{mime};base64,{encoded}">'


def table(header: list[str], rows: list[list[Any]], numeric: set[int] = frozenset()) -> str:
    """Cells are escaped unless they are `Raw` markup."""
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f'<td{" class=num" if i in numeric else ""}>{cell_html(c)}</td>'
                         for i, c in enumerate(row)) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


class Raw(str):
    """Markup already built (and escaped) by this module."""


def cell_html(value: Any) -> str:
    if isinstance(value, Raw):
        return value
    if value is None:
        return '<span class="unknown" title="not known: needs a vision model">&mdash;</span>'
    if isinstance(value, float):
        return f"{value:.3f}"
    return escape(str(value))


def summary(spotting: Spotting, melody: Melody, assessment: Assessment, plan: Plan, scheme: Scheme) -> str:
    tm = spotting.tempo_map
    bpms = [c.bpm for c in tm.changes]
    tempo = f"{bpms[0]:.1f} bpm" if len(bpms) == 1 else \
        f"{bpms[0]:.1f} bpm, {len(bpms) - 1} changes ({min(bpms):.1f}-{max(bpms):.1f})"
    verdict = '<span class="pass">pass</span>' if assessment.passed else '<span class="fail">fail</span>'
    items = [
        ("clip", escape(f"{spotting.duration:.2f} s, {spotting.width}x{spotting.height},"
                        f" {spotting.fps:g} fps, {plural(len(spotting.shots), 'shot')},"
                        f" {plural(len(spotting.rhythm_spots), 'rhythm spot')}")),
        ("emotion", escape(spotting.emotion)),
        ("key and meter", escape(f"{melody.heard_key()}, "
                                  f"{tm.meter[0]}/{tm.meter[1]}, {scheme.measures} measures")),
        ("tempo", escape(tempo)),
        ("assessment", f"{assessment.total:.2f} / {len(assessment.criteria)} {verdict}"
                       f" ({assessment.attempts} attempt{'s' if assessment.attempts != 1 else ''})"),
        ("arrangement", escape(", ".join(f"{t.name}" for t in plan.tracks))),
    ]
    return '<dl class="summary">' + "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in items) + "</dl>"


def shots_table(spotting: Spotting, thumbs: list[bytes | None]) -> str:
    rows = []
    for i, (shot, thumb) in enumerate(zip(spotting.shots, thumbs, strict=True), start=1):
        still = Raw(img(thumb, "image/jpeg", f"shot {i}", "thumb") if thumb else
                    '<span class="note">no frame</span>')
        attrs = [getattr(shot.attributes, name) for name in VOCABULARY]
        rows.append([still, i, f"{shot.start:.2f}-{shot.end:.2f}", shot.motion_speed, shot.motion_saliency,
                     *attrs])
    return table(["still", "shot", "seconds", "motion speed", "saliency", *VOCABULARY], rows, {1, 3, 4})


def plural(count: int, noun: str) -> str:
    """'1 shot', '3 shots'."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def cut_table(spotting: Spotting) -> str:
    """Each cut, how near the tempo map put it to a beat, and its measure; a sentence when there is none."""
    if not spotting.cuts:
        return "<p>One shot, no cuts: the tempo map follows the scene's tempo.</p>"
    rows = [[f"{cut:.3f}", f"{err * 1000:+.1f}", spotting.tempo_map.measure_at(cut + 1e-6)]
            for cut, err in zip(spotting.cuts, spotting.cut_errors, strict=False)]
    return table(["cut (s)", "to nearest beat (ms)", "measure"], rows, {0, 1, 2})


def melody_facts(melody: Melody) -> str:
    pitches = [n.pitch for n in melody.notes]
    def name(p: int) -> str:
        return f"{NAMES[p % 12]}{p // 12 - 1}"

    span = f"{name(min(pitches))}-{name(max(pitches))}" if pitches else "no notes"
    chords = " ".join(f"{c.name}" for c in melody.chords)
    return (f"<p>{len(melody.notes)} notes, range {escape(span)}, key {escape(str(melody.heard_key()))},"
            f" seed {melody.seed}.</p><p class=note>Chord plan: {escape(chords) or 'none'}</p>")


def assessment_table(assessment: Assessment) -> str:
    rows = [[c.reviewer, c.key.replace("_", " "), c.score, c.reason] for c in assessment.criteria]
    return table(["reviewer", "criterion", "score", "reason"], rows, {2})


def decisions_table(assessment: Assessment, scheme: Scheme) -> str:
    """Who decided: per reviewer and arranger role, the LLM's answer (model) or the rules', and why."""
    decisions = [*assessment.decisions, *scheme.decisions]
    if not decisions:
        return "<p>The rules decided every verdict and role (no LLM endpoint was configured).</p>"
    used = sum(d.used_llm for d in decisions)
    rows = [[d.agent.replace("_", " "), f"LLM ({d.model})" if d.used_llm else "rules", d.why]
            for d in decisions]
    return (f"<p>LLM: {used} of {len(decisions)} answers used.</p>"
            + table(["agent", "decided by", "why"], rows))


def scheme_tables(scheme: Scheme) -> str:
    def pan(p: float) -> str:
        return "C" if abs(p) < 0.005 else f"{'L' if p < 0 else 'R'}{abs(p) * 100:.0f}"

    tracks = [[t.track_index, t.name, t.role, t.instrument, t.source, t.transpose, pan(t.panning),
               f"{t.reverb_space:.2f}", t.articulation, ", ".join(map(str, t.softened_measures)) or "-"]
              for t in scheme.tracks]
    sections = [[s.name, f"{s.measures[0]}-{s.measures[1]}", f"{s.intensity:.2f}"] for s in scheme.sections]
    tempo = scheme.tempo
    return (f"<p>{escape(str(scheme.key))}, {tempo.bpm:g} bpm, {tempo.meter[0]}/{tempo.meter[1]}, "
            f"{scheme.measures} measures.</p>"
            + table(["#", "track", "role", "instrument", "source", "transpose", "pan", "reverb send",
                     "articulation", "softened measures"], tracks, {0, 5})
            + table(["section", "measures", "intensity"], sections, {2}))


def loudness_table(figures: dict[str, Any]) -> str:
    def fmt(value: Any, unit: str) -> str:
        return "not measurable" if value is None else f"{value} {unit}"

    rows = [["integrated loudness (ITU-R BS.1770)", fmt(figures["integrated_lufs"], "LUFS")],
            ["true peak (4x oversampled)", fmt(figures["true_peak_dbtp"], "dBTP")],
            ["loudness range (EBU Tech 3342)", fmt(figures["loudness_range_lu"], "LU")],
            ["format", f"{figures['sample_rate']} Hz, {figures['bit_depth']}-bit, {figures['channels']} ch, "
                       f"{figures['duration_s']:.2f} s"]]
    return table(["measure", "value"], rows)


def picture_section(plan: Plan, preview: bool) -> str:
    """The picture with the score (preview.mp4 beside the page) and the cue sheet (cuesheet.csv)."""
    from .cuesheet import COLUMNS, cue_rows

    clock = plan.clock()
    player = ('<video controls preload="metadata" src="preview.mp4" style="max-width:100%"></video>'
              '<p class=note>The player plays preview.mp4 (the clip with the master), which sits beside this'
              ' page; keep the two together when moving the page.</p>' if preview else
              '<p class=note>No preview.mp4 in this folder (the clip was not found at render time).</p>')
    facts = (f"<p>Timecode {clock.fps:.3f} fps{' drop-frame' if clock.drop_frame else ''},"
             f" first frame {clock.start}.</p>")
    rows = [[row[c] for c in COLUMNS] for row in cue_rows(plan)]
    return player + facts + table(list(COLUMNS), rows) + themes_table(plan)


def themes_table(plan: Plan) -> str:
    """Which cue uses which theme, whether it states it or develops an earlier cue's, its mood and why
    music starts there (the spotting session's reason)."""
    cues = sorted(plan.cue_list(), key=lambda c: c.start)
    rows = [[cue.number, cue.title, cue.theme or "its own", "states" if states else "develops",
             cue.mood or "the clip's", cue.reason]
            for cue, states in zip(cues, states_theme(cues), strict=True)]
    header = ["cue", "title", "theme", "uses it", "mood", "reason"]
    return "<h3>Cues and their themes</h3>" + table(header, rows)
