"""External programs and data the embedded default needs, found or named with how to get them."""

from __future__ import annotations

import os
import platform
import shutil
from pathlib import Path

from .errors import InputError, ToolMissing

#: program -> (Debian package, Homebrew formula, Chocolatey package)
PACKAGES: dict[str, tuple[str, str, str]] = {
    "ffmpeg": ("ffmpeg", "ffmpeg", "ffmpeg"),
    "ffprobe": ("ffmpeg", "ffmpeg", "ffmpeg"),
    "fluidsynth": ("fluidsynth", "fluid-synth", "fluidsynth"),
    "midi2abc": ("abcmidi", "abcmidi", "abcmidi"),
    "abc2midi": ("abcmidi", "abcmidi", "abcmidi"),
    "abcm2ps": ("abcm2ps", "abcm2ps", "abcm2ps"),
}

SOUNDFONT_CANDIDATES = (
    "/usr/share/sounds/sf2/FluidR3_GM.sf2",
    "/usr/share/soundfonts/FluidR3_GM.sf2",
    "/usr/share/sounds/sf2/MuseScore_General.sf2",
    "/usr/share/sounds/sf3/MuseScore_General.sf3",
    "/opt/homebrew/share/soundfonts/FluidR3_GM.sf2",
    "/usr/local/share/soundfonts/FluidR3_GM.sf2",
)


def install_hint(program: str) -> str:
    """The exact command that installs `program` on this platform."""
    debian, brew, choco = PACKAGES.get(program, (program, program, program))
    system = platform.system()
    if system == "Darwin":
        return f"brew install {brew}"
    if system == "Windows":
        return f"choco install {choco}"
    return f"sudo apt-get install {debian} (or run: python3 install.py)"


def require(program: str) -> str:
    """Absolute path of `program`, or a ToolMissing saying how to install it."""
    found = shutil.which(program)
    if not found:
        raise ToolMissing(program, install_hint(program))
    return found


def soundfont(explicit: str | None = None) -> Path:
    """The General MIDI SoundFont: the one asked for, $FC_SOUNDFONT, or a system one."""
    if explicit:  # asked for by name: never silently replaced by another SoundFont
        if not Path(explicit).is_file():
            raise InputError(explicit, "no such SoundFont file")
        return Path(explicit)
    for candidate in (os.environ.get("FC_SOUNDFONT"), *SOUNDFONT_CANDIDATES):
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    hint = {"Darwin": "brew install fluid-synth and download FluidR3_GM.sf2 (MIT), then set FC_SOUNDFONT",
            "Windows": "download FluidR3_GM.sf2 (MIT) and set FC_SOUNDFONT to its path"}.get(
        platform.system(), "sudo apt-get install fluid-soundfont-gm (or run: python3 install.py)")
    raise ToolMissing("a General MIDI SoundFont", hint)
