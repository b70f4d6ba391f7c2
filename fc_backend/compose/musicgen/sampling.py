"""The next codes from one step's logits, computed as transformers' generate() computes them.

Classifier-free guidance (cond rows first, uncond rows after, as ClassifierFreeGuidanceLogitsProcessor
splits them), then top-k (TopKLogitsWarper), softmax in float32, one multinomial draw a row. Each cue
draws from its own generator, so a cue's codes do not depend on which cues share its batch, and a
lone cue seeded with s draws what torch.manual_seed(s) + generate() draws.
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
    if guidance_scale is not None and guidance_scale > 1:
        cond, uncond = scores.split(cues * codebooks, dim=0)
        scores = uncond + (cond - uncond) * guidance_scale
    if generators is None:
        return torch.argmax(scores, dim=-1)
    if top_k:
        k = min(top_k, scores.shape[-1])
        scores = scores.masked_fill(scores < torch.topk(scores, k)[0][..., -1, None], -float("inf"))
    probs = torch.softmax(scores, dim=-1)
    draws = [torch.multinomial(probs[i * codebooks:(i + 1) * codebooks], 1, generator=g)
             for i, g in enumerate(generators)]
    return torch.cat(draws).squeeze(1)
