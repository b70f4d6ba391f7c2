"""Which key and register the composer writes in: the mode from the picture, a singable range."""

from __future__ import annotations

import random

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


def choose_key(emotion: str, rng: random.Random) -> Key:
    """Mode from the emotion, tonic from a comfortable set by the seed."""
    mode = EMOTION_MODE.get(emotion, "major")
    tonics = COMFORTABLE_TONICS[mode]
    return Key(PITCH_CLASSES[tonics[rng.randrange(len(tonics))]], mode)


def melody_range(key: Key) -> tuple[int, int]:
    """Lowest and highest MIDI pitch the composer writes in `key`."""
    return key.pitch(LOW_INDEX), key.pitch(HIGH_INDEX, leading_tone=True)
