"""The two conversation shapes of the paper on AG2: sequential chats (reviewers) and a group chat
with a fixed speaking order (arranger roles).

Each agent is an AG2 `ConversableAgent` whose reply is one request to the session's endpoint: the
task's JSON schema as `response_format` where the endpoint constrains answers (else JSON-object
mode), the task's `max_tokens`, and only what the agent needs to see (its instructions, the
opening, its own turn), so a 4k context holds it. A `Referee` reads every answer: a valid one
stands; a bad one is sent back with the problem named, at most `max_retries` times; then the
task's rule-based answer stands. An endpoint failure is not a bad answer: it is never retried; it
stops the run, or (optional endpoint) hands every remaining agent to the rules.
"""

from __future__ import annotations

import json
import logging
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from ..model import Decision
from .answers import Answer, Task, parse_answer
from .endpoint import EndpointError
from .prompts import correction, for_model
from .session import LLMSession

log = logging.getLogger(__name__)

DIRECTOR = "director"
#: what an agent "says" once its endpoint is unusable: the referee hands it to the rules at once
NO_ENDPOINT = "\x00no endpoint"


class Referee:
    """Judges each agent's answers, decides retry or fallback, and records who decided and why."""

    def __init__(self, tasks: Sequence[Task], session: LLMSession) -> None:
        self.tasks = {t.name: t for t in tasks}
        self.session = session
        self.max_retries = session.settings.max_retries
        self.attempts: dict[str, int] = {}
        self.answers: dict[str, Answer] = {}
        self.decisions: dict[str, Decision] = {}
        #: agents whose last reply hit max_tokens (the problem says so, not just "invalid JSON")
        self.cut: set[str] = set()

    @property
    def fell_back(self) -> list[str]:
        return [name for name, d in self.decisions.items() if not d.used_llm]

    def judge(self, name: str, text: str | None) -> str | None:
        """None once `name`'s answer stands (valid or replaced); else the correction to send back."""
        if text == NO_ENDPOINT or not self.session.usable:
            self._rules(name, self.session.rules(name))
            return None
        task = self.tasks[name]
        self.attempts[name] = tries = self.attempts.get(name, 0) + 1
        answer, problem = parse_answer(text, task)
        if answer is not None:
            self.session.valid += 1
            self.answers[name] = answer
            self.decisions[name] = Decision(
                name, "llm", f"valid answer on try {tries}", self.session.settings.model
            )
            return None
        if name in self.cut:
            problem = f"the answer was cut off at max_tokens={task.max_tokens} ({problem})"
        if tries <= self.max_retries:
            log.info("%s: answer %d rejected: %s", name, tries, problem)
            return correction(problem or "", tries + 1, self.max_retries + 1)
        log.warning(
            "LLM agent %s gave no usable answer in %d tries (last problem: %s); the rules answer instead",
            name,
            tries,
            problem,
        )
        self._rules(name, Decision(name, "rules", f"{tries} answers failed the checks; last: {problem}"))
        return None

    def _rules(self, name: str, decision: Decision) -> None:
        self.answers[name] = self.tasks[name].fallback()
        self.decisions[name] = decision

    def answer(self, name: str) -> Answer:
        if name not in self.answers:
            why = self.session.unusable or "the conversation ended before an answer"
            self._rules(name, Decision(name, "rules", why))
        return self.answers[name]

    def finish(self) -> list[Decision]:
        """Every task's decision, in task order, also recorded in the session."""
        decisions = [self.decisions[name] for name in self.tasks if name in self.decisions]
        self.session.record(decisions)
        return decisions


def _agents() -> Any:
    try:
        with warnings.catch_warnings():  # AG2 touches deprecated jsonschema APIs on import
            warnings.simplefilter("ignore", DeprecationWarning)
            import autogen
    except ImportError:  # the optional extra is not installed
        from ..errors import ToolMissing

        raise ToolMissing("the LLM agent framework (AG2)", "pip install 'filmcomposer[llm]'") from None
    return autogen


def model_messages(task: Task, messages: Sequence[Any], *, constrained: bool = False) -> list[dict[str, str]]:
    """What the model sees: its instructions, the opening, and its own turn (not the whole room).

    A turn starts at the director's "Next: <name>." (group chat) or at the opening (sequential).
    """
    plain = [m if isinstance(m, dict) else {"role": "user", "content": str(m)} for m in messages]
    start = 0
    for i, m in enumerate(plain):
        if m.get("role") == "user" and f"Next: {task.name}." in str(m.get("content") or ""):
            start = i
    chosen = plain if start == 0 else [plain[0], *plain[start:]]
    out = [{"role": "system", "content": for_model(task.system_message, constrained=constrained)}]
    out += [
        {
            "role": "assistant" if m.get("role") == "assistant" else "user",
            "content": str(m.get("content") or ""),
        }
        for m in chosen
    ]
    return out


def _llm_agent(autogen: Any, task: Task, session: LLMSession, referee: Referee) -> Any:
    agent = autogen.ConversableAgent(
        task.name,
        system_message=task.system_message,
        llm_config=False,
        human_input_mode="NEVER",
        max_consecutive_auto_reply=session.settings.max_retries + 2,
    )

    def ask_model(
        recipient: Any, messages: Any = None, sender: Any = None, config: Any = None
    ) -> tuple[bool, Any]:
        """One request; an endpoint failure stops the run or (optional) hands the agent to the rules."""
        if not session.usable:
            return True, NO_ENDPOINT
        started = time.monotonic()
        try:
            reply = session.endpoint.chat(
                model_messages(task, messages or [], constrained=session.structured),
                schema=task.schema if session.structured else None,
                name=task.name,
                max_tokens=task.max_tokens,
                temperature=session.settings.temperature,
            )
        except EndpointError as err:
            session.give_up(err)  # raises unless the endpoint is optional
            return True, NO_ENDPOINT
        finally:
            session.seconds[task.name] = session.seconds.get(task.name, 0.0) + time.monotonic() - started
        if reply.finish_reason == "length":
            referee.cut.add(task.name)
        else:
            referee.cut.discard(task.name)
        return True, reply.content

    agent.register_reply([autogen.Agent, None], ask_model, position=0)
    return agent


