"""MusicGen-Melody weights and tokenizer: loaded from the local Hugging Face cache, or built at random.

Model code only (basic-pitch keeps models.py apart from inference.py the same way): nothing here knows
about spotting or melodies. torch and transformers are the optional extra `musicgen`; importing this
module without them raises ToolMissing with the install command.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ...errors import ToolMissing

DEFAULT_MODEL = "facebook/musicgen-melody"
#: EnCodec frames per second of MusicGen's 32 kHz codec, and the delay pattern's extra steps (codebooks - 1)
FRAME_RATE = 50
SAMPLE_RATE = 32000

try:
    import torch
    from transformers import (
        AutoTokenizer,
        EncodecConfig,
        MusicgenMelodyConfig,
        MusicgenMelodyForConditionalGeneration,
        PreTrainedTokenizerFast,
        T5Config,
    )
    from transformers.models.musicgen_melody.configuration_musicgen_melody import MusicgenMelodyDecoderConfig
    from transformers.utils import logging as hf_logging
except ImportError as err:  # pragma: no cover - depends on the install
    raise ToolMissing("torch and transformers (the MusicGen composer)",
                      "pip install '.[musicgen]' or run: python3 install.py --musicgen") from err


#: the GPU's weights: fp16, as the issue's measurements used; bench_musicgen --dtypes measures bf16 beside it
GPU_DTYPE = torch.float16


@dataclass
class MusicGen:
    """A MusicGen-Melody model, the tokenizer of its text encoder, and the device it runs on."""

    model: Any  # MusicgenMelodyForConditionalGeneration
    tokenizer: Any
    device: str = "cpu"
    #: fast.py's FastMusicGen for this model, made on first use (its static caches and graphs live there)
    fast: Any = field(default=None, repr=False, compare=False)

    @property
    def sample_rate(self) -> int:
        return int(self.model.config.audio_encoder.sampling_rate)

    @property
    def num_codebooks(self) -> int:
        return int(self.model.decoder.num_codebooks)


def default_device() -> str:
    return "cuda" if torch.cuda.is_available() else "cpu"


def load(name: str = DEFAULT_MODEL, *, device: str | None = None) -> MusicGen:
    """The model `name` from the local Hugging Face cache (never the network).

    A model not in the cache is a ToolMissing saying how to fetch it on a connected machine. On a GPU
    the weights load in `GPU_DTYPE`: a decoding step reads every weight, so half the bytes is half the
    floor (the released checkpoint is fp32).
    """
    device = device or default_device()
    hf_logging.set_verbosity_error()  # MusicGen's own config trips a pad-token warning on every load
    dtype = GPU_DTYPE if str(device).startswith("cuda") else torch.float32
    try:
        model = MusicgenMelodyForConditionalGeneration.from_pretrained(name, local_files_only=True,
                                                                       dtype=dtype)
        tokenizer = AutoTokenizer.from_pretrained(name, local_files_only=True)
    except OSError:
        raise ToolMissing(name, f"on a machine with network run `huggingface-cli download {name}` and copy "
                                "~/.cache/huggingface/hub to this machine (or set HF_HOME)") from None
    return MusicGen(model.to(device).eval(), tokenizer, device)


def random_model(size: str = "tiny", *, device: str | None = None, seed: int = 0,
                 text_width: int | None = None) -> MusicGen:
    """A randomly initialised MusicGen-Melody: "tiny" for tests on a CPU, "full" (the 1.5 B released
    architecture) for timing on a GPU. Random weights cost the same time per token as real ones.
    `text_width` sets the text encoder's width; one unlike the decoder's (768 vs 1536 in the full
    model) adds the projection between them.

    Both use the real 32 kHz EnCodec layout (50 frames a second, 4 codebooks of 2048 codes) so every
    shape downstream is the real one; the tiny tokenizer is a word-level one built here.
    """
    device = device or default_device()
    hf_logging.set_verbosity_error()
    torch.manual_seed(seed)
    full = size == "full"
    text = T5Config(vocab_size=32128 if full else 256, d_model=text_width or (768 if full else 16),
                    d_kv=64 if full else 8,
                    d_ff=3072 if full else 32, num_layers=12 if full else 1, num_heads=12 if full else 2)
    codec = EncodecConfig(sampling_rate=SAMPLE_RATE, audio_channels=1, upsampling_ratios=[8, 5, 4, 4],
                          codebook_size=2048, target_bandwidths=[2.2], normalize=False, use_causal_conv=False,
                          compress=2, hidden_size=128 if full else 16, num_filters=64 if full else 4,
                          num_residual_layers=1, num_lstm_layers=2 if full else 1,
                          codebook_dim=128 if full else 16)
    decoder = MusicgenMelodyDecoderConfig(
        vocab_size=2048, num_codebooks=4, audio_channels=1, pad_token_id=2048, bos_token_id=2048,
        hidden_size=1536 if full else 16, num_hidden_layers=48 if full else 1,
        num_attention_heads=24 if full else 2, ffn_dim=6144 if full else 32, max_position_embeddings=2048)
    config = MusicgenMelodyConfig(text_encoder=text.to_dict(), audio_encoder=codec.to_dict(),
                                  decoder=decoder.to_dict(), num_chroma=12, chroma_length=235)
    model = MusicgenMelodyForConditionalGeneration(config)
    for layer in model.audio_encoder.quantizer.layers:  # EnCodec's codebooks start as zeros: every code
        layer.codebook.embed.normal_()  # would decode to the same sound, whatever the decoder sampled
    gen = model.generation_config
    gen.pad_token_id = gen.decoder_start_token_id = gen.bos_token_id = 2048
    if full and device == "cuda":
        model = model.to(GPU_DTYPE)
    return MusicGen(model.to(device).eval(), word_tokenizer(text.vocab_size), device)


def word_tokenizer(vocab_size: int) -> Any:
    """A word-level tokenizer over the words our descriptions use, for a randomly initialised model."""
    from tokenizers import Tokenizer, models, pre_tokenizers

    from ...model import VOCABULARY

    words = sorted({w for labels in VOCABULARY.values() for label in labels for w in label.split()}
                   | {"a", "an", "and", "of", "for", "the", "with", "in", "at", "on", "bpm", "film", "score",
                      "scene", "music", "mood", "cinematic", "orchestral", "theme", "shot"})
    vocab = {"<pad>": 0, "</s>": 1, "<unk>": 2}
    for word in words[: vocab_size - len(vocab)]:
        vocab[word] = len(vocab)
    tok = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    return PreTrainedTokenizerFast(tokenizer_object=tok, pad_token="<pad>", eos_token="</s>",
                                   unk_token="<unk>")
