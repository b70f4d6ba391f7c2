"""The decoder's conditioning prefix for a batch of cues: chroma states then text states, per row.

Computed as transformers' MusicgenMelodyForConditionalGeneration.generate computes it for one cue
(`_prepare_encoder_hidden_states_kwargs_for_generation`): the text encoder's states (projected when
widths differ), and for guidance a null row of zero text states and a chroma of pitch class 0; the
chroma goes through `audio_enc_to_dec_proj` and is cut or tiled to `chroma_length`. Each cue is encoded
alone (no padding), so its prefix is the one it would get alone; the rows are then left-padded to
one length and the pad widths returned as offsets.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch


def text_states(model: Any, tokenizer: Any, text: str, device: str | torch.device) -> torch.Tensor:
    """(T, H) states of one text, in the decoder's width (computed once per cue, reused by every window)."""
    tokens = tokenizer([text], return_tensors="pt")
    tokens = {k: v.to(device) for k, v in tokens.items() if k in ("input_ids", "attention_mask")}
    with torch.inference_mode():
        states = model.text_encoder(**tokens).last_hidden_state
        if model.text_encoder.config.hidden_size != model.decoder.config.hidden_size:
            states = model.enc_to_dec_proj(states)
        states = states * tokens["attention_mask"][..., None]
    return states[0]


def chroma_states(model: Any, chroma: np.ndarray,
                  device: str | torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """(cond, null) chroma states (chroma_length, H) of one window's (frames, 12) one-hot chroma."""
    dtype = model.audio_enc_to_dec_proj.weight.dtype
    features = torch.from_numpy(np.ascontiguousarray(chroma, dtype=np.float32))[None].to(device, dtype)
    null = torch.zeros_like(features)
    null[:, :, 0] = 1
    with torch.inference_mode():
        both = model.audio_enc_to_dec_proj(torch.cat([features, null], dim=0))
    length = int(model.config.chroma_length)
    if both.shape[1] < length:
        both = both.repeat(1, int(math.ceil(length / both.shape[1])), 1)
    both = both[:, :length]
    return both[0], both[1]


def batch_prefix(conds: list[torch.Tensor],
                 nulls: list[torch.Tensor] | None) -> tuple[torch.Tensor, torch.Tensor]:
    """Rows [cond 0..n-1, null 0..n-1] (or the cond rows alone), left-padded with zeros to one length.

    Returns the prefix (rows, P, H) and each row's pad width (rows,).
    """
    rows = conds + (nulls or [])
    length = max(r.shape[0] for r in rows)
    prefix = rows[0].new_zeros(len(rows), length, rows[0].shape[-1])
    offsets = torch.tensor([length - r.shape[0] for r in rows], dtype=torch.long, device=prefix.device)
    for i, r in enumerate(rows):
        prefix[i, length - r.shape[0]:] = r
    return prefix, offsets
