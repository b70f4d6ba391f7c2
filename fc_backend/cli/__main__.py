"""`python -m fc_backend.cli ...`: the `filmcomposer` command."""

import sys

from . import main

sys.exit(main())
