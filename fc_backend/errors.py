"""Errors a user can act on: the CLI prints them as one line, with no traceback."""

from __future__ import annotations

from pathlib import Path


class FilmComposerError(Exception):
    """Base of every error that is the user's input or environment, not a bug."""


class InputError(FilmComposerError):
    """A file the user gave us is unusable; the message names the file and the problem."""

    def __init__(self, path: str | Path, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = str(path)
        self.problem = problem


class ToolMissing(FilmComposerError):
    """An external program or data file is not installed; the message says how to get it."""

    def __init__(self, tool: str, how: str) -> None:
        super().__init__(f"{tool} is not installed: {how}")
        self.tool = tool
