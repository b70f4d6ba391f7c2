"""Chord symbols in ABC text: placed where each chord starts when we write a tune, found again
(through music21, which reads ABC chord symbols the way musicians write them) when we read one.

abc2midi plays chord symbols but does not say where they stand, and midi2abc writes none, so the
placing walks the tune's note lengths itself (notes, rests, tuplets, broken rhythm, as midi2abc writes
them).
"""

from __future__ import annotations

import re
from fractions import Fraction
from pathlib import Path

from ..errors import InputError
from .chord_symbols import NO_CHORD

#: "no chord" as an annotation above the staff: abc2midi rejects a "N.C." chord symbol, music21 reads
#: it (we hand music21 the tune with the annotation made a chord symbol again)
NO_CHORD_ABC = f"^{NO_CHORD}"
#: chord positions are placed to 1/GRAIN of a beat (the finest position the reviewers read)
GRAIN = 48
#: one token of an ABC tune body: a quoted annotation or chord symbol, an inline field, a tuplet
#: sign, a note or rest with its length, a bracketed chord with its length, broken rhythm, or one char
_TOKEN = re.compile(r'(?P<quote>"[^"]*")|(?P<field>\[[A-Za-z]:[^\]]*\])'
                    r"|(?P<tuplet>\((?P<p>[2-9])(?::(?P<q>\d?))?(?::(?P<r>\d?))?)"
                    r"|(?P<note>(?P<pitch>[_=^]*[A-Ga-gzx][,']*|\[[^\]|]*\])(?P<len>\d*(?:/+\d*)?))"
                    r"|(?P<broken>[<>]+)|.", flags=re.DOTALL)


def _length(text: str) -> Fraction:
    """An ABC length suffix in units of L: "" 1, "3" 3, "/" 1/2, "//" 1/4, "3/2" 3/2."""
    num, slash, rest = text.partition("/")
    value = Fraction(int(num) if num else 1)
    if slash:
        slashes = 1 + rest.count("/")
        digits = rest.replace("/", "")
        value /= int(digits) if digits else 2 ** slashes
    return value


#: a note with its place: (token, start in beats, length in beats, whether it may be split in two)
Placed = tuple[re.Match, Fraction, Fraction, bool]


def _notes_in_beats(body: str, unit: Fraction, compound: bool) -> list[Placed]:
    """Each note and rest of `body` with its start and length in beats (`unit`: beats per L: unit).

    Notes of a tuplet or a broken-rhythm pair (A>B) are not split: their written lengths are not
    their heard ones."""
    tokens = list(_TOKEN.finditer(body))
    lengths: list[Fraction] = []
    notes: list[tuple[re.Match, bool]] = []
    tuplet_left, scale, after_broken = 0, Fraction(1), ""
    for tok in tokens:
        if tok["tuplet"]:
            p = int(tok["p"])
            q = int(tok["q"]) if tok["q"] else _TUPLET_Q.get(p, 3 if compound else 2)
            tuplet_left, scale = int(tok["r"]) if tok["r"] else p, Fraction(q, p)
        elif tok["note"]:
            length = _length(tok["len"]) * unit * (scale if tuplet_left else 1)
            if after_broken and notes:  # A>B: A dotted, B halved (A<B the other way round)
                short = Fraction(1, 2 ** len(after_broken))
                first, second = (2 - short, short) if after_broken[0] == ">" else (short, 2 - short)
                lengths[-1] *= first
                length *= second
                notes[-1] = (notes[-1][0], False)
            notes.append((tok, not tuplet_left and not after_broken))
            lengths.append(length)
            tuplet_left, after_broken = max(0, tuplet_left - 1), ""
        elif tok["broken"]:
            after_broken = tok["broken"]
        elif not tok[0].isspace():
            after_broken = ""
    placed, now = [], Fraction(0)
    for (tok, free), length in zip(notes, lengths, strict=True):
        placed.append((tok, now, length, free))
        now += length
    return placed


#: the notes a tuplet (p plays in the time of q when the tune does not say q
_TUPLET_Q = {2: 3, 3: 2, 4: 3, 6: 2, 8: 3}


