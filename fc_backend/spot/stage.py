"""The spotting session: one decode pass feeds cuts, motion and image statistics, then the music's
grid (rhythm spots and a tempo map) is derived from what was seen."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from ..config import Config
from ..errors import InputError
from ..model import Shot, Spotting
from ..progress import Progress, no_progress
from .attributes import FrameStats, frame_stats, shot_attributes
from .motion import FlowTracker, shot_motion
from .rhythm import rhythm_spots
from .shots import DETECT_WIDTH, CutDetector, downscale, shot_bounds
from .tempo import base_tempo, cut_errors, fit_tempo
from .video import frames, open_video

#: image statistics are taken this often (per second of video); faces (10 ms a look) at the start
#: of every shot and then this often
STATS_FPS = 4.0
FACE_FPS = 0.5


def spot(video: str | Path, config: Config | None = None, *, progress: Progress = no_progress) -> Spotting:
    """Watch `video` once and say what the music should do: shots, motion, attributes, spots, tempo.

    Raises InputError for a missing, empty, unreadable or too short file.

    Example: ``spot("clip.mp4").cuts`` -> ``[3.0, 5.0, 9.0]``.
    """
    config = config or Config()
    capture, info = open_video(video)
    fps = info.fps
    detector = CutDetector(fps, min_shot_frames=config.min_shot_frames)
    flow = FlowTracker(fps, flow_fps=config.flow_fps,
                       width=config.flow_width)
    stats_every, face_every = max(1, round(fps / STATS_FPS)), max(1, round(fps / FACE_FPS))
    stats: list[FrameStats] = []
    count, new_shot, last_face = 0, True, -face_every
    for index, frame in enumerate(frames(capture)):
        small = downscale(frame, DETECT_WIDTH)
        for cut in detector.feed(index, small):
            flow.cut(cut)
            new_shot = True  # reported a frame or two late: this frame is already in the new shot
        flow.feed(index, small)
        if new_shot or index % stats_every == 0:
            look_for_faces = new_shot or index - last_face >= face_every
            last_face = index if look_for_faces else last_face
            stats.append(frame_stats(index, small, frame if look_for_faces else None))
            new_shot = False
        count = index + 1
        if info.container_frames and index % 64 == 0:
            progress(min(0.95, count / info.container_frames))
    for cut in detector.flush():
        flow.cut(cut)
    if count == 0:
        raise InputError(video, "no video frame could be decoded (not a video, audio only, or truncated)")

    duration = count / fps
    curve = flow.curve()
    shots = []
    for start, end in shot_bounds(detector.cuts, count, fps):
        speed, saliency = shot_motion(curve, start, end)
        samples = [s for s in stats if start <= s.index / fps < end]
        shots.append(Shot(start=start, end=end, motion_speed=speed, motion_saliency=saliency,
                          attributes=shot_attributes(samples, speed)))
    weights: Counter[str] = Counter()
    for shot in shots:
        if shot.attributes.emotion:
            weights[shot.attributes.emotion] += shot.duration
    emotion = weights.most_common(1)[0][0] if weights else "calm"
    speed = sum(s.motion_speed * s.duration for s in shots) / duration
    bpm, meter = base_tempo(emotion, speed)
    if duration < 60.0 / bpm:
        raise InputError(video, f"clip is {duration:.2f} s long, shorter than one beat ({60.0 / bpm:.2f} s)")
    cuts = [shot.start for shot in shots[1:]]
    tempo_map = fit_tempo(cuts, bpm, meter)
    progress(1.0)
    return Spotting(video=str(video), duration=duration, fps=fps, frame_count=count, width=info.width,
                    height=info.height, shots=shots, rhythm_spots=rhythm_spots(cuts, curve),
                    tempo_map=tempo_map, emotion=emotion, motion_curve=curve,
                    cut_errors=cut_errors(tempo_map, cuts))
