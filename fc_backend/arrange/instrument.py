"""Instrument (paper table 2, role 3): an instrument for every part, from emotion and intensity.

Each emotion has a palette: candidates per role in order of preference. The melody's instrument
must hold the melody, moved by whole octaves if need be (the scheme's `transpose`).
"""

from __future__ import annotations

import random

from ..model import SchemeTrack
from ..schemes import Instrument
from .analyze import CueAnalysis
from .picture import picture_colours

#: emotion -> role -> candidate instrument keys, best first
PALETTES: dict[str, dict[str, list[str]]] = {
    "calm": {"melody": ["flutes", "solo_violin", "violins_1"], "counter": ["clarinets", "violas"],
             "harmony": ["strings2_ensemble", "strings1_ensemble"], "ostinato": ["harp", "piano"],
             "bass": ["cellos", "basses"], "percussion": ["vibraphone", "timpani"]},
    "sad": {"melody": ["solo_cello", "english_horn", "violins_1"], "counter": ["violas", "clarinets"],
            "harmony": ["strings2_ensemble", "strings1_ensemble"], "ostinato": ["piano", "harp"],
            "bass": ["basses", "cellos"], "percussion": ["timpani"]},
    "dreamy": {"melody": ["celesta", "flutes", "solo_violin"], "counter": ["vibraphone", "clarinets"],
               "harmony": ["synth_pad_warm", "strings2_ensemble"], "ostinato": ["harp", "music_box"],
               "bass": ["cellos", "acoustic_bass"], "percussion": ["glockenspiel", "timpani"]},
    "graceful": {"melody": ["violins_1", "flutes", "oboe"], "counter": ["flutes", "clarinets"],
                 "harmony": ["strings1_ensemble", "violas"], "ostinato": ["harp", "pizzicato_strings"],
                 "bass": ["cellos", "basses"], "percussion": ["glockenspiel", "timpani"]},
    "dignified": {"melody": ["french_horns", "violins_1", "trumpets"], "counter": ["trombones", "cellos"],
                  "harmony": ["strings1_ensemble", "choir_aahs"], "ostinato": ["violas", "cellos"],
                  "bass": ["basses", "tuba"], "percussion": ["timpani", "orchestral_percussion"]},
    "joyous": {"melody": ["violins_1", "flutes", "trumpets"], "counter": ["flutes", "oboe", "french_horns"],
               "harmony": ["french_horns", "strings1_ensemble"], "ostinato": ["pizzicato_strings", "marimba"],
               "bass": ["cellos", "basses"], "percussion": ["glockenspiel", "orchestral_percussion"]},
    "tense": {"melody": ["cellos", "french_horns", "violas"], "counter": ["celesta", "french_horns"],
              "harmony": ["tremolo_strings", "synth_pad_choir"], "ostinato": ["violins_2", "cellos"],
              "bass": ["basses", "contrabassoon"], "percussion": ["timpani", "orchestral_percussion"]},
    "fear": {"melody": ["celesta", "violas", "english_horn"], "counter": ["french_horns", "bass_clarinet"],
             "harmony": ["tremolo_strings", "synth_pad_choir"], "ostinato": ["cellos", "violas"],
             "bass": ["basses", "contrabassoon"], "percussion": ["timpani", "orchestral_percussion"]},
    "heroic": {"melody": ["trumpets", "french_horns", "violins_1"], "counter": ["violins_1", "french_horns"],
               "harmony": ["french_horns", "brass_section", "strings1_ensemble"],
               "ostinato": ["violins_2", "cellos"], "bass": ["trombones", "basses", "tuba"],
               "percussion": ["timpani", "orchestral_percussion"]},
}
#: who doubles the tune an octave up in a bright cue, the first that is free and fits, whatever the
#: seed: high strings carry the top octave. Over an oboe tune, bench/bench_mix.py measured the master's
#: 5-10 kHz share at -23..-26 dB with violins doubling, -34..-41 dB with flute, celesta or piccolo
#: (nearly sines in the soundfont); flutes and celesta double only a tune the violins already play
DOUBLING = ["violins_1", "flutes", "celesta"]
#: wide-ranged instruments that can hold almost any line, the last resort for each role
FALLBACK = ["strings1_ensemble", "piano", "harp", "violins_1", "cellos", "basses", "timpani"]


