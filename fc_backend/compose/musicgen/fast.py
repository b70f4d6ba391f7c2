"""MusicGen-Melody's fast path: several cues decoded together over a static cache, one codec decode each.

The same windows as generate.py (30 s, continued from the last `prompt_s` seconds), but a continuation
is prompted with the codes already generated (no decode and re-encode between windows), the text is
encoded once a cue, the chroma once a window, and the codec decodes each cue once at the end. Every
window is one loop for all cues still running: classifier-free guidance is one batched forward (cond
rows then null rows), the delay pattern is transformers' own (build_delay_pattern_mask), and the
decoder step is StaticDecoder's, captured as a CUDA graph on a GPU.

With greedy decoding a lone cue gets transformers' generate() codes token for token; with sampling
each cue draws from its own generator, so a batch gives every cue the codes it gets alone.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch

from .conditioning import HOP, window_chroma
from .fast_conditioning import batch_prefix, chroma_states, text_states
from .model import FRAME_RATE, MusicGen
from .sampling import next_codes
from .static_decoder import StaticDecoder

WINDOW_S = 30.0
PROMPT_S = 10.0


@dataclass
class Cue:
    """One span to score: its words, its one-hot chroma (frames, 12) at the conditioner's hop, its length."""

    text: str
    chroma: np.ndarray
    duration: float
    seed: int = 0

    @property
    def frames(self) -> int:
        return int(math.ceil(self.duration * FRAME_RATE))


@dataclass
class Window:
    """One cue's share of one batched window: its prefix rows, its prompt codes and its new frames."""

    cond: torch.Tensor  # (P, H)
    null: torch.Tensor  # (P, H)
    prompt: torch.Tensor  # (K, prompt frames), undelayed
    new: int
    generator: torch.Generator | None


def default_mode(device: str) -> str:
    return "graph" if str(device).startswith("cuda") else "eager"


def fast_for(mg: MusicGen) -> FastMusicGen:
    """The FastMusicGen kept with `mg`, so its caches and captured graphs serve every later call."""
    if mg.fast is None:
        mg.fast = FastMusicGen(mg)
    return mg.fast


