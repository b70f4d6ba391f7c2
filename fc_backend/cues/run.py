"""A film scored as cues: each cue composed (stating or developing its theme), assessed, arranged and
planned on its own clock, then merged onto the film's clock for one realize.

What each cue's composing made is kept in cue_scores.json (its spotting, melody and assessment) and
its arrangement in cue_schemes.json (a person edits it there): `render` plans every cue again from
those, and `reroll` composes one cue anew while every other cue plans to the notes it had. Both are
single files beside the other JSON artifacts, so the service's re-roll carries them like the rest.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from pathlib import Path

from ..arrange import arrange
from ..assess import assess
from ..compose import compose
from ..config import Config
from ..errors import InputError
from ..model import (
    Assessment,
    Cue,
    CueSchemes,
    CueScore,
    CueScores,
    Melody,
    Plan,
    Scheme,
    Spotting,
    TempoMap,
    states_theme,
)
from ..plan import plan as make_plan
from ..progress import Progress
from ..schemes import validate_scheme
from ..scorefolder import CUE_SCHEMES, CUE_SCORES, SPOTTING, ScoreFolder
from .merge import Placed, merge_assessments, merge_melodies, merge_plans, merge_schemes, merge_tempo
from .spotting import check_cues, cue_spotting

StageReporter = Callable[[str], AbstractContextManager[Progress]]
#: a new theme whose cells another label already uses is composed again with the next seed, this often
_FRESH_TRIES = 12
#: seeds of different cues lie this far apart, so a cue's retries never meet another cue's seed
SEED_STRIDE = 1009
#: the plan of a cue not planned yet (load_film, before replan_cues)
_EMPTY = Plan(0.0, TempoMap.constant(120.0), None, [], [])


@dataclass
class Film:
    """The film's score: every cue as its stages made it, and the merge on the film's clock."""

    spotting: Spotting
    cues: list[Placed]
    spottings: list[Spotting]
    melody: Melody
    assessment: Assessment
    scheme: Scheme
    plan: Plan


def score_cues(spotting: Spotting, config: Config, stage: StageReporter, *, description: str = "") -> Film:
    """Every cue of `spotting` scored; cues sharing a theme label state it once and develop it after."""
    cues = check_cues(spotting, spotting.video)
    meter = spotting.tempo_map.meter
    themes: dict[str, Melody] = {}  # label -> the melody that stated it
    placed, spottings = [], []
    for index, (cue, states) in enumerate(zip(cues, states_theme(cues), strict=True)):
        local = cue_spotting(spotting, cue, meter=meter)
        label = cue.theme.strip()
        stated = None if states else themes[label]
        taken = [m.theme for m in themes.values() if m.theme is not None]
        melody, assessment = _compose(local, config, stage, cue, seed=config.seed + SEED_STRIDE * index,
                                      description=description, develop=stated, avoid=taken if states else ())
        if states and label:
            themes[label] = melody
        scheme, plan = _arrange_plan(melody, local, config, stage, cue)
        placed.append(Placed(cue, melody, assessment, scheme, plan))
        spottings.append(local)
    return merge(spotting, placed, spottings)


def merge(spotting: Spotting, placed: list[Placed], spottings: list[Spotting]) -> Film:
    """The film's melody, assessment, scheme and plan from its cues'."""
    tempo = merge_tempo([p.cue for p in placed], [p.plan.tempo_map for p in placed])
    template = Plan(spotting.duration, tempo, None, [], [], timecode=spotting.timecode,
                    sample_rate=placed[0].plan.sample_rate, streamers=placed[0].plan.streamers)
    plan = merge_plans(placed, tempo, duration=spotting.duration, template=template)
    return Film(spotting, placed, spottings, merge_melodies(placed, tempo), merge_assessments(placed),
                merge_schemes(placed, tempo, duration=spotting.duration), plan)


def _compose(local: Spotting, config: Config, stage: StageReporter, cue: Cue, *, seed: int, description: str,
             develop: Melody | None, avoid: Sequence[object]) -> tuple[Melody, Assessment]:
    """The cue's melody: new seeds while the reviewers fail it (best kept), developing `develop`'s theme
    or stating a new one whose cells differ from the themes in `avoid`."""
    best: tuple[Melody, Assessment] | None = None
    attempts, skipped, attempt, tried = max(1, config.max_attempts), 0, 0, 0
    while attempt < attempts:
        suffix = "" if attempt == 0 else f" #{attempt + 1}"
        with stage(f"compose {cue.number}{suffix}") as progress:
            melody = compose(local, config, description=description, seed=seed + tried, progress=progress,
                             theme=develop.theme if develop is not None else None)
        tried += 1
        if develop is None and melody.theme is not None:
            if skipped < _FRESH_TRIES and any(_same_cells(melody.theme, t) for t in avoid):
                skipped += 1
                continue  # another label's theme: a listener would take this cue for that one
            melody.theme = replace(melody.theme, label=cue.theme)
        with stage(f"assess {cue.number}{suffix}") as progress:
            assessment = assess(melody, local, config, progress=progress)
        if best is None or assessment.total > best[1].total:
            best = (melody, assessment)
        attempt += 1
        if assessment.passed:
            break
    assert best is not None
    melody, assessment = best
    assessment.attempts = attempt
    if not assessment.passed:
        print(f"filmcomposer: warning: cue {cue.number}: the best of {attempt} melodies scored "
              f"{assessment.total:.2f}, under the pass mark {assessment.threshold:g} (written anyway)",
              file=sys.stderr)
    return melody, assessment


def _same_cells(a: object, b: object) -> bool:
    return getattr(a, "statement", None) == getattr(b, "statement", None)


def _arrange_plan(melody: Melody, local: Spotting, config: Config, stage: StageReporter, cue: Cue,
                  scheme: Scheme | None = None) -> tuple[Scheme, Plan]:
    if scheme is None:
        with stage(f"arrange {cue.number}") as progress:
            scheme = arrange(melody, local, config, progress=progress)
    with stage(f"plan {cue.number}") as progress:
        plan = make_plan(scheme, melody, local, config, progress=progress)
    return scheme, plan


def write_cue_scores(film: Film, staging: Path, *, schemes: bool = True) -> list[str]:
    """cue_scores.json (and, unless a person's edit stays, cue_schemes.json) into staging."""
    scores = [CueScore(p.cue, s, p.melody, p.assessment)
              for p, s in zip(film.cues, film.spottings, strict=True)]
    CueScores(scores).save(staging / CUE_SCORES)
    if not schemes:
        return [CUE_SCORES]
    CueSchemes({p.cue.number: p.scheme for p in film.cues}).save(staging / CUE_SCHEMES)
    return [CUE_SCORES, CUE_SCHEMES]


def load_film(out: ScoreFolder, spotting: Spotting) -> tuple[list[Placed], list[Spotting]]:
    """Every cue as an earlier run left it in OUT (cue_scores.json, cue_schemes.json), planned again:
    the part writer is deterministic, so an untouched cue plans to the notes it had."""
    scores = out.load(CueScores, CUE_SCORES).cues
    schemes = out.read_json(CUE_SCHEMES, "CueSchemes").get("schemes", {})
    cues = check_cues(spotting, str(out / SPOTTING))
    if [c.number for c in cues] != [s.cue.number for s in scores]:
        raise InputError(out / CUE_SCORES, "does not hold the cues of spotting.json; score the clip again")
    placed, spottings = [], []
    for cue, score in zip(cues, scores, strict=True):
        if cue.number not in schemes:
            raise InputError(out / CUE_SCHEMES, f"has no scheme for cue {cue.number}")
        scheme = validate_scheme(schemes[cue.number], f"{out / CUE_SCHEMES}: {cue.number}")
        placed.append(Placed(cue, score.melody, score.assessment, scheme, _EMPTY))
        spottings.append(score.spotting)
    return placed, spottings


def replan_cues(out: ScoreFolder, spotting: Spotting, config: Config, stage: StageReporter,
                placed: list[Placed] | None = None, spottings: list[Spotting] | None = None) -> Film:
    """Every cue planned from its own (perhaps edited) scheme in cue_schemes.json, then merged."""
    if placed is None or spottings is None:
        placed, spottings = load_film(out, spotting)
    again = []
    for item, local in zip(placed, spottings, strict=True):
        _, plan = _arrange_plan(item.melody, local, config, stage, item.cue, scheme=item.scheme)
        again.append(replace(item, plan=plan))
    return merge(spotting, again, spottings)


def cue_at(cues: Sequence[Cue], t0: float, t1: float, where: str | Path) -> int:
    """Index of the cue a re-roll span [t0, t1] means: the one it overlaps most (or holds t0)."""
    def overlap(cue: Cue) -> float:
        return min(t1, cue.end) - max(t0, cue.start) if t1 > t0 else (cue.start <= t0 < cue.end) - 0.5
    best = max(range(len(cues)), key=lambda i: overlap(cues[i]))
    if overlap(cues[best]) < 0 or (t1 > t0 and overlap(cues[best]) == 0):
        raise InputError(where, f"re-roll span {t0:g}..{t1:g} s falls between cues, where no music plays")
    return best


def reroll_cue(out: ScoreFolder, spotting: Spotting, t0: float, t1: float, config: Config,
               stage: StageReporter, *, seed: int | None = None,
               keep_scheme: bool = False) -> tuple[Film, int]:
    """The cue [t0, t1] falls in composed anew (the whole cue when the span covers it: its theme
    developed again with a new seed; else the measures the span overlaps), arranged again unless
    `keep_scheme` (a person's edited cue_schemes.json), and every cue planned; the other cues' notes
    come out as they were. Returns the film and the cue's index."""
    placed, spottings = load_film(out, spotting)
    index = cue_at([p.cue for p in placed], t0, t1, out.path)
    item, local = placed[index], spottings[index]
    new_seed = item.melody.seed + 1 if seed is None else int(seed)
    frame = 1.0 / spotting.fps if spotting.fps > 0 else 0.05
    whole = t0 <= item.cue.start + frame and t1 >= item.cue.end - frame
    with stage(f"compose {item.cue.number}") as progress:
        if whole or not item.melody.notes:  # a short cue may come out as it was: the next seed then
            for tried in range(_FRESH_TRIES):
                melody = compose(local, config, seed=new_seed + tried, progress=progress,
                                 theme=item.melody.theme)
                if melody.notes != item.melody.notes:
                    break
        else:
            melody = compose(local, config, seed=new_seed, melody=item.melody, progress=progress,
                             region=(max(0.0, t0 - item.cue.start), min(local.duration, t1 - item.cue.start)))
            melody.theme = item.melody.theme
    with stage(f"assess {item.cue.number}") as progress:
        assessment = assess(melody, local, config, progress=progress)
    if not keep_scheme:
        with stage(f"arrange {item.cue.number}") as progress:
            item = replace(item, scheme=arrange(melody, local, config, progress=progress))
    placed[index] = replace(item, melody=melody, assessment=assessment)
    return replan_cues(out, spotting, config, stage, placed, spottings), index
