"""Timeline markers: every rhythm spot the music should hit, and where each section begins."""

from __future__ import annotations

from ..model import Marker, Scheme, Spotting, TempoMap


def markers(spotting: Spotting, scheme: Scheme, tm: TempoMap) -> list[Marker]:
    """"cut 3", "hit 2.40s", "accent 5.10s" for the spots, the section names at their first measure."""
    out: list[Marker] = []
    cuts = 0
    for spot in sorted(spotting.rhythm_spots, key=lambda s: s.time):
        if spot.kind == "cut":
            cuts += 1
            name = f"cut {cuts}"
        else:
            name = f"{'hit' if spot.kind == 'motion' else spot.kind} {spot.time:.2f}s"
        out.append(Marker(spot.time, name, spot.kind))
    for section in scheme.sections:
        out.append(Marker(round(tm.measure_start(section.measures[0]), 6), section.name, "section"))
    return sorted(out, key=lambda m: (m.time, m.kind != "section"))
