"""The MusicGen-Melody path on CPU: conditioning measured on known signals, basic-pitch on a known melody,
the eq. 1-3 extraction on known note sets, and the whole path on a tiny randomly initialised model."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")
pytest.importorskip("basic_pitch")

from fc_backend.compose import compose  # noqa: E402
from fc_backend.compose.musicgen import run  # noqa: E402
from fc_backend.compose.musicgen.conditioning import (  # noqa: E402
    CHROMA_FRAMES,
    HOP,
    describe,
    one_hot_chroma,
    spot_waveform,
    window_chroma,
)
from fc_backend.compose.musicgen.extract import candidates, main_melody  # noqa: E402
from fc_backend.compose.musicgen.fast import Cue, FastMusicGen  # noqa: E402
from fc_backend.compose.musicgen.generate import generate  # noqa: E402
from fc_backend.compose.musicgen.model import load, random_model  # noqa: E402
from fc_backend.compose.musicgen.transcribe import NoteEvent, transcribe  # noqa: E402
from fc_backend.config import Config  # noqa: E402
from fc_backend.errors import ToolMissing  # noqa: E402
from fc_backend.model import VisualAttributes  # noqa: E402
from fc_backend.theory import Key  # noqa: E402
from tests.test_compose import make_spotting  # noqa: E402

SR = 32000


def test_spot_waveform_chroma_marks_each_spot_with_its_pitch_class() -> None:
    """Cuts sound the tonic, motion spots the fifth; between spots the drone keeps the tonic."""
    spotting = make_spotting(cuts=(4.0, 12.0), duration=20.0, speeds=(1.0, 2.0, 3.0), spots=((8.0, 1.0),))
    key = Key(2, "major")  # D: tonic D (2), fifth A (9)
    wave = spot_waveform(spotting, key, sample_rate=SR, duration=30.0)
    chroma = one_hot_chroma(wave, SR)
    assert chroma.shape == (CHROMA_FRAMES, 12)  # 30 s at a 4096 hop, centred frames
    assert np.all(chroma.sum(axis=1) == 1.0)
    classes = chroma.argmax(axis=1)

    def at(t: float) -> int:
        return int(classes[int(round(t * SR / HOP)) + 1])

    assert at(4.0) == 2 and at(12.0) == 2
    assert at(8.0) == 9
    assert at(2.0) == 2 and at(25.0) == 2
    short = window_chroma(chroma[:50], 0)
    assert short.shape == (CHROMA_FRAMES, 12) and np.all(short[50:] == chroma[49])


def test_the_description_speaks_of_the_picture() -> None:
    spotting = make_spotting(emotion="sad")
    for shot in spotting.shots:
        shot.attributes = VisualAttributes(setting="water", theme="love", behaviour="walking",
                                           brightness="dim", hue="blue")
    text = describe(spotting, "a farewell at the pier")
    assert text.startswith("a farewell at the pier.")
    for word in ("sad", "love", "water", "walking", "dim", "blue", "96 bpm"):
        assert word in text


def _sine_melody(pitches: list[int], step: float) -> np.ndarray:
    t = np.arange(int(step * SR)) / SR
    env = np.minimum(1.0, t / 0.01) * np.exp(-t / 0.8)
    parts = [env * (np.sin(2 * np.pi * 440 * 2 ** ((p - 69) / 12) * t)
                    + 0.3 * np.sin(4 * np.pi * 440 * 2 ** ((p - 69) / 12) * t)) for p in pitches]
    return (0.5 * np.concatenate(parts)).astype(np.float32)


def test_basic_pitch_transcribes_a_known_melody() -> None:
    pitches = [60, 64, 67, 72, 69, 65, 62, 60]
    events = transcribe(_sine_melody(pitches, 0.5), SR)
    line = main_melody(events, 4.0)
    assert line is not None
    found = [(round(e.start / 0.5), e.pitch) for e in line.notes if e.end - e.start > 0.2]
    assert [p for _, p in found] == pitches
    assert [i for i, _ in found] == list(range(8))


def test_extraction_keeps_the_tune_over_bass_and_inner_voices() -> None:
    """Eq. 1-3: the top line covers the clip with most notes; the bass covers time with few notes."""
    pitches = [72, 74, 76, 77, 79, 77, 76, 74] * 2
    tune = [NoteEvent(0.5 * i, 0.5 * i + 0.5, p, 0.8) for i, p in enumerate(pitches)]
    bass = [NoteEvent(2.0 * i, 2.0 * i + 2.0, p, 0.9) for i, p in enumerate([36, 41, 43, 36])]
    inner = [NoteEvent(2.0 * i + 0.5, 2.0 * i + 1.0, 62, 0.5) for i in range(4)]
    events = sorted(tune + bass + inner, key=lambda e: e.start)
    best = main_melody(events, 8.0)
    assert best is not None and [e.pitch for e in best.notes] == [e.pitch for e in tune]
    assert best.coverage == pytest.approx(1.0) and best.ratio == pytest.approx(16 / 24)
    bass_line = next(c for c in candidates(events, 8.0) if c.name == "band 36-60")
    assert bass_line.coverage == pytest.approx(1.0) and bass_line.score < best.score
    assert main_melody([], 8.0) is None


@pytest.fixture(scope="module")
def tiny():
    return random_model("tiny", device="cpu")


@pytest.mark.parametrize("fast", [False, True], ids=["generate", "fast"])
def test_tiny_musicgen_generates_transcribes_and_extracts_a_melody(tiny, fast: bool) -> None:
    """Generation (two windows, continued) -> audio -> basic-pitch -> eq. 1-3 -> a Melody in video time."""
    spotting = make_spotting(cuts=(1.5, 3.0), duration=4.0, speeds=(1.0, 3.0, 2.0), spots=((2.2, 0.9),))
    result = run(tiny, spotting, Config(seed=4), window_s=3.0, prompt_s=1.0, fast=fast)
    assert len(result.audio) == 4 * SR and np.isfinite(result.audio).all() and np.abs(result.audio).max() > 0
    assert result.events and result.chosen is not None and not result.fallback
    melody = result.melody
    assert melody.notes and melody.tempo_map is spotting.tempo_map and melody.chords
    assert all(0.0 <= n.start < spotting.duration and 55 <= n.pitch <= 81 for n in melody.notes)
    onsets = np.array([n.start for n in melody.notes])
    for t in (1.5, 2.2, 3.0):
        assert np.min(np.abs(onsets - t)) <= 1e-6
    # the transcription is the source: every melody pitch is a transcribed pitch class
    assert {n.pitch % 12 for n in melody.notes} <= {e.pitch % 12 for e in result.events}


def test_generation_is_seeded_and_windows_join_to_the_asked_length(tiny) -> None:
    chroma = np.zeros((CHROMA_FRAMES, 12), np.float32)
    chroma[:, 2] = 1.0
    a = generate(tiny, "calm film score", chroma, 0.7, seed=7, window_s=0.5, prompt_s=0.2)
    b = generate(tiny, "calm film score", chroma, 0.7, seed=7, window_s=0.5, prompt_s=0.2)
    c = generate(tiny, "calm film score", chroma, 0.7, seed=8, window_s=0.5, prompt_s=0.2)
    assert len(a) == int(0.7 * SR) and np.array_equal(a, b) and not np.array_equal(a, c)


def test_a_missing_model_says_how_to_fetch_it(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.setenv("HF_HOME", str(tmp_path))
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    with pytest.raises(ToolMissing, match="huggingface-cli download facebook/musicgen-melody"):
        load("facebook/musicgen-melody", device="cpu")


def test_config_selects_the_musicgen_backend(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    config = Config()
    config.composer = "musicgen"  # read with getattr until Config has the field
    config.musicgen_model = "someone/not-cached-here"
    with pytest.raises(ToolMissing, match="someone/not-cached-here"):
        compose(make_spotting(spots=()), config)
    config.composer = "nonsense"
    with pytest.raises(ValueError, match="composer"):
        compose(make_spotting(spots=()), config)


# -- the fast path: static cache, batched guidance, batched cues -------------------------------------------

TEXT = "heroic cinematic orchestral film score, an adventure theme"


def _scale_chroma(shift: int = 0) -> np.ndarray:
    chroma = np.zeros((2 * CHROMA_FRAMES, 12), np.float32)
    chroma[np.arange(len(chroma)), (np.arange(len(chroma)) // 3 + shift) % 12] = 1.0
    return chroma


def _transformers_codes(mg, monkeypatch: pytest.MonkeyPatch, text: str, chroma: np.ndarray, frames: int, *,
                        seed: int, sample: bool, prompt: torch.Tensor | None = None) -> torch.Tensor:
    """The codes transformers' generate() hands its codec (K, frames), caught on their way in."""
    caught = []
    decode = mg.model.audio_encoder.decode

    def catch(codes, *args, **kwargs):
        caught.append(codes.clone())
        return decode(codes, *args, **kwargs)

    monkeypatch.setattr(mg.model.audio_encoder, "decode", catch)
    tokens = mg.tokenizer([text], return_tensors="pt", padding=True)
    extra = {} if prompt is None else {"decoder_input_ids": prompt}
    torch.manual_seed(seed)
    with torch.inference_mode():
        mg.model.generate(**tokens, input_features=torch.from_numpy(window_chroma(chroma, 0))[None], **extra,
                          do_sample=sample, top_k=250, guidance_scale=3.0, max_new_tokens=frames + 3)
    monkeypatch.setattr(mg.model.audio_encoder, "decode", decode)
    return caught[-1][0, 0]


