"""The CPU tests' equivalence checks, rerun where the fast path's CUDA graphs run (tiny model, fp32).

    python bench/gpu_equivalence.py            # on CUDA: graph mode; on the CPU: eager mode

Prints one line a check (`same` or how many codes differ) and exits 1 when any differs: transformers'
generate() against the fast path (greedy, and sampled with one seed), the captured step against the
eager one (sampled, same seed, same device), and a batch of cues against each cue alone.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> int:
    import numpy as np
    import torch

    from fc_backend.compose.musicgen.conditioning import CHROMA_FRAMES, window_chroma
    from fc_backend.compose.musicgen.fast import Cue, FastMusicGen, default_mode
    from fc_backend.compose.musicgen.model import random_model

    device = "cuda" if torch.cuda.is_available() else "cpu"
    mode = default_mode(device)
    torch.backends.cuda.matmul.allow_tf32 = False  # fp32 means fp32 for token-for-token comparisons
    torch.backends.cudnn.allow_tf32 = False
    mg = random_model("tiny", device=device)
    chroma = np.zeros((2 * CHROMA_FRAMES, 12), np.float32)
    chroma[np.arange(len(chroma)), (np.arange(len(chroma)) // 3) % 12] = 1.0
    text, frames = "heroic cinematic orchestral film score, an adventure theme", 120
    failures = 0

    def check(name: str, a: list[torch.Tensor], b: list[torch.Tensor]) -> None:
        nonlocal failures
        differ = sum(int((x.cpu() != y.cpu()).sum()) for x, y in zip(a, b, strict=True))
        failures += differ > 0
        print(f"{name:<58} {'same' if not differ else f'{differ} codes differ'}")

    def reference(sample: bool, seed: int) -> torch.Tensor:
        caught = []
        decode = mg.model.audio_encoder.decode
        mg.model.audio_encoder.decode = lambda c, *a, **k: caught.append(c.clone()) or decode(c, *a, **k)
        tokens = {k: v.to(device) for k, v in mg.tokenizer([text], return_tensors="pt").items()}
        features = torch.from_numpy(window_chroma(chroma, 0))[None].to(device)
        torch.manual_seed(seed)
        with torch.inference_mode():
            mg.model.generate(**tokens, input_features=features, do_sample=sample, top_k=250,
                              guidance_scale=3.0, max_new_tokens=frames + 3)
        mg.model.audio_encoder.decode = decode
        return caught[-1][0, 0]

    cue = Cue(text, chroma, frames / 50, seed=11)
    print(f"device: {torch.cuda.get_device_name() if device == 'cuda' else 'CPU'}; fast mode: {mode}")
    check(f"greedy: transformers generate() vs fast {mode}", [reference(False, 0)],
          FastMusicGen(mg, mode=mode, do_sample=False).generate_codes([cue]))
    check(f"sampled, seed 11: transformers generate() vs fast {mode}", [reference(True, 11)],
          FastMusicGen(mg, mode=mode).generate_codes([cue]))
    check(f"sampled, seed 11, 2 windows: fast eager vs fast {mode}",
          FastMusicGen(mg, mode="eager").generate_codes([cue], window_s=1.5, prompt_s=0.5),
          FastMusicGen(mg, mode=mode).generate_codes([cue], window_s=1.5, prompt_s=0.5))
    cues = [cue, Cue("sad", np.roll(chroma, 5, axis=1), 1.1, seed=2),
            Cue("a quiet love theme for a water scene at night", np.roll(chroma, 9, axis=1), 3.3, seed=3)]
    fast = FastMusicGen(mg, mode=mode)
    check(f"3 cues batched vs alone, fast {mode}", fast.generate_codes(cues, window_s=2.0, prompt_s=0.5),
          [fast.generate_codes([c], window_s=2.0, prompt_s=0.5)[0] for c in cues])
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
