"""The mix pass: synth -> channel strips (with their low cut) -> reverb bus, streamed to disk in blocks.

Each block of every track's dry stem comes from one FluidSynth pass (`render.py`), goes through its
channel strip (fader, envelope, pan, DC / subsonic low cut) into the stereo sum and the reverb send,
and the low-cut reverb return joins the sum. The sum is metered (integrated loudness, true peaks) and
parked on disk with every stem as raw float32 for mastering (`master.py`). Every stem is filtered
before it is summed, so the stems add up to the premaster exactly: some SoundFont samples (a warm
pad's) carry DC, which a filter on the sum alone left in the stems (+4 dB in their sum, and in the
reverb stem fed by them). Nothing here grows with the clip's length but the files.
"""

from __future__ import annotations

import contextlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..loudness import LoudnessMeter, TruePeakStream
from ..model import Plan
from ..progress import Progress, no_progress
from .master import BLOCK, Spool
from .mix import ChannelStrip, DcBlocker, ReverbReturn
from .render import TAIL, StemSynth


@dataclass
class Premix:
    """The unnormalised mix on disk, what it measured, and every stem (tracks, then the reverb return)."""

    mix: Spool
    peaks: Spool  # per-sample 4x true peaks of the mix
    loudness: float  # LUFS
    peak: float  # linear true peak
    stems: list[Spool] = field(default_factory=list)
    stem_peaks: list[float] = field(default_factory=list)  # linear sample peaks


def clip_samples(plan: Plan, tail: float = TAIL) -> int:
    """Samples rendered: the clip and `tail` seconds for releases and the reverb to ring out."""
    return int(np.ceil((plan.duration + max(tail, 0.0)) * plan.sample_rate))


def mixdown(plan: Plan, soundfont: str | Path, scratch: Path, stem_names: list[str], *,
            block: int = BLOCK, tail: float = TAIL, progress: Progress = no_progress) -> Premix:
    """Render and mix `plan` into raw float32 files in `scratch` (`stem_names`: tracks, then reverb)."""
    sr, n = plan.sample_rate, clip_samples(plan, tail)
    strips = [ChannelStrip(t, sr) for t in plan.tracks]
    sends = [np.float32(t.reverb_send) for t in plan.tracks]
    reverb = ReverbReturn(plan.reverb, sr) if any(s > 0 for s in sends) else None
    cuts = [DcBlocker(sr) for _ in range(len(strips) + 1)]  # one low cut per stem, the reverb's last
    meter, true_peak = LoudnessMeter(sr), TruePeakStream()
    mix, peaks = Spool(scratch / "mix.f32"), Spool(scratch / "peaks.f32", channels=1)
    stems = [Spool(scratch / f"{name}.f32") for name in stem_names]
    stem_peaks = [0.0] * len(stems)
    with contextlib.ExitStack() as stack:
        for spool in (mix, peaks, *stems):
            stack.callback(spool.close)
        synth = stack.enter_context(StemSynth(plan.tracks, soundfont, sr, n))
        # FluidSynth runs in C without the GIL: the next block synthesizes while this one is mixed
        ahead = stack.enter_context(ThreadPoolExecutor(max_workers=1, thread_name_prefix="fc-synth"))
        pending = ahead.submit(synth.block, block)
        for start in range(0, n, block):
            count = min(block, n - start)
            stems_dry = pending.result()
            if start + block < n:
                pending = ahead.submit(synth.block, block)
            total = np.zeros((count, 2), dtype=np.float32)
            send = np.zeros((count, 2), dtype=np.float32)
            for i, (strip, dry) in enumerate(zip(strips, stems_dry, strict=True)):
                out = cuts[i].process(strip.process(dry, start))
                total += out
                if sends[i] > 0:
                    send += out * sends[i]  # post-fader send
                _park(stems, stem_peaks, i, out)
            wet = cuts[-1].process(reverb.process(send)) if reverb else send  # no sends: silence
            total += wet
            _park(stems, stem_peaks, len(stems) - 1, wet)
            meter.feed(total)
            mix.write(total)
            peaks.write(true_peak.feed(total))
            progress((start + count) / n)
        peaks.write(true_peak.finish())
    return Premix(mix, peaks, meter.integrated(), true_peak.peak, stems, stem_peaks)


def _park(stems: list[Spool], stem_peaks: list[float], index: int, audio: np.ndarray) -> None:
    stems[index].write(audio)
    if len(audio):
        stem_peaks[index] = max(stem_peaks[index], float(np.abs(audio).max()))
