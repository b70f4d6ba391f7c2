"""Offline render speed and memory: a synthetic 6-track plan at 60 s and 240 s, each in a fresh process.

Prints, per length: seconds of `realize()` (MIDI, .RPP, master and stems), times real time, the CPU
seconds it used (wall time on a shared machine depends on its load, also printed), and the process's
peak resident memory; then the 240 s / 60 s ratio of peak memory (flat = about 1.0).

    .venv/bin/python bench/bench_render.py [--lengths 60 240] [--loudness -14]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def synthetic_plan(duration: float):
    """A 6-track plan written by the real part writer for a synthetic clip: a theme in eighths and
    quarters at 112 bpm, shots every 7 s moving moderately (eighth-note ostinato), a cut on each.

    Tracks: flute melody, viola counter-line, string chords, harp ostinato, basses, percussion.
    """
    from fc_backend.model import (
        Melody,
        MotionCurve,
        Note,
        RhythmSpot,
        Scheme,
        SchemeTempo,
        SchemeTrack,
        Section,
        Shot,
        Spotting,
        TempoMap,
    )
    from fc_backend.plan import plan

    tm = TempoMap.constant(112.0)
    theme = [62, 65, 69, 67, 65, 64, 62, 57, 58, 62, 65, 64, 62, 61, 62, 69]
    notes, beat, i = [], 0.0, 0
    while tm.time_at(beat) < duration:
        length = 0.5 if i % 4 in (1, 2) else 1.0
        notes.append(Note(theme[i % len(theme)], tm.time_at(beat), tm.time_at(beat + length) - 0.01, 90))
        beat, i = beat + length, i + 1
    melody = Melody(notes, "D minor", tm)
    cuts = [float(t) for t in range(7, int(duration), 7)]
    edges = [0.0, *cuts, duration]
    shots = [Shot(a, b, motion_speed=0.06 + 0.04 * (k % 3))
             for k, (a, b) in enumerate(zip(edges, edges[1:], strict=False))]
    spotting = Spotting("bench.mp4", duration, 24.0, int(duration * 24), 320, 180, shots,
                        [RhythmSpot(t, 0.8, "cut") for t in cuts], tm, "heroic", MotionCurve())
    measures = tm.measure_count(duration)
    parts = [("flutes", "melody", "melody", -0.2), ("violas", "counter", "counter", 0.1),
             ("strings1_ensemble", "harmony", "chords", 0.0), ("harp", "ostinato", "ostinato", -0.4),
             ("basses", "bass", "bass", 0.4), ("orchestral_percussion", "percussion", "ostinato", 0.0)]
    levels = {f"measure{m}": 0.6 + 0.1 * (m % 4) for m in range(1, measures + 1, 2)}
    tracks = [SchemeTrack(k, key, role, key, source, panning=pan, reverb_space=0.25, volume_envelope=levels)
              for k, (key, role, source, pan) in enumerate(parts, start=1)]
    scheme = Scheme(SchemeTempo(112.0, (4, 4), [(1.0, 112.0)]), "D minor", measures,
                    [Section("A", (1, measures), 0.6)], tracks)
    return plan(scheme, melody, spotting)


def run_one(duration: float, loudness: float) -> dict:
    from fc_backend.config import Config
    from fc_backend.realize import realize

    plan = synthetic_plan(duration)
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    with tempfile.TemporaryDirectory() as out:
        before, start = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
        realize(plan, out, Config(loudness=loudness))
        seconds, after = time.perf_counter() - start, resource.getrusage(resource.RUSAGE_SELF)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux -> MiB
    notes = sum(len(t.notes) for t in plan.tracks)
    return {"duration": duration, "tracks": len(plan.tracks), "notes": notes, "seconds": round(seconds, 2),
            "cpu_seconds": round(cpu, 2), "load_average": round(os.getloadavg()[0], 2),
            "x_real_time": round(duration / seconds, 1), "peak_rss_mib": round(peak, 1),
            "rss_before_render_mib": round(base, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lengths", type=float, nargs="+", default=[60.0, 240.0])
    parser.add_argument("--loudness", type=float, default=-23.0)
    parser.add_argument("--one", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one is not None:
        print(json.dumps(run_one(args.one, args.loudness)))
        return
    results = []
    for length in args.lengths:  # a fresh process each: peak RSS is a process-lifetime maximum
        command = [sys.executable, __file__, "--one", str(length), "--loudness", str(args.loudness)]
        output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
        result = json.loads(output.strip().splitlines()[-1])
        results.append(result)
        print(f"{result['duration']:6.0f} s, {result['tracks']} tracks, {result['notes']} notes: "
              f"{result['seconds']:6.2f} s = {result['x_real_time']:5.1f}x real time "
              f"({result['cpu_seconds']:.2f} CPU s, load {result['load_average']:.1f}), "
              f"peak RSS {result['peak_rss_mib']:.0f} MiB"
              f" (before rendering {result['rss_before_render_mib']:.0f})")
    if len(results) > 1:
        print(f"peak RSS ratio {results[-1]['duration']:.0f} s / {results[0]['duration']:.0f} s: "
              f"{results[-1]['peak_rss_mib'] / results[0]['peak_rss_mib']:.2f}")


if __name__ == "__main__":
    main()
