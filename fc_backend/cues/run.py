"""A film scored as cues: each cue composed (stating or developing its theme), assessed, arranged and
planned on its own clock, then merged onto the film's clock for one realize.

What each cue's stages made is kept in cues/<number>/ (spotting, melody, assessment, scheme, plan),
so `render` re-plans a cue from its own (edited) scheme and `reroll` replaces one cue while every
other cue's plan is merged back as it was.
"""

from __future__ import annotations

import re
import shutil
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
from ..model import Assessment, Cue, Melody, Plan, Scheme, Spotting, states_theme
from ..plan import plan as make_plan
from ..progress import Progress
from ..schemes import validate_scheme
from ..scorefolder import ASSESSMENT, CUES, MELODY, PLAN, SCHEME, SPOTTING, ScoreFolder
from .merge import Placed, merge_assessments, merge_melodies, merge_plans, merge_schemes, merge_tempo
from .spotting import check_cues, cue_spotting

StageReporter = Callable[[str], AbstractContextManager[Progress]]
#: a new theme whose cells another label already uses is composed again with the next seed, this often
_FRESH_TRIES = 12
#: seeds of different cues lie this far apart, so a cue's retries never meet another cue's seed
SEED_STRIDE = 1009


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


def cue_folder(cue: Cue) -> str:
    """cues/<number>: where a cue's own artifacts live (beside render --cues' audio)."""
    return f"{CUES}/{re.sub(r'[^A-Za-z0-9._-]+', '_', cue.number).strip('._') or 'cue'}"


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


def write_cue_scores(film: Film, staging: Path, *, earlier: Path | None = None) -> list[str]:
    """Each cue's artifacts into staging/cues/<number>/; returns the paths written (relative).

    With `earlier` (the OUT a render or re-roll started from), a cue scheme a person edited there is
    copied byte for byte, so it stays their edit; every cue is written, so none is taken for outdated.
    """
    written = []
    for item, local in zip(film.cues, film.spottings, strict=True):
        folder = cue_folder(item.cue)
        (staging / folder).mkdir(parents=True, exist_ok=True)
        for name, record in ((SPOTTING, local), (MELODY, item.melody), (ASSESSMENT, item.assessment),
                             (SCHEME, item.scheme), (PLAN, item.plan)):
            path = f"{folder}/{name}"
            if name == SCHEME and earlier is not None and ScoreFolder(earlier).edited(path):
                shutil.copy2(earlier / path, staging / path)
            else:
                record.save(staging / path)
            written.append(path)
    return written


def load_film(out: ScoreFolder, spotting: Spotting) -> tuple[list[Placed], list[Spotting]]:
    """Every cue's artifacts as an earlier run wrote them into OUT/cues/<number>/."""
    placed, spottings = [], []
    for cue in check_cues(spotting, str(out / SPOTTING)):
        folder = cue_folder(cue)
        spottings.append(out.load(Spotting, f"{folder}/{SPOTTING}"))
        placed.append(Placed(cue, out.load(Melody, f"{folder}/{MELODY}"),
                             out.load(Assessment, f"{folder}/{ASSESSMENT}"),
                             _scheme(out, f"{folder}/{SCHEME}"), out.load(Plan, f"{folder}/{PLAN}")))
    return placed, spottings


def _scheme(out: ScoreFolder, name: str) -> Scheme:
    return validate_scheme(out.read_json(name, "Scheme"), str(out / name))


def replan_cues(out: ScoreFolder, spotting: Spotting, config: Config, stage: StageReporter) -> Film:
    """`render`: every cue re-planned from its own (perhaps edited) cues/<number>/scheme.json."""
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
               stage: StageReporter, *, seed: int | None = None) -> tuple[Film, int]:
    """The cue [t0, t1] falls in composed anew (the whole cue when the span covers it: its theme
    developed again with a new seed; else the measures the span overlaps), then arranged and planned;
    every other cue's plan is merged back untouched. Returns the film and the cue's index."""
    placed, spottings = load_film(out, spotting)
    index = cue_at([p.cue for p in placed], t0, t1, out.path)
    item, local = placed[index], spottings[index]
    new_seed = item.melody.seed + 1 if seed is None else int(seed)
    frame = 1.0 / spotting.fps if spotting.fps > 0 else 0.05
    whole = t0 <= item.cue.start + frame and t1 >= item.cue.end - frame
    with stage(f"compose {item.cue.number}") as progress:
        if whole or not item.melody.notes:
            melody = compose(local, config, seed=new_seed, progress=progress, theme=item.melody.theme)
        else:
            melody = compose(local, config, seed=new_seed, melody=item.melody, progress=progress,
                             region=(max(0.0, t0 - item.cue.start), min(local.duration, t1 - item.cue.start)))
            melody.theme = item.melody.theme
    with stage(f"assess {item.cue.number}") as progress:
        assessment = assess(melody, local, config, progress=progress)
    edited = out.edited(f"{cue_folder(item.cue)}/{SCHEME}")
    scheme, plan = _arrange_plan(melody, local, config, stage, item.cue,
                                 scheme=item.scheme if edited else None)
    placed[index] = Placed(item.cue, melody, assessment, scheme, plan)
    return merge(spotting, placed, spottings), index
