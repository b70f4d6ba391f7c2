# @noindex
# @version 0.3.0
"""What "FilmComposer: Render master (48 kHz, 24-bit)" does (standard library and reapy only).

REAPER stops a render at an overwrite prompt when the target file exists. The target is the product's
own file (OUT/master_reaper.wav), so an earlier render of it is removed first and a second render runs
through like the first.
"""

from __future__ import annotations

import os

import fc_apply
from fc_plan import Placement
from fc_reapy import reapy

#: REAPER's render format string for WAV, 24-bit PCM ('evaw', bits, flags), base64; the same bytes as
#: the offline .RPP writer's RENDER_CFG (fc_backend.realize.rpp.WAV_24_RENDER_CFG)
WAV_24 = "ZXZhdxgBAA=="
#: "File: Render project, using the most recent render settings, auto-close render dialog"
CMD_RENDER = 42230
PATTERN = "master_reaper"
TITLE = "FilmComposer: Render master (48 kHz, 24-bit)"


#: per cue: the master and every stem of each region, named by the region (its cue number, 1M1)
CUE_PATTERN = "cues/$region/$region $track"
CUES_TITLE = "FilmComposer: Render cues (master and stems per region)"


def configure(project, folder: str, *, per_cue: bool = False) -> None:
    """Set the delivery render settings into `folder`; `per_cue`: master and stems of every region
    (one region per cue, named by its number), each file named after its region ($region)."""
    placement = fc_apply.get_state("placement")
    project.set_info_value("RENDER_SETTINGS", 1 if per_cue else 0)  # stems + master mix, or master mix
    project.set_info_value("RENDER_SRATE", 48000)
    project.set_info_value("RENDER_CHANNELS", 2)
    project.set_info_string("RENDER_FORMAT", WAV_24)
    project.set_info_string("RENDER_FILE", folder)
    project.set_info_string("RENDER_PATTERN", CUE_PATTERN if per_cue else PATTERN)
    if per_cue:
        project.set_info_value("RENDER_BOUNDSFLAG", 3)  # all project regions
    elif placement:
        place = Placement.from_json(placement)
        project.set_info_value("RENDER_BOUNDSFLAG", 0)  # custom time bounds: the video item
        project.set_info_value("RENDER_STARTPOS", place.position)
        project.set_info_value("RENDER_ENDPOS", place.end)
    else:
        project.set_info_value("RENDER_BOUNDSFLAG", 1)  # entire project


def run(message_box, *, per_cue: bool = False) -> None:
    if fc_apply.problem:
        message_box(f"FilmComposer cannot run: {fc_apply.problem}.", TITLE, 0)
        return
    from reapy import reascript_api as RPR

    folder = fc_apply.out_dir() or fc_apply.project_folder()
    if not folder:
        message_box("Save the project first (File > Save project): the master is rendered beside it.",
                    TITLE, 0)
        return
    project = reapy.Project()
    with reapy.undo_block("FilmComposer: render settings 48 kHz, 24-bit WAV", -1):
        configure(project, folder, per_cue=per_cue)
    targets = [f for f in project.get_info_string("RENDER_TARGETS").split(";") if f]
    cues = os.path.join(folder, "cues") + os.sep
    for target in targets:  # only ever our own files: OUT/master_reaper.wav, OUT/cues/<cue>/...
        ours = target.startswith(cues) if per_cue else os.path.basename(target) == PATTERN + ".wav"
        if ours and os.path.isfile(target):
            os.remove(target)
    project.perform_action(CMD_RENDER)
    done = [f for f in targets if os.path.isfile(f)]
    if done:
        RPR.ShowConsoleMsg(f"FilmComposer: rendered {', '.join(done)} (48 kHz, 24-bit WAV)\n")
    else:
        RPR.ShowConsoleMsg(f"FilmComposer: render to {', '.join(targets)} did not produce a file "
                           "(cancelled, or nothing to render)\n")
