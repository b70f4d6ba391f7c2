"""Which key and register the composer writes in: the mode from the picture, a singable range."""

from __future__ import annotations

import random

from ..model import Shot
from ..theory import PITCH_CLASSES, Key

#: the picture's emotion decides the mode (paper: music matches the film's mood)
EMOTION_MODE = {"joyous": "major", "graceful": "major", "heroic": "major", "calm": "major",
                "sad": "minor", "dignified": "minor", "tense": "minor",
                "dreamy": "dorian", "fear": "phrygian"}

#: tonics that sit comfortably for a singable line around C4..A5, per mode (seed picks one)
COMFORTABLE_TONICS = {"major": ("C", "D", "Eb", "F", "G", "A", "Bb"),
                      "minor": ("C", "D", "E", "F", "G", "A"),
                      "dorian": ("D", "E", "G", "A", "C"),
                      "phrygian": ("E", "A", "B", "D"),
                      "lydian": ("C", "F", "G", "D"),
                      "mixolydian": ("G", "D", "C", "A")}

#: melody range in diatonic indices around the tonic: a fifth below to a ninth above (about 19 semitones)
LOW_INDEX, HIGH_INDEX = -3, 8


#: emotions whose darkness a sunny picture does not lift
DARK_EMOTIONS = ("sad", "fear", "tense")


def choose_key(emotion: str, rng: random.Random, *, sunny: bool = False) -> Key:
    """Mode from the emotion (major where the picture is `sunny` and the emotion not dark), tonic from
    a comfortable set by the seed."""
    mode = "major" if sunny and emotion not in DARK_EMOTIONS else EMOTION_MODE.get(emotion, "major")
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
