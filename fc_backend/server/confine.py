"""Paths a client wrote into its job's JSON, held inside the job's folder on the server.

A reroll's plan.json names the clip its report takes stills from. On the server that name may only
be a file sent with this job: a plain name in the job's folder, resolved there, not a symlink out.
Anything else is one `bad_request` that names the key and says nothing about the server's files,
so a client can neither read a server file back as stills nor learn whether a path exists.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from . import protocol as p
from .protocol import ProtocolError


def confined(folder: Path, name: Any, where: str) -> Path:
    """`folder / name` when `name` is a plain file name that stays inside `folder`; else bad_request."""
    refused = ProtocolError(p.BAD_REQUEST, f"{where}: must be the name of a file sent with this job")
    if not isinstance(name, str) or not name or len(name) > 255 or "\0" in name:
        raise refused
    if name in (".", "..") or "/" in name or "\\" in name or Path(name).is_absolute():
        raise refused
    path = folder / name
    if path.is_symlink():
        raise refused
    root = folder.resolve()
    if os.path.commonpath([root, path.resolve()]) != str(root):
        raise refused
    return path


def confine_reroll(out: Path) -> bytes | None:
    """Check plan.json's clip name; make spotting.json name no server path (the report would read it).

    Returns spotting.json's bytes as the client sent them when it had to blank its `video` (a score
    run elsewhere records the clip's absolute path there), so the caller can put them back after the
    job and the file does not travel back as changed; None when nothing was rewritten.
    """
    plan = json.loads((out / "plan.json").read_text(encoding="utf-8"))
    if plan.get("video") is not None:
        confined(out, plan["video"], "plan.json: video")
    spotting_path = out / "spotting.json"
    original = spotting_path.read_bytes()
    spotting = json.loads(original)
    try:
        confined(out, spotting.get("video"), "spotting.json: video")
        return None
    except ProtocolError:
        spotting["video"] = ""
        spotting_path.write_text(json.dumps(spotting, indent=2) + "\n", encoding="utf-8")
        return original
