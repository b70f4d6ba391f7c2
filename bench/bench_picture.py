"""The picture side, measured on generated clips with real motion and cuts, one clip a seed:

- tempo: each seed's clip (the demo's moving patterns, shot lengths drawn from the seed) is spotted;
  the tempo map's steps at cuts (|new - old| / old) give the largest step and the share over 10 %,
  beside the share of cuts on a beat to the frame (|error| <= half a frame). The same cuts refitted
  without the step rule (step_limit 10.0) show what the rule changes.
- shot attributes: each seed's clip of known scenes (demo.make_scene_clip: meadow, sea, sky, room,
  each still or panned at a walking or running pace) is spotted; setting and behaviour are compared
  with what was drawn. A room claims no setting (pixels cannot tell a room from a street), a clear
  sky no behaviour (flow has no texture to follow).

    nice .venv/bin/python bench/bench_picture.py [--seeds 10]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from clips import ROOT  # noqa: E402,F401  (puts the repository first on the path)

from fc_backend.demo import make_clip, make_scene_clip  # noqa: E402
from fc_backend.spot import spot  # noqa: E402
from fc_backend.spot.tempo import STEP_LIMIT, base_tempo, cut_errors, fit_tempo, tempo_steps  # noqa: E402

FPS = 24
CACHE = Path(tempfile.gettempdir()) / "fc-picture-bench"
#: what each scene is, and the pan (frame widths per second) of each pace
SETTINGS = {"meadow": "nature", "sea": "water", "sky": "sky", "room": None}
PACES = {"still": 0.0, "walking": 0.03, "running": 0.25}


def tempo_row(seed: int) -> tuple[list[float], list[float], list[bool], list[bool]]:
    """(steps at cuts, the same without the step rule, each cut on a beat to the frame, the same
    without the step rule) of one clip."""
    rng = random.Random(seed)
    frames = [rng.randrange(30, 130) for _ in range(rng.randrange(6, 11))]
    clip = CACHE / f"tempo_{seed}.mp4"
    make_clip(clip, frames, fps=FPS, size=(320, 180))
    s = spot(clip)
    speed = sum(shot.motion_speed * shot.duration for shot in s.shots) / s.duration
    bpm, meter = base_tempo(s.emotion, speed)
    cuts = set(round(c, 6) for c in s.cuts)
    steps = [size for time, size in tempo_steps(s.tempo_map) if round(time, 6) in cuts]
    loose = fit_tempo(s.cuts, bpm, meter, step_limit=10.0)
    before = [size for time, size in tempo_steps(loose) if round(time, 6) in cuts]
    on_beat = [abs(e) <= 0.5 / FPS for e in s.cut_errors]
    assert cut_errors(s.tempo_map, s.cuts) == s.cut_errors
    return steps, before, on_beat, [abs(e) <= 0.5 / FPS for e in cut_errors(loose, s.cuts)]


def attribute_row(seed: int) -> list[tuple[tuple[str | None, str], tuple[str | None, str | None]]]:
    """(drawn (setting, pace), spotted (setting, behaviour)) for each shot of one clip of known scenes."""
    rng = random.Random(1000 + seed)
    shots: list[tuple[str, str]] = []
    while len(shots) < 6:  # the same scene twice running would be one shot, not a cut
        scene = rng.choice([s for s in SETTINGS if not shots or s != shots[-1][0]])
        shots.append((scene, rng.choice(list(PACES))))
    clip = CACHE / f"scenes_{seed}.mp4"
    make_scene_clip(clip, [(scene, 48, PACES[pace]) for scene, pace in shots], fps=FPS, seed=seed)
    s = spot(clip)
    if len(s.shots) != len(shots):
        print(f"  seed {seed}: {len(s.shots)} shots spotted of {len(shots)}", file=sys.stderr)
        return []
    return [((SETTINGS[scene], pace), (shot.attributes.setting, shot.attributes.behaviour))
            for (scene, pace), shot in zip(shots, s.shots, strict=True)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=10)
    args = parser.parse_args()
    CACHE.mkdir(parents=True, exist_ok=True)
    seeds = range(1, args.seeds + 1)
    steps, before, hit, hit_before, per_clip = [], [], [], [], []
    for seed in seeds:
        s, b, h, hb = tempo_row(seed)
        steps += s
        before += b
        hit += h
        hit_before += hb
        per_clip.append(max(s, default=0.0))
    over = [x > STEP_LIMIT + 1e-9 for x in steps]
    over_before = [x > STEP_LIMIT + 1e-9 for x in before]
    print(f"tempo at cuts ({len(seeds)} clips, {len(hit)} cuts, {len(steps)} tempo changes at cuts)")
    print(f"  largest step at a cut       {max(steps, default=0):6.1%}  (median of the clips' largest "
          f"{statistics.median(per_clip):.1%})   goal <= 10 % where the picture allows")
    print(f"  steps over 10 %             {statistics.mean(over) if over else 0:6.1%}  "
          f"({sum(over)} of {len(over)})")
    print(f"  without the step rule       {max(before, default=0):6.1%} largest, "
          f"{statistics.mean(over_before) if over_before else 0:.1%} over 10 %")
    print(f"  cuts on a beat to the frame {statistics.mean(hit):6.1%}  (without the step rule"
          f" {statistics.mean(hit_before):.1%}; a cut no beat within 12 % of the tempo reaches stays off)")

    pairs = [pair for seed in seeds for pair in attribute_row(seed)]
    print(f"shot attributes on known scenes ({len(seeds)} clips, {len(pairs)} shots)")
    setting_ok = [drawn[0] == got[0] for drawn, got in pairs]
    pace_ok = [drawn[1] == got[1] for drawn, got in pairs if drawn[0] != "sky"]
    print(f"  setting as drawn            {statistics.mean(setting_ok):6.1%}")
    for scene, label in SETTINGS.items():
        mine = [got[0] for drawn, got in pairs if drawn[0] == label]
        print(f"    {scene:<8} -> {label!s:<7} {sum(g == label for g in mine)} of {len(mine)}"
              f"  (got {sorted(set(map(str, mine)))})")
    print(f"  behaviour as drawn          {statistics.mean(pace_ok):6.1%}  (sky shots aside: "
          f"{sorted({str(got[1]) for drawn, got in pairs if drawn[0] == 'sky'})})")
    for pace in PACES:
        mine = [got[1] for drawn, got in pairs if drawn[1] == pace and drawn[0] != "sky"]
        got = sorted(set(map(str, mine)))
        print(f"    {pace:<8} {sum(g == pace for g in mine)} of {len(mine)}  (got {got})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
