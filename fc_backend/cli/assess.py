"""`filmcomposer assess FILE.mid|FILE.abc [--json]`: the five reviewers' verdict on a melody file.

A melody.mid or melody.abc in a score folder is judged the way `score` judged it: against the
folder's spotting.json (the picture criteria), laid beat for beat on the clip's tempo map; so it
gets the total in the folder's assessment.json.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..model import Spotting


def add_commands(commands: argparse._SubParsersAction) -> None:
    cmd = commands.add_parser(
        "assess", help="score a melody (.mid or .abc) on the 19 criteria of 5 reviewers"
    )
    cmd.add_argument("file", type=Path, help="a MIDI file or an ABC tune (the first of a songbook)")
    cmd.add_argument("--json", action="store_true", help="print the Assessment as one JSON object")
    cmd.add_argument("--spotting", type=Path, default=None,
                     help="judge it against this picture (default: spotting.json beside FILE, if any)")
    cmd.add_argument("--alone", action="store_true",
                     help="judge the notes alone, even beside a spotting.json (no picture criteria)")
    from . import add_llm_options

    add_llm_options(cmd)
    cmd.set_defaults(run=_run_assess)


def _run_assess(args: argparse.Namespace) -> int:
    from ..agents.session import llm_session
    from ..assess.assessor import PICTURE_CRITERIA
    from ..config import Config
    from ..pipeline import assess_melody_file
    from ..scorefolder import CUE_SCORES
    from . import llm_config

    config = llm_config(args, Config())
    spotting = None if args.alone else _picture(args.file, args.spotting)
    if spotting is not None and args.spotting is None and (args.file.parent / CUE_SCORES).is_file():
        print(f"filmcomposer: note: {args.file.parent} is a film in cues; its assessment.json merges each "
              "cue's verdict on the cue's own clock, this judges the whole melody against the whole film",
              file=sys.stderr)
    with llm_session(config) as session:
        melody, result = assess_melody_file(args.file, spotting, config)
    if session is not None:
        print(session.summary(result.decisions), file=sys.stderr)
    if args.json:
        print(json.dumps(result.to_dict(), indent=2))
        return 0
    key = melody.key or "no key given (found from the notes)"
    if spotting is not None:
        print(f"judged against the picture of {spotting.video} (--alone: the notes only)")
    # without a picture the picture criteria are not judged: the total is out of the others
    unjudged = () if spotting is not None else PICTURE_CRITERIA
    judged = [c for c in result.criteria if c.key not in unjudged]
    left_out = f"; {len(unjudged)} picture criteria not judged without a picture" if unjudged else ""
    print(
        f"{args.file}: {len(melody.notes)} notes, {key}; total {result.total:.2f}/{len(judged)} "
        f"({'pass' if result.passed else 'fail'} at {result.threshold:g}{left_out})"
    )
    for reviewer, subtotal in result.reviewers.items():
        mine = [c for c in judged if c.reviewer == reviewer]
        print(f"  {reviewer} {subtotal:.2f}/{len(mine)}")
        for c in (c for c in result.criteria if c.reviewer == reviewer):
            score = "  - " if c.key in unjudged else f"{c.score:4.2f}"
            print(f"    {c.key:<22} {score}  {c.reason}")
    return 0


def _picture(file: Path, given: Path | None) -> Spotting | None:
    """The spotting to judge against: the one named, else the score folder's own, else none."""
    from ..model import Spotting
    from ..scorefolder import SPOTTING, ScoreFolder

    path = given or file.parent / SPOTTING
    if given is None and not path.is_file():
        return None
    return ScoreFolder(path.parent).load(Spotting, path.name)
