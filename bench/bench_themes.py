"""Themes across a film: do cues in a returning setting share a recognisable theme, end to end?

Makes a generated 360p film whose settings come back (forest, sea, forest, desert, sea: 170 s), scores
it with spotting's own cue sheet and prints each cue (setting, theme label, states or develops, mood,
key, the statement cell) and the mean theme similarity (eval/themes.py: bar rhythms and contour
3-grams of the notes, cosine 0..1) of cue pairs sharing a label against pairs with different labels,
then the score's wall time and peak memory. The machine may be shared: the load average is printed.

    nice .venv/bin/python bench/bench_themes.py [--seed 0] [--keep DIR]
"""

from __future__ import annotations

import argparse
import itertools
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SEQUENCES = [("forest", 40.0), ("sea", 30.0), ("forest", 40.0), ("desert", 30.0), ("sea", 30.0)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0, help="the score's seed")
    parser.add_argument("--keep", type=Path, help="keep the film and its score folder here")
    args = parser.parse_args()

    from fc_backend.config import Config
    from fc_backend.demo import make_film
    from fc_backend.eval.themes import theme_similarity
    from fc_backend.model import CueScores, states_theme
    from fc_backend.pipeline import score

    print(f"load average before: {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory(prefix="bench-themes-") as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        settings = make_film(folder / "film.mp4", SEQUENCES, size=(640, 360))
        start = time.perf_counter()
        score(folder / "film.mp4", folder / "out", Config(seed=args.seed), show_progress=False, force=True)
        wall = time.perf_counter() - start
        cues = CueScores.load(folder / "out" / "cue_scores.json").cues
        print(f"{'cue':>4} {'in s':>6} {'out s':>6} {'setting':>8} {'theme':>5} {'uses':>8} {'mood':>10} "
              f"{'key':>10}  statement cell")
        for item, states in zip(cues, states_theme([c.cue for c in cues]), strict=True):
            middle = (item.cue.start + item.cue.end) / 2
            setting = next((name for name, t0, t1 in settings if t0 <= middle < t1), "?")
            print(f"{item.cue.number:>4} {item.cue.start:>6.1f} {item.cue.end:>6.1f} {setting:>8} "
                  f"{item.cue.theme:>5} {'states' if states else 'develops':>8} {item.cue.mood:>10} "
                  f"{str(item.melody.key):>10}  {item.melody.theme.statement if item.melody.theme else '-'}")
        same, other = [], []
        for a, b in itertools.combinations(cues, 2):
            (same if a.cue.theme == b.cue.theme else other).append(theme_similarity(a.melody, b.melody))
        for name, values in (("same label", same), ("different labels", other)):
            shown = f"{statistics.mean(values):.3f} over {len(values)} pairs" if values else "no pairs"
            print(f"theme similarity, {name}: {shown}")
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"score: {wall:.1f} s for {sum(s for _, s in SEQUENCES):.0f} s of film, "
              f"peak {peak:.0f} MiB")
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
