"""Seconds MusicGen-Melody needs to generate 30 s of audio (text + chroma conditioning, CFG 3).

    .venv/bin/python bench/bench_musicgen.py                 # full-size random model on CUDA if present
    .venv/bin/python bench/bench_musicgen.py --size tiny --seconds 5

Random weights cost the same time per token as the released ones (same shapes, same steps), so no
download is needed. Without CUDA it says so and times the tiny model on the CPU instead.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=("tiny", "full"), help="default: full on CUDA, tiny on CPU")
    parser.add_argument("--seconds", type=float, default=30.0, help="audio to generate (default 30)")
    parser.add_argument("--repeat", type=int, default=2, help="timed runs after one warm-up")
    args = parser.parse_args()

    import numpy as np
    import torch

    from fc_backend.compose.musicgen.conditioning import CHROMA_FRAMES
    from fc_backend.compose.musicgen.generate import generate
    from fc_backend.compose.musicgen.model import random_model

    cuda = torch.cuda.is_available()
    size = args.size or ("full" if cuda else "tiny")
    device = "cuda" if cuda else "cpu"
    if not cuda:
        print("bench_musicgen: no CUDA device; the real-size model needs a GPU. "
              "Timing the tiny model on the CPU.")
    built = time.perf_counter()
    mg = random_model(size, device=device)
    params = sum(p.numel() for p in mg.model.parameters())
    gpu = f" ({torch.cuda.get_device_name()})" if cuda else ""
    print(f"model: {size} ({params / 1e6:.1f} M parameters, {next(mg.model.parameters()).dtype}) on {device}"
          f"{gpu}, built in {time.perf_counter() - built:.1f} s")
    chroma = np.zeros((CHROMA_FRAMES, 12), np.float32)
    chroma[np.arange(CHROMA_FRAMES), np.arange(CHROMA_FRAMES) % 12] = 1.0
    text = "heroic cinematic orchestral film score, an adventure theme, 96 bpm"
    warm = min(args.seconds, 2.0)
    generate(mg, text, chroma, warm, seed=0)
    times = []
    for run in range(args.repeat):
        if cuda:
            torch.cuda.synchronize()
        start = time.perf_counter()
        audio = generate(mg, text, chroma, args.seconds, seed=run)
        if cuda:
            torch.cuda.synchronize()
        times.append(time.perf_counter() - start)
        print(f"run {run + 1}: {times[-1]:.2f} s for {len(audio) / mg.sample_rate:.1f} s of audio "
              f"({len(audio) / mg.sample_rate / times[-1]:.2f}x real time)")
    best = min(times)
    print(f"best: {best:.2f} s to generate {args.seconds:g} s ({size}, {device})")
    if cuda:
        print(f"peak GPU memory: {torch.cuda.max_memory_allocated() / 2**30:.2f} GiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
