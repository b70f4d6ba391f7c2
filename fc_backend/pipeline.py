"""Runs the stages in the order a film composer works, and writes every artifact atomically.

spot -> compose -> assess (-> compose again with a new seed while it fails, best kept) -> notate
-> arrange -> plan -> realize. Outputs are built in a hidden staging folder beside OUT and moved
into place only when every stage succeeded, so a failure never leaves a half-written score.
"""

from __future__ import annotations

import json
import math
import re
import shutil
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from .agents.session import llm_session
from .arrange import arrange
from .assess import assess
from .compose import compose
from .config import Config
from .cues import is_multi_cue, replan_cues, reroll_cue, score_cues, write_cue_scores
from .errors import InputError
from .formats.melody_file import read_melody
from .formats.midi import MidiPart, write_midi
from .model import RHYTHM_SPOT_KINDS, Assessment, Melody, Plan, Scheme, Spotting
from .notate import notate
from .plan import plan as make_plan
from .progress import Progress, stage_bar
from .ranges import MAX_CUT_RATE
from .realize import realize, write_project
from .realize.cue_files import write_cue_files
from .realize.preview import write_preview
from .report import draw, report
from .report.cuesheet import write_cuesheet
from .report.sync import colour_hits, master_sync
from .schemes import validate_scheme
from .scorefolder import (
    ARTIFACTS,
    COMPOSED,
    CUE_LIST,
    CUE_SCHEMES,
    CUE_SCORES,
    CUESHEET,
    MASTER,
    MELODY,
    MELODY_ABC,
    MELODY_MIDI,
    PLAN,
    PREVIEW,
    RENDERED,
    SCHEME,
    SPOTTING,
    STILLS,
    ScoreFolder,
)
from .spot import spot
from .spot.cue_edits import cues_document, load_cues
from .spot.video import container_rate
from .staging import needs_space, staged_output
from .tools import soundfont

__all__ = ["ARTIFACTS", "RENDERED", "ScoreResult", "render", "reroll", "score"]


#: opens a stage by name: its progress bar, and its reports to `on_progress`
StageReporter = Callable[[str], AbstractContextManager[Progress]]
#: (stage, fraction) for callers that watch the whole run, e.g. the server streaming progress
RunProgress = Callable[[str, float], None]


@dataclass
class ScoreResult:
    """Every level of the result, as basic-pitch's predict() returns them all."""

    out_dir: Path
    spotting: Spotting
    melody: Melody
    assessment: Assessment
    scheme: Scheme
    plan: Plan
    files: dict[str, Path] = field(default_factory=dict)
    #: with an LLM endpoint: "LLM: 9 of 11 answers used (model)" (and why not, when unusable)
    llm: str | None = None


