"""What the mix sounds like, over seeds on two generated clips with real motion and cuts:

- bright: a sunlit meadow and sea (demo.make_scene_clip), panned at walking and running paces;
- neutral: the demo's moving test patterns (demo.make_clip), none of them bright.

For each seed the symbolic composer writes the theme, the rule-based arranger and planner score it
and the offline renderer mixes it (FluidSynth, reverb bus, master); measured on what was rendered:
the 5-10 kHz energy of the master relative to its total (dB; issue #19 found -42..-46 dB muffled),
the reverb return against the dry stems' sum (LU; goal <= -6), and what plays on top in the bright
cue (a doubling an octave up by flute, violins, piccolo or celesta).

    nice .venv/bin/python bench/bench_mix.py [--seeds 10] [--keep DIR]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from clips import ROOT  # noqa: E402,F401  (puts the repository first on the path)

from fc_backend.arrange import arrange  # noqa: E402
from fc_backend.compose import compose  # noqa: E402
from fc_backend.config import Config  # noqa: E402
from fc_backend.eval import music  # noqa: E402
from fc_backend.loudness import read_audio  # noqa: E402
from fc_backend.model import Spotting  # noqa: E402
from fc_backend.plan import plan as make_plan  # noqa: E402
from fc_backend.realize import realize  # noqa: E402

CACHE = Path(tempfile.gettempdir()) / "fc-mix-bench"
BRIGHT_SHOTS = [("meadow", 60, 0.03), ("sea", 48, 0.25), ("meadow", 72, 0.0), ("sea", 60, 0.03),
                ("meadow", 48, 0.25)]
NEUTRAL_SHOTS = (60, 48, 72, 60, 48)


def spotting_of(name: str) -> Spotting:
    """The clip's spotting, made (clip and spot) on first use and cached."""
    from fc_backend.demo import make_clip, make_scene_clip
    from fc_backend.spot import spot

    CACHE.mkdir(parents=True, exist_ok=True)
    cached = CACHE / f"{name}.spotting.json"
    if cached.is_file():
        return Spotting.load(cached)
    clip = CACHE / f"{name}.mp4"
    if name == "bright":
        make_scene_clip(clip, BRIGHT_SHOTS)
    else:
        make_clip(clip, NEUTRAL_SHOTS)
    spotting = spot(clip, Config())
    spotting.save(cached)
    return spotting


def measure(spotting: Spotting, seed: int, out: Path) -> tuple[float, float, str, list[str]]:
    """(5-10 kHz vs total dB, reverb vs dry LU, top voice, instruments) of one seed's rendered cue."""
    melody = compose(spotting, seed=seed)
    scheme = arrange(melody, spotting)
    plan = make_plan(scheme, melody, spotting)
    out.mkdir(parents=True, exist_ok=True)
    realize(plan, out, Config())
    audio, rate = read_audio(out / "master.wav")
    top = max(plan.tracks, key=lambda t: statistics.mean(n.pitch for n in t.notes) if t.notes else 0)
    ranges = " ".join(f"{t.instrument}:{min(n.pitch for n in t.notes)}-{max(n.pitch for n in t.notes)}"
                      for t in plan.tracks if t.notes)
    print(f"  seed {seed:<3} {music.band_energy_db(audio, rate):6.1f} dB  {ranges}", file=sys.stderr)
    return (music.band_energy_db(audio, rate), music.reverb_vs_dry_lu(out / "stems"), top.instrument,
            [t.instrument for t in scheme.tracks])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--keep", type=Path, help="keep the rendered folders here")
    parser.add_argument("--clips", nargs="*", default=["bright", "neutral"], choices=["bright", "neutral"])
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="fc-mix-"))
    try:
        for name in args.clips:
            spotting = spotting_of(name)
            attrs = sorted({(s.attributes.brightness, s.attributes.setting) for s in spotting.shots}, key=str)
            rows = [measure(spotting, seed, work / f"{name}_{seed}") for seed in range(1, args.seeds + 1)]
            band = [r[0] for r in rows]
            wet = [r[1] for r in rows]
            tops = sorted({r[2] for r in rows})
            print(f"{name} clip, emotion {spotting.emotion}, shots {attrs} ({len(rows)} seeds)")
            print(f"  5-10 kHz vs total        {statistics.mean(band):6.1f} dB (min {min(band):.1f},"
                  f" max {max(band):.1f})   was -42..-46 dB")
            print(f"  reverb vs dry sum        {statistics.mean(wet):+6.1f} LU (max {max(wet):+.1f})"
                  f"          goal <= -6 LU")
            print(f"  highest voice            {tops}")
            worst = min(range(len(rows)), key=lambda i: rows[i][0])
            print(f"  dullest, seed {worst + 1:<2}       {rows[worst][0]:.1f} dB, on top {rows[worst][2]},"
                  f" {rows[worst][3]}")
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
