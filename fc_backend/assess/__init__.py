"""Assess: five rule-based reviewers score a melody on 19 criteria and decide pass or fail."""

from .assessor import assess

__all__ = ["assess"]
