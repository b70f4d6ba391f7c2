"""The main melody out of a polyphonic transcription: the paper's coverage and note-ratio rule (eq. 1-3).

Our reading of the rule (the paper gives no code): candidate lines are the top voice ("skyline": at
any moment the highest sounding note, the ear's usual melody) of the whole transcription and of each
two-octave register band. For a candidate c over a clip of length T with all transcribed notes N:

    coverage  C(c) = (time c sounds) / T                     (eq. 1)
    ratio     R(c) = |c| / |N|                               (eq. 2)
    score     S(c) = lam * C(c) + (1 - lam) * R(c)           (eq. 3, lam = 0.5)

The candidate with the best score is the melody: it sounds through most of the clip and carries a
large share of the notes, where the bass covers time with few notes and inner voices are fragments.
"""

from __future__ import annotations

from dataclasses import dataclass

from .transcribe import NoteEvent

#: lowest pitch of each register band a candidate line is drawn from (two octaves wide)
BANDS = tuple(range(36, 85, 6))
BAND_WIDTH = 24
LAMBDA = 0.5


@dataclass
class Candidate:
    name: str
    notes: list[NoteEvent]
    coverage: float
    ratio: float

    @property
    def score(self) -> float:
        return LAMBDA * self.coverage + (1 - LAMBDA) * self.ratio


def skyline(events: list[NoteEvent]) -> list[NoteEvent]:
    """One line from many: where notes overlap the higher one sounds, the lower is cut or dropped."""
    line: list[NoteEvent] = []
    for e in sorted(events, key=lambda e: (e.start, -e.pitch)):
        if line and e.start < line[-1].end - 1e-9:
            last = line[-1]
            if e.pitch <= last.pitch:
                if e.end > last.end + 0.05:  # the lower note outlasts the upper: its tail is melody
                    line.append(NoteEvent(last.end, e.end, e.pitch, e.amplitude))
                continue
            line[-1] = NoteEvent(last.start, e.start, last.pitch, last.amplitude)
            if line[-1].end - line[-1].start < 0.05:
                line.pop()
        line.append(e)
    return line


def candidates(events: list[NoteEvent], duration: float) -> list[Candidate]:
    """Every candidate line with its coverage and note ratio."""
    total = max(1, len(events))
    out = []
    pools = [("skyline", events)] + [(f"band {lo}-{lo + BAND_WIDTH}", [e for e in events
                                                                     if lo <= e.pitch < lo + BAND_WIDTH])
                                     for lo in BANDS]
    for name, pool in pools:
        line = skyline(pool)
        if not line:
            continue
        sounding = sum(min(e.end, duration) - e.start for e in line if e.start < duration)
        out.append(Candidate(name, line, min(1.0, sounding / max(duration, 1e-9)), len(line) / total))
    return out


def main_melody(events: list[NoteEvent], duration: float) -> Candidate | None:
    """The best-scoring candidate line (eq. 3), or None when nothing was transcribed."""
    found = candidates(events, duration)
    return max(found, key=lambda c: (c.score, c.coverage)) if found else None