class FastMusicGen:
    """A MusicGen with a fixed-shape decoding loop; keep one and call it for every batch of cues."""

    def __init__(self, mg: MusicGen, *, mode: str | None = None, guidance_scale: float = 3.0,
                 top_k: int | None = 250, do_sample: bool = True) -> None:
        self.mg = mg
        self.decoder = StaticDecoder(mg.model, mode=mode or default_mode(mg.device))
        self.guidance_scale = guidance_scale
        self.top_k = top_k
        self.do_sample = do_sample
        self.pad = int(mg.model.generation_config.pad_token_id)
        self.bos = int(mg.model.generation_config.decoder_start_token_id)

    @property
    def guided(self) -> bool:
        return self.guidance_scale is not None and self.guidance_scale > 1

    # -- cues to audio ----------------------------------------------------------------------------

    def generate(self, cues: Sequence[Cue], *, window_s: float = WINDOW_S, prompt_s: float = PROMPT_S,
                 progress: Callable[[float], None] | None = None) -> list[np.ndarray]:
        """Mono float32 audio for every cue, each `duration` seconds at the model's sample rate."""
        codes = self.generate_codes(cues, window_s=window_s, prompt_s=prompt_s, progress=progress)
        sr = self.mg.sample_rate
        return [self.decode(c)[: int(round(cue.duration * sr))] for c, cue in zip(codes, cues, strict=True)]

    def decode(self, codes: torch.Tensor) -> np.ndarray:
        """The codec's audio of one cue's codes (K, frames): one decode for the whole cue."""
        with torch.inference_mode():
            audio = self.mg.model.audio_encoder.decode(codes[None, None], audio_scales=[None]).audio_values
        return audio[0, 0].float().cpu().numpy().astype(np.float32)

    def generate_codes(self, cues: Sequence[Cue], *, window_s: float = WINDOW_S, prompt_s: float = PROMPT_S,
                       progress: Callable[[float], None] | None = None) -> list[torch.Tensor]:
        """Codes (K, frames) for every cue, window after window, all running cues in one loop a window."""
        if not 0 <= prompt_s < window_s:
            raise ValueError("the continuation prompt must be shorter than the window")
        mg, device = self.mg, self.mg.device
        window, prompt_max = int(window_s * FRAME_RATE), int(prompt_s * FRAME_RATE)
        texts = [text_states(mg.model, mg.tokenizer, cue.text, device) for cue in cues]
        generators = None
        if self.do_sample:
            generators = [torch.Generator(device=device).manual_seed(int(cue.seed)) for cue in cues]
        done = [torch.zeros(self.decoder.num_codebooks, 0, dtype=torch.long, device=device) for _ in cues]
        total = sum(cue.frames for cue in cues)
        while True:
            running = [i for i, cue in enumerate(cues) if done[i].shape[1] < cue.frames]
            if not running:
                break
            windows = []
            for i in running:
                have = done[i].shape[1]
                prompt = done[i][:, have - min(have, prompt_max):] if have else done[i]
                start_s = (have - prompt.shape[1]) / FRAME_RATE
                chroma = window_chroma(cues[i].chroma, int(round(start_s * mg.sample_rate / HOP)))
                cond_chroma, null_chroma = chroma_states(mg.model, chroma, device)
                null_text = torch.zeros_like(texts[i])
                windows.append(Window(torch.cat([cond_chroma, texts[i]]), torch.cat([null_chroma, null_text]),
                                      prompt, min(cues[i].frames - have, window - prompt.shape[1]),
                                      generators[i] if generators else None))
            for i, codes in zip(running, self.window(windows), strict=True):
                done[i] = torch.cat([done[i], codes[:, -windows[running.index(i)].new:]], dim=1)
            if progress:
                progress(sum(d.shape[1] for d in done) / total)
        return done

    # -- one batched window -----------------------------------------------------------------------

    def window(self, windows: Sequence[Window]) -> list[torch.Tensor]:
        """Undelayed codes (K, prompt + new) of every window, decoded together in one loop."""
        if len({w.prompt.shape[1] for w in windows}) != 1:
            raise ValueError("the windows of one batch share one prompt length")
        dec, cues, k = self.decoder, len(windows), self.decoder.num_codebooks
        device = self.mg.device
        masks, first = [], 0
        for w in windows:
            start = torch.full((k, 1), self.bos, dtype=torch.long, device=device)
            ids = torch.cat([start, w.prompt.to(device)], dim=1)
            max_length = ids.shape[1] + w.new + k - 1
            ids, mask = self.mg.model.decoder.build_delay_pattern_mask(ids, self.pad, max_length=max_length)
            masks.append(mask)
            first = ids.shape[-1]
        length = max(m.shape[1] for m in masks)
        pattern = torch.full((cues * k, length), self.pad, dtype=torch.long, device=device)
        for i, m in enumerate(masks):
            pattern[i * k:(i + 1) * k, : m.shape[1]] = m
        seq = pattern.clone()  # where the pattern says -1 the loop writes the chosen code
        nulls = [w.null for w in windows] if self.guided else None
        prefix, offsets = batch_prefix([w.cond for w in windows], nulls)
        rows = prefix.shape[0]
        dec.allocate(rows, _round_up(prefix.shape[1] + length - 1, dec.kv_bucket), offsets)
        generators = None if windows[0].generator is None else [w.generator for w in windows]

        def choose(logits: torch.Tensor, column: int) -> torch.Tensor:
            codes = next_codes(logits, cues=cues, guidance_scale=self.guidance_scale, top_k=self.top_k,
                               generators=generators)
            codes = torch.where(pattern[:, column] == -1, codes, pattern[:, column])
            seq[:, column] = codes
            return codes.view(cues, k).repeat(rows // cues, 1)

        with torch.inference_mode():
            ids = seq[:, :first].reshape(cues, k, first).repeat(rows // cues, 1, 1)
            tokens = choose(dec.prefill(prefix.to(dec.dtype), ids), first)
            for column in range(first + 1, length):
                tokens = choose(dec.step(tokens, prefix.shape[1] + column - 1), column)
        out = []
        for i, w in enumerate(windows):
            frames = w.prompt.shape[1] + w.new
            out.append(torch.stack([seq[i * k + c, 1 + c: 1 + c + frames] for c in range(k)]))
        return out


def _round_up(n: int, step: int) -> int:
    return -(-n // step) * step
