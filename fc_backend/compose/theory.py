"""Keys, scales and diatonic triads: the little music theory the composer decides with.

Pitches are counted in diatonic steps ("indices") from the tonic, so a motif can be sequenced or
inverted inside the scale and turned into MIDI pitches only at the end.
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import theory
from ..theory import SCALES

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

_FLAT_SPELLING = {1: "Db", 3: "Eb", 6: "Gb", 8: "Ab", 10: "Bb"}
_SHARP_SPELLING = {1: "C#", 3: "Eb", 6: "F#", 8: "Ab", 10: "Bb"}
_NATURAL = {0: "C", 2: "D", 4: "E", 5: "F", 7: "G", 9: "A", 11: "B"}

#: melody range in diatonic indices around the tonic: a fifth below to a ninth above (about 19 semitones)
LOW_INDEX, HIGH_INDEX = -3, 8


@dataclass(frozen=True)
class Key:
    tonic: int  # pitch class, 0 = C
    mode: str = "major"

    @property
    def scale(self) -> tuple[int, ...]:
        return SCALES[self.mode]

    @property
    def minor_third(self) -> bool:
        return self.scale[2] == 3

    @property
    def name(self) -> str:
        """"D minor", "E dorian"; sharps or flats chosen as a composer would write them."""
        pc = self.tonic % 12
        spelling = _NATURAL.get(pc) or (_SHARP_SPELLING if self.minor_third else _FLAT_SPELLING)[pc]
        return f"{spelling} {self.mode}"

    @property
    def tonic_midi(self) -> int:
        """The tonic the melody centres on: C4..A4, or Bb3 / B3, so the range sits around C4..A5."""
        pc = self.tonic % 12
        return 60 + pc if pc <= 9 else 48 + pc

    def pitch(self, index: int, *, leading_tone: bool = False) -> int:
        """MIDI pitch of diatonic `index` (0 = tonic_midi); raises the 7th when `leading_tone`."""
        octave, degree = divmod(index, 7)
        semis = self.scale[degree]
        if leading_tone and degree == 6 and semis == 10:
            semis = 11
        return self.tonic_midi + 12 * octave + semis

    def pitch_classes(self) -> set[int]:
        return {(self.tonic + s) % 12 for s in self.scale}


def parse_key(text: str) -> Key:
    """Key("D minor"), also "Dm", "E dorian", "F#", "Bb major"."""
    return Key(*theory.parse_key(text))


def melody_range(key: Key) -> tuple[int, int]:
    """Lowest and highest MIDI pitch the composer writes in `key`."""
    return key.pitch(LOW_INDEX), key.pitch(HIGH_INDEX, leading_tone=True)


@dataclass(frozen=True)
class Triad:
    """A diatonic triad on scale `degree` (0-based); `leading_tone` makes minor's v a major V."""

    degree: int
    leading_tone: bool = False

    def tones(self) -> tuple[int, int, int]:
        """Chord-tone degrees (mod 7): root, third, fifth."""
        return self.degree % 7, (self.degree + 2) % 7, (self.degree + 4) % 7

    def contains(self, index: int) -> bool:
        return index % 7 in self.tones()

    def root_pc(self, key: Key) -> int:
        return (key.tonic + key.scale[self.degree % 7]) % 12

    def quality(self, key: Key) -> str:
        pcs = [key.pitch(self.degree + k, leading_tone=self.leading_tone) for k in (0, 2, 4)]
        third, fifth = pcs[1] - pcs[0], pcs[2] - pcs[0]
        return {(4, 7): "maj", (3, 7): "min", (3, 6): "dim", (4, 8): "aug"}.get((third, fifth), "maj")


def stable(index: int) -> bool:
    """Degrees 1, 3 and 5: where a phrase can come to rest."""
    return index % 7 in (0, 2, 4)


#: Krumhansl-Kessler probe-tone profiles, for a melody that arrives without a key
_KK_MAJOR = (6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88)
_KK_MINOR = (6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17)


def estimate_key(pitches_and_weights: list[tuple[int, float]]) -> Key:
    """The major or minor key whose profile best correlates with the duration-weighted pitch classes."""
    hist = [0.0] * 12
    for pitch, weight in pitches_and_weights:
        hist[pitch % 12] += weight

    def corr(profile: tuple[float, ...], tonic: int) -> float:
        rolled = [profile[(pc - tonic) % 12] for pc in range(12)]
        mh, mp = sum(hist) / 12, sum(rolled) / 12
        num = sum((h - mh) * (r - mp) for h, r in zip(hist, rolled, strict=True))
        den = (sum((h - mh) ** 2 for h in hist) * sum((r - mp) ** 2 for r in rolled)) ** 0.5
        return num / den if den else 0.0

    best = max(((corr(_KK_MAJOR, t), -t, "major") for t in range(12)),
               key=lambda c: c[:2])
    best_minor = max(((corr(_KK_MINOR, t), -t, "minor") for t in range(12)), key=lambda c: c[:2])
    score, tonic, mode = max(best, best_minor, key=lambda c: c[0])
    return Key(-tonic, mode)