def score(video: str | Path, out_dir: str | Path, config: Config | None = None, *, description: str = "",
          copy_video: bool = False, show_progress: bool = True,
          on_progress: RunProgress | None = None, melody: str | Path | None = None,
          spots: str | Path | None = None, force: bool = False,
          cues: str | Path | None = None) -> ScoreResult:
    """Score `video` into `out_dir`.

    With `copy_video`, the clip is copied into OUT and the project refers to it by a relative
    path, so the folder can be moved or sent as a whole. With `melody` (a .mid or .abc file, e.g. an
    edited melody.mid), that melody is used instead of composing one: beat b of the file is beat b
    of the clip's tempo map (so our own melody.mid keeps its video times); it is still assessed, once.
    With `spots` (a JSON list of {time, strength, kind}, or a whole spotting.json, e.g. one edited in
    REAPER), those rhythm spots replace the detected ones: their cut spots become the shot boundaries
    (moved to the nearest frame) and the tempo map is fitted to them. Files in OUT that an earlier run
    did not write, or that were edited since (a scheme.json), are replaced only with `force`.
    With `cues` (a cues.json a person edited), those cues replace the detected cue sheet.
    """
    config = config or Config()
    video = Path(video)
    _check_video_file(video)
    out = ScoreFolder(Path(out_dir))
    out.refuse_foreign(ARTIFACTS + ((video.name,) if copy_video else ()), force=force)
    duration = _check_duration(video, config)
    given = read_melody(melody) if melody is not None else None  # a bad file stops us before any work
    if cues is not None:  # so does a bad cue sheet, or one reaching past the clip's stated end
        load_cues(cues, reel=config.reel, duration=duration or None, max_cue=config.max_cue)
    if melody is not None:
        _check_one_piece(Path(melody), duration, config, cues=cues)
    soundfont(config.soundfont)  # a missing SoundFont should stop us before minutes of work, not after
    needs_space(out.path, _output_bytes(duration, 1, config) + (video.stat().st_size if copy_video else 0))
    out_dir = out.path

    stage = _stage_reporter(show_progress, on_progress)
    with llm_session(config) as session, staged_output(out_dir, force=force) as staging:  # probe first
        with stage("spot") as progress:
            spotting = spot(video, config, progress=progress, rhythm_spots=spots, stills_to=staging / STILLS,
                            cues=cues)
        if given is not None:  # a person's melody plays over the whole clip: one cue
            spotting.cues = spotting.cue_list(config.reel)[:1]
            spotting.cues[0].start, spotting.cues[0].end = 0.0, spotting.duration
        if is_multi_cue(spotting):  # a film in cues: each scored on its own clock, then merged
            film = score_cues(spotting, config, stage, description=description)
            write_cue_scores(film, staging)
            melody, assessment, scheme, plan = film.melody, film.assessment, film.scheme, film.plan
            with stage("notate"):
                abc = notate(melody)
        else:
            if given is None:
                melody, assessment = _compose_until_pass(spotting, config, description, stage)
            else:
                melody, assessment = _adopt(given, Path(melody), spotting, config, description, stage)
            abc, scheme, plan = _notate_arrange_plan(melody, spotting, config, stage)

        video_ref = video.resolve()
        if copy_video:
            shutil.copy2(video, staging / video.name)
            video_ref = Path(video.name)
        plan.video = str(video_ref)

        spotting.save(staging / "spotting.json")
        (staging / CUE_LIST).write_text(json.dumps(cues_document(spotting.cue_list(config.reel),
                                                                 video=spotting.video,
                                                                 duration=spotting.duration), indent=2)
                                        + "\n", encoding="utf-8")
        _write_composition(staging, melody, abc, assessment, scheme, plan)
        _realize_and_report(plan, staging, config, stage, video=video)
        missing = [name for name in ARTIFACTS if not (staging / name).is_file()]
        if missing:
            raise RuntimeError(f"stages finished without writing {', '.join(missing)}")

    files = {name: out_dir / name for name in ARTIFACTS}
    return ScoreResult(out_dir, spotting, melody, assessment, scheme, plan, files,
                       session.summary([*assessment.decisions, *scheme.decisions]) if session else None)


def render(out_dir: str | Path, config: Config | None = None, *, from_plan: bool = False,
           show_progress: bool = True, on_progress: RunProgress | None = None, force: bool = False,
           cues: bool = False) -> Plan:
    """Re-plan from an edited `scheme.json` (or take an edited `plan.json` as it is) and re-realize.

    Only the plan and what realize writes are replaced; spotting, melody, assessment and the (edited)
    scheme stay. An edited plan.json is replaced by a re-plan only with `force`. With `cues`, the new
    master and stems are also cut into cues/<number>/ per cue (a music editor's per-cue files).
    """
    config = config or Config()
    out = ScoreFolder(Path(out_dir))
    out_dir = out.path
    soundfont(config.soundfont)
    previous = out.load(Plan, PLAN)
    film = None
    if not from_plan:
        spotting = out.load(Spotting, SPOTTING)
        if is_multi_cue(spotting):  # each cue re-planned from its own scheme in cue_schemes.json
            if out.edited(SCHEME):
                raise InputError(out / SCHEME, f"is the film's overview; edit a cue's own scheme in "
                                               f"{CUE_SCHEMES} and render again")
        else:
            scheme = validate_scheme(out.read_json(SCHEME, "Scheme"), str(out / SCHEME))
            melody = out.load(Melody, MELODY)
    out.refuse_foreign(RENDERED if from_plan else (PLAN, *RENDERED), force=force)
    stage = _stage_reporter(show_progress, on_progress)
    with staged_output(out_dir, force=force) as staging:
        if from_plan:
            new_plan = previous
        elif is_multi_cue(spotting):
            film = replan_cues(out, spotting, config, stage)
            new_plan = film.plan
            new_plan.video = previous.video
            film.scheme.save(staging / SCHEME)
            new_plan.save(staging / PLAN)
        else:
            with stage("plan") as progress:
                new_plan = make_plan(scheme, melody, spotting, config, progress=progress)
            new_plan.video = previous.video
            new_plan.save(staging / PLAN)
        _realize_and_report(new_plan, staging, config, stage, earlier=out_dir)
        if cues:
            with stage("cues"):
                write_cue_files(new_plan, staging)
    return new_plan


