"""`python -m fc_backend.server serve|worker|request ...`: the same commands without the rest of the CLI.

The broker starts its local workers this way: they import only what a worker needs, so they join
in a fraction of the time the full `filmcomposer` command takes to load.
"""

from __future__ import annotations

import argparse
import sys

from ..cli import run_command
from .commands import add_commands


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fc_backend.server")
    add_commands(parser.add_subparsers(dest="command", required=True, metavar="COMMAND"))
    return run_command(parser, argv)


if __name__ == "__main__":
    sys.exit(main())
