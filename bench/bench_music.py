"""What a listener keeps, measured: issue #19's table for our scores and for human tunes.

For each clip (generated with real motion and cuts, spotted once and cached) and each seed, the
symbolic composer writes a theme that is assessed, arranged and planned; the theme and the plan are
measured (fc_backend/eval/music.py). Human tunes of music21's corpus (the DEV split only: the held-out
split is for `--heldout`, never for tuning) are measured the same way and set the reviewers' AUC
against pitch-scrambled, rhythm-shuffled and random-in-key counterfeits.

    nice .venv/bin/python bench/bench_music.py [--seeds 10] [--humans 200] [--heldout] [--folders OUT ...]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from clips import ROOT  # noqa: E402,F401  (puts the repository first on the path)

from fc_backend.arrange import arrange  # noqa: E402
from fc_backend.assess import assess  # noqa: E402
from fc_backend.compose import compose  # noqa: E402
from fc_backend.config import Config  # noqa: E402
from fc_backend.eval import music  # noqa: E402
from fc_backend.eval import reference as ref  # noqa: E402
from fc_backend.model import Melody, Plan, Scheme, Spotting  # noqa: E402
from fc_backend.plan import plan as make_plan  # noqa: E402

#: clips with real motion and cuts (shot lengths in frames at 24 fps), none of them the demo's
CLIPS = {"eight_shots": (60, 36, 84, 48, 96, 72, 60, 90), "six_long": (120, 48, 48, 96, 144, 72)}
CACHE = Path(tempfile.gettempdir()) / "fc-music-bench"


def spotting_of(name: str, frames: tuple[int, ...]) -> Spotting:
    """The clip's spotting, made (clip and spot) on first use and cached."""
    from fc_backend.demo import make_clip
    from fc_backend.spot import spot

    CACHE.mkdir(parents=True, exist_ok=True)
    cached = CACHE / f"{name}.spotting.json"
    if cached.is_file():
        return Spotting.load(cached)
    clip = CACHE / f"{name}.mp4"
    make_clip(clip, frames)
    spotting = spot(clip, Config())
    spotting.save(cached)
    return spotting


#: the picture's light, laid over a real clip's shots (cuts and motion stay): (brightness, hue, emotion)
PICTURES = {"sunny meadow": ("bright", "green", None), "night, tense": ("dark", "blue", "tense")}


def lit(spotting: Spotting, brightness: str, hue: str, emotion: str | None) -> Spotting:
    """`spotting` with every shot in `brightness` and `hue` (and the clip's emotion, if given)."""
    from dataclasses import replace

    shots = [replace(s, attributes=replace(s.attributes, brightness=brightness, hue=hue))
             for s in spotting.shots]
    return replace(spotting, shots=shots, emotion=emotion or spotting.emotion)


def score_seeds(spotting: Spotting, seeds: range) -> list[tuple[Melody, float, bool, Scheme, Plan]]:
    out = []
    for seed in seeds:
        melody = compose(spotting, seed=seed)
        assessment = assess(melody, spotting)
        scheme = arrange(melody, spotting)
        out.append((melody, assessment.total, assessment.passed, scheme, make_plan(scheme, melody, spotting)))
    return out


def from_folders(folders: list[Path]) -> list[tuple[Melody, float, bool, Scheme, Plan]]:
    from fc_backend.model import Assessment

    out = []
    for folder in folders:
        a = Assessment.load(folder / "assessment.json")
        out.append((Melody.load(folder / "melody.json"), a.total, a.passed,
                    Scheme.load(folder / "scheme.json"), Plan.load(folder / "plan.json")))
    return out


def file_totals(melody: Melody, spotting: Spotting) -> tuple[float, float]:
    """The totals `assess melody.mid` and `assess melody.abc` give in the folder `score` writes them to
    (beside its spotting.json), for the same melody."""
    from fc_backend.notate import notate
    from fc_backend.pipeline import assess_melody_file, write_melody_files

    with tempfile.TemporaryDirectory(prefix="fc-bench-formats-") as tmp:
        folder = Path(tmp)
        spotting.save(folder / "spotting.json")
        write_melody_files(folder, melody, notate(melody))
        return tuple(assess_melody_file(folder / name, spotting, Config())[1].total
                     for name in ("melody.mid", "melody.abc"))


def theme_row(melodies: list[Melody]) -> dict[str, float]:
    return {"values": statistics.mean(music.distinct_values(m) for m in melodies),
            "off_grid": statistics.mean(music.off_grid_share(m) for m in melodies),
            "recur": statistics.mean(music.bar_recurrence(m) for m in melodies)}


