"""`filmcomposer eval OUT [OUT ...]`: the objective metrics of one or more scored folders."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any


def add_commands(commands: Any) -> None:
    cmd = commands.add_parser("eval", help="measure scored folders: rhythm, dynamics, musicality, delivery, "
                                           "and the diversity of several")
    cmd.add_argument("out", type=Path, nargs="+", help="folders `score` wrote; two or more adds diversity")
    cmd.add_argument("--json", action="store_true", help="print the metrics as JSON")
    cmd.set_defaults(run=_run_eval)


def _run_eval(args: argparse.Namespace) -> int:
    from ..eval import diversity, evaluate

    results = [evaluate(out) for out in args.out]
    div = diversity(args.out) if len(args.out) > 1 else None
    if args.json:
        data: dict[str, Any] = {"scores": results}
        if div is not None:
            data["diversity"] = round(div, 4)
        print(json.dumps(data, indent=2))
        return 0
    for result in results:
        print(format_metrics(result))
    if div is not None:
        print(f"diversity of {len(args.out)} scores (mean pairwise chroma distance, 0 = identical):"
              f" {div:.3f}")
    return 0


def format_metrics(result: dict[str, Any]) -> str:
    """The metrics of one folder as a few readable lines."""
    r, d, m, v = result["rhythm"], result["dynamics"], result["musicality"], result["delivery"]

    def num(value: float | None, spec: str = ".3f") -> str:
        return "n/a" if value is None else format(value, spec)

    return "\n".join([
        f"{result['out_dir']}:",
        f"  rhythm      {r['hit_rate']:.0%} of {r['spots']} spots have an onset within"
        f" ±{r['tolerance_s'] * 1000:.0f} ms"
        f" (a random spot: {r['chance_hit_rate']:.0%}); NCC {num(r['ncc_lag0'])} at lag 0,"
        f" {num(r['ncc_best'])} at {r['best_lag_s'] * 1000:+.0f} ms",
        f"  dynamics    motion vs loudness r = {num(d['curve_r'])} over {d['motion_samples']} samples,"
        f" {num(d['shot_r'])} over {d['shots']} shots",
        f"  musicality  {m['total']:.2f} / {m['out_of']}"
        f" ({'pass' if m['passed'] else 'fail'} at {m['threshold']:g})",
        f"  delivery    {v['sample_rate']} Hz, {v['bit_depth']}-bit, {v['channels']} ch;"
        f" {num(v['integrated_lufs'], '.1f')} LUFS, {num(v['true_peak_dbtp'], '.1f')} dBTP,"
        f" LRA {num(v['loudness_range_lu'], '.1f')} LU",
    ])
