"""The LLM part of one run: one probe before any work, one deadline, one usage count, one record.

`llm_session(config)` opens it at the start of a run (the pipeline does this before spotting, so a
dead endpoint costs seconds, not a spotting pass): the probe checks that the endpoint answers, knows
the model and takes the key, and finds out whether it constrains answers to a JSON schema. Without
`optional`, an unusable endpoint is an `EndpointError` (one line, non-zero exit); with it, the rules
decide and the cause is kept for the record and a one-line warning. Assess and arrange find the
open session with `session_for(config)`; a library caller without one gets a session of its own.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from ..config import Config
from ..model import Decision
from .endpoint import Endpoint, EndpointError
from .settings import LLMSettings, llm_settings

log = logging.getLogger(__name__)

_current: ContextVar[LLMSession | None] = ContextVar("fc_llm_session", default=None)


@dataclass
class LLMSession:
    settings: LLMSettings
    endpoint: Endpoint
    #: the endpoint constrains answers to a JSON schema (else json_object mode plus validation)
    structured: bool = False
    #: why the rules decide everything from here on (probe failed, endpoint died, deadline); None: usable
    unusable: str | None = None
    #: every agent's decision in this run, in order (assess may run several times: the last counts)
    decisions: dict[str, Decision] = field(default_factory=dict)
    #: seconds spent per agent (all its requests), for the bench
    seconds: dict[str, float] = field(default_factory=dict)
    #: answers that met their schema and checks (each stood), of `endpoint.usage.requests`
    valid: int = 0

    @property
    def usable(self) -> bool:
        return self.unusable is None

    def give_up(self, err: EndpointError) -> None:
        """The endpoint failed: stop the run, or (optional) let the rules decide the rest, warning once."""
        if not self.settings.optional:
            raise err
        if self.unusable is None:
            self.unusable = str(err)
            log.warning("LLM endpoint unusable, the rules decide instead: %s", err)

    def rules(self, agent: str) -> Decision:
        """The record for an agent the rules answered because the endpoint is unusable."""
        return Decision(agent, "rules", f"the endpoint was unusable: {self.unusable}")

    def record(self, decisions: list[Decision]) -> None:
        for d in decisions:
            self.decisions[d.agent] = d

    def summary(self, decisions: list[Decision]) -> str:
        """The summary line's part: 'LLM: 9 of 11 answers used (model)', and why the rules took over."""
        used = sum(d.used_llm for d in decisions)
        text = f"LLM: {used} of {len(decisions)} answers used ({self.settings.model})"
        return text + (f"; {self.unusable}" if self.unusable else "")


def open_session(settings: LLMSettings) -> LLMSession:
    """Probe the endpoint once; the deadline of the whole LLM part starts now."""
    endpoint = Endpoint(
        settings.base_url,
        settings.model,
        settings.api_key,
        timeout=settings.timeout,
        deadline=time.monotonic() + settings.time_limit,
    )
    session = LLMSession(settings, endpoint)
    try:
        session.structured = endpoint.probe()
    except EndpointError as err:
        session.give_up(err)
    else:
        log.info(
            "LLM endpoint %s, model %s: %s",
            settings.base_url,
            settings.model,
            "JSON-schema answers" if session.structured else "JSON-object answers, validated here",
        )
    return session


@contextmanager
def llm_session(config: Config | None) -> Iterator[LLMSession | None]:
    """The run's session (None without an endpoint), current for assess and arrange inside the block."""
    settings = llm_settings(config)
    if settings is None:
        yield None
        return
    current = _current.get()
    if current is not None and _same_endpoint(current.settings, settings):  # probed once per endpoint
        yield current
        return
    session = open_session(settings)
    token = _current.set(session)
    try:
        yield session
    finally:
        _current.reset(token)


def session_for(config: Config | None) -> LLMSession | None:
    """The open session for `config`'s endpoint, or a new one (probed now); None without an endpoint."""
    settings = llm_settings(config)
    if settings is None:
        return None
    current = _current.get()
    if current is not None and _same_endpoint(current.settings, settings):
        return current
    return open_session(settings)


def _same_endpoint(a: LLMSettings, b: LLMSettings) -> bool:
    return (a.base_url, a.model) == (b.base_url, b.model)
