"""The six roles of paper table 2, in their fixed speaking order (rule-based or LLM agents alike)."""

ROLES = ("analyze", "arrange", "instrument", "volume", "mixing", "reviewer")
