"""The stems' file names, one rule for the renderer that writes them and the .RPP that plays them."""

from __future__ import annotations

import re


def stem_names(names: list[str]) -> list[str]:
    """File-safe, unique stem names: letters, digits, '-', '_' and '.' only."""
    out: list[str] = []
    for index, name in enumerate(names):
        safe = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or f"track{index + 1}"
        candidate, k = safe, 2
        while candidate.lower() in (o.lower() for o in out):
            candidate, k = f"{safe}_{k}", k + 1
        out.append(candidate)
    return out