@pytest.mark.parametrize("sample", [False, True], ids=["greedy", "sampled"])
def test_fast_path_gives_transformers_codes_token_for_token(tiny, monkeypatch: pytest.MonkeyPatch,
                                                            sample: bool) -> None:
    """Static cache + one batched guidance forward = generate()'s codes: greedy, and sampled with one seed."""
    chroma = _scale_chroma()
    frames = 60
    reference = _transformers_codes(tiny, monkeypatch, TEXT, chroma, frames, seed=5, sample=sample)
    fast = FastMusicGen(tiny, do_sample=sample).generate_codes([Cue(TEXT, chroma, frames / 50, seed=5)])[0]
    assert reference.shape == fast.shape == (4, frames)
    assert torch.equal(fast, reference)
    other = FastMusicGen(tiny, do_sample=sample).generate_codes([Cue(TEXT, chroma, frames / 50, seed=6)])[0]
    assert torch.equal(other, fast) != sample  # the seed matters only when sampling


def test_fast_path_projects_a_narrower_text_encoder_as_generate_does(monkeypatch) -> None:
    """The full model's text encoder is narrower than its decoder (enc_to_dec_proj); so is this one's."""
    narrow = random_model("tiny", device="cpu", text_width=8)
    assert hasattr(narrow.model, "enc_to_dec_proj")
    chroma = _scale_chroma(2)
    reference = _transformers_codes(narrow, monkeypatch, TEXT, chroma, 30, seed=1, sample=True)
    fast = FastMusicGen(narrow).generate_codes([Cue(TEXT, chroma, 30 / 50, seed=1)])[0]
    assert torch.equal(fast, reference)


