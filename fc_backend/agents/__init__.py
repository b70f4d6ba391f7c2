"""LLM plumbing shared by the assess and arrange stages: endpoint settings, answer checking, the chats.

Built on AG2 (the `autogen` package, the maintained line of the classic AutoGen API): reviewers talk
in sequential chats, the arranger's six roles in a group chat with a fixed speaking order. Every
answer must be one JSON object that meets its schema; a bad one is sent back with the problem named,
and after the last retry the rule-based answer stands (with a warning), so a model that talks
nonsense never stops the pipeline. Nothing here is imported unless an endpoint is configured.
"""

from .answers import Task, parse_answer
from .settings import LLMSettings, llm_settings

__all__ = ["LLMSettings", "Task", "llm_settings", "parse_answer"]
