"""`filmcomposer reroll OUT --from T0 --to T1 [--seed N]`: compose one region of a score anew."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..config import LOUDNESS_TARGETS, Config


def add_output_options(cmd: argparse.ArgumentParser) -> None:
    from ..cli import add_output_options as add  # the CLI imports this module: import it late

    add(cmd)


def add_commands(commands) -> None:
    """Register `reroll` on the CLI's sub-parsers."""
    cmd = commands.add_parser("reroll", help="compose the measures over [FROM, TO] s anew and re-render OUT")
    cmd.add_argument("out", type=Path, help="a folder `score` wrote")
    add_reroll_options(cmd)
    cmd.add_argument("--soundfont", help="General MIDI .sf2 for the offline render")
    add_output_options(cmd)
    cmd.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    cmd.set_defaults(run=_run_reroll)


def add_reroll_options(cmd: argparse.ArgumentParser) -> None:
    """The span, seed and loudness of a re-roll: the same for `reroll` and `request reroll`."""
    cmd.add_argument("--from", dest="t0", type=float, required=True, metavar="T0", help="start, seconds")
    cmd.add_argument("--to", dest="t1", type=float, required=True, metavar="T1", help="end, seconds")
    cmd.add_argument("--seed", type=int, help="seed of the new material (default: the melody's seed + 1)")
    cmd.add_argument("--loudness", type=float, default=Config.loudness, choices=LOUDNESS_TARGETS)


def _run_reroll(args: argparse.Namespace) -> int:
    from ..compose.reroll import region_measures
    from ..model import Melody
    from ..pipeline import reroll
    from ..ranges import read_artifact

    path = args.out / "melody.json"  # size and ranges first: a huge or NaN file is one line, at once
    try:
        before = Melody.from_dict(read_artifact(path, "Melody")) if path.is_file() else None
    except (ValueError, KeyError, TypeError):
        before = None  # reroll() names what is wrong with the file
    config = Config(loudness=args.loudness, soundfont=args.soundfont, tail=args.tail)
    result = reroll(args.out, args.t0, args.t1, config, seed=args.seed, show_progress=not args.quiet,
                    force=args.force)
    first, last = region_measures(before or result.melody, args.t0, args.t1)
    a = result.assessment
    span = f"measure {first}" if first == last else f"measures {first}-{last}"
    print(f"re-rolled {span} with seed {result.melody.seed}; assessment {a.total:.1f}/{len(a.criteria)}"
          f" ({'pass' if a.passed else 'below the threshold'})")
    print(f"rewrote melody, assessment, scheme, plan and the project in {result.out_dir}")
    return 0
