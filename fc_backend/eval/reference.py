"""The human reference: single-voice ABC tunes music21 ships, split once into a dev and a held-out set.

The split is by a hash of the tune's name, so it never changes: tune measures and thresholds on
`split="dev"` only; `split="heldout"` is for the final check and is never tuned on. Also the
counterfeits a reviewer must tell from a human tune: the same tune with its pitches scrambled, with
its rhythm shuffled, random notes in its key, and three pieces of nonsense (scales, whole notes).
"""

from __future__ import annotations

import importlib.util
import random
import re
import zlib
from pathlib import Path

from ..model import Melody, Note, TempoMap
from ..theory import Key

SPLITS = ("dev", "heldout")


def corpus_root() -> Path:
    """music21's corpus folder (music21 is a dev dependency: python3 install.py --dev)."""
    spec = importlib.util.find_spec("music21")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("music21 is not installed (python3 install.py --dev): it ships the reference")
    return Path(spec.submodule_search_locations[0]) / "corpus"


def split_of(name: str) -> str:
    """"dev" or "heldout", fixed by the tune's name."""
    return SPLITS[zlib.crc32(name.encode()) % 2]


def corpus_tunes(split: str) -> list[tuple[str, str]]:
    """(name, ABC text) of every single-voice tune of `split`, in a fixed order."""
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    root = corpus_root()
    tunes = []
    for path in sorted(root.rglob("*.abc")):
        text = path.read_text(encoding="latin-1")
        for chunk in re.split(r"(?m)^(?=X:)", text):
            if chunk.startswith("X:") and "\nK:" in chunk and not re.search(r"(?m)^V:", chunk):
                name = f"{path.relative_to(root)} {chunk.split(chr(10), 1)[0]}"
                if split_of(name) == split:
                    tunes.append((name, chunk))
    return tunes


def human_melodies(split: str, count: int, *, seed: int = 2025, min_notes: int = 12) -> list[Melody]:
    """`count` tunes of `split` drawn by `seed` from several collections, read as abc2midi plays them."""
    from ..errors import InputError
    from ..formats.abc import read_abc

    tunes = corpus_tunes(split)
    rng = random.Random(seed)
    rng.shuffle(tunes)
    out: list[Melody] = []
    for name, text in tunes:
        try:
            melody = read_abc(text, source=name, strict=False, chords=False)
        except (InputError, ValueError):
            continue
        if len(melody.notes) >= min_notes:
            out.append(melody)
        if len(out) == count:
            break
    return out


def _in_beats(melody: Melody) -> list[tuple[float, float, int]]:
    tm = melody.tempo_map
    return [(tm.beat_at(n.start), tm.beat_at(n.end), n.pitch) for n in melody.notes]


def _rebuild(melody: Melody, notes: list[tuple[float, float, int]]) -> Melody:
    tm = melody.tempo_map
    return Melody([Note(p, tm.time_at(s), tm.time_at(e)) for s, e, p in notes], melody.key, tm)


def pitch_scrambled(melody: Melody, seed: int) -> Melody:
    """The tune's rhythm with its own pitches in a random order."""
    notes = _in_beats(melody)
    pitches = [p for _, _, p in notes]
    random.Random(seed).shuffle(pitches)
    return _rebuild(melody, [(s, e, p) for (s, e, _), p in zip(notes, pitches, strict=True)])


def rhythm_shuffled(melody: Melody, seed: int) -> Melody:
    """The tune's pitches in order, its note values shuffled (so the bar lines fall elsewhere)."""
    notes = _in_beats(melody)
    values = [e - s for s, e, _ in notes]
    random.Random(seed).shuffle(values)
    out, t = [], notes[0][0] if notes else 0.0
    for (_, _, p), d in zip(notes, values, strict=True):
        out.append((t, t + d, p))
        t += d
    return _rebuild(melody, out)


def random_in_key(melody: Melody, seed: int) -> Melody:
    """As many notes as the tune, random pitches of its key over its span, random eighths to halves."""
    rng = random.Random(seed)
    key = melody.heard_key()
    pitches = [n.pitch for n in melody.notes]
    scale = [p for p in range(min(pitches), max(pitches) + 1) if p % 12 in key.scale_pitch_classes()]
    out, t = [], 0.0
    for _ in pitches:
        d = rng.choice((0.5, 0.5, 1.0, 1.0, 1.5, 2.0))
        out.append((t, t + d, rng.choice(scale)))
        t += d
    return _rebuild(melody, out)


def nonsense() -> dict[str, Melody]:
    """What must never pass review: a C-major scale, the chromatic scale, whole notes C-F-G-C, one
    note repeated, an arpeggio going round, and a random walk by steps of C major in random values."""
    tm = TempoMap.constant(120)
    c = Key(0, "major")

    def line(pitches: list[int], beats: float | list[float]) -> Melody:
        values = beats if isinstance(beats, list) else [beats] * len(pitches)
        starts = [sum(values[:i]) for i in range(len(values) + 1)]
        notes = [Note(p, tm.time_at(starts[i]), tm.time_at(starts[i + 1])) for i, p in enumerate(pitches)]
        return Melody(notes, c, tm)

    up = [60, 62, 64, 65, 67, 69, 71, 72]
    rng = random.Random(19)
    scale = [p for p in range(55, 80) if p % 12 in c.scale_pitch_classes()]
    walk = [scale.index(60)]
    for _ in range(31):
        walk.append(min(len(scale) - 1, max(0, walk[-1] + rng.choice((-2, -1, 1, 2)))))
    return {"C-major scale": line(up + up[-2::-1], 1.0),
            "chromatic scale": line(list(range(60, 73)) + list(range(71, 59, -1)), 1.0),
            "whole notes C-F-G-C": line([60, 65, 67, 60], 4.0),
            "one note repeated": line([60] * 16, 1.0),
            "arpeggio loop": line([60, 64, 67, 72, 67, 64] * 4, 1.0),
            "random walk": line([scale[i] for i in walk], [rng.choice((0.5, 1.0, 1.5, 2.0)) for _ in walk])}