def _notate_arrange_plan(melody: Melody, spotting: Spotting, config: Config,
                         stage: StageReporter) -> tuple[str, Scheme, Plan]:
    """What follows from a melody: its ABC, the arrangement scheme and the resolved plan."""
    with stage("notate"):
        abc = notate(melody)
    with stage("arrange") as progress:
        scheme = arrange(melody, spotting, config, progress=progress)
    with stage("plan") as progress:
        plan = make_plan(scheme, melody, spotting, config, progress=progress)
    return abc, scheme, plan


def _write_composition(staging: Path, melody: Melody, abc: str, assessment: Assessment, scheme: Scheme,
                       plan: Plan, *, scheme_too: bool = True) -> None:
    """What composing, assessing, arranging and planning made, as the artifacts later runs start from."""
    write_melody_files(staging, melody, abc)
    assessment.save(staging / "assessment.json")
    if scheme_too:  # not a user's edited scheme: it stays byte for byte as they left it
        scheme.save(staging / "scheme.json")
    plan.save(staging / "plan.json")


def write_melody_files(folder: Path, melody: Melody, abc: str) -> None:
    """melody.json, melody.mid and melody.abc (`abc`, notate's text): the same notes, key and chords
    in each, so `assess` on any of them gets the total `score` gave (`assess_melody_file`)."""
    melody.save(folder / MELODY)
    write_midi(folder / MELODY_MIDI, melody.tempo_map, [MidiPart("Melody", melody.notes, 0)],
               key=melody.key, chords=melody.chords)
    (folder / MELODY_ABC).write_text(abc, encoding="utf-8")


def assess_melody_file(path: Path, spotting: Spotting | None, config: Config) -> tuple[Melody, Assessment]:
    """A .mid or .abc melody judged as `score` judges its own: against `spotting` (None: the notes
    alone), laid beat for beat on the clip's tempo map as `score --melody` adopts a file."""
    melody = read_melody(path)
    if spotting is not None:
        try:
            melody = compose(spotting, config, melody=melody, description=melody.description)
        except ValueError as err:
            raise InputError(path, str(err)) from None
    return melody, assess(melody, spotting, config)


def _realize_and_report(plan: Plan, staging: Path, config: Config,
                        stage: StageReporter, *,
                        video: Path | None = None, earlier: Path | None = None) -> None:
    """The last two stages of every run: audio and project from the plan, then the page about it all.

    `earlier` is the OUT of a previous run whose untouched artifacts the report reads (render and
    reroll rewrite only part of OUT); their copies in staging are identical, so the move is harmless.
    The report's plots need no audio, so they are drawn on the second core while realize (one
    thread: FluidSynth, then the mix) renders the master.
    """
    if video is None and plan.video:
        video = Path(plan.video) if earlier is None else (earlier / plan.video)
    # a user's edited plan.json (render --plan) stays as they wrote it; the .rpp still shows the sync
    user_plan = earlier is not None and not (staging / PLAN).exists() and ScoreFolder(earlier).edited(PLAN)
    if earlier is not None:
        ours = ScoreFolder(earlier).manifest()
        for name in ARTIFACTS:
            if name not in RENDERED and not (staging / name).exists() and (earlier / name).is_file():
                shutil.copy2(earlier / name, staging / name)
        stills = earlier / STILLS
        for still in sorted(stills.iterdir()) if stills.is_dir() else ():
            name = f"{STILLS}/{still.name}"  # ours (a server's copy of OUT has no manifest: by name)
            if still.is_file() and (name in ours or re.fullmatch(r"shot_\d{3,}\.jpg", still.name)):
                (staging / STILLS).mkdir(exist_ok=True)
                shutil.copy2(still, staging / name)
    needs_space(staging, _output_bytes(plan.duration, len(plan.tracks), config))
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="fc-draw") as pool:
        drawing = pool.submit(draw, staging, video=video)
        with stage("realize") as progress:
            realize(plan, staging, config, video=Path(plan.video) if plan.video else None, progress=progress)
        _mark_sync(plan, staging, save_plan=not user_plan)
        write_cuesheet(plan, staging / CUESHEET, composer=config.cue_composer,
                       publisher=config.cue_publisher)
        if video is not None and video.is_file() and (staging / "master.wav").is_file():
            write_preview(video, staging / "master.wav", staging / PREVIEW, plan.duration,
                          burn_in=(plan.clock(), plan.cue_list()) if config.burn_in else None)
        with stage("report") as progress:
            report(staging, video=video, progress=progress, drawing=drawing.result())


