"""`filmcomposer assess FILE.mid|FILE.abc [--json]`: the five reviewers' verdict on a melody file."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def add_commands(commands: argparse._SubParsersAction) -> None:
    cmd = commands.add_parser(
        "assess", help="score a melody (.mid or .abc) on the 19 criteria of 5 reviewers"
    )
    cmd.add_argument("file", type=Path, help="a MIDI file or an ABC tune (the first of a songbook)")
    cmd.add_argument("--json", action="store_true", help="print the Assessment as one JSON object")
    from . import add_llm_options

    add_llm_options(cmd)
    cmd.set_defaults(run=_run_assess)


def _run_assess(args: argparse.Namespace) -> int:
    from ..assess import assess
    from ..config import Config
    from ..formats.melody_file import read_melody

    melody = read_melody(args.file)
    from ..agents.session import llm_session
    from . import llm_config

    config = llm_config(args, Config())
    with llm_session(config) as session:
        result = assess(melody, None, config)
    if session is not None:
        print(session.summary(result.decisions), file=sys.stderr)
    if args.json:
        print(json.dumps(result.to_dict(), indent=2))
        return 0
    key = melody.key or "no key given (found from the notes)"
    print(
        f"{args.file}: {len(melody.notes)} notes, {key}; "
        f"total {result.total:.2f}/19 ({'pass' if result.passed else 'fail'} at {result.threshold:g})"
    )
    for reviewer, subtotal in result.reviewers.items():
        mine = [c for c in result.criteria if c.reviewer == reviewer]
        print(f"  {reviewer} {subtotal:.2f}/{len(mine)}")
        for c in mine:
            print(f"    {c.key:<22} {c.score:4.2f}  {c.reason}")
    return 0
