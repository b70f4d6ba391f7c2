"""FilmComposer backend: scores silent film clips (spot, compose, notate, assess, arrange, plan, realize)."""

__version__ = "0.1.0"
