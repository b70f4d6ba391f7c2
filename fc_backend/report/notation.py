"""The melody engraved by abcm2ps, as SVG markup to inline in the page."""

from __future__ import annotations

import re
import subprocess
import tempfile
from pathlib import Path

from ..tools import require


class EngravingFailed(RuntimeError):
    """abcm2ps ran but could not typeset the ABC text."""


def engrave(abc: str, *, scale: float = 0.8) -> str:
    """`abc` (one tune) as one `<svg>` element, without the XML prolog or the temporary file names."""
    abcm2ps = require("abcm2ps")
    with tempfile.TemporaryDirectory(prefix="fc-report-") as tmp:
        source = Path(tmp) / "melody.abc"
        source.write_text(abc, encoding="utf-8")
        done = subprocess.run([abcm2ps, "-q", "-g", "-s", str(scale), "-O", str(Path(tmp) / "score"),
                               str(source)], capture_output=True, text=True, timeout=60)
        pages = sorted(Path(tmp).glob("score*.svg"))
        if done.returncode != 0 or not pages:
            lines = (done.stderr or done.stdout).strip().splitlines()
            raise EngravingFailed(lines[-1] if lines else f"abcm2ps exited with {done.returncode}")
        svg = pages[0].read_text(encoding="utf-8")
    svg = svg[svg.index("<svg"):]
    svg = re.sub(r"<!--.*?-->", "", svg, flags=re.S)  # creator, date and the temporary command line
    return re.sub(r"<title>.*?</title>", "<title>melody.abc</title>", svg, count=1, flags=re.S)