def test_the_sampler_draws_what_torch_multinomial_draws() -> None:
    """The host-sync-free draw uses multinomial's own random numbers: same generator, same codes."""
    from fc_backend.compose.musicgen.sampling import next_codes

    for seed in range(20):
        logits = torch.randn(2, 4, 2048, generator=torch.Generator().manual_seed(100 + seed)) * 4
        generators = [torch.Generator().manual_seed(seed + i) for i in range(2)]
        ours = next_codes(logits, cues=2, guidance_scale=None, top_k=250, generators=generators)
        scores = logits.reshape(8, -1)
        scores = scores.masked_fill(scores < torch.topk(scores, 250)[0][..., -1, None], -float("inf"))
        probs = torch.softmax(scores, dim=-1)
        generators = [torch.Generator().manual_seed(seed + i) for i in range(2)]
        theirs = [torch.multinomial(probs[4 * i:4 * i + 4], 1, generator=g) for i, g in enumerate(generators)]
        assert torch.equal(ours, torch.cat(theirs).squeeze(1))


def test_a_fast_continuation_window_is_generate_prompted_with_its_codes(tiny, monkeypatch) -> None:
    """Window 2 continues from window 1's last codes (no decode/re-encode), as generate() would from them."""
    chroma = _scale_chroma(3)
    window, prompt, total = 40, 15, 62
    fast = FastMusicGen(tiny, do_sample=False)
    cue = Cue(TEXT, chroma, total / 50)
    codes = fast.generate_codes([cue], window_s=window / 50, prompt_s=prompt / 50)[0]
    assert codes.shape == (4, total)
    first = _transformers_codes(tiny, monkeypatch, TEXT, chroma, window, seed=0, sample=False)
    assert torch.equal(codes[:, :window], first)
    start_frame = int(round((window - prompt) / 50 * SR / HOP))
    shifted = window_chroma(chroma, start_frame)  # the chroma under window 2, as generate.py takes it
    second = _transformers_codes(tiny, monkeypatch, TEXT, shifted, total - window, seed=0, sample=False,
                                 prompt=codes[:, window - prompt:window])
    assert torch.equal(codes[:, window - prompt:], second)


