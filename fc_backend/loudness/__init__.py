"""The one loudness meter: BS.1770 loudness and true peak, for the renderer, the report and `eval`.

Runtime and measurement share it, so the level the renderer aims at is the level they read back.
"""

from .bs1770 import (
    MOMENTARY,
    SHORT_TERM,
    LoudnessMeter,
    integrated_loudness,
    k_weighted,
    loudness_curve,
    loudness_range,
)
from .delivery import MasterMeasure, delivery, measure_master, read_audio
from .true_peak import TruePeakStream, sample_true_peaks, to_db, true_peak_db

__all__ = ["MOMENTARY", "SHORT_TERM", "LoudnessMeter", "MasterMeasure", "TruePeakStream", "delivery",
           "integrated_loudness", "k_weighted", "loudness_curve", "loudness_range", "measure_master",
           "read_audio", "sample_true_peaks", "to_db", "true_peak_db"]
