"""Write-then-move output folders: a failure never leaves a half-written OUT behind.

Shared by the in-process pipeline and the service's client, which both fill OUT with a run's files.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def staged_output(out_dir: Path) -> Iterator[Path]:
    """A hidden folder beside `out_dir`, moved into place only if the block succeeds; removed otherwise.

    Into an existing `out_dir` (re-scoring), the staged files replace their namesakes and the user's
    other files stay.
    """
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", suffix=".partial", dir=out_dir.parent))
    umask = os.umask(0)
    os.umask(umask)
    staging.chmod(0o777 & ~umask)  # mkdtemp's private 0700 would become OUT's mode
    try:
        yield staging
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if not out_dir.exists():
        os.replace(staging, out_dir)
        return
    for item in staging.iterdir():
        target = out_dir / item.name
        if target.is_dir() and item.is_dir():
            shutil.rmtree(target)
        os.replace(item, target)
    staging.rmdir()
