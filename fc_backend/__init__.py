"""FilmComposer backend: scores silent film clips (spot, compose, notate, assess, arrange, plan, realize)."""

import contextlib
import io

__version__ = "0.1.0"

# pyFluidSynth prints where it found libfluidsynth onto stdout when CI is set in the environment, the
# first time it is imported (pretty_midi imports it too). stdout is the CLI's result channel (`score`'s
# summary, `assess --json`), so it is imported here first, quietly; a missing library is only an error
# when something renders.
with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(ImportError, OSError):
    import fluidsynth  # noqa: F401
