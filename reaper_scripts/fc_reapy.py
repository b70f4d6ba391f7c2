# @noindex
# @version 0.3.0
"""python-reapy for the actions: only ever in its "inside REAPER" mode, never over the network.

reapy decides at import time whether it runs inside REAPER: REAPER's embedded interpreter leaves a name
`obj` in `__main__`, and reapy 0.10.0 tests exactly that. Inside, reapy calls `reaper_python` directly.
Outside, importing reapy connects to a reapy server over TCP (its "dist API"), which REAPER only has
when someone ran reapy's enable_dist_api: that server listens on all interfaces and executes whatever a
client names, so these actions never use it. This module therefore imports reapy only inside REAPER
and otherwise leaves `reapy` None with the reason in `problem`; nothing here enables the server.

Where reapy comes from: `lib/` beside the scripts, where ReaPack's FilmComposer package installs
python-reapy 0.10.0 (index.xml lists its files) and where `python3 install.py --reaper` copies it; else
Scripts/FilmComposer/lib in REAPER's resource folder (install.py's copy, for a ReaPack install of the
actions); else whatever REAPER's own Python can import. It is pure Python: inside REAPER it needs
neither psutil nor typing-extensions, so REAPER's Python gets no compiled package.
"""

from __future__ import annotations

import importlib.util
import os
import sys

try:
    HERE = os.path.dirname(os.path.abspath(__file__))
except NameError:  # REAPER versions that do not set __file__
    from reaper_python import RPR_GetResourcePath

    HERE = os.path.join(RPR_GetResourcePath(), "Scripts", "FilmComposer")
LIB = os.path.join(HERE, "lib")
#: the python-reapy release these scripts are written and tested against
REAPY_VERSION = "0.10.0"

reapy = None
problem = ""


def inside_reaper() -> bool:
    """reapy's own test (a name `obj` in `__main__`), plus REAPER's API module being importable."""
    main = sys.modules.get("__main__")
    return hasattr(main, "obj") and importlib.util.find_spec("reaper_python") is not None


def _load() -> None:
    global reapy, problem
    if not inside_reaper():
        problem = ("reapy is only used inside REAPER (outside, it would connect to a reapy network "
                   "server, which FilmComposer never enables)")
        return
    from reaper_python import RPR_GetResourcePath

    installed = os.path.join(RPR_GetResourcePath(), "Scripts", "FilmComposer", "lib")
    for folder in reversed([LIB, installed]):
        if os.path.isfile(os.path.join(folder, "reapy", "__init__.py")) and folder not in sys.path:
            sys.path.insert(0, folder)
    try:
        import reapy as module
    except ImportError as err:
        problem = (f"python-reapy is not available to REAPER's Python ({err}): reinstall the FilmComposer "
                   "package with ReaPack, or run `python3 install.py --reaper` in the FilmComposer folder")
        return
    if not module.is_inside_reaper():
        problem = "reapy did not start in its inside-REAPER mode"
        return
    reapy = module


_load()
