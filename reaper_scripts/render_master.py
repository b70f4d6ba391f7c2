# @description FilmComposer: Render master (48 kHz, 24-bit)
# @version 0.3.0
# @author FilmComposer
# @about
#   Sets the project's render settings to the delivery format (master mix, 48 kHz, stereo, 24-bit
#   WAV; the scored video item's span, or the whole project) and renders with REAPER's own engine,
#   replacing an earlier render of the same file without stopping at an overwrite prompt.
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

import action_render  # noqa: E402
from reaper_python import RPR_ShowMessageBox  # noqa: E402  (REAPER's API)

if __name__ == "__main__":
    action_render.run(RPR_ShowMessageBox)
