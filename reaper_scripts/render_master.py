# @description FilmComposer: Render master (48 kHz, 24-bit)
# @version 0.2.0
# @author FilmComposer
# @about
#   Sets the project's render settings to the delivery format (master mix, 48 kHz, stereo, 24-bit
#   WAV; the scored video item's span, or the whole project) and renders with REAPER's own engine.
"""FilmComposer: Render master (48 kHz, 24-bit) (a REAPER action; standard library and reapy only)."""

import os
import sys

try:
    HERE = os.path.dirname(os.path.abspath(__file__))
except NameError:  # REAPER versions that do not set __file__
    from reaper_python import RPR_GetResourcePath

    HERE = os.path.join(RPR_GetResourcePath(), "Scripts", "FilmComposer")
if HERE not in sys.path:
    sys.path.insert(0, HERE)

import fc_apply  # noqa: E402
from fc_plan import Placement  # noqa: E402
from fc_reapy import reapy  # noqa: E402
from reaper_python import RPR_ShowConsoleMsg, RPR_ShowMessageBox  # noqa: E402  (REAPER's API)

#: REAPER's render format string for WAV, 24-bit PCM ('evaw' fourcc, bits, flags), base64; the same
#: bytes as the offline .RPP writer's RENDER_CFG (fc_backend.realize.rpp.WAV_24_RENDER_CFG)
WAV_24 = "ZXZhdxgBAA=="
#: "File: Render project, using the most recent render settings, auto-close render dialog"
CMD_RENDER = 42230
PATTERN = "master_reaper"
TITLE = "FilmComposer: Render master (48 kHz, 24-bit)"


def configure(project):
    """Set the delivery render settings; returns the folder the file goes to."""
    folder = fc_apply.get_state("out") or project.path
    placement = fc_apply.get_state("placement")
    project.set_info_value("RENDER_SETTINGS", 0)  # master mix
    project.set_info_value("RENDER_SRATE", 48000)
    project.set_info_value("RENDER_CHANNELS", 2)
    project.set_info_string("RENDER_FORMAT", WAV_24)
    project.set_info_string("RENDER_FILE", folder)
    project.set_info_string("RENDER_PATTERN", PATTERN)
    if placement:
        place = Placement.from_json(placement)
        project.set_info_value("RENDER_BOUNDSFLAG", 0)  # custom time bounds: the video item
        project.set_info_value("RENDER_STARTPOS", place.position)
        project.set_info_value("RENDER_ENDPOS", place.end)
    else:
        project.set_info_value("RENDER_BOUNDSFLAG", 1)  # entire project
    return folder


def main():
    if fc_apply.problem:
        RPR_ShowMessageBox(f"FilmComposer cannot run: {fc_apply.problem}.", TITLE, 0)
        return
    project = reapy.Project()
    with reapy.undo_block("FilmComposer: render settings 48 kHz, 24-bit WAV", -1):
        configure(project)
    project.perform_action(CMD_RENDER)
    target = project.get_info_string("RENDER_TARGETS")
    files = [f for f in target.split(";") if f]
    done = [f for f in files if os.path.isfile(f)]
    if done:
        RPR_ShowConsoleMsg(f"FilmComposer: rendered {', '.join(done)} (48 kHz, 24-bit WAV)\n")
    else:
        RPR_ShowConsoleMsg(f"FilmComposer: render to {', '.join(files)} did not produce a file "
                           "(cancelled, or nothing to render)\n")


if __name__ == "__main__":
    main()
