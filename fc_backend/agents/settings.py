"""Which OpenAI-compatible endpoint the agents talk to, read from the Config and the environment."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from ..config import Config

#: environment variables holding the endpoint's API key, first found wins (local servers need none)
API_KEY_VARIABLES = ("FC_LLM_API_KEY", "OPENAI_API_KEY")


@dataclass(frozen=True)
class LLMSettings:
    base_url: str
    model: str
    api_key: str = "not-needed"
    #: how often a bad answer is sent back before the rule-based answer replaces it
    max_retries: int = 2
    #: seconds one request may take
    timeout: float = 120.0
    temperature: float = 0.2

    def llm_config(self) -> dict[str, Any]:
        """AG2's llm_config: JSON-object mode (llama.cpp's server rejects json_schema), no disk cache.

        The schema travels in the prompt instead and every answer is validated here; the openai
        client's own retries are off because a retry here also tells the model what was wrong.
        """
        entry = {
            "api_type": "openai",
            "model": self.model,
            "base_url": self.base_url,
            "api_key": self.api_key,
            "response_format": {"type": "json_object"},
            "timeout": self.timeout,
            "max_retries": 0,
            "price": [0.0, 0.0],
        }
        return {"config_list": [entry], "cache_seed": None, "temperature": self.temperature}


def llm_settings(config: Config | None) -> LLMSettings | None:
    """The endpoint `config` names (`llm_base_url`, `llm_model`, `llm_max_retries`), or None for rules."""
    if config is None or not config.llm_base_url:
        return None
    key = next((os.environ[v] for v in API_KEY_VARIABLES if os.environ.get(v)), "not-needed")
    return LLMSettings(config.llm_base_url.rstrip("/"), config.llm_model or "default", key,
                       max(0, int(config.llm_max_retries)))
