"""The cue sheet: where music plays, found from the scenes, as a spotting session decides it.

A cue is a run of scenes in one setting: it starts on the cut that changes the place (or the light, or
the pace), carries the theme label of that setting, and ends where the next cue starts. Over a black
leader or fade the music rests. A short clip stays one cue over the whole clip. No cue is longer than
`max_cue` seconds (one arranged piece): a longer stretch is split at a cut inside it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from ..model import Cue, Shot, cue_number
from ..ranges import MAX_SECTIONS
from .scenes import Scene

#: a clip shorter than this (s) is one cue over the whole clip, as a short scene is scored
SHORT_CLIP = 60.0
#: a scene shorter than this (s) in another setting does not start a cue: it is heard in the current one
MIN_SCENE = 8.0
#: music rests over a black stretch at least this long (s); a shorter one stays inside the cue
MIN_REST = 1.0
#: the longest cue (s): the arrangement of one piece holds at most 64 sections (256 measures), which
#: the fastest tempi reach in about five minutes
MAX_CUE = 300.0
#: most cues in one film: its overview scheme (scheme.json) holds a section per cue, at most 64
MAX_CUES = MAX_SECTIONS


@dataclass
class _Stretch:
    """A piece of a scene that a cue may start on: a scene, or a part of a scene too long for one cue."""

    start: float
    end: float
    label: str
    why: str
    black: bool

    @property
    def duration(self) -> float:
        return self.end - self.start


def spot_cues(scenes: list[Scene], labels: list[str], shots: list[Shot], duration: float, *,
              reel: int = 1, title: str = "", mood: str = "", max_cue: float = MAX_CUE,
              short_clip: float = SHORT_CLIP) -> list[Cue]:
    """The cues of a film from its scenes and their theme labels (themes.theme_labels), numbered
    {reel}M1, {reel}M2, ... Boundaries fall on the scenes' first cuts (on a cut inside a scene longer
    than `max_cue`). `title` and `mood` name the single cue of a clip shorter than `short_clip`.

    Example: forest 40 s, sea 30 s, forest 30 s -> 1M1 (A), 1M2 (B), 1M3 (A).
    """
    if duration < short_clip or not scenes:
        return [Cue(cue_number(reel, 1), 0.0, duration, title, mood=mood, reason="the whole clip is one cue",
                    theme=next((label for label in labels if label), "A"))]
    groups: list[list[_Stretch]] = []
    for stretch in _stretches(scenes, labels, shots, max_cue):
        if stretch.black:
            if stretch.duration >= MIN_REST:
                groups.append([])  # music rests: the next stretch starts a new cue
            elif groups and groups[-1]:
                groups[-1].append(stretch)
            continue
        current = groups[-1] if groups else []
        length = current[-1].end - current[0].start if current else 0.0
        joins = bool(current) and (stretch.label == _theme(current) or stretch.duration < MIN_SCENE)
        if joins and length + stretch.duration <= max_cue:
            current.append(stretch)
        else:
            groups.append([stretch])
    groups = _fewer([g for g in groups if g], max_cue)
    cues, seen = [], {}
    for index, group in enumerate(groups, start=1):
        number = cue_number(reel, index)
        theme = _theme(group)
        start, end = group[0].start, group[-1].end
        heard = (f"the setting of {seen[theme]} returns (theme {theme})" if theme in seen
                 else f"theme {theme} first heard")
        seen.setdefault(theme, number)
        cue_mood = _mood(shots, start, end) or mood
        cues.append(Cue(number, start, end, f"{_place(shots, start, end)} ({theme})", mood=cue_mood,
                        reason=f"{group[0].why}; {heard}", theme=theme))
    return cues


def _fewer(groups: list[list[_Stretch]], max_cue: float) -> list[list[_Stretch]]:
    """At most MAX_CUES groups: the two neighbours that make the shortest cue together (within
    `max_cue` where possible) become one, the boundary between them dropped, until few enough."""
    while len(groups) > MAX_CUES:
        pairs = enumerate(zip(groups, groups[1:], strict=False))
        spans = [(b[-1].end - a[0].start, i) for i, (a, b) in pairs]
        fitting = [s for s in spans if s[0] <= max_cue] or spans
        i = min(fitting)[1]
        groups[i:i + 2] = [groups[i] + groups[i + 1]]
    return groups


def _stretches(scenes: list[Scene], labels: list[str], shots: list[Shot], max_cue: float) -> list[_Stretch]:
    """The scenes, each longer than `max_cue` cut into parts at the last cut before every limit."""
    out = []
    for scene, label in zip(scenes, labels, strict=True):
        start, why = scene.start, scene.why
        cuts = [shots[i].start for i in scene.shots[1:]]
        while scene.end - start > max_cue:
            inside = [c for c in cuts if start + 1.0 < c <= start + max_cue]
            split = inside[-1] if inside else start + max_cue  # a take longer than a cue: no cut to use
            out.append(_Stretch(start, split, label, why, scene.black))
            start, why = split, (f"the scene goes on past {max_cue / 60:g} minutes, a new cue "
                                 f"{'on a cut' if inside else 'inside one long take'}")
        out.append(_Stretch(start, scene.end, label, why, scene.black))
    return out


def _theme(group: list[_Stretch]) -> str:
    """The label heard longest in a group of stretches."""
    weights: Counter[str] = Counter()
    for stretch in group:
        weights[stretch.label] += stretch.duration
    return weights.most_common(1)[0][0]


def _overlapping(shots: list[Shot], start: float, end: float) -> list[tuple[Shot, float]]:
    spans = ((s, min(end, s.end) - max(start, s.start)) for s in shots)
    return [(s, seconds) for s, seconds in spans if seconds > 0]


def _mood(shots: list[Shot], start: float, end: float) -> str:
    """The emotion the shots in [start, end) hold longest ("" when none has one)."""
    weights: Counter[str] = Counter()
    for shot, seconds in _overlapping(shots, start, end):
        if shot.attributes.emotion:
            weights[shot.attributes.emotion] += seconds
    return weights.most_common(1)[0][0] if weights else ""


def _place(shots: list[Shot], start: float, end: float) -> str:
    """The cue's picture in two words: its commonest brightness and hue ("dim green")."""
    words = []
    for name in ("brightness", "hue"):
        weights: Counter[str] = Counter()
        for shot, seconds in _overlapping(shots, start, end):
            value = getattr(shot.attributes, name)
            if value:
                weights[value] += seconds
        if weights:
            words.append(weights.most_common(1)[0][0])
    return " ".join(words).capitalize() or "Scene"
