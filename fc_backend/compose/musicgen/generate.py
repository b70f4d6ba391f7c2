"""Audio from MusicGen-Melody in 30 s windows; a longer clip continues from the end of the last window.

Each window is conditioned on the text and on the 235 chroma frames under it (prepended to the text
states, as the model does). A continuation window is prompted with the codec codes of the previous
`prompt_s` seconds, and only its new frames are kept. With the delay pattern, N frames need N + 3 steps.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from ...progress import Progress, no_progress
from .conditioning import HOP, window_chroma
from .model import FRAME_RATE, MusicGen

WINDOW_S = 30.0
PROMPT_S = 10.0


def generate(mg: MusicGen, text: str, chroma: np.ndarray, duration: float, *, seed: int,
             window_s: float = WINDOW_S, prompt_s: float = PROMPT_S, guidance_scale: float = 3.0,
             progress: Progress = no_progress) -> np.ndarray:
    """Mono audio at the model's sample rate, `duration` seconds long (float32).

    `chroma` is the clip's one-hot chroma (frames, 12) at the conditioner's hop; `seed` makes the
    sampling repeatable on one device.
    """
    if not 0 <= prompt_s < window_s:
        raise ValueError("the continuation prompt must be shorter than the window")
    torch.manual_seed(seed)
    sr = mg.sample_rate
    dtype = next(mg.model.parameters()).dtype
    tokens = mg.tokenizer([text], return_tensors="pt", padding=True)
    tokens = {k: v.to(mg.device) for k, v in tokens.items()}
    total = int(math.ceil(duration * FRAME_RATE))
    audio = np.zeros(0, dtype=np.float32)
    done = 0  # frames generated
    while done < total:
        prompt_frames = 0 if done == 0 else min(done, int(prompt_s * FRAME_RATE))
        new = min(total - done, int(window_s * FRAME_RATE) - prompt_frames)
        start_s = (done - prompt_frames) / FRAME_RATE
        features = torch.from_numpy(window_chroma(chroma, int(round(start_s * sr / HOP))))[None]
        kwargs = {"input_features": features.to(mg.device, dtype)}
        if prompt_frames:
            kwargs["decoder_input_ids"] = _codes(mg, audio[-prompt_frames * sr // FRAME_RATE:])
        with torch.inference_mode():
            out = mg.model.generate(**tokens, **kwargs, do_sample=True, top_k=250,
                                    guidance_scale=guidance_scale, max_new_tokens=new + mg.num_codebooks - 1)
        wave = out[0, 0].float().cpu().numpy()
        keep = wave[prompt_frames * sr // FRAME_RATE:][: new * sr // FRAME_RATE]
        audio = np.concatenate([audio, keep.astype(np.float32)])
        done += new
        progress(done / total)
    return audio[: int(round(duration * sr))]


def _codes(mg: MusicGen, wave: np.ndarray) -> torch.Tensor:
    """The codec codes of `wave`, shaped as the decoder's input ids (codebooks, frames)."""
    dtype = next(mg.model.audio_encoder.parameters()).dtype
    values = torch.from_numpy(wave)[None, None].to(mg.device, dtype)
    with torch.inference_mode():
        codes = mg.model.audio_encoder.encode(values).audio_codes  # (chunks, batch, codebooks, frames)
    return codes[0].reshape(-1, codes.shape[-1])
