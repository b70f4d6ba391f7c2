"""MusicGen-Melody: today's generate() and the fast path side by side, on the same model in one run.

    .venv/bin/python bench/bench_musicgen.py --tiny --seconds 2             # CPU, tiny random model
    .venv/bin/python bench/bench_musicgen.py --full --seconds 30 --cues 4   # GPU, 1.5 B random, fp16

For each path: seconds, x real time (audio seconds / wall seconds, all cues together), decoding steps a
second, peak memory (CUDA max_memory_allocated on a GPU, the process's RSS on the CPU) and the fraction
of the bandwidth floor reached: a step must read every decoder weight once, so `steps x weight bytes /
bandwidth` is the fastest any loop can be. Random weights cost the same time per token as the released
ones (same shapes, same steps), so no download is needed. Prints figures, asserts nothing.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

#: device memory bandwidth, bytes a second (HBM3e H200 SXM, HBM3 H100 SXM), for the floor
BANDWIDTH = {"H200": 4.8e12, "H100": 3.35e12}
TEXTS = ["heroic cinematic orchestral film score, an adventure theme, 96 bpm",
         "sad cinematic orchestral film score, a love theme for a water scene, dim and blue, 72 bpm",
         "tense cinematic orchestral film score, with running, 132 bpm",
         "calm cinematic orchestral film score, for a forest scene, 84 bpm"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--tiny", dest="size", action="store_const", const="tiny",
                      help="tiny model (CPU tests)")
    size.add_argument("--full", dest="size", action="store_const", const="full",
                      help="the released 1.5 B architecture, fp16 (needs CUDA)")
    parser.add_argument("--seconds", type=float, default=30.0, help="audio a cue (default 30)")
    parser.add_argument("--cues", default="1,4", help="batch sizes of the fast path, comma separated "
                        "(default 1,4); today's path runs one cue")
    parser.add_argument("--repeat", type=int, default=2,
                        help="timed runs of each fast configuration after its first (cold) run; today's "
                        "path runs once after a 1 s warm-up")
    parser.add_argument("--modes", default="", help="fast-path step modes, comma separated "
                        "(eager, compile, graph; default graph on CUDA, eager on the CPU)")
    parser.add_argument("--dtypes", default="", help="fast-path dtypes to measure, e.g. float16,bfloat16 "
                        "(default: the model's); the fastest is named")
    parser.add_argument("--no-reference", action="store_true", help="skip today's generate()")
    parser.add_argument("--bandwidth", type=float, help="device bandwidth in GB/s (default: H200 4800, "
                        "H100 3350 when the GPU's name says so)")
    parser.add_argument("--threads", type=int, default=0, help="CPU threads for torch (default: torch's)")
    args = parser.parse_args()

    import numpy as np
    import torch

    from fc_backend.compose.musicgen.conditioning import CHROMA_FRAMES
    from fc_backend.compose.musicgen.fast import Cue, FastMusicGen, default_mode
    from fc_backend.compose.musicgen.generate import generate
    from fc_backend.compose.musicgen.model import random_model

    if args.threads:
        torch.set_num_threads(args.threads)
    cuda = torch.cuda.is_available()
    device = "cuda" if cuda else "cpu"
    size = args.size or ("full" if cuda else "tiny")
    if not cuda and size == "full":
        print("bench_musicgen: --full needs a CUDA device (about 100x slower than real time on a CPU)")
        return 2
    built = time.perf_counter()
    mg = random_model(size, device=device)
    name = torch.cuda.get_device_name() if cuda else "CPU"
    weight_bytes = sum(p.numel() * p.element_size() for n, p in mg.model.decoder.named_parameters()
                       if "embed_tokens" not in n)  # a step reads K embedding rows, not the tables
    bandwidth = _bandwidth(args.bandwidth, name)
    params = sum(p.numel() for p in mg.model.parameters())
    print(f"model: {size}, {params / 1e6:.1f} M parameters, {next(mg.model.parameters()).dtype}, on {device} "
          f"({name}), built in {time.perf_counter() - built:.1f} s")
    print(f"decoder weights read a step: {weight_bytes / 1e6:.1f} MB; bandwidth: "
          + (f"{bandwidth / 1e9:.0f} GB/s" if bandwidth else "unknown (give --bandwidth GB/s for the floor)"))

    chroma = np.zeros((2 * CHROMA_FRAMES, 12), np.float32)
    chroma[np.arange(len(chroma)), (np.arange(len(chroma)) // 4) % 12] = 1.0
    frames = int(math.ceil(args.seconds * 50))
    steps = _steps(frames, 1500, 500, mg.num_codebooks)  # 30 s windows, 10 s prompts: generate()'s loop
    meter = Meter(cuda)
    print(f"{args.seconds:g} s a cue = {frames} frames = {steps} decoding steps; "
          f"first run (cold) then best of {args.repeat}")
    print(f"{'path':<26}{'cues':>5}{'audio s':>9}{'cold s':>9}{'best s':>9}{'x real':>9}{'steps/s':>9}"
          f"{'peak mem':>11}{'floor':>8}")

    def report(label: str, cues: int, run: Callable[[int], object], repeat: int) -> float:
        times, peak = [], 0
        for i in range(1 + repeat):
            seconds, used = meter.measure(lambda i=i: run(i))
            times.append(seconds)
            peak = max(peak, used)
        best = min(times[1:]) if repeat else times[0]
        audio = cues * args.seconds
        floor = steps * weight_bytes / bandwidth if bandwidth else None
        reached = f"{floor / best:>8.1%}" if floor else f"{'n/a':>8}"
        print(f"{label:<26}{cues:>5}{audio:>9.1f}{times[0]:>9.2f}{best:>9.2f}{audio / best:>9.2f}"
              f"{steps / best:>9.1f}{peak / 2**30:>9.2f}Gi{reached}")
        return best

    def reference() -> None:
        generate(mg, TEXTS[0], chroma, min(1.0, args.seconds), seed=0)
        report("today generate()", 1, lambda i: generate(mg, TEXTS[0], chroma, args.seconds, seed=i), 0)

    modes = [m for m in args.modes.split(",") if m] or [default_mode(device)]
    dtypes = [getattr(torch, d) for d in args.dtypes.split(",") if d] or [next(mg.model.parameters()).dtype]
    fastest: dict[str, float] = {}
    own = next(mg.model.parameters()).dtype
    for dtype in sorted(dtypes, key=lambda d: d != own):  # the model's own dtype first: today's path uses it
        mg.model.to(dtype)
        for mode in modes:
            label = f"fast {mode} {str(dtype).removeprefix('torch.')}"
            try:
                fast = FastMusicGen(mg, mode=mode)  # kept across runs: its graphs are captured once
            except ValueError as err:
                print(f"{label:<26} skipped: {err}")
                continue
            for cues in sorted({int(c) for c in args.cues.split(",") if c}):
                batch = [Cue(TEXTS[c % len(TEXTS)], np.roll(chroma, c, axis=1), args.seconds)
                         for c in range(cues)]

                def run(i: int, batch: list[Cue] = batch, fast: FastMusicGen = fast) -> object:
                    for c, cue in enumerate(batch):
                        cue.seed = 100 * i + c
                    return fast.generate(batch)

                try:
                    best = report(label, cues, run, args.repeat)
                except Exception as err:  # one failing configuration must not hide the others' figures
                    print(f"{label:<26}{cues:>5}  failed: {type(err).__name__}: {err}")
                    continue
                if cues == 1:
                    fastest[f"{mode} {dtype}"] = best
        if dtype == own and not args.no_reference:  # after the fast figures, so a short lease keeps them
            reference()
    if own not in dtypes and not args.no_reference:
        mg.model.to(own)
        reference()
    if len(fastest) > 1:
        print("fastest single cue: " + min(fastest, key=fastest.get))
    return 0


def _steps(frames: int, window: int, prompt: int, codebooks: int) -> int:
    """Decoder forwards for `frames` in windows continued from `prompt` frames (a window of N: N + K - 1)."""
    done, steps = 0, 0
    while done < frames:
        new = min(frames - done, window - (0 if done == 0 else min(done, prompt)))
        steps += new + codebooks - 1
        done += new
    return steps


def _bandwidth(gb_s: float | None, name: str) -> float | None:
    if gb_s:
        return gb_s * 1e9
    return next((bw for key, bw in BANDWIDTH.items() if key in name), None)


class Meter:
    """Wall seconds and peak memory of one call: CUDA's allocator peak, or the RSS polled every 5 ms."""

    def __init__(self, cuda: bool) -> None:
        self.cuda = cuda

    def measure(self, call: Callable[[], object]) -> tuple[float, int]:
        import torch

        if self.cuda:
            torch.cuda.synchronize()
            torch.cuda.reset_peak_memory_stats()
            start = time.perf_counter()
            call()
            torch.cuda.synchronize()
            return time.perf_counter() - start, torch.cuda.max_memory_allocated()
        peak, running = [_rss()], [True]

        def poll() -> None:
            while running[0]:
                peak[0] = max(peak[0], _rss())
                time.sleep(0.005)

        thread = threading.Thread(target=poll, daemon=True)
        thread.start()
        start = time.perf_counter()
        try:
            call()
        finally:
            seconds = time.perf_counter() - start
            running[0] = False
            thread.join()
        return seconds, max(peak[0], _rss())


def _rss() -> int:
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:  # not Linux: the lifetime peak is the best there is
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


if __name__ == "__main__":
    sys.exit(main())
