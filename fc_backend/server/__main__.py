"""`python -m fc_backend.server serve|worker|request ...`: the same commands without the rest of the CLI
(`fc_backend.cli.server.lean_main`)."""

from __future__ import annotations

import sys

from ..cli.server import lean_main

if __name__ == "__main__":
    sys.exit(lean_main())