@contextmanager
def _quiet(autogen: Any) -> Iterator[None]:
    """AG2 prints every message to stdout; ours go to this module's debug log instead."""
    from autogen.io import IOConsole, IOStream

    class LogStream(IOConsole):
        def print(self, *objects: Any, sep: str = " ", end: str = "\n", flush: bool = False) -> None:
            log.debug("%s", sep.join(str(o) for o in objects))

        def send(self, message: Any) -> None:
            log.debug("%s", message)

        def input(self, prompt: str = "", *, password: bool = False) -> str:
            return ""  # no human in these chats (human_input_mode NEVER); never asked

    with IOStream.set_default(LogStream()):
        yield


def _content(message: Any) -> str | None:
    if isinstance(message, dict):
        return message.get("content")
    return message


def run_sequential(
    tasks: Sequence[Task],
    openings: Sequence[str],
    session: LLMSession,
    *,
    progress: Callable[[float], None] | None = None,
) -> Referee:
    """One chat per task, in order; each opening carries the verdicts that stood before it."""
    autogen = _agents()
    referee = Referee(tasks, session)
    director = autogen.ConversableAgent(DIRECTOR, llm_config=False, human_input_mode="NEVER")
    done = [0]

    def referee_reply(
        recipient: Any, messages: Any = None, sender: Any = None, config: Any = None
    ) -> tuple[bool, Any]:
        return True, referee.judge(sender.name, _content(messages[-1]) if messages else None)

    director.register_reply([autogen.Agent, None], referee_reply, position=0)

    def summary(sender: Any, recipient: Any, summary_args: Any) -> str:
        answer = referee.answer(recipient.name)
        done[0] += 1
        if progress:
            progress(done[0] / len(tasks))
        return f"Verdict of {recipient.name}: " + json.dumps(answer, separators=(",", ":"))

    chats = [
        {
            "recipient": _llm_agent(autogen, task, session, referee),
            "message": opening,
            "summary_method": summary,
            "silent": True,
            "clear_history": True,
        }
        for task, opening in zip(tasks, openings, strict=True)
    ]
    with _quiet(autogen):
        director.initiate_chats(chats)
    for task in tasks:
        referee.answer(task.name)
    referee.finish()
    return referee


def run_group_chat(
    tasks: Sequence[Task],
    opening: str,
    session: LLMSession,
    *,
    before: Callable[[Task], None] | None = None,
    after: Callable[[str, Answer], str | None] | None = None,
    progress: Callable[[float], None] | None = None,
) -> Referee:
    """A group chat in the fixed order of `tasks`; the director opens, corrects and reports.

    `before(task)` runs as the task's turn begins (its schema may depend on the draft so far);
    `after(name, answer)` once its answer stands (valid or rule-based); what `after` returns (the
    draft so far) the director tells the room before the next role speaks.
    """
    autogen = _agents()
    referee = Referee(tasks, session)
    director = autogen.ConversableAgent(
        DIRECTOR, llm_config=False, human_input_mode="NEVER", default_auto_reply=""
    )
    roles = [_llm_agent(autogen, task, session, referee) for task in tasks]
    state: dict[str, Any] = {"index": 0, "say": ""}

    def director_reply(
        recipient: Any, messages: Any = None, sender: Any = None, config: Any = None
    ) -> tuple[bool, Any]:
        return True, state["say"] or "Go on."

    director.register_reply([autogen.Agent, None], director_reply, position=0)

    def begin(i: int) -> None:
        if before:
            before(tasks[i])
        roles[i].update_system_message(tasks[i].system_message)

    def settle(i: int) -> str | None:
        name = tasks[i].name
        note = after(name, referee.answer(name)) if after else None
        state["index"] = i + 1
        if progress:
            progress((i + 1) / len(tasks))
        return note

    def next_speaker(last: Any, groupchat: Any) -> Any:
        i = state["index"]
        if last is director:
            return roles[i] if i < len(roles) else None
        name = tasks[i].name
        problem = referee.judge(name, _content(groupchat.messages[-1]) if groupchat.messages else None)
        if problem is not None:
            state["say"] = f"@{name}: {problem}"
            return director
        note = settle(i)
        if i + 1 >= len(roles):
            return None
        begin(i + 1)
        parts = [note] if note else []
        parts.append(f"Next: {tasks[i + 1].name}.")
        state["say"] = "\n".join(parts)
        return director

    rounds = 2 * len(tasks) * (session.settings.max_retries + 2) + 2
    chat = autogen.GroupChat(
        agents=[director, *roles],
        messages=[],
        max_round=rounds,
        speaker_selection_method=next_speaker,
        allow_repeat_speaker=True,
    )
    manager = autogen.GroupChatManager(chat, llm_config=False, human_input_mode="NEVER", silent=True)
    begin(0)
    with _quiet(autogen):
        director.initiate_chat(manager, message=opening, silent=True)
    while state["index"] < len(tasks):  # a chat cut short still gives every later role its answer
        if state["index"] > 0:
            begin(state["index"])
        settle(state["index"])
    referee.finish()
    return referee