def _mark_sync(plan: Plan, staging: Path, *, save_plan: bool) -> None:
    """Colour each hit marker by how close the master's attack landed (report/sync.py), in project.rpp
    and in plan.json, which the live Score action reads: REAPER shows the sync check on the hits."""
    master = staging / MASTER
    if not master.is_file() or not any(m.kind in RHYTHM_SPOT_KINDS for m in plan.markers):
        return
    colour_hits(plan, master_sync(master, plan))
    write_project(plan, staging, video=Path(plan.video) if plan.video else None)
    if save_plan:
        plan.save(staging / PLAN)


def _check_duration(video: Path, config: Config) -> float:
    """The clip's length as its container states it, refused up front beyond `config.max_duration`, or
    when the shots the detector could find in it (a cut every `config.min_shot_frames` frames) exceed
    what the longest clip may hold at MAX_CUT_RATE: every later count (rhythm spots, markers, notes)
    is sized for that, so nothing is refused after the decode."""
    duration, fps = container_rate(video)
    if duration > config.max_duration:
        raise InputError(video, f"{duration / 60:.1f} minutes long; at most {config.max_duration / 60:g}"
                                " minutes can be scored in one run (cut the film into reels and score each)")
    shots, allowed = duration * fps / max(1, config.min_shot_frames), MAX_CUT_RATE * config.max_duration
    if shots > allowed:
        raise InputError(video, f"{duration / 60:.1f} minutes at {fps:g} fps may cut {shots:.0f} times; at"
                                f" most {allowed:.0f} cuts can be scored in one run (score a shorter reel)")
    return duration


def _check_one_piece(melody: Path, duration: float, config: Config, *, cues: str | Path | None) -> None:
    """A given melody scores the clip as one cue: refused up front with a cue sheet, or for a clip
    longer than one arranged piece (`config.max_cue`)."""
    if cues is not None:
        raise InputError(melody, "a melody file scores the clip as one cue; give --melody or --cues,"
                                 " not both")
    if duration > config.max_cue:
        raise InputError(melody, f"a melody file scores the clip as one cue, at most"
                                 f" {config.max_cue / 60:g} minutes; the clip is {duration / 60:.1f} minutes"
                                 " (score without --melody)")


def _output_bytes(duration: float, tracks: int, config: Config) -> int:
    """Disk a realize needs at its peak: float32 spools of the mix, its peaks and every stem (tracks and
    the reverb return), plus the 24-bit master and stems they become."""
    samples = int((max(duration, 0.0) + config.tail) * config.sample_rate)
    stems = tracks + 1
    return samples * (8 + 4 + 8 * stems + 6 + 6 * stems)


