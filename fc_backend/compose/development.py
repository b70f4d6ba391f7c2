"""How the theme develops bar by bar: statement, sequence, fragmentation, diminution, augmentation,
return, a climax, and answers that close each phrase, the way film themes are built.

Input: the sections (phrases of bars) and the two rhythmic cells; output: one `Bar` per measure, its
rhythm and contour relative to the bar's first note. The note values the whole theme uses are capped
(`MAX_VALUES`): a device that would add a fifth value falls back to a sequence.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass

from .cells import Cell, Cells
from .harmony import Section

DEVICES = ("statement", "sequence", "fragmentation", "diminution", "subdivision", "augmentation",
           "broadening", "return", "climax", "answer")
#: distinct note values the developed bars may use (human tunes use about three; a cut re-strike
#: and the final note, held to the end of the clip, may add one)
MAX_VALUES = 3
#: diatonic steps the climax bar starts above the theme's home note
CLIMAX_LIFT = 4


@dataclass(frozen=True)
class Bar:
    """One measure of the theme: which device, its rhythm (beats) and contour (diatonic steps)."""

    measure: int  # 0-based
    device: str
    values: tuple[float, ...]
    steps: tuple[int, ...]
    lift: int  # where the bar starts, in diatonic steps above the theme's home note
    closes: bool = False  # ends a phrase: the last note comes to rest
    final: bool = False  # ends the theme: the last note is the tonic


def contour(rng: random.Random, notes: int) -> tuple[int, ...]:
    """A singable contour for `notes` notes: mostly steps one way, one leap recovered by a step back."""
    steps = [0]
    direction = rng.choice((1, -1))
    leap_at = rng.randrange(1, notes) if notes > 2 else -1
    for i in range(1, notes):
        if i == leap_at:
            move = direction * rng.choice((2, 3))
        elif i == leap_at + 1:
            move = -direction
        else:
            move = direction if rng.random() < 0.75 else -direction
        if abs(steps[-1] + move) > 4:
            move = -move
        steps.append(steps[-1] + move)
    return tuple(steps)


def answer_contour(notes: int) -> tuple[int, ...]:
    """An answer falls by step to its resting note."""
    return tuple(-i for i in range(notes))


def develop(sections: Sequence[Section], cells: Cells, levels: Sequence[float],
            rng: random.Random, *, statement: tuple[int, ...] | None = None) -> list[Bar]:
    """One `Bar` per measure of `sections`; `levels` is the picture's motion per measure (0.1..0.9).

    `statement` is the contour of cell `a` (an earlier cue's theme, developed here); by default the
    seed draws a new one.
    """
    measures = sum(s.count for s in sections)
    a_steps = contour(rng, len(cells.a.values)) if statement is None else statement
    b_steps = answer_contour(len(cells.b.values))
    used = set(cells.a.values) | set(cells.b.values)
    climax = _climax_measure(sections, measures)
    bars: list[Bar] = []
    for s, section in enumerate(sections):
        for first, count in section.phrases:
            for m in range(first, first + count):
                arch = round(2 * math.sin(math.pi * m / max(1, measures)))
                if m == first + count - 1 and count > 1 or m == measures - 1:
                    final = m == measures - 1
                    half = tuple(v / 2 for v in cells.b.values)
                    if levels[m] >= 0.65 and not final and _fits(used, half):
                        used |= set(half)  # a fast picture: the answer twice as fast, twice
                        bars.append(Bar(m, "answer", half * 2, b_steps * 2, arch - 1, closes=True))
                    elif levels[m] >= 0.65 and not final:  # or its notes split, all but the resting one
                        head, steps = _subdivide(Cell(cells.b.values[:-1]), b_steps[:-1], used)
                        bars.append(Bar(m, "answer", (*head, cells.b.values[-1]), (*steps, b_steps[-1] - 1),
                                        arch - 1, closes=True))
                    else:
                        bars.append(Bar(m, "answer", cells.b.values, b_steps, arch - 1, closes=True,
                                        final=final))
                    continue
                if m == climax:
                    bars.append(Bar(m, "climax", cells.a.values, a_steps, CLIMAX_LIFT))
                    continue
                if m == 0:
                    bars.append(Bar(m, "statement", cells.a.values, a_steps, 0))
                    continue
                if m == first and s > 0 and first == section.first:  # broadened over a still picture
                    widened = set(_shape("augmentation", cells.a, a_steps)[0])
                    broad = levels[m] <= 0.3 and _fits(used, widened)
                    values, steps = _shape("augmentation" if broad else "return", cells.a, a_steps)
                    used |= set(values)
                    bars.append(Bar(m, "return", values, steps, 0))
                    continue
                device = _pick(rng, levels[m], first_of_phrase=m == first)
                bars.append(_bar(m, device, cells.a, a_steps, arch, used))
    return bars


def _climax_measure(sections: Sequence[Section], measures: int) -> int:
    """The bar nearest two thirds of the theme that does not close a phrase."""
    closing = {f + c - 1 for s in sections for f, c in s.phrases}
    candidates = [m for m in range(1, measures - 1) if m not in closing] or [0]
    return min(candidates, key=lambda m: (abs(m - 2 * measures / 3), m))


def _pick(rng: random.Random, level: float, *, first_of_phrase: bool) -> str:
    """A fast picture gets diminution (or fragmentation), a still one augmentation; in between, a
    balanced mix, a phrase opening with the cell itself or its sequence."""
    if level >= 0.65:
        return rng.choice(("diminution", "subdivision", "diminution", "fragmentation"))
    if level <= 0.3:
        return "augmentation"
    if first_of_phrase:
        return rng.choice(("statement", "sequence"))
    return rng.choice(("sequence", "fragmentation", "sequence", "diminution", "augmentation"))


def _bar(m: int, device: str, a: Cell, steps: tuple[int, ...], arch: int, used: set[float]) -> Bar:
    """The bar for `device`; a sequence where the device's rhythm would add a value beyond `MAX_VALUES`."""
    values, contour_ = _subdivide(a, steps, used) if device == "subdivision" else _shape(device, a, steps)
    if device == "diminution" and not _fits(used, values):
        device, (values, contour_) = "subdivision", _subdivide(a, steps, used)
    if device == "augmentation" and not _fits(used, values):
        device, (values, contour_) = "broadening", _broaden(a, steps, used)
    if device != "sequence" and not _fits(used, values):
        device, (values, contour_) = "sequence", _shape("sequence", a, steps)
    used |= set(values)
    lift = {"sequence": 1 if m % 2 else -1, "fragmentation": 1, "diminution": 1, "subdivision": 1,
            "statement": 0, "augmentation": 0, "broadening": 0}.get(device, 0)
    return Bar(m, device, values, contour_, arch + lift)


def _shape(device: str, a: Cell, steps: tuple[int, ...]) -> tuple[tuple[float, ...], tuple[int, ...]]:
    span = a.span
    if device == "diminution":  # twice as fast, stated twice, the second time a step higher
        half = tuple(v / 2 for v in a.values)
        return half + half, steps + tuple(s + 1 for s in steps)
    if device == "augmentation":  # twice as slow: the head of the cell fills the bar
        values, contour_ = [], []
        for v, s in zip(a.values, steps, strict=True):
            if sum(values) + 2 * v > span + 1e-9:
                break
            values.append(2 * v)
            contour_.append(s)
        if not values:
            return a.values, steps
        values[-1] += span - sum(values)
        return tuple(values), tuple(contour_)
    if device == "fragmentation":  # the head (first half bar) twice, the second a step lower
        head, total = [], 0.0
        for v in a.values:
            if total + v > span / 2 + 1e-9:
                break
            head.append(v)
            total += v
        if len(head) < 2 or abs(total - span / 2) > 1e-9:
            return a.values, steps
        k = len(head)
        return tuple(head) * 2, steps[:k] + tuple(s - 1 for s in steps[:k])
    return a.values, steps


def _subdivide(a: Cell, steps: tuple[int, ...],
               used: set[float]) -> tuple[tuple[float, ...], tuple[int, ...]]:
    """A busier cell without new note values: each note that two values already used add up to splits
    in two (halves first, else the longer part first), the second a step on (a fast picture where a
    strict diminution would add values)."""
    values: list[float] = []
    contour_: list[int] = []
    for v, s in zip(a.values, steps, strict=True):
        parts = [(u, v - u) for u in sorted(used, reverse=True) if 0 < u < v and _has(used, v - u)]
        halves = [(u, w) for u, w in parts if abs(u - w) < 1e-9]
        if halves or parts:
            u, w = (halves or parts)[0]
            values += [u, w]
            contour_ += [s, s + 1]
        else:
            values.append(v)
            contour_.append(s)
    return tuple(values), tuple(contour_)


def _broaden(a: Cell, steps: tuple[int, ...],
             used: set[float]) -> tuple[tuple[float, ...], tuple[int, ...]]:
    """A calmer cell without new note values: neighbouring notes that add up to a value already used
    merge into one (a still picture where a strict augmentation would add values)."""
    values: list[float] = []
    contour_: list[int] = []
    i = 0
    while i < len(a.values):
        pair = i + 1 < len(a.values) and _has(used, a.values[i] + a.values[i + 1])
        values.append(a.values[i] + a.values[i + 1] if pair else a.values[i])
        contour_.append(steps[i])  # the merged note keeps the first one's pitch
        i += 2 if pair else 1
    return tuple(values), tuple(contour_)


def _fits(used: set[float], values: tuple[float, ...] | set[float]) -> bool:
    """Do `values` keep the theme within `MAX_VALUES` note values (or add none to those it has)?"""
    return set(values) <= used or len(used | set(values)) <= MAX_VALUES


def _has(values: set[float], value: float) -> bool:
    return any(abs(v - value) < 1e-9 for v in values)
