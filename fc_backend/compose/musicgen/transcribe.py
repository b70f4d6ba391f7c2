"""Audio to note events with basic-pitch's bundled ONNX model (onnxruntime; no TensorFlow needed)."""

from __future__ import annotations

import contextlib
import io
import logging
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ...errors import ToolMissing


@dataclass(frozen=True)
class NoteEvent:
    """A transcribed note: seconds, MIDI pitch, basic-pitch's amplitude (0..1)."""

    start: float
    end: float
    pitch: int
    amplitude: float


def transcribe(audio: np.ndarray, sample_rate: int, *, onset_threshold: float = 0.5,
               frame_threshold: float = 0.3, min_note_ms: float = 127.7) -> list[NoteEvent]:
    """Polyphonic note events of `audio`, sorted by onset (basic-pitch's defaults)."""
    import soundfile as sf  # here, not at import: generating audio (a GPU box's job) does not need it

    inference, model_path = _basic_pitch()
    with tempfile.TemporaryDirectory(prefix="fc-transcribe-") as tmp:
        path = Path(tmp) / "audio.wav"
        sf.write(path, np.asarray(audio, dtype=np.float32), sample_rate, subtype="FLOAT")
        with contextlib.redirect_stdout(io.StringIO()):  # it prints a line per file
            _, _, events = inference.predict(path, model_path, onset_threshold=onset_threshold,
                                             frame_threshold=frame_threshold, minimum_note_length=min_note_ms)
    return sorted((NoteEvent(float(s), float(e), int(p), float(a)) for s, e, p, a, _ in events),
                  key=lambda n: (n.start, -n.pitch))


_CACHE: dict[str, object] = {}


def _basic_pitch():
    """basic-pitch's inference module and a loaded ONNX model (once per process)."""
    if "model" not in _CACHE:
        previous = logging.root.manager.disable
        logging.disable(logging.WARNING)  # basic-pitch warns at import about every runtime it lacks
        try:
            from basic_pitch import FilenameSuffix, build_icassp_2022_model_path, inference
        except ImportError as err:
            raise ToolMissing("basic-pitch (the MusicGen transcriber)",
                              "run: python3 install.py --musicgen") from err
        finally:
            logging.disable(previous)
        _CACHE["inference"] = inference
        _CACHE["model"] = inference.Model(build_icassp_2022_model_path(FilenameSuffix.onnx))
    return _CACHE["inference"], _CACHE["model"]