def _compose_until_pass(
    spotting: Spotting, config: Config, description: str,
    stage: StageReporter,
) -> tuple[Melody, Assessment]:
    """Ask for new melodies (new seeds) while the reviewers fail them; keep the best one heard."""
    best: tuple[Melody, Assessment] | None = None
    attempts = max(1, config.max_attempts)
    for attempt in range(attempts):
        suffix = "" if attempt == 0 else f" #{attempt + 1}"
        with stage(f"compose{suffix}") as progress:
            melody = compose(spotting, config, description=description, seed=config.seed + attempt,
                             progress=progress)
        with stage(f"assess{suffix}") as progress:
            assessment = assess(melody, spotting, config, progress=progress)
        if best is None or assessment.total > best[1].total:
            best = (melody, assessment)
        if assessment.passed:
            break
    melody, assessment = best
    assessment.attempts = attempt + 1
    if not assessment.passed:
        print(failed_review_line(assessment), file=sys.stderr)
    return melody, assessment


def failed_review_line(assessment: Assessment, *, weakest: int = 3) -> str:
    """One line saying that even the best melody failed review, and on which criteria most."""
    low = sorted(assessment.criteria, key=lambda c: c.score)[:weakest]
    names = ", ".join(f"{c.key} {c.score:.2f}" for c in low)
    return (f"filmcomposer: warning: the best of {assessment.attempts} melodies scored "
            f"{assessment.total:.2f}/{len(assessment.criteria)}, under the pass mark "
            f"{assessment.threshold:g}; weakest: {names} (the score is written anyway)")



def _adopt(given: Melody, path: Path, spotting: Spotting, config: Config, description: str,
           stage: StageReporter) -> tuple[Melody, Assessment]:
    """The user's melody on the clip's clock, assessed once (a person's melody is not re-composed)."""
    with stage("compose") as progress:
        try:
            melody = compose(spotting, config, description=description, melody=given, progress=progress)
        except ValueError as err:
            raise InputError(path, str(err)) from None
    with stage("assess") as progress:
        assessment = assess(melody, spotting, config, progress=progress)
    return melody, assessment


def reroll(out_dir: str | Path, t0: float, t1: float, config: Config | None = None, *,
           seed: int | None = None, show_progress: bool = True,
           on_progress: RunProgress | None = None, force: bool = False,
           keep_scheme: bool | None = None) -> ScoreResult:
    """Compose anew the measures of OUT's melody that overlap [t0, t1] s and re-run every later stage.

    Notes outside those measures stay bit-identical in melody.json; melody.mid, melody.abc,
    assessment.json, plan.json and what realize writes are replaced atomically. The arrangement stays:
    the new melody is planned on OUT's scheme.json (edited or not), the same players in the same mix.
    Without `seed`, the melody's seed + 1, so each re-roll is new. `keep_scheme` says an edited scheme
    is the user's where OUT's own record cannot (a server's copy of OUT carries none: its client tells it).
    """
    config = config or Config()
    out = ScoreFolder(Path(out_dir))
    out_dir = out.path
    spotting = out.load(Spotting, SPOTTING)
    previous = out.load(Melody, MELODY)
    old_plan = out.load(Plan, PLAN)
    check_span(out_dir, t0, t1, spotting.duration)
    if is_multi_cue(spotting):
        keep = keep_scheme if keep_scheme is not None else out.holds_edited_scheme()
        return _reroll_cue(out, spotting, old_plan, t0, t1, config, seed=seed, force=force, keep_scheme=keep,
                           stage=_stage_reporter(show_progress, on_progress))
    if not previous.notes:
        raise InputError(out / "melody.json", "holds no notes to re-roll around")
    kept = None  # the user's edited scheme, planned on as it is
    if keep_scheme if keep_scheme is not None else out.holds_edited_scheme():
        kept = validate_scheme(out.read_json(SCHEME, "Scheme"), str(out / SCHEME))
    out.refuse_foreign(tuple(n for n in COMPOSED if n != SCHEME or kept is None) + RENDERED, force=force)
    soundfont(config.soundfont)
    seed = previous.seed + 1 if seed is None else int(seed)
    stage = _stage_reporter(show_progress, on_progress)
    with llm_session(config) as session, staged_output(out_dir, force=force) as staging:
        with stage("compose") as progress:
            melody = compose(spotting, config, seed=seed, melody=previous, region=(t0, t1), progress=progress)
        with stage("assess") as progress:
            assessment = assess(melody, spotting, config, progress=progress)
        # the arrangement stays: a re-rolled region is new notes for the same players (arranging
        # anew would let the new melody's seed pick other instruments for the whole clip)
        arranged = kept if kept is not None else _own_scheme(out)
        if arranged is None:
            abc, scheme, plan = _notate_arrange_plan(melody, spotting, config, stage)
        else:
            with stage("notate"):
                abc = notate(melody)
            scheme = arranged
            with stage("plan") as progress:
                plan = make_plan(scheme, melody, spotting, config, progress=progress)
        plan.video = old_plan.video
        _write_composition(staging, melody, abc, assessment, scheme, plan, scheme_too=kept is None)
        _realize_and_report(plan, staging, config, stage, earlier=out_dir)
    files = {name: out_dir / name for name in ARTIFACTS}
    return ScoreResult(out_dir, spotting, melody, assessment, scheme, plan, files,
                       session.summary([*assessment.decisions, *scheme.decisions]) if session else None)


