"""The spotting session: one decode pass feeds cuts, motion and image statistics, then the music's
grid (rhythm spots and a tempo map) is derived from what was seen, or from a person's edited spots."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..config import Config
from ..errors import InputError
from ..model import Cue, RhythmSpot, Shot, Spotting
from ..progress import Progress, no_progress
from .attributes import BAR_LUMA, Area, FrameStats, active_area, frame_stats, main_emotion, shot_attributes
from .clock import clip_timecode
from .cue_edits import check_inside, load_cues
from .cues import spot_cues
from .edits import fit_spots, load_spots
from .looks import Look, shot_look
from .motion import FlowTracker, shot_motion
from .rhythm import rhythm_spots as detected_spots
from .scenes import group_scenes
from .shot_labels import motion_variation
from .shots import DETECT_WIDTH, CutDetector, downscale, shot_bounds
from .stills import StillPicker, save_stills
from .tempo import base_tempo, cut_errors, fit_tempo
from .themes import theme_labels
from .video import FrameClock, frames_ahead, open_video
from .vision import ShotFrames, VisionLabeller, vision_settings

#: image statistics are taken this often (per second of video); faces (10 ms a look) at the start
#: of every shot and then this often
STATS_FPS = 4.0
FACE_FPS = 0.5


def spot(video: str | Path, config: Config | None = None, *, progress: Progress = no_progress,
         rhythm_spots: str | Path | Sequence[RhythmSpot] | None = None,
         stills_to: str | Path | None = None, cues: str | Path | Sequence[Cue] | None = None) -> Spotting:
    """Watch `video` once and say what the music should do: shots, motion, attributes, spots, tempo.

    `rhythm_spots` (a list, or a JSON file: a list of {time, strength, kind} or a whole spotting.json)
    replaces the detected spots; its cut spots become the shot boundaries (moved to the nearest
    frame) and the tempo map is fitted to them. With `config.llm_base_url` and `config.vlm_model` set,
    a vision LLM labels every shot (see vision.py). With `stills_to`, a JPEG still of every shot is
    written into that folder (shot_001.jpg, ...), picked from the frames the pass decodes anyway.
    `cues` (a list, or a cues.json file a person edited: see cue_edits.py) replaces the detected cue
    sheet; a cue without a theme label or mood gets the one its picture suggests.
    Raises InputError for a missing, empty, unreadable or too short file, or a bad spots file.

    Example: ``spot("clip.mp4").cuts`` -> ``[3.0, 5.0, 9.0]``.
    """
    config = config or Config()
    source: str | Path = "rhythm spots"
    timecode = clip_timecode(video, config.start_tc)  # a bad --start-tc is refused before the decode
    if isinstance(rhythm_spots, (str, Path)):
        source, rhythm_spots = rhythm_spots, load_spots(rhythm_spots)  # a bad file stops us before decoding
    cue_source: str | Path = "cues"
    if isinstance(cues, (str, Path)):
        cue_source, cues = cues, load_cues(cues, reel=config.reel, max_cue=config.max_cue)
    settings = vision_settings(config)
    vision = VisionLabeller(settings) if settings is not None else None
    stills = None
    if stills_to is not None:
        stills = StillPicker(starts=None if rhythm_spots is None else
                             [s.time for s in rhythm_spots if s.kind == "cut"])
    seen = _watch(video, config, progress if vision is None else (lambda f: progress(0.6 * f)),
                  keep_frames=vision is not None, stills=stills)
    times, duration = seen.clock.times(), seen.clock.duration()
    if rhythm_spots is None:
        bounds = shot_bounds(seen.detector.cuts, times, duration)
        spots = None
    else:
        spots = fit_spots(rhythm_spots, times, duration, source)
        edges = [0.0, *(s.time for s in spots if s.kind == "cut"), duration]
        bounds = list(zip(edges, edges[1:], strict=False))

    if stills is not None and stills_to is not None:
        save_stills(stills.finish(bounds), Path(stills_to))
    curve = seen.flow.curve(times)
    shots, looks = [], []
    for number, (start, end) in enumerate(bounds):
        speed, saliency = shot_motion(curve, start, end)
        variation = motion_variation(curve.times, curve.values, start, end)
        samples = _samples(seen.stats, times, start, end)
        attributes = shot_attributes(samples, speed, variation)
        looks.append(shot_look(samples, speed))
        if vision is not None and seen.frames is not None:
            first, last = np.searchsorted(times, [start, end], side="left")
            attributes = vision.label(seen.frames.between(int(first), int(last)), attributes,
                                      start=start, end=end)
            progress(0.6 + 0.35 * (number + 1) / len(bounds))
        shots.append(Shot(start=start, end=end, motion_speed=speed, motion_saliency=saliency,
                          attributes=attributes))
    emotion = main_emotion(shots) or "calm"
    speed = sum(s.motion_speed * s.duration for s in shots) / duration
    bpm, meter = base_tempo(emotion, speed)
    if duration < 60.0 / bpm:
        raise InputError(video, f"clip is {duration:.2f} s long, shorter than one beat ({60.0 / bpm:.2f} s)")
    cuts = [shot.start for shot in shots[1:]]
    flashes = [float(times[f]) for f in seen.detector.flashes if f < len(times)]
    # a person's spots may weigh their cuts (a name ending in "!"); detected cuts weigh the same
    weights = None if spots is None else [s.weight for s in spots if s.kind == "cut"]
    tempo_map = fit_tempo(cuts, bpm, meter, weights=weights)
    progress(1.0)
    height, width = seen.frame_size
    cues = _cue_sheet(shots, looks, duration, config, title=Path(video).stem, mood=emotion,
                      given=None if cues is None else list(cues), source=cue_source)
    return Spotting(video=str(video), duration=duration, fps=seen.fps, frame_count=len(times), width=width,
                    height=height, shots=shots,
                    rhythm_spots=spots if spots is not None else detected_spots(cuts, curve, flashes),
                    tempo_map=tempo_map, emotion=emotion, motion_curve=curve,
                    cut_errors=cut_errors(tempo_map, cuts),
                    timecode=timecode or clip_timecode(video, config.start_tc, decoded_fps=seen.fps),
                    cues=cues)


def _cue_sheet(shots: list[Shot], looks: list[Look], duration: float, config: Config, *, title: str,
               mood: str, given: list[Cue] | None = None, source: str | Path = "cues") -> list[Cue]:
    """Shots -> scenes -> theme labels -> cues: where the music plays, and which theme each cue carries.

    A person's cues (`given`) win; each keeps its times, and one without a theme label or mood takes
    those of the detected cue it overlaps most.
    """
    scenes = group_scenes(shots, looks)
    detected = spot_cues(scenes, theme_labels(scenes), shots, duration, reel=config.reel, title=title,
                         mood=mood, max_cue=config.max_cue)
    if given is None:
        return detected
    check_inside(given, duration, source)
    cues = []
    for cue in given:
        near = max(detected, key=lambda d: min(cue.end, d.end) - max(cue.start, d.start))
        cues.append(dataclasses.replace(cue, end=min(cue.end, duration), theme=cue.theme or near.theme,
                                        mood=cue.mood or near.mood))
    return cues


@dataclass
class _Seen:
    """What one pass over the frames collected."""

    fps: float
    frame_size: tuple[int, int]  # (height, width) of the decoded frames, as displayed
    clock: FrameClock
    detector: CutDetector
    flow: FlowTracker
    stats: list[FrameStats]
    frames: ShotFrames | None


def _watch(video: str | Path, config: Config, progress: Progress, *, keep_frames: bool,
           stills: StillPicker | None = None) -> _Seen:
    """Decode once: cut detection on every frame, flow and statistics on sampled ones."""
    capture, info = open_video(video, hardware=config.hardware_decode)
    fps = info.fps
    clock = FrameClock(fps)
    detector = CutDetector(fps, min_shot_frames=config.min_shot_frames)
    flow = FlowTracker(fps, flow_fps=config.flow_fps, width=config.flow_width)
    kept = ShotFrames() if keep_frames else None
    stats_every, face_every = max(1, round(fps / STATS_FPS)), max(1, round(fps / FACE_FPS))
    stats: list[FrameStats] = []
    new_shot, last_face, area_known = True, -face_every, False
    area: Area | None = None
    frame_size, first_stamp = (info.height, info.width), 0.0
    # what restarts at a cut (reported a few frames late): the flow chain, the VLM's frames, the stills
    at_cut = [flow.cut, *(watcher.cut for watcher in (kept, stills) if watcher is not None)]
    decoded = frames_ahead(capture, lambda frame: downscale(frame, DETECT_WIDTH))
    for index, (frame, small, stamp) in enumerate(decoded):
        clock.add(stamp)
        if index == 0:
            frame_size, first_stamp = frame.shape[:2], stamp
        if stills is not None:
            stills.feed(index, stamp - first_stamp, small)
        for cut in detector.feed(index, small):
            for restart in at_cut:
                restart(cut)
            new_shot, area_known = True, False  # reported late: this frame is already in the new shot
        flow.feed(index, small, stamp)
        if new_shot or index % stats_every == 0:
            if not area_known:  # bars are looked for once a shot, on a frame with something lit
                area = active_area(small)
                area_known = area is not None or int(small.max()) > BAR_LUMA
            look_for_faces = new_shot or index - last_face >= face_every
            last_face = index if look_for_faces else last_face
            stats.append(frame_stats(index, small, frame if look_for_faces else None, area=area))
            if kept is not None:
                kept.add(index, frame)
            new_shot = False
        if info.container_frames and index % 64 == 0:
            progress(min(0.95, (index + 1) / info.container_frames))
    for cut in detector.flush():
        for restart in at_cut:
            restart(cut)
    if len(clock) == 0:
        raise InputError(video, "no video frame could be decoded (not a video, audio only, or truncated)")
    return _Seen(fps, frame_size, clock, detector, flow, stats, kept)


def _samples(stats: list[FrameStats], times: np.ndarray, start: float, end: float) -> list[FrameStats]:
    """Statistics of the frames in [start, end); the nearest sampled one for a span too short to hold one."""
    inside = [s for s in stats if start <= times[s.index] < end]
    if inside or not stats:
        return inside
    middle = (start + end) / 2
    return [min(stats, key=lambda s: abs(times[s.index] - middle))]


