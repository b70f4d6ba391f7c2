"""The next codes from one step's logits, computed as transformers' generate() computes them.

Classifier-free guidance (cond rows first, uncond rows after, as ClassifierFreeGuidanceLogitsProcessor
splits them), then top-k (TopKLogitsWarper), softmax in float32, one multinomial draw a row. Each cue
draws from its own generator, so a cue's codes do not depend on which cues share its batch, and a
lone cue seeded with s draws what torch.manual_seed(s) + generate() draws.

The draw is torch.multinomial's own one-sample path (ATen: argmax(p / q) with q ~ Exp(1), the same
random numbers from the same generator) without its validity checks: those read values back to the
host, which would stall the GPU once a step (gpt-fast and vLLM sample this way for the same reason).
"""

from __future__ import annotations

import torch


def next_codes(logits: torch.Tensor, *, cues: int, guidance_scale: float | None, top_k: int | None,
               generators: list[torch.Generator] | None) -> torch.Tensor:
    """Codes (cues * K,) from logits (rows, K, vocab); rows = 2 * cues with guidance, else cues.

    `generators` None decodes greedily (argmax); otherwise one generator a cue.
    """
    codebooks = logits.shape[1]
    scores = logits.reshape(-1, logits.shape[-1]).float()
    guided = guidance_scale is not None and guidance_scale > 1
    if logits.shape[0] != cues * (2 if guided else 1):
        raise ValueError(f"{logits.shape[0]} rows of logits for {cues} cues ({'' if guided else 'un'}guided)")
    if guided:
        cond, uncond = scores.split(cues * codebooks, dim=0)
        scores = uncond + (cond - uncond) * guidance_scale
    if generators is None:
        return torch.argmax(scores, dim=-1)
    if top_k:
        k = min(top_k, scores.shape[-1])
        scores = scores.masked_fill(scores < torch.topk(scores, k)[0][..., -1, None], -float("inf"))
    probs = torch.softmax(scores, dim=-1)
    noise = torch.empty_like(probs)
    for i, generator in enumerate(generators):
        noise[i * codebooks:(i + 1) * codebooks].exponential_(1, generator=generator)
    return torch.argmax(probs / noise, dim=-1)