def _own_scheme(out: ScoreFolder) -> Scheme | None:
    """OUT's scheme.json as we wrote it, or None where there is none (or it no longer validates)."""
    if not (out.path / SCHEME).is_file():
        return None
    try:
        return validate_scheme(out.read_json(SCHEME, "Scheme"), str(out.path / SCHEME))
    except InputError:
        return None


def _reroll_cue(out: ScoreFolder, spotting: Spotting, old_plan: Plan, t0: float, t1: float, config: Config,
                *, seed: int | None, force: bool, keep_scheme: bool, stage: StageReporter) -> ScoreResult:
    """`reroll` in a film of cues: the cue the span falls in is composed anew (cues.reroll_cue), the
    other cues stay as they were; the merged artifacts and what realize writes are replaced, and a
    person's edited cue_schemes.json is planned on and kept as they left it."""
    ours = tuple(n for n in (*COMPOSED, CUE_SCORES, CUE_SCHEMES) if n != CUE_SCHEMES or not keep_scheme)
    out.refuse_foreign(ours + RENDERED, force=force)
    soundfont(config.soundfont)
    with staged_output(out.path, force=force) as staging:
        film, _ = reroll_cue(out, spotting, t0, t1, config, stage, seed=seed, keep_scheme=keep_scheme)
        film.plan.video = old_plan.video
        write_cue_scores(film, staging, schemes=not keep_scheme)
        with stage("notate"):
            abc = notate(film.melody)
        _write_composition(staging, film.melody, abc, film.assessment, film.scheme, film.plan)
        _realize_and_report(film.plan, staging, config, stage, earlier=out.path)
    files = {name: out.path / name for name in ARTIFACTS}
    return ScoreResult(out.path, spotting, film.melody, film.assessment, film.scheme, film.plan, files)


def check_span(out_dir: Path, t0: float, t1: float, duration: float) -> None:
    """A re-roll span must be finite, start before it ends, and start inside the clip."""
    if not (math.isfinite(t0) and math.isfinite(t1)):
        raise InputError(out_dir, f"re-roll span {t0:g}..{t1:g} s is not a pair of finite times")
    if t1 < t0:
        raise InputError(out_dir, f"re-roll span --from {t0:g} --to {t1:g} s is reversed;"
                                  f" did you mean --from {t1:g} --to {t0:g}?")
    if t0 < 0.0 or t0 >= duration:
        raise InputError(out_dir, f"re-roll span {t0:g}..{t1:g} s is not inside the clip"
                                  f" (0..{duration:g} s)")


def _stage_reporter(show_progress: bool,
                    on_progress: RunProgress | None) -> StageReporter:
    """A context per stage: a progress bar on stderr, and the run-wide callback if someone listens."""

    @contextmanager
    def stage(name: str) -> Iterator[Progress]:
        with stage_bar(name, enabled=show_progress) as bar:
            def report(fraction: float) -> None:
                bar(fraction)
                if on_progress:
                    on_progress(name, fraction)
            report(0.0)
            yield report
            report(1.0)

    return stage


def _check_video_file(video: Path) -> None:
    """Fail fast on what needs no decoder to reject."""
    if not video.exists():
        raise InputError(video, "no such file")
    if video.is_dir():
        raise InputError(video, "is a folder, not a video file")
    if video.stat().st_size == 0:
        raise InputError(video, "file is empty")
