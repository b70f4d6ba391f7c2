"""Settings every stage may read; the defaults are the embedded CPU/offline path."""

from __future__ import annotations

from dataclasses import dataclass

LOUDNESS_TARGETS = (-23.0, -24.0, -16.0, -14.0)


@dataclass
class Config:
    #: seed of the composer (and of anything random downstream); same seed, same score
    seed: int = 0
    #: integrated loudness of the master, LUFS (EBU R128 by default)
    loudness: float = -23.0
    #: true-peak ceiling of the master, dBTP
    true_peak: float = -1.0
    sample_rate: int = 48000
    #: seconds the master (and stems) run past the picture so releases and the reverb ring out
    tail: float = 2.0
    #: longest film, seconds (as its container states it, checked before decoding): a film is scored
    #: as cues, each arranged as one piece, so its length is bounded by disk and time, not the scheme
    max_duration: float = 1800.0
    #: longest cue (and longest clip scored with one given melody), seconds: one arrangement holds at
    #: most 64 sections of 4+ measures, 256 measures, which fast tempos reach in about five minutes;
    #: spotting splits a longer stretch at a cut, and a --cues file holding a longer cue is refused
    max_cue: float = 300.0
    #: General MIDI SoundFont for the offline renderer; None searches the usual places
    soundfont: str | None = None
    #: new melodies the composer may be asked for when the assessment fails
    max_attempts: int = 3
    #: assessment total (out of 19) a melody must reach; without a spotting the same share of the 16
    #: musical criteria (assess.pass_mark): 92 % of human tunes pass, no random notes in their key
    pass_threshold: float = 15.0
    #: let the video decoder use the machine's hardware decoder (VAAPI, D3D11, ...) when OpenCV's
    #: FFmpeg has one; it falls back to the CPU silently, and decoding is half of spotting's time
    hardware_decode: bool = True
    #: flow is computed at this rate (frames per second of video), on frames this wide
    flow_fps: float = 8.0
    flow_width: int = 160
    #: the shortest shot a cut may create, in frames (shorter flickers are not cuts)
    min_shot_frames: int = 6
    #: flow speed (frame widths per second) counted as half-way to frantic by the arranger
    motion_reference: float = 0.1
    #: gain and velocity factor of a softened measure
    soften_factor: float = 0.6
    #: an OpenAI-compatible endpoint makes the reviewers and arranger LLM agents; None keeps the rules
    llm_base_url: str | None = None
    llm_model: str | None = None
    #: bad LLM answers sent back before the rule-based answer is used instead
    llm_max_retries: int = 2
    #: seconds one LLM request may take, and the whole LLM part of a run (probe, agents, retries)
    llm_timeout: float = 120.0
    llm_time_limit: float = 600.0
    #: an unusable endpoint (refused, wrong key, unknown model, deadline) leaves the rules deciding,
    #: with a one-line warning, instead of stopping the run
    llm_optional: bool = False
    #: "symbolic" (the CPU default) or "musicgen" (MusicGen-Melody: a GPU and local weights)
    composer: str = "symbolic"
    musicgen_model: str = "facebook/musicgen-melody"
    #: a vision model that labels each shot's 7 attributes from sampled frames, at vlm_base_url
    #: (or llm_base_url); None keeps the offline estimates (setting, behaviour and theme then unknown)
    vlm_model: str | None = None
    #: the vision endpoint, apart from the agents' (setting it does not switch the agents on)
    vlm_base_url: str | None = None
    #: the first frame's SMPTE label, overriding the clip's own timecode tag ("01:00:00;00")
    start_tc: str | None = None
    #: reel number of the clip: its cues are named 1M1, 1M2, ... (reel, M for music, cue)
    reel: int = 1
    #: composer and publisher written into the cue sheet (blank by default)
    cue_composer: str = ""
    cue_publisher: str = ""
    #: burn the running timecode and the cue number into preview.mp4's picture (re-encodes it)
    burn_in: bool = False
    #: add a track whose REAPER video processor draws a streamer and punch for every hit
    streamers: bool = False
