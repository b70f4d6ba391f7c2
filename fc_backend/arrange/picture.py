"""Colour that follows the picture: instruments the shots' setting, theme and behaviour ask for.

The emotion's palette (instrument.py) says how the cue feels; these say where it is and what
happens, after orchestration habits film scores share: woodwinds and harp for the pastoral (open
country), harp and celesta arpeggios for water, high strings and flute for the sky, horn calls in the
open air, brass for adventure, celesta and vibraphone for mystery, a solo cello for tragedy, driving
short strings when the picture runs. They are tried before the palette's own candidates.
"""

from __future__ import annotations

#: attribute -> label -> role -> instrument keys, best first
COLOURS: dict[str, dict[str, dict[str, list[str]]]] = {
    "setting": {
        "nature": {"melody": ["flutes", "oboe"], "counter": ["clarinets", "oboe"], "ostinato": ["harp"]},
        "water": {"melody": ["flutes"], "ostinato": ["harp", "celesta"], "harmony": ["strings2_ensemble"]},
        "sky": {"melody": ["violins_1", "flutes"], "ostinato": ["celesta", "harp"],
                "harmony": ["strings1_ensemble", "choir_oohs"]},
        "outdoor": {"counter": ["french_horns"]},
    },
    "theme": {
        "adventure": {"counter": ["french_horns", "trumpets"], "percussion": ["timpani"]},
        "mystery": {"ostinato": ["celesta", "vibraphone"], "counter": ["bass_clarinet"]},
        "tragedy": {"melody": ["solo_cello", "english_horn"]},
        "fantasy": {"ostinato": ["harp", "celesta"], "percussion": ["glockenspiel"]},
        "nature": {"counter": ["flutes", "clarinets"]},
    },
    "behaviour": {
        "running": {"ostinato": ["violins_2", "pizzicato_strings"], "percussion": ["timpani"]},
        "still": {"ostinato": ["harp"]},
    },
}


def picture_colours(role: str, attributes: dict[str, str | None]) -> list[str]:
    """Instrument keys the clip's dominant attributes ask for in `role`: setting first, then theme,
    then behaviour, without repeats (empty when the picture asks for nothing in particular)."""
    out: list[str] = []
    for name in ("setting", "theme", "behaviour"):
        label = attributes.get(name)
        for key in COLOURS[name].get(label or "", {}).get(role, []):
            if key not in out:
                out.append(key)
    return out
