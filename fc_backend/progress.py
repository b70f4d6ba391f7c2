"""Stage progress: stages report a fraction in [0, 1]; the pipeline decides how to show it."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from tqdm import tqdm

#: A stage calls this with the fraction of its work done (0..1), as often as it likes.
Progress = Callable[[float], None]


def no_progress(fraction: float) -> None:
    """The default for callers that do not watch."""


@contextmanager
def stage_bar(stage: str, *, enabled: bool = True) -> Iterator[Progress]:
    """A progress bar on stderr for one stage; yields the callback the stage reports to."""
    bar = tqdm(total=1000, desc=f"{stage:<8}", file=sys.stderr, disable=not enabled, leave=True,
               bar_format="{desc} {percentage:3.0f}%|{bar:30}| {elapsed}")

    def report(fraction: float) -> None:
        target = int(round(min(max(fraction, 0.0), 1.0) * 1000))
        if target > bar.n:
            bar.update(target - bar.n)

    try:
        yield report
        report(1.0)
    finally:
        bar.close()
