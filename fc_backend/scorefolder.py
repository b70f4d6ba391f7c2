"""The score folder OUT: the names of what we write there, and which of its files are ours to replace.

A small manifest (`.filmcomposer.json`) records a content hash of every file a run wrote. A file whose
hash still matches is ours and may be replaced; anything else (a user's own file, a scheme.json edited
since we wrote it) is kept, or the command refuses and names the flag that allows it (`--force`).
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from .errors import FilmComposerError, InputError
from .ranges import read_artifact

if TYPE_CHECKING:
    from .model import Record

R = TypeVar("R", bound="Record")

MANIFEST = ".filmcomposer.json"
SPOTTING, MELODY, MELODY_MIDI, MELODY_ABC = "spotting.json", "melody.json", "melody.mid", "melody.abc"
ASSESSMENT, SCHEME, PLAN = "assessment.json", "scheme.json", "plan.json"
ARRANGEMENT, PROJECT, MASTER, REPORT = "arrangement.mid", "project.rpp", "master.wav", "report.html"
CUESHEET, PREVIEW = "cuesheet.csv", "preview.mp4"
CUE_LIST = "cues.json"  # the cue sheet a person edits and hands back with `score --cues`
STEMS = "stems"
CUES = "cues"  # render --cues: cues/<number>/<number> master.wav, ...
STILLS = "stills"  # the one name; spot.stills re-exports it
#: a film in cues: each cue's spotting, melody and assessment, and each cue's (editable) scheme
CUE_SCORES, CUE_SCHEMES = "cue_scores.json", "cue_schemes.json"

#: what `score` writes into OUT, in the order the stages make them
ARTIFACTS = (SPOTTING, CUE_LIST, MELODY, MELODY_MIDI, MELODY_ABC, ASSESSMENT, SCHEME, PLAN, ARRANGEMENT,
             PROJECT, MASTER, CUESHEET, PREVIEW, REPORT)
#: what realize and report write on every run (the others a render or re-roll may keep)
RENDERED = (ARRANGEMENT, PROJECT, MASTER, CUESHEET, PREVIEW, REPORT)
#: what a re-roll writes besides RENDERED
COMPOSED = (MELODY, MELODY_MIDI, MELODY_ABC, ASSESSMENT, SCHEME, PLAN)
#: folders whose files we write one by one; a user's files inside them stay
MANAGED_DIRS = (STEMS, STILLS, CUES)


class OverwriteRefused(FilmComposerError):
    """OUT holds files we did not write (or that were edited since); replacing them needs --force."""

    def __init__(self, out: Path, names: list[str]) -> None:
        shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
        super().__init__(f"{out}: would overwrite {shown}, which this program did not write or which "
                         "changed since; move them away or pass --force to replace them")
        self.names = names


def file_hash(path: Path) -> str:
    """sha256 of a file's bytes, read in chunks (a master can be hundreds of MB)."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass(frozen=True)
class ScoreFolder:
    """OUT as a set of named artifacts: where each lives, which are ours, how to read them."""

    path: Path

    def __truediv__(self, name: str) -> Path:
        return self.path / name

    def check_usable(self) -> None:
        """OUT is a folder we can write, or does not exist yet under a folder we can write."""
        if self.path.exists() and not self.path.is_dir():
            raise InputError(self.path, "exists and is not a folder; choose another OUT")
        probe = self.path
        while not probe.exists():
            probe = probe.parent
        if not probe.is_dir():
            raise InputError(probe, "is a file, so OUT cannot be created inside it")
        if not os.access(probe, os.W_OK | os.X_OK):
            raise InputError(probe, "not writable (permission denied)")

    def manifest(self) -> dict[str, str]:
        """{relative path: sha256} of what the last run wrote; empty when none (or unreadable)."""
        try:
            data = json.loads((self.path / MANIFEST).read_text(encoding="utf-8"))
            files = data["files"]
        except (OSError, ValueError, KeyError, TypeError):
            return {}
        return {str(k): str(v) for k, v in files.items()} if isinstance(files, dict) else {}

    def write_manifest(self, files: dict[str, str]) -> None:
        """Record what we wrote, atomically (a half-written manifest would disown our files)."""
        partial = self.path / f"{MANIFEST}.partial"
        partial.write_text(json.dumps({"version": 1, "files": dict(sorted(files.items()))}, indent=1),
                           encoding="utf-8")
        os.replace(partial, self.path / MANIFEST)

    def foreign(self, names: list[str] | tuple[str, ...]) -> list[str]:
        """Those of `names` that exist in OUT but are not, byte for byte, what we last wrote there."""
        manifest = self.manifest()
        return [name for name in names if self._foreign(name, manifest)]

    def _foreign(self, name: str, manifest: dict[str, str]) -> bool:
        target = self.path / name
        if target.is_dir() or target.is_symlink():
            return True
        return target.exists() and manifest.get(name) != file_hash(target)

    def edited(self, name: str) -> bool:
        """True when `name` exists and differs from what we wrote (a person changed it)."""
        return bool(self.foreign([name]))

    def holds_edited_scheme(self) -> bool:
        """True when OUT's scheme.json is a person's edit of ours (a re-roll then plans on it as it is).
        A folder with no record of ours (a server's copy) cannot tell: False."""
        return any((self.path / name).is_file() and bool(self.manifest()) and self.edited(name)
                   for name in (SCHEME, CUE_SCHEMES))

    def refuse_foreign(self, names: list[str] | tuple[str, ...], *, force: bool) -> None:
        """Up-front check: stop before any work if the run would overwrite files that are not ours."""
        self.check_usable()
        if not force and self.path.is_dir():
            foreign = self.foreign(names)
            if foreign:
                raise OverwriteRefused(self.path, foreign)

    def read_json(self, name: str, kind: str | None = None) -> dict:
        """An artifact as JSON, or an InputError naming the file and what is wrong. With `kind` (Plan,
        Scheme, Spotting, Melody), every value is also checked against its stated range (`ranges`)."""
        path = self.path / name
        if not path.is_file():
            raise InputError(path, "missing; score the clip first (filmcomposer score VIDEO -o OUT)")
        if kind is not None:
            return read_artifact(path, kind)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as err:
            raise InputError(path, f"not valid JSON ({err})") from None
        if not isinstance(data, dict):
            raise InputError(path, f"not a JSON object (found {type(data).__name__})")
        return data

    def load(self, cls: type[R], name: str) -> R:
        """The artifact `name` as the type `cls` (range-checked first), or an InputError saying what is
        wrong with it: the one way the pipeline, the report and eval read what an earlier run wrote."""
        data = self.read_json(name, cls.__name__)
        try:
            return cls.from_dict(data)
        except (ValueError, KeyError, TypeError, AttributeError, IndexError, OverflowError) as err:
            raise InputError(self.path / name, f"not a valid {cls.__name__}: {err}") from None
