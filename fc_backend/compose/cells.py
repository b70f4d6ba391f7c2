"""The theme's rhythm: one or two one-bar cells on the beat grid, chosen by the seed.

A listener keeps a theme whose bars repeat a rhythm (in human tunes about half the bars do) and
that uses few note values (about three). So the whole theme is built from a statement cell `a`,
lively and of three or more notes, and an answering cell `b` that comes to rest on a long note.
Every value is a grid value (eighths and longer, or the compound meter's pulse subdivisions).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

#: one-bar cells by beats per bar: statement cells (3+ notes), then answering cells (ending long)
STATEMENTS: dict[float, tuple[tuple[float, ...], ...]] = {
    4.0: ((1.0, 0.5, 0.5, 2.0), (1.5, 0.5, 1.0, 1.0), (0.5, 0.5, 1.0, 2.0), (1.0, 1.0, 0.5, 0.5, 1.0),
          (1.5, 0.5, 2.0), (1.0, 0.5, 0.5, 1.0, 1.0)),
    3.0: ((1.0, 0.5, 0.5, 1.0), (1.5, 0.5, 1.0), (0.5, 0.5, 2.0), (1.0, 1.0, 1.0), (2.0, 0.5, 0.5)),
    2.0: ((0.5, 0.5, 1.0), (1.0, 0.5, 0.5), (0.75, 0.25, 1.0)),
}
ANSWERS: dict[float, tuple[tuple[float, ...], ...]] = {
    4.0: ((1.0, 1.0, 2.0), (2.0, 2.0), (1.0, 3.0), (0.5, 0.5, 1.0, 2.0)),
    3.0: ((1.0, 2.0), (2.0, 1.0), (3.0,), (1.0, 1.0, 1.0)),
    2.0: ((1.0, 1.0), (2.0,), (0.5, 1.5)),
}
#: the two cells together use at most this many note values (when the library allows)
FEW_VALUES = 3
#: compound meters (a dotted-quarter pulse): 6/8 cells, doubled for 12/8
COMPOUND_STATEMENTS = ((1.0, 0.5, 1.5), (0.5, 0.5, 0.5, 1.5), (1.5, 1.0, 0.5), (1.0, 0.5, 1.0, 0.5))
COMPOUND_ANSWERS = ((1.5, 1.5), (3.0,), (1.0, 0.5, 1.5))


@dataclass(frozen=True)
class Cell:
    """A rhythm filling one bar: note values in beats, in order."""

    values: tuple[float, ...]

    @property
    def onsets(self) -> tuple[float, ...]:
        return tuple(sum(self.values[:i]) for i in range(len(self.values)))

    @property
    def span(self) -> float:
        return sum(self.values)


@dataclass(frozen=True)
class Cells:
    """The theme's rhythmic material: statement `a` and answer `b`, each one bar long."""

    a: Cell
    b: Cell


def pulse_of(meter: tuple[int, int]) -> float:
    """Beats in one felt pulse: a dotted quarter in 6/8, 9/8, 12/8; a quarter otherwise."""
    num, den = meter
    if den == 8 and num % 3 == 0 and num > 3:
        return 1.5
    return 0.5 if den == 8 else 1.0


def choose_cells(rng: random.Random, meter: tuple[int, int], per: float) -> Cells:
    """Two cells for a bar of `per` beats in `meter`; the seed picks them."""
    statements, answers = _library(meter, per)
    pairs = [a for a in statements if any(len(set(a) | set(b)) <= FEW_VALUES for b in answers)]
    statements = tuple(pairs) or statements  # a statement no answer fits would bring a fourth value
    a = statements[rng.randrange(len(statements))]
    fitting = [b for b in answers if len(set(a) | set(b)) <= FEW_VALUES] or list(answers)
    return Cells(Cell(a), Cell(fitting[rng.randrange(len(fitting))]))


def fit_cells(statement: tuple[float, ...], answer: tuple[float, ...], per: float) -> Cells:
    """An earlier theme's cells in a bar of `per` beats: as they were when the bar is as long, else cut
    or stretched at the end (a theme stated in 4/4 and developed in 3/4 keeps its head)."""
    return Cells(Cell(_fitted(statement, per)), Cell(_fitted(answer, per)))


def _fitted(values: tuple[float, ...], per: float) -> tuple[float, ...]:
    return tuple(values) if abs(sum(values) - per) < 1e-9 else _fill(tuple(values), per)


def other_answer(rng: random.Random, cells: Cells, meter: tuple[int, int], per: float) -> Cells:
    """`cells` with another answering cell (one that adds no note value, if the library has one): a
    re-rolled phrase ending that must not come back as it was."""
    _, answers = _library(meter, per)
    others = [b for b in answers if b != cells.b.values] or list(answers)
    fitting = [b for b in others if len(set(cells.a.values) | set(b)) <= FEW_VALUES] or others
    return Cells(cells.a, Cell(fitting[rng.randrange(len(fitting))]))


def _library(meter: tuple[int, int], per: float) -> tuple[tuple[tuple[float, ...], ...], ...]:
    num, den = meter
    if den == 8 and num % 3 == 0 and num > 3:
        reps = max(1, round(per / 3.0))
        return (tuple(c * reps for c in COMPOUND_STATEMENTS), tuple(c * reps for c in COMPOUND_ANSWERS))
    if per in STATEMENTS:
        return STATEMENTS[per], ANSWERS[per]
    # any other bar (5/4, 7/8 ...): quarters with an eighth pair up front, and a held answer
    beats = max(1, round(per))
    lively = (0.5, 0.5) + (1.0,) * (beats - 1) if beats >= 2 else (per / 2, per / 2)
    return ((_fill(lively, per),), (_fill((1.0,) * max(0, beats - 2) + (2.0,), per),))


def _fill(values: tuple[float, ...], per: float) -> tuple[float, ...]:
    """`values` cut or stretched at the end so they fill exactly `per` beats."""
    out, total = [], 0.0
    for v in values:
        if total + v >= per - 1e-9:
            break
        out.append(v)
        total += v
    return (*out, per - total)