def print_scores(label: str, scored: list[tuple[Melody, float, bool, Scheme, Plan]],
                 spotting: Spotting | None = None) -> None:
    melodies = [m for m, *_ in scored]
    row = theme_row(melodies)
    progressions = {tuple(c.name for c in m.chords) for m in melodies}
    orchestrations = {tuple(sorted(t.instrument for t in s.tracks)) for _, _, _, s, _ in scored}
    modes = sorted({m.key.mode for m in melodies if m.key})
    top = [music.melody_on_top(p) for *_, p in scored]
    print(f"{label} ({len(scored)} seeds)")
    print(f"  melody on top            {statistics.mean(top):6.1%}  (min {min(top):.0%})      goal >= 95 %")
    print(f"  distinct note values     {row['values']:6.1f}                 goal <= 4")
    print(f"  onsets off the grid      {row['off_grid']:6.1%}                 goal <= 1 %")
    print(f"  bar rhythm recurs        {row['recur']:6.1%}                 goal >= 40 %")
    hits = [music.cut_hits(p) for *_, p in scored]
    hit, cuts = sum(h for h, _ in hits), sum(c for _, c in hits)
    print(f"  cuts hit (+-50 ms)       {hit / max(1, cuts):6.1%}  ({hit} of {cuts} cuts)  goal >= 95 %")
    if spotting is not None:
        changes = [music.texture_changes(p, spotting) for *_, p in scored]
        moved, new = sum(c[0][0] for c in changes), sum(c[0][1] for c in changes)
        kept, same = sum(c[1][0] for c in changes), sum(c[1][1] for c in changes)
        print(f"  texture changes at a new shot scale/light {moved / max(1, new):6.1%} ({moved} of {new});"
              f" at other cuts {kept / max(1, same):.0%} ({kept} of {same})")
    print(f"  orchestrations: {sorted(orchestrations)[:3]}")
    print(f"  progressions / orchestr. {len(progressions):3d} / {len(orchestrations):<3d} modes {modes}"
          "       goal >= 4 / >= 3")
    print(f"  pass rate                {statistics.mean(float(p) for _, _, p, _, _ in scored):6.1%}"
          f"  (mean total {statistics.mean(t for _, t, _, _, _ in scored):.2f})")
    if spotting is not None:
        gaps = [max(abs(t - f) for f in file_totals(m, spotting)) for m, t, *_ in scored]
        same = sum(g <= 0.01 for g in gaps)
        print(f"  one total (.json/.mid/.abc) {same:3d} of {len(gaps)} seeds (largest gap {max(gaps):.3f})"
              "   goal: all, to 0.01")


def print_mix(folders: list[Path]) -> None:
    """What the mix does: the reverb return against the dry stems, the 5-10 kHz share of the master."""
    from fc_backend.loudness import read_audio

    wet = [music.reverb_vs_dry_lu(f / "stems") for f in folders]
    bright = []
    for f in folders:
        audio, rate = read_audio(f / "master.wav")
        bright.append(music.band_energy_db(audio, rate))
    print(f"  reverb vs dry sum        {statistics.mean(wet):+6.1f} LU (max {max(wet):+.1f})   goal <= -6 LU")
    print(f"  5-10 kHz vs total        {statistics.mean(bright):6.1f} dB (min {min(bright):.1f})")


def print_humans(split: str, count: int) -> None:
    """The reviewers against human tunes: pass rates, the total's AUC against each counterfeit, each
    criterion's AUC (a criterion near 0.5 everywhere is dead weight in the total), and the nonsense."""
    humans = ref.human_melodies(split, count)
    row = theme_row(humans)
    totals = [assess(m) for m in humans]
    real = [a.total for a in totals]
    print(f"human tunes, music21 {split} split ({len(humans)} tunes; no spotting: pass mark "
          f"{totals[0].threshold:g} of the 16 musical criteria)")
    print(f"  distinct note values     {row['values']:6.1f}")
    print(f"  onsets off the grid      {row['off_grid']:6.1%}")
    print(f"  bar rhythm recurs        {row['recur']:6.1%}")
    print(f"  pass rate                {statistics.mean(float(a.passed) for a in totals):6.1%}"
          f"  (mean total {statistics.mean(real):.2f})     goal >= 90 %")
    fakes = {}
    for name, fake, goal in (("pitch-scrambled", ref.pitch_scrambled, 0.95),
                             ("rhythm-shuffled", ref.rhythm_shuffled, 0.90),
                             ("random-in-key", ref.random_in_key, 0.98)):
        fakes[name] = [assess(fake(m, 7000 + i)) for i, m in enumerate(humans)]
        passed = statistics.mean(float(a.passed) for a in fakes[name])
        pass_goal = "  goal <= 5 % pass" if name == "random-in-key" else ""
        print(f"  AUC vs {name:16s} {music.auc(real, [a.total for a in fakes[name]]):.3f}"
              f"  ({passed:.0%} of them pass)   goal >= {goal}{pass_goal}")
    for name, melody in ref.nonsense().items():
        a = assess(melody)
        print(f"  {name:24s} {a.total:5.2f} {'PASSES' if a.passed else 'fails'}   goal: fails")
    print("  per criterion: mean human score, AUC vs pitch-scrambled / rhythm-shuffled / random-in-key")
    for i, criterion in enumerate(totals[0].criteria):
        scores = [a.criteria[i].score for a in totals]
        aucs = [music.auc(scores, [a.criteria[i].score for a in group]) for group in fakes.values()]
        shown = " / ".join(f"{x:.2f}" for x in aucs)
        print(f"    {criterion.key:22s} {statistics.mean(scores):5.2f}   {shown}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--humans", type=int, default=200, help="human tunes to read from the split")
    parser.add_argument("--heldout", action="store_true", help="the held-out split (final check only)")
    parser.add_argument("--folders", type=Path, nargs="*", default=[], help="scored folders to measure too")
    parser.add_argument("--no-clips", action="store_true", help="skip the generated clips")
    args = parser.parse_args()
    if args.folders:
        print_scores("scored folders", from_folders(args.folders))
        print_mix(args.folders)
    if not args.no_clips:
        for name, frames in CLIPS.items():
            spotting = spotting_of(name, frames)
            print_scores(f"clip {name}", score_seeds(spotting, range(1, args.seeds + 1)), spotting)
        first = spotting_of(*next(iter(CLIPS.items())))
        for picture, light in PICTURES.items():
            spotting = lit(first, *light)
            print_scores(f"clip {next(iter(CLIPS))} as a {picture} ({spotting.emotion})",
                         score_seeds(spotting, range(1, args.seeds + 1)), spotting)
    if args.humans:
        print_humans("heldout" if args.heldout else "dev", args.humans)
    return 0


if __name__ == "__main__":
    sys.exit(main())
