# @description FilmComposer: Render master (48 kHz, 24-bit)
# @version 0.1.0
# @author FilmComposer
# @about
#   Sets the project's render settings to the delivery format (master mix, 48 kHz, stereo, 24-bit
#   WAV; the scored video item's span, or the whole project) and renders with REAPER's own engine.
"""FilmComposer: Render master (48 kHz, 24-bit) (a REAPER action; standard library only)."""

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
from reaper_python import (  # noqa: E402  (REAPER's API)
    RPR_GetProjectPath,
    RPR_GetSetProjectInfo,
    RPR_GetSetProjectInfo_String,
    RPR_Main_OnCommand,
    RPR_ShowConsoleMsg,
    RPR_Undo_BeginBlock2,
    RPR_Undo_EndBlock2,
)

#: REAPER's render format string for WAV, 24-bit PCM ('evaw' fourcc, bits, flags), base64; the same
#: bytes as the offline .RPP writer's RENDER_CFG (fc_backend.realize.rpp.WAV_24_RENDER_CFG)
WAV_24 = "ZXZhdxgBAA=="
#: "File: Render project, using the most recent render settings, auto-close render dialog"
CMD_RENDER = 42230
PATTERN = "master_reaper"


def configure():
    """Set the delivery render settings; returns the folder the file goes to."""
    folder = fc_apply.get_state("out") or RPR_GetProjectPath("", 4096)[0]
    placement = fc_apply.get_state("placement")
    RPR_GetSetProjectInfo(0, "RENDER_SETTINGS", 0, True)  # master mix
    RPR_GetSetProjectInfo(0, "RENDER_SRATE", 48000, True)
    RPR_GetSetProjectInfo(0, "RENDER_CHANNELS", 2, True)
    RPR_GetSetProjectInfo_String(0, "RENDER_FORMAT", WAV_24, True)
    RPR_GetSetProjectInfo_String(0, "RENDER_FILE", folder, True)
    RPR_GetSetProjectInfo_String(0, "RENDER_PATTERN", PATTERN, True)
    if placement:
        place = fc_apply.Placement.from_json(placement)
        RPR_GetSetProjectInfo(0, "RENDER_BOUNDSFLAG", 0, True)  # custom time bounds: the video item
        RPR_GetSetProjectInfo(0, "RENDER_STARTPOS", place.position, True)
        RPR_GetSetProjectInfo(0, "RENDER_ENDPOS", place.end, True)
    else:
        RPR_GetSetProjectInfo(0, "RENDER_BOUNDSFLAG", 1, True)  # entire project
    return folder


def main():
    RPR_Undo_BeginBlock2(0)
    try:
        configure()
    finally:
        RPR_Undo_EndBlock2(0, "FilmComposer: render settings 48 kHz, 24-bit WAV", -1)
    RPR_Main_OnCommand(CMD_RENDER, 0)
    target = RPR_GetSetProjectInfo_String(0, "RENDER_TARGETS", "", False)[3]
    files = [f for f in target.split(";") if f]
    done = [f for f in files if os.path.isfile(f)]
    if done:
        RPR_ShowConsoleMsg(f"FilmComposer: rendered {', '.join(done)} (48 kHz, 24-bit WAV)\n")
    else:
        RPR_ShowConsoleMsg(f"FilmComposer: render to {', '.join(files)} did not produce a file "
                           "(cancelled, or nothing to render)\n")


if __name__ == "__main__":
    main()