def choose_instruments(tracks: list[SchemeTrack], analysis: CueAnalysis,
                       library: dict[str, Instrument], *, seed: int = 0) -> None:
    """Fill in each track's instrument, display name, transpose and articulation, in place.

    Seed 0 takes each role's first fitting candidate: what the picture's setting, theme and behaviour
    ask for (picture.py), then the emotion's palette; another seed may take any fitting candidate of
    those, so re-rolls of one clip get other colours.
    """
    palette = PALETTES.get(analysis.emotion, PALETTES["calm"])
    rng = random.Random(seed)
    used: set[str] = set()
    lead_shift = 0
    for track in tracks:
        colours = picture_colours(track.role, analysis.attributes)
        preferred = DOUBLING if track.role == "doubling" else [
            *colours, *(k for k in palette.get(track.role, []) if k not in colours)]
        candidates = [k for k in preferred + FALLBACK if k in library and k not in used]
        if track.role != "percussion":
            candidates = [k for k in candidates if not library[k].is_drum]
        fitting = [k for k in candidates if k in preferred and fits(track, library[k], analysis, lead_shift)]
        if seed and len(fitting) > 1 and track.role != "doubling":
            candidates = [fitting[rng.randrange(len(fitting))], *candidates]
        choice = next((k for k in candidates if fits(track, library[k], analysis, lead_shift)), candidates[0])
        used.add(choice)
        instrument = library[choice]
        track.instrument = choice
        track.name = instrument.name
        lead = track.source == "melody" and track.role != "doubling"  # a doubling finds its octave in plan
        track.transpose = melody_transpose(analysis, instrument) if lead else 0
        if lead and track.role == "melody" and not lead_shift:
            lead_shift = track.transpose
        track.articulation = articulation(track.role, instrument, analysis)


def fits(track: SchemeTrack, instrument: Instrument, analysis: CueAnalysis, lead_shift: int = 0) -> bool:
    """Can `instrument` play this part without folding notes back by octaves? A doubling is the top
    octave: it must reach an octave above the tune where the lead (transposed `lead_shift`) plays it."""
    if track.role == "doubling" and track.source == "melody" and analysis.melody_range:
        low, high = analysis.melody_range
        return instrument.low <= low + lead_shift + 12 and high + lead_shift + 12 <= instrument.high
    if track.source in ("melody", "counter") and analysis.melody_range:
        low, high = analysis.melody_range
        shift = melody_transpose(analysis, instrument)
        return instrument.low <= low + shift and high + shift <= instrument.high
    if track.role == "bass":
        return instrument.low <= 43
    return instrument.high - instrument.low >= 12


def melody_transpose(analysis: CueAnalysis, instrument: Instrument) -> int:
    """The octave shift (-24..24) that puts the most melody notes in range, nearest the middle."""
    if not analysis.melody_range:
        return 0
    low, high = analysis.melody_range

    def cost(shift: int) -> tuple[int, float]:
        outside = max(0, instrument.low - (low + shift)) + max(0, (high + shift) - instrument.high)
        return outside, abs((low + high) / 2 + shift - instrument.center)

    return min((-24, -12, 0, 12, 24), key=cost)


def articulation(role: str, instrument: Instrument, analysis: CueAnalysis) -> str:
    driven = analysis.mean_intensity >= 0.5
    if instrument.key == "tremolo_strings":
        return "tremolo"
    if instrument.key == "pizzicato_strings":
        return "pizzicato"
    if role == "percussion" or (role == "melody" and driven and analysis.emotion == "heroic"):
        return "marcato"
    if role == "harmony":
        return "sustain"
    if role == "ostinato" and driven and instrument.family in ("strings", "brass", "woodwinds"):
        return "staccato"
    return "legato"