def _abc_length(units: Fraction) -> str:
    return ("" if units.numerator == 1 else str(units.numerator)) + (
        "" if units.denominator == 1 else f"/{units.denominator}")


def place_chords(abc: str, marks: list[tuple[Fraction, str]]) -> str:
    """Chord symbols ("Am") in front of the note or rest sounding at each mark's beat; a note held
    across a chord change is split into two tied notes, so the symbol stands where the chord starts."""
    head, body = _split_body(abc)
    unit, compound = _unit(head)
    notes = _notes_in_beats(body, unit, compound)
    inserts: dict[int, str] = {}
    replaced: dict[int, tuple[int, str]] = {}
    for beat, mark in marks:
        symbol = NO_CHORD_ABC if mark == NO_CHORD else mark
        hit = next((n for n in notes if n[1] <= beat < n[1] + n[2]), None)
        if hit is None:
            continue
        tok, start, length, free = hit
        if beat == start or not free:
            inserts[tok.start()] = inserts.get(tok.start(), "") + f'"{symbol}"'
            continue
        first = (beat - start) / unit
        pitch = tok["pitch"]
        tie = "" if pitch[-1:] in "zx" else "-"
        replaced[tok.start()] = (tok.end(), f'{pitch}{_abc_length(first)}{tie}"{symbol}"'
                                            f"{pitch}{_abc_length(length / unit - first)}")
    out, i = [], 0
    for pos in sorted(set(inserts) | set(replaced)):
        out.append(body[i:pos])
        out.append(inserts.get(pos, ""))
        if pos in replaced:
            stop, text = replaced[pos]
            out.append(text)
            i = stop
        else:
            i = pos
    out.append(body[i:])
    return head + "".join(out)


def _split_body(abc: str) -> tuple[str, str]:
    """(header through the K: line and the field or directive lines after it, the tune's body)."""
    found = re.search(r"^K:.*\n(?:(?:[A-Za-z]:|%).*\n)*", abc, flags=re.MULTILINE)
    if found is None:
        return "", abc
    return abc[:found.end()], abc[found.end():]


def _unit(head: str) -> tuple[Fraction, bool]:
    """Beats (quarter notes) in the L: unit of an ABC header, and whether its M: meter is compound."""
    meter = re.search(r"^M:\s*(\d+)/(\d+)", head, flags=re.MULTILINE)
    num, den = (int(meter[1]), int(meter[2])) if meter else (4, 4)
    found = re.search(r"^L:\s*(\d+)/(\d+)", head, flags=re.MULTILINE)
    unit = Fraction(int(found[1]), int(found[2])) if found else (
        Fraction(1, 16) if num / den < 0.75 else Fraction(1, 8))
    return unit * 4, den == 8 and num % 3 == 0 and num > 3


def has_chord_symbols(tune: str) -> bool:
    """Whether the tune's body holds a chord symbol (music21 is asked only then: it takes a while)."""
    return re.search(r'"[A-G][^"]*"|"\^?N\.C\."', _split_body(tune)[1]) is not None


def chord_symbols(tune: str, source: str | Path) -> list[tuple[float, str]]:
    """(beat from the tune's first note, symbol) of the chord symbols of the tune's first tune."""
    import music21

    first = re.split(r"(?m)^(?=X:)", tune)
    body = next((chunk for chunk in first if chunk.startswith("X:")), tune).replace(
        f'"{NO_CHORD_ABC}"', f'"{NO_CHORD}"')
    try:
        score = music21.converter.parse(body, format="abc")
    except Exception as err:  # noqa: BLE001 - music21 refusing the tune means its chords are unreadable
        why = f"{type(err).__name__}: {err}"
        raise InputError(source, f"music21 cannot read the chord symbols ({why})") from None
    found = score.flatten().getElementsByClass(music21.harmony.ChordSymbol)
    no_chord = music21.harmony.NoChord
    return [(float(cs.offset), NO_CHORD if isinstance(cs, no_chord) else _sharp_flat(cs.figure))
            for cs in found]


def _sharp_flat(figure: str) -> str:
    """music21 spells B flat "B-": back to the chord symbol's "Bb"."""
    return figure[0] + figure[1:].replace("-", "b", 1) if figure[1:2] == "-" else figure
