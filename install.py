#!/usr/bin/env python3
"""Set up FilmComposer on this machine: system tools, a .venv in the repo, the package.

    python3 install.py              # what `filmcomposer score` needs
    python3 install.py --llm        # plus the LLM agents (AG2) for an OpenAI-compatible endpoint
    python3 install.py --musicgen   # plus MusicGen-Melody (torch 2.13.0 CPU/GPU, transformers, basic-pitch)
    python3 install.py --dev        # everything, plus the test tools and Chromium for the report test

Idempotent: it checks before it acts and says what it did. System tools are installed with apt
when running as root on Debian/Ubuntu; anywhere else it prints the exact command and stops.
torch is not needed by the default path: only --musicgen and --dev install it, pinned to 2.13.0.
Standard library only, so it runs on a fresh machine.
"""

from __future__ import annotations

import argparse
import ctypes.util
import os
import platform
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"

#: what the embedded default runs, and how each platform installs it
#: (check, Debian packages, Homebrew formulae, Chocolatey packages)
SYSTEM_TOOLS: list[tuple[str, tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = [
    ("ffmpeg", ("ffmpeg",), ("ffmpeg",), ("ffmpeg",)),
    ("fluidsynth", ("fluidsynth",), ("fluid-synth",), ("fluidsynth",)),
    ("lib:fluidsynth", ("libfluidsynth3",), ("fluid-synth",), ("fluidsynth",)),
    ("soundfont", ("fluid-soundfont-gm",), (), ()),
    ("midi2abc", ("abcmidi",), ("abcmidi",), ("abcmidi",)),
    ("abc2midi", ("abcmidi",), ("abcmidi",), ("abcmidi",)),
    ("abcm2ps", ("abcm2ps",), ("abcm2ps",), ("abcm2ps",)),
]

#: what only the tests need: Chromium loads report.html (check, Debian packages)
DEV_TOOLS: list[tuple[str, tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = [
    ("chromium", ("chromium",), ("--cask chromium",), ("chromium",)),
]

#: basic-pitch's metadata requires tensorflow; its ONNX model runs without it, so it goes in alone
NO_DEPS_PACKAGES = ("basic-pitch==0.4.0",)

SOUNDFONTS = (
    "/usr/share/sounds/sf2/FluidR3_GM.sf2",
    "/usr/share/soundfonts/FluidR3_GM.sf2",
    "/usr/share/sounds/sf3/MuseScore_General.sf3",
    "/opt/homebrew/share/soundfonts/FluidR3_GM.sf2",
    "/usr/local/share/soundfonts/FluidR3_GM.sf2",
)


def say(message: str) -> None:
    print(f"install: {message}", flush=True)


def is_present(check: str) -> bool:
    if check == "soundfont":
        return any(Path(p).is_file() for p in SOUNDFONTS) or bool(os.environ.get("FC_SOUNDFONT"))
    if check.startswith("lib:"):
        return ctypes.util.find_library(check[4:]) is not None
    return shutil.which(check) is not None


def missing_tools(dev: bool = False) -> list[tuple[str, tuple[str, ...], tuple[str, ...], tuple[str, ...]]]:
    return [tool for tool in SYSTEM_TOOLS + (DEV_TOOLS if dev else []) if not is_present(tool[0])]


def install_command(missing: list[tuple[str, tuple[str, ...], tuple[str, ...], tuple[str, ...]]]) -> str:
    """The exact command a person runs on this platform to get the missing tools."""
    def unique(items: list[str]) -> str:
        return " ".join(dict.fromkeys(items))

    system = platform.system()
    if system == "Darwin":
        cmd = f"brew install {unique([p for t in missing for p in t[2]])}"
        if any(t[0] == "soundfont" for t in missing):
            cmd += "  # and download FluidR3_GM.sf2 (MIT licence), then export FC_SOUNDFONT=/path/to/it"
        return cmd
    if system == "Windows":
        cmd = f"choco install {unique([p for t in missing for p in t[3]])}"
        if any(t[0] == "soundfont" for t in missing):
            cmd += "  & rem download FluidR3_GM.sf2 (MIT licence) and set FC_SOUNDFONT to its path"
        return cmd
    return f"sudo apt-get install -y {unique([p for t in missing for p in t[1]])}"


def ensure_system_tools(dev: bool = False) -> None:
    missing = missing_tools(dev)
    if not missing:
        say("system tools: ffmpeg, fluidsynth, SoundFont, abcmidi, abcm2ps already present")
        return
    names = ", ".join(t[0].removeprefix("lib:") for t in missing)
    can_apt = platform.system() == "Linux" and shutil.which("apt-get") and os.geteuid() == 0
    if not can_apt:
        say(f"missing system tools: {names}")
        say(f"run this, then run install.py again:\n    {install_command(missing)}")
        sys.exit(1)
    packages = list(dict.fromkeys(p for t in missing for p in t[1]))
    say(f"installing with apt: {' '.join(packages)}")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", *packages],
                   check=True, env=env)
    still = missing_tools(dev)
    if still:
        say(f"apt finished but these are still missing: {', '.join(t[0] for t in still)}")
        sys.exit(1)
    say(f"system tools installed: {names}")


def venv_python() -> Path:
    return VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def ensure_venv() -> None:
    if venv_python().exists():
        say(f"virtual environment: {VENV} already exists")
        return
    say(f"virtual environment: creating {VENV}")
    venv.EnvBuilder(with_pip=True).create(VENV)


def install_package(extras: list[str]) -> None:
    target = f".[{','.join(extras)}]" if extras else "."
    pip = [str(venv_python()), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    say(f"python packages: pip install -e {target} (pinned in pyproject.toml)")
    subprocess.run([*pip, "-e", target], check=True, cwd=ROOT)
    if "musicgen" in extras:
        say(f"python packages: --no-deps {' '.join(NO_DEPS_PACKAGES)} (ONNX model, no tensorflow)")
        subprocess.run([*pip, "--no-deps", *NO_DEPS_PACKAGES], check=True, cwd=ROOT)
    say(f"ready: {VENV / 'bin' / 'filmcomposer'} score CLIP.mp4 -o OUT")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dev", action="store_true",
                        help="everything, plus the test tools (pytest, ruff, RPP readers, Chromium)")
    parser.add_argument("--llm", action="store_true", help="also the LLM agents (AG2)")
    parser.add_argument("--musicgen", action="store_true", help="also MusicGen-Melody (torch 2.13.0)")
    args = parser.parse_args()
    if sys.version_info < (3, 10):  # noqa: UP036  (this file runs on whatever python3 a machine has)
        say(f"Python 3.10 or newer is needed; this is {platform.python_version()}")
        return 1
    ensure_system_tools(args.dev)
    ensure_venv()
    wanted = {"dev": args.dev, "llm": args.llm, "musicgen": args.musicgen or args.dev}
    extras = [name for name, yes in wanted.items() if yes]
    install_package(extras)
    return 0


if __name__ == "__main__":
    sys.exit(main())
