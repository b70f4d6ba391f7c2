"""Which OpenAI-compatible endpoint the agents talk to, read from the Config and the environment."""

from __future__ import annotations

import os
from dataclasses import dataclass

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
    #: seconds the whole LLM part of a run may take (probe, every agent, every retry)
    time_limit: float = 600.0
    #: an unusable endpoint leaves the rules deciding (with a warning) instead of stopping the run
    optional: bool = False


def api_key() -> str:
    return next((os.environ[v] for v in API_KEY_VARIABLES if os.environ.get(v)), "not-needed")


def llm_settings(config: Config | None) -> LLMSettings | None:
    """The endpoint `config` names (`llm_base_url`, `llm_model`, ...), or None for the rules."""
    if config is None or not config.llm_base_url:
        return None
    return LLMSettings(
        config.llm_base_url.rstrip("/"),
        config.llm_model or "default",
        api_key(),
        max(0, int(config.llm_max_retries)),
        timeout=float(config.llm_timeout),
        time_limit=float(config.llm_time_limit),
        optional=bool(config.llm_optional),
    )