def test_batched_cues_get_the_codes_they_get_alone(tiny) -> None:
    """Different texts (prefix lengths), chroma, lengths and seeds in one loop; one cue spans two windows."""
    cues = [Cue(TEXT, _scale_chroma(0), 1.3, seed=1),
            Cue("sad", _scale_chroma(5), 0.5, seed=2),
            Cue("a quiet love theme for a water scene at night with rain", _scale_chroma(9), 0.9, seed=3)]
    kwargs = {"window_s": 1.0, "prompt_s": 0.3}
    together = FastMusicGen(tiny).generate_codes(cues, **kwargs)
    alone = [FastMusicGen(tiny).generate_codes([cue], **kwargs)[0] for cue in cues]
    assert [c.shape[1] for c in together] == [65, 25, 45]
    for a, b in zip(together, alone, strict=True):
        assert torch.equal(a, b)
    assert not torch.equal(together[0][:, :25], together[1])


def test_fast_audio_is_decoded_once_to_the_asked_length(tiny, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    decode = tiny.model.audio_encoder.decode
    monkeypatch.setattr(tiny.model.audio_encoder, "decode",
                        lambda *a, **k: calls.append(1) or decode(*a, **k))
    cues = [Cue(TEXT, _scale_chroma(), 0.7, seed=1), Cue("calm", _scale_chroma(2), 0.45, seed=2)]
    audio = FastMusicGen(tiny).generate(cues, window_s=0.5, prompt_s=0.2)
    assert [len(a) for a in audio] == [int(0.7 * SR), int(0.45 * SR)] and len(calls) == 2
    assert all(np.isfinite(a).all() and np.abs(a).max() > 0 and a.dtype == np.float32 for a in audio)


def test_the_compiled_step_matches_the_eager_one(tiny) -> None:
    """torch.compile of the fixed-shape step (reduce-overhead on CUDA) decodes what eager PyTorch does."""
    cues = [Cue(TEXT, _scale_chroma(), 0.3, seed=4)]
    eager = FastMusicGen(tiny).generate_codes(cues)
    compiled = FastMusicGen(tiny, mode="compile").generate_codes(cues)
    assert all(torch.equal(a, b) for a, b in zip(eager, compiled, strict=True))


def test_the_graph_mode_needs_cuda(tiny) -> None:
    if torch.cuda.is_available():
        pytest.skip("a CUDA device is present: bench/gpu_check.sh covers the graph mode")
    with pytest.raises(ValueError, match="CUDA"):
        FastMusicGen(tiny, mode="graph")


def test_load_reads_a_saved_model_from_a_folder(tiny, tmp_path) -> None:
    """The real loading code (local files only) on a saved tiny model: same weights, same greedy codes."""
    tiny.model.save_pretrained(tmp_path)
    tiny.tokenizer.save_pretrained(tmp_path)
    loaded = load(str(tmp_path), device="cpu")
    assert next(loaded.model.parameters()).dtype == torch.float32
    cue = Cue(TEXT, _scale_chroma(), 0.4)
    assert torch.equal(FastMusicGen(loaded, do_sample=False).generate_codes([cue])[0],
                       FastMusicGen(tiny, do_sample=False).generate_codes([cue])[0])


def test_the_step_keeps_what_a_captured_graph_relies_on(tiny) -> None:
    """A CUDA graph replays fixed addresses: windows of one shape must reuse the buffers, and the step
    must be idempotent (capture warms up by running it on the real inputs)."""
    fast = FastMusicGen(tiny, do_sample=False)
    cues = [Cue(TEXT, _scale_chroma(), 0.4), Cue(TEXT, _scale_chroma(4), 0.4)]
    fast.generate_codes(cues[:1])
    dec = fast.decoder
    addresses = [t.data_ptr() for t in (dec.keys[0], dec.values[0], dec.tokens, dec.slot, dec.logits)]
    fast.generate_codes(cues[1:])
    assert [t.data_ptr() for t in (dec.keys[0], dec.values[0], dec.tokens, dec.slot, dec.logits)] == addresses
    slot = int(dec.slot)
    with torch.inference_mode():
        first = dec.step(dec.tokens.clone(), slot).clone()
        cache = dec.keys[0].clone()
        again = dec.step(dec.tokens.clone(), slot)
    assert torch.equal(first, again) and torch.equal(cache, dec.keys[0])
