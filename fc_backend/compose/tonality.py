"""Which key and register the composer writes in: the mode from the picture, a singable range."""

from __future__ import annotations

import random

from ..model import Shot
from ..theory import MAJOR_FAMILY, PITCH_CLASSES, Key

#: modes an emotion may be scored in, its own first: all of one family (major: major, lydian,
#: mixolydian; minor: minor, dorian, phrygian), dreamy of either; the seed picks among those the
#: picture allows (paper: music matches the film's mood; a film composer varies the colour)
EMOTION_MODES: dict[str, tuple[str, ...]] = {
    "joyous": ("major", "lydian", "mixolydian"), "graceful": ("major", "lydian"),
    "heroic": ("major", "mixolydian"), "calm": ("major", "lydian"),
    "sad": ("minor", "dorian"), "dignified": ("minor", "dorian"), "tense": ("minor", "phrygian"),
    "fear": ("phrygian", "minor"), "dreamy": ("dorian", "lydian", "major", "minor")}
#: how often the seed keeps the emotion's own mode; otherwise it picks one of the others
OWN_MODE_SHARE = 0.5

#: tonics that sit comfortably for a singable line around C4..A5, per mode (seed picks one)
COMFORTABLE_TONICS = {"major": ("C", "D", "Eb", "F", "G", "A", "Bb"),
                      "minor": ("C", "D", "E", "F", "G", "A"),
                      "dorian": ("D", "E", "G", "A", "C"),
                      "phrygian": ("E", "A", "B", "D"),
                      "lydian": ("C", "F", "G", "D"),
                      "mixolydian": ("G", "D", "C", "A")}

#: melody range in diatonic indices around the tonic: a fifth below to a ninth above (about 19 semitones)
LOW_INDEX, HIGH_INDEX = -3, 8


#: emotions whose darkness a sunny picture does not lift, and whose brightness a dark one does not dim
DARK_EMOTIONS = ("sad", "fear", "tense")
BRIGHT_EMOTIONS = ("joyous", "heroic")


def choose_key(emotion: str, rng: random.Random, *, sunny: bool = False, dark: bool = False) -> Key:
    """Mode from the picture and the seed, tonic from a comfortable set by the seed.

    A `sunny` picture (bright daylight) is scored in a major-family mode unless the emotion is dark;
    a `dark` one in a minor-family mode unless the emotion is bright; a neutral picture leaves the
    choice among the emotion's modes to the seed (its own mode half the time).
    """
    modes = EMOTION_MODES.get(emotion, EMOTION_MODES["calm"])
    if sunny and emotion not in DARK_EMOTIONS:
        modes = tuple(m for m in modes if m in MAJOR_FAMILY) or ("major",)
    elif dark and emotion not in BRIGHT_EMOTIONS:
        modes = tuple(m for m in modes if m not in MAJOR_FAMILY) or ("minor",)
    if len(modes) == 1 or rng.random() < OWN_MODE_SHARE:
        mode = modes[0]
    else:
        mode = modes[1 + rng.randrange(len(modes) - 1)]
    tonics = COMFORTABLE_TONICS[mode]
    return Key(PITCH_CLASSES[tonics[rng.randrange(len(tonics))]], mode)


def melody_range(key: Key) -> tuple[int, int]:
    """Lowest and highest MIDI pitch the composer writes in `key`."""
    return key.pitch(LOW_INDEX), key.pitch(HIGH_INDEX, leading_tone=True)


#: hues of daylight and meadows
SUNNY_HUES = ("yellow", "orange", "green", "cyan")


def is_sunny(shots: list[Shot]) -> bool:
    """Most of the clip's time is bright, in daylight hues (the spotted shot attributes)."""
    total = sum(s.duration for s in shots)
    sunny = sum(s.duration for s in shots
                if s.attributes.brightness == "bright" and s.attributes.hue in SUNNY_HUES)
    return total > 0 and sunny >= total / 2


#: brightness labels of a night, a cellar, a storm
DARK_LABELS = ("dark", "dim")


def is_dark(shots: list[Shot]) -> bool:
    """Most of the clip's time is dark or dim (the spotted shot attributes)."""
    total = sum(s.duration for s in shots)
    dark = sum(s.duration for s in shots if s.attributes.brightness in DARK_LABELS)
    return total > 0 and dark > total / 2
