"""MusicGen-Melody's decoder run over a static KV cache, one step at fixed shapes.

transformers' decoder grows its cache by concatenation and rebuilds masks every step, so every step
has new shapes and the loop is bound by Python and kernel launches. Here the same weights (read from
the transformers modules, never copied) run over caches preallocated once per window: a step writes
one slot, and its inputs (tokens, slot) live in fixed buffers. That makes the step capturable once as
a CUDA graph (`mode="graph"`), or compilable (`mode="compile"`); `mode="eager"` runs the same code
as plain PyTorch, the reference the captured modes are checked against.

Rows of different prefix lengths (cues with different texts) share one cache: row i's prefix is
left-padded by `offsets[i]` masked slots, so its tokens sit at the positions they would have alone.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

MODES = ("eager", "compile", "graph")
#: a step attends to the first multiple of this many cache slots that holds every written slot
KV_BUCKET = 256


class StaticDecoder:
    """The decoder of `model` (a MusicgenMelodyForConditionalGeneration) with fixed-shape steps."""

    def __init__(self, model: Any, *, mode: str = "eager", kv_bucket: int = KV_BUCKET) -> None:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, not {mode!r}")
        if mode == "graph" and not torch.cuda.is_available():
            raise ValueError("mode 'graph' captures CUDA graphs and needs a CUDA device")
        causal_lm = model.decoder
        self.core = causal_lm.model.decoder  # embed_tokens, embed_positions, layers, layer_norm
        self.heads = causal_lm.lm_heads
        self.num_codebooks = int(causal_lm.num_codebooks)
        self.mode = mode
        self.kv_bucket = kv_bucket
        first = self.core.layers[0].self_attn
        self.num_heads, self.head_dim = first.num_heads, first.head_dim
        self.scaling = first.scaling
        self.dtype = self.core.layer_norm.weight.dtype
        self.device = self.core.layer_norm.weight.device
        self._compiled: Any = None
        self._graphs: dict[int, torch.cuda.CUDAGraph] = {}
        self._pool: Any = None

    # -- per window -------------------------------------------------------------------------------

    def allocate(self, rows: int, capacity: int, offsets: torch.Tensor) -> None:
        """Caches for `rows` sequences of up to `capacity` slots; row i's slots below offsets[i] are padding.

        Buffers keep their storage when the shapes repeat, so captured graphs stay valid across windows.
        """
        table = self.core.embed_positions
        if table.weights.shape[0] < capacity:  # as transformers grows it for long sequences
            table.make_weights(capacity, table.embedding_dim)
            self.keys = None
        shape = (rows, self.num_heads, capacity, self.head_dim)
        same = getattr(self, "keys", None) is not None and tuple(self.keys[0].shape) == shape
        if not same:
            layers = len(self.core.layers)
            kw = {"dtype": self.dtype, "device": self.device}
            self.keys = [torch.zeros(shape, **kw) for _ in range(layers)]
            self.values = [torch.zeros(shape, **kw) for _ in range(layers)]
            self.offsets = torch.zeros(rows, dtype=torch.long, device=self.device)
            self.slots = torch.arange(capacity, device=self.device)
            self.tokens = torch.zeros(rows, self.num_codebooks, dtype=torch.long, device=self.device)
            self.slot = torch.zeros((), dtype=torch.long, device=self.device)
            vocab = self.heads[0].out_features
            self.logits = torch.zeros(rows, self.num_codebooks, vocab, dtype=self.dtype, device=self.device)
            self._graphs.clear()
            self._compiled = None
            if self.mode == "compile":  # cudagraph trees copy inputs and refuse mutated ones unless static
                for buffer in (*self.keys, *self.values, self.offsets, self.slots, self.tokens, self.slot,
                               self.logits):
                    torch._dynamo.mark_static_address(buffer)
        self.offsets.copy_(offsets)
        self.capacity = capacity

    def prefill(self, prefix: torch.Tensor, ids: torch.Tensor) -> torch.Tensor:
        """Run the conditioning prefix (rows, P, H) and the first codes (rows, K, S) through every layer,
        filling slots 0..P+S-1; returns the last position's logits (rows, K, vocab)."""
        rows, length = prefix.shape[0], prefix.shape[1] + ids.shape[-1]
        x = torch.cat([prefix, self._embed(ids)], dim=1)
        slots = self.slots[:length]
        x = x + self._positions(slots[None, :] - self.offsets[:, None])
        query, key = slots[:, None], slots[None, :]
        allowed = (key <= query)[None] & ((key[None] >= self.offsets[:, None, None]) | (key == query)[None])
        mask = allowed[:, None]  # (rows, 1, L, L)
        for index, layer in enumerate(self.core.layers):
            x = self._layer(layer, index, x, mask, slice(0, length))
        return self._logits(x[:, -1:]).reshape(rows, self.num_codebooks, -1)

    # -- per step ---------------------------------------------------------------------------------

    def step(self, tokens: torch.Tensor, slot: int) -> torch.Tensor:
        """Logits (rows, K, vocab) for the codes `tokens` (rows, K) written at cache slot `slot`.

        The returned tensor is a fixed buffer: read it before the next step.
        """
        self.tokens.copy_(tokens)
        self.slot.fill_(slot)
        kv_len = min(self.capacity, -(-(slot + 1) // self.kv_bucket) * self.kv_bucket)
        if self.mode == "eager":
            self._step(kv_len)
        elif self.mode == "compile":
            if self._compiled is None:
                import torch._dynamo.config as dynamo_config

                # one specialisation an attention bucket and batch shape: more than dynamo's default 8
                dynamo_config.recompile_limit = max(dynamo_config.recompile_limit, 64)
                cuda = self.device.type == "cuda"
                self._compiled = torch.compile(self._step, mode="reduce-overhead" if cuda else None,
                                               dynamic=False, fullgraph=True)
            self._compiled(kv_len)
        else:
            self._replay(kv_len)
        return self.logits

    def _replay(self, kv_len: int) -> None:
        """Replay the CUDA graph of this attention length, capturing it on first use.

        Capture happens with the real inputs in the buffers; the step is idempotent (it rewrites the
        same slot from the same inputs), so the warm-up runs leave the cache as one step would.
        """
        graph = self._graphs.get(kv_len)
        if graph is None:
            stream = torch.cuda.Stream()
            stream.wait_stream(torch.cuda.current_stream())
            with torch.cuda.stream(stream):
                for _ in range(2):
                    self._step(kv_len)
            torch.cuda.current_stream().wait_stream(stream)
            if self._pool is None:
                self._pool = torch.cuda.graph_pool_handle()
            graph = torch.cuda.CUDAGraph()
            with torch.cuda.graph(graph, pool=self._pool):
                self._step(kv_len)
            self._graphs[kv_len] = graph
        graph.replay()

    def _step(self, kv_len: int) -> None:
        """One decoding step on the fixed buffers (the function a graph captures)."""
        x = self._embed(self.tokens[:, :, None])  # (rows, 1, H)
        x = x + self._positions(self.slot - self.offsets)[:, None]
        key = self.slots[:kv_len]
        mask = ((key[None] >= self.offsets[:, None]) & (key[None] <= self.slot))[:, None, None]
        for index, layer in enumerate(self.core.layers):
            x = self._layer(layer, index, x, mask, self.slot.view(1))
        self.logits.copy_(self._logits(x).reshape(self.logits.shape))

    # -- the transformer, written as transformers' modules compute it ------------------------------

    def _embed(self, ids: torch.Tensor) -> torch.Tensor:
        """Sum of the codebooks' embeddings, (rows, K, S) -> (rows, S, H), in transformers' order."""
        return sum(self.core.embed_tokens[k](ids[:, k]) for k in range(self.num_codebooks))

    def _positions(self, positions: torch.Tensor) -> torch.Tensor:
        weights = self.core.embed_positions.weights
        return weights.index_select(0, positions.clamp(min=0).reshape(-1)).reshape(*positions.shape, -1)

    def _layer(self, layer: Any, index: int, x: torch.Tensor, mask: torch.Tensor, where: Any) -> torch.Tensor:
        """Pre-norm self-attention over the cache, then the feed-forward block (eval: no dropout)."""
        attn = layer.self_attn
        h = layer.self_attn_layer_norm(x)
        rows, length = h.shape[:2]
        shape = (rows, length, self.num_heads, self.head_dim)
        q = attn.q_proj(h).view(shape).transpose(1, 2)
        k = attn.k_proj(h).view(shape).transpose(1, 2)
        v = attn.v_proj(h).view(shape).transpose(1, 2)
        keys, values = self.keys[index], self.values[index]
        if isinstance(where, slice):  # prefill: the slots are a known range
            keys[:, :, where] = k
            values[:, :, where] = v
            k_all, v_all = keys[:, :, where], values[:, :, where]
        else:  # step: one slot given by a device tensor, so the captured graph can be replayed at any slot
            keys.index_copy_(2, where, k)
            values.index_copy_(2, where, v)
            kv_len = mask.shape[-1]
            k_all, v_all = keys[:, :, :kv_len], values[:, :, :kv_len]
        out = F.scaled_dot_product_attention(q, k_all, v_all, attn_mask=mask, scale=self.scaling)
        x = x + attn.out_proj(out.transpose(1, 2).reshape(rows, length, -1))
        h = layer.fc2(layer.activation_fn(layer.fc1(layer.final_layer_norm(x))))
        return x + h

    def _logits(self, x: torch.Tensor) -> torch.Tensor:
        x = self.core.layer_norm(x)
        return torch.stack([head(x) for head in self.heads], dim=1)  # (rows, K, S, vocab)
