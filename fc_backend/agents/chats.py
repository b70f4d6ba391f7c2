"""The two conversation shapes of the paper on AG2: sequential chats (reviewers) and a group chat
with a fixed speaking order (arranger roles).

A `Referee` reads every answer: a valid one is kept; a bad one is sent back by the director with
the problem named, at most `max_retries` times; then the task's rule-based answer stands and a
warning is logged. The endpoint failing (refused, timed out, HTTP error) counts as a bad answer.
"""

from __future__ import annotations

import json
import logging
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from .answers import Answer, Task, parse_answer
from .prompts import correction
from .settings import LLMSettings

log = logging.getLogger(__name__)

DIRECTOR = "director"


class Referee:
    """Judges each agent's answers, decides retry or fallback, and keeps the answers that stand."""

    def __init__(self, tasks: Sequence[Task], max_retries: int) -> None:
        self.tasks = {t.name: t for t in tasks}
        self.max_retries = max_retries
        self.attempts: dict[str, int] = {}
        self.answers: dict[str, Answer] = {}
        self.fell_back: list[str] = []

    def judge(self, name: str, text: str | None) -> str | None:
        """None once `name`'s answer stands (valid or replaced); else the correction to send back."""
        task = self.tasks[name]
        self.attempts[name] = self.attempts.get(name, 0) + 1
        answer, problem = parse_answer(text, task)
        if answer is not None:
            self.answers[name] = answer
            return None
        if self.attempts[name] <= self.max_retries:
            log.info("%s: answer %d rejected: %s", name, self.attempts[name], problem)
            return correction(problem or "", self.attempts[name] + 1, self.max_retries + 1)
        self.fall_back(name, problem or "no answer")
        return None

    def fall_back(self, name: str, problem: str) -> None:
        log.warning(
            "LLM agent %s gave no usable answer in %d tries (last problem: %s); "
            "the rule-based answer is used",
            name,
            self.attempts.get(name, 0),
            problem,
        )
        self.answers[name] = self.tasks[name].fallback()
        self.fell_back.append(name)

    def answer(self, name: str) -> Answer:
        if name not in self.answers:
            self.fall_back(name, "the conversation ended before an answer")
        return self.answers[name]


def _agents() -> Any:
    try:
        with warnings.catch_warnings():  # AG2 touches deprecated jsonschema APIs on import
            warnings.simplefilter("ignore", DeprecationWarning)
            import autogen
    except ImportError:  # the optional extra is not installed
        from ..errors import ToolMissing

        raise ToolMissing("the LLM agent framework (AG2)", "pip install 'filmcomposer[llm]'") from None
    return autogen


def _llm_agent(autogen: Any, task: Task, settings: LLMSettings) -> Any:
    agent = autogen.ConversableAgent(
        task.name,
        system_message=task.system_message,
        llm_config=settings.llm_config(),
        human_input_mode="NEVER",
        max_consecutive_auto_reply=settings.max_retries + 1,
    )

    def guarded(
        recipient: Any, messages: Any = None, sender: Any = None, config: Any = None
    ) -> tuple[bool, Any]:
        """The model's reply; an endpoint failure becomes a reply the referee rejects (and retries)."""
        try:
            return recipient.generate_oai_reply(messages, sender, config)
        except Exception as exc:  # openai raises a dozen kinds (connection, timeout, status): all one here
            return True, f"(no answer: the endpoint failed: {type(exc).__name__}: {str(exc)[:200]})"

    agent.register_reply([autogen.Agent, None], guarded, position=0)
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
    settings: LLMSettings,
    *,
    progress: Callable[[float], None] | None = None,
) -> Referee:
    """One chat per task, in order; each opening carries the verdicts that stood before it."""
    autogen = _agents()
    referee = Referee(tasks, settings.max_retries)
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
            "recipient": _llm_agent(autogen, task, settings),
            "message": opening,
            "summary_method": summary,
            "silent": True,
            "clear_history": True,
        }
        for task, opening in zip(tasks, openings, strict=True)
    ]
    with _quiet(autogen):
        director.initiate_chats(chats)
    return referee


def run_group_chat(
    tasks: Sequence[Task],
    opening: str,
    settings: LLMSettings,
    *,
    after: Callable[[str, Answer], str | None] | None = None,
    progress: Callable[[float], None] | None = None,
) -> Referee:
    """A group chat in the fixed order of `tasks`; the director opens, corrects and reports.

    `after(name, answer)` is called once an answer stands (valid or rule-based); what it returns
    (e.g. the draft so far) the director tells the room before the next role speaks.
    """
    autogen = _agents()
    referee = Referee(tasks, settings.max_retries)
    director = autogen.ConversableAgent(
        DIRECTOR, llm_config=False, human_input_mode="NEVER", default_auto_reply=""
    )
    roles = [_llm_agent(autogen, task, settings) for task in tasks]
    state = {"index": 0, "say": ""}

    def director_reply(
        recipient: Any, messages: Any = None, sender: Any = None, config: Any = None
    ) -> tuple[bool, Any]:
        return True, state["say"] or "Go on."

    director.register_reply([autogen.Agent, None], director_reply, position=0)

    def next_speaker(last: Any, groupchat: Any) -> Any:
        i = state["index"]
        if last is director:
            return roles[i] if i < len(roles) else None
        name = tasks[i].name
        problem = referee.judge(name, _content(groupchat.messages[-1]) if groupchat.messages else None)
        if problem is not None:
            state["say"] = f"@{name}: {problem}"
            return director
        fell_back = name in referee.fell_back
        note = after(name, referee.answers[name]) if after else None
        state["index"] = i = i + 1
        if progress:
            progress(i / len(tasks))
        parts = (
            [
                f"The rule-based {name} answer stands instead: "
                + json.dumps(referee.answers[name], separators=(",", ":"))
            ]
            if fell_back
            else []
        )
        if note:
            parts.append(note)
        if i >= len(roles):
            return None
        parts.append(f"Next: {tasks[i].name}.")
        state["say"] = "\n".join(parts)
        return director

    rounds = 2 * len(tasks) * (settings.max_retries + 2) + 2
    chat = autogen.GroupChat(
        agents=[director, *roles],
        messages=[],
        max_round=rounds,
        speaker_selection_method=next_speaker,
        allow_repeat_speaker=True,
    )
    manager = autogen.GroupChatManager(chat, llm_config=False, human_input_mode="NEVER", silent=True)
    with _quiet(autogen):
        director.initiate_chat(manager, message=opening, silent=True)
    for task in tasks:  # a chat cut short (max rounds) still leaves every role with an answer
        referee.answer(task.name)
    return referee
