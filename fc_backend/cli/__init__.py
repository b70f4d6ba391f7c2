"""The `filmcomposer` command: one parser, its defaults from `Config`.

score, render, demo and spot are here; assess, reroll, eval and the backend's serve/worker/request
add themselves from this package's modules (EXTRA_COMMANDS). Errors that are the user's to fix
print as one line on stderr and exit 2; a traceback means a bug.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path

from .. import __version__
from ..config import LOUDNESS_TARGETS, Config
from ..errors import FilmComposerError

#: modules that add their own subcommands with `add_commands(commands)`; listed here, not discovered,
#: and each keeps its heavy imports inside the command so `filmcomposer --help` stays fast
EXTRA_COMMANDS: tuple[str, ...] = ("fc_backend.cli.assess", "fc_backend.cli.reroll",
                                  "fc_backend.cli.evaluate", "fc_backend.cli.server")


def main(argv: list[str] | None = None) -> int:
    return run_command(_parser(), argv)


def run_command(parser: argparse.ArgumentParser, argv: list[str] | None = None) -> int:
    """Parse `argv` and run the chosen command: a user's error is one line and exit 2, not a traceback.

    SIGTERM and SIGHUP unwind like Ctrl-C, so staging folders are removed on every exit we can catch;
    a reader that closes the pipe early (`| head`) ends the command quietly with one line.
    """
    from ..staging import Terminated, exit_on_signals

    args = parser.parse_args(argv)
    exit_on_signals()
    try:
        status = args.run(args)
        sys.stdout.flush()  # a closed pipe shows here, not in the interpreter's exit
        return status
    except FilmComposerError as err:
        print(f"filmcomposer: error: {err}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # the exit flush must not fail again
        print("filmcomposer: output closed early (broken pipe); the rest was not printed", file=sys.stderr)
        return 141
    except OSError as err:
        if err.filename is None:
            raise
        print(f"filmcomposer: error: {err.filename}: {err.strerror or err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("filmcomposer: interrupted; no partial output was left", file=sys.stderr)
        return 130
    except Terminated as sig:
        print(f"filmcomposer: stopped by {sig}; no partial output was left", file=sys.stderr)
        return 128 + sig.signum



def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="filmcomposer", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"filmcomposer {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    score = commands.add_parser("score", help="score a silent clip: every artifact into OUT")
    score.add_argument("video", type=Path, help="the clip (any format ffmpeg/OpenCV decodes)")
    _add_score_options(score)
    score.set_defaults(run=_run_score)

    demo = commands.add_parser("demo", help="make a short clip with known cuts and score it")
    _add_score_options(demo)
    demo.set_defaults(run=_run_demo)

    render = commands.add_parser("render", help="re-plan from an edited scheme.json and re-render OUT")
    render.add_argument("out", type=Path, help="a folder `score` wrote")
    render.add_argument("--plan", action="store_true",
                        help="take an edited plan.json as it is instead of re-planning from scheme.json")
    render.add_argument("--loudness", type=float, default=Config.loudness, choices=LOUDNESS_TARGETS)
    render.add_argument("--soundfont", help="General MIDI .sf2 for the offline render")
    render.add_argument("--cues", action="store_true",
                        help="also cut master and stems per cue into OUT/cues/<cue>/ (1M1 master.wav, ...)")
    add_output_options(render)
    render.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    render.set_defaults(run=_run_render)

    spot = commands.add_parser("spot", help="print the spotting of a clip (shots, rhythm spots, tempo map)")
    spot.add_argument("video", type=Path)
    spot.add_argument("--json", action="store_true", help="print the Spotting as JSON")
    spot.add_argument("--spots", type=Path, metavar="FILE",
                      help="rhythm spots to use instead of the detected ones (as score --spots)")
    spot.add_argument("--cues", type=Path, metavar="FILE",
                      help="a cue sheet (cues.json) to use instead of the detected one (as score --cues)")
    spot.add_argument("--stills", type=Path, metavar="DIR",
                      help="also write a JPEG still of every shot into DIR (shot_001.jpg, ...)")
    _add_vision_options(spot)
    _add_decode_option(spot)
    _add_picture_options(spot)
    spot.set_defaults(run=_run_spot)

    for module in EXTRA_COMMANDS:
        importlib.import_module(module).add_commands(commands)
    return parser


def _add_score_options(cmd: argparse.ArgumentParser) -> None:
    cmd.add_argument("-o", "--out", type=Path, required=True, help="folder for the artifacts")
    cmd.add_argument("--seed", type=int, default=Config.seed, help="composer seed (same seed, same melody)")
    cmd.add_argument("--description", default="", help="what the music should say, in words")
    cmd.add_argument("--melody", type=Path, metavar="FILE",
                     help="use this melody (.mid or .abc, e.g. an edited melody.mid) instead of composing")
    cmd.add_argument("--spots", type=Path, metavar="FILE",
                     help="use these rhythm spots (JSON list of {time, strength, kind}, or a spotting.json)"
                     " instead of the detected ones; cut spots become the cuts the tempo map hits")
    cmd.add_argument("--cues", type=Path, metavar="FILE",
                     help="use this cue sheet (an edited cues.json: where music plays, and each cue's theme"
                     " label) instead of the detected one")
    cmd.add_argument("--loudness", type=float, default=Config.loudness, choices=LOUDNESS_TARGETS,
                     help="integrated loudness of the master in LUFS (default: Config.loudness, EBU R128)")
    cmd.add_argument("--soundfont", help="General MIDI .sf2 for the offline render")
    cmd.add_argument("--copy-video", action="store_true",
                     help="copy the clip into OUT so the project folder is self-contained")
    add_output_options(cmd)
    _add_picture_options(cmd)
    cmd.add_argument("--burn-in", action="store_true",
                     help="burn the running timecode and the cue number into preview.mp4")
    cmd.add_argument("--streamers", action="store_true",
                     help="add a REAPER track that draws streamers and punches on every hit")
    cmd.add_argument("--composer", default="", help="composer named in cuesheet.csv (default blank)")
    cmd.add_argument("--publisher", default="", help="publisher named in cuesheet.csv (default blank)")
    add_llm_options(cmd)
    _add_vision_options(cmd)
    _add_decode_option(cmd)
    cmd.add_argument("-q", "--quiet", action="store_true", help="no progress bars")


def add_llm_options(cmd: argparse.ArgumentParser) -> None:
    """The agents' endpoint: reviewers and arranger become LLM agents; without it, the rules decide."""
    cmd.add_argument("--llm-base-url", help="OpenAI-compatible endpoint: reviewers and arranger become LLM "
                     "agents (key from FC_LLM_API_KEY or OPENAI_API_KEY); default: rule-based")
    cmd.add_argument("--llm-model", help="model name at that endpoint")
    cmd.add_argument("--llm-optional", action="store_true",
                     help="if the endpoint is unusable, warn in one line and let the rules decide")
    cmd.add_argument("--llm-time-limit", type=float, default=Config.llm_time_limit, metavar="SECONDS",
                     help="bound on the whole LLM part: probe, every agent and retry (default 600)")


def _add_picture_options(cmd: argparse.ArgumentParser) -> None:
    cmd.add_argument("--start-tc", metavar="HH:MM:SS:FF",
                     help="timecode of the clip's first frame (';' before the frames: drop-frame);"
                     " default: the clip's own timecode tag, else 00:00:00:00")
    cmd.add_argument("--reel", type=int, default=1,
                     help="reel number: cues are named 1M1, 1M2, ... (default 1)")


def _add_vision_options(cmd: argparse.ArgumentParser) -> None:
    cmd.add_argument("--vlm-base-url", help="OpenAI-compatible endpoint of a vision model (default: "
                     "--llm-base-url); it labels shots without switching the agents on")
    cmd.add_argument("--vlm-model", help="a vision model at that endpoint labels every shot's attributes")


def llm_config(args: argparse.Namespace, config: Config) -> Config:
    """`config` with the LLM/VLM options of `args` (those the command has)."""
    for name in ("llm_base_url", "llm_model", "llm_optional", "llm_time_limit", "vlm_base_url", "vlm_model"):
        if hasattr(args, name):
            setattr(config, name, getattr(args, name))
    return config


def add_output_options(cmd: argparse.ArgumentParser) -> None:
    """How a run may write OUT: the master's tail, and whether files we did not write may be replaced."""
    cmd.add_argument("--tail", type=_seconds, default=Config.tail, metavar="SECONDS",
                     help=f"how long the master runs past the picture so notes and the reverb ring out"
                          f" (default {Config.tail:g})")
    cmd.add_argument("--force", action="store_true",
                     help="replace files in OUT that this program did not write or that were edited since"
                          " (e.g. a hand-edited scheme.json); without it such a run stops and names them")


def _seconds(text: str) -> float:
    """A --tail value: 0..60 s, finite."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not 0.0 <= value <= 60.0:  # NaN fails too
        raise argparse.ArgumentTypeError(f"must be between 0 and 60 seconds, got {text}")
    return value


def _add_decode_option(cmd: argparse.ArgumentParser) -> None:
    cmd.add_argument("--no-hardware-decode", dest="hardware_decode", action="store_false",
                     help="decode the clip on the CPU even where a hardware video decoder is available")


def _config(args: argparse.Namespace) -> Config:
    return llm_config(args, Config(seed=args.seed, loudness=args.loudness, soundfont=args.soundfont,
                                   hardware_decode=args.hardware_decode, tail=args.tail,
                                   start_tc=args.start_tc, reel=args.reel, burn_in=args.burn_in,
                                   streamers=args.streamers,
                                   cue_composer=args.composer,
                                   cue_publisher=args.publisher))


def _run_score(args: argparse.Namespace, video: Path | None = None) -> int:
    from ..pipeline import score  # heavy imports only when a command needs them

    result = score(video or args.video, args.out, _config(args), description=args.description,
                   copy_video=args.copy_video or video is not None, show_progress=not args.quiet,
                   melody=args.melody, spots=args.spots, force=args.force, cues=args.cues)
    a = result.assessment
    from ..report.page import plural

    print(f"{plural(len(result.spotting.shots), 'shot')}, "
          f"{plural(len(result.spotting.rhythm_spots), 'rhythm spot')}, "
          f"{result.melody.key}, {len(result.plan.tracks)} tracks; "
          f"assessment {a.total:.1f}/{len(a.criteria)} "
          f"({'pass' if a.passed else 'best of ' + str(a.attempts)})"
          + (f"; {result.llm}" if result.llm else ""))
    print(f"wrote {', '.join(result.files)} to {result.out_dir}")
    return 0


def _run_render(args: argparse.Namespace) -> int:
    from ..pipeline import render

    plan = render(args.out, Config(loudness=args.loudness, soundfont=args.soundfont, tail=args.tail),
                  from_plan=args.plan, show_progress=not args.quiet, force=args.force, cues=args.cues)
    source = "plan.json" if args.plan else "scheme.json"
    print(f"re-rendered {len(plan.tracks)} tracks from {source} into {args.out}")
    if args.cues:
        print(f"cut {len(plan.cue_list())} cue(s) into {args.out / 'cues'}")
    return 0


def _run_demo(args: argparse.Namespace) -> int:
    print("demo: making a short clip with known cuts (ffmpeg), then scoring it", file=sys.stderr, flush=True)
    from ..demo import make_clip

    with tempfile.TemporaryDirectory() as tmp:
        clip = Path(tmp) / "demo_clip.mp4"
        cuts = make_clip(clip)
        print(f"demo clip: {len(cuts) + 1} shots, cuts at {', '.join(f'{c:.2f}' for c in cuts)} s")
        return _run_score(args, video=clip)


#: a cut further than this from its beat is reported with the reason
OFF_BEAT_S = 0.005


def _off_beat(cut: float, err: float, on_grid: float) -> str:
    """Why a cut is off the beat: the tempo fit keeps near the scene's tempo, and no whole number of
    beats at such a tempo spans the time from the last cut it placed."""
    if abs(err) <= OFF_BEAT_S:
        return ""
    from ..spot.tempo import TEMPO_TOLERANCE

    return (f"; off the beat: {cut - on_grid:.2f} s after the last cut on the grid is no whole number of"
            f" beats at a tempo within {TEMPO_TOLERANCE:.0%} of the scene's, so the tempo fit could not"
            " reach it")


def _tempo_jump(cut: float, steps: list[tuple[float, float]]) -> str:
    """Why the tempo jumps at a cut: from here to the next cut on the grid, no whole number of beats at a
    tempo within the step limit of the one before fits (and the tolerance of the scene's tempo)."""
    from ..spot.tempo import STEP_LIMIT

    size = next((size for time, size in steps if abs(time - cut) < 1e-6), 0.0)
    if size <= STEP_LIMIT + 1e-9:
        return ""
    return (f"; tempo jumps {size:.0%} here: no tempo within {STEP_LIMIT:.0%} of the one before puts the next"
            " cut on a beat")


def _run_spot(args: argparse.Namespace) -> int:
    from ..progress import stage_bar
    from ..spot import spot
    from ..spot.cue_edits import load_cues
    from ..spot.edits import load_spots
    from ..staging import staged_output

    if args.spots:
        load_spots(args.spots)  # a bad file is one line, before any progress bar
    if args.cues:
        load_cues(args.cues, reel=args.reel, max_cue=Config.max_cue)
    with ExitStack() as stack:
        stills = stack.enter_context(staged_output(args.stills)) if args.stills else None
        with stage_bar("spot", enabled=not args.json) as progress:
            config = llm_config(args, Config(hardware_decode=args.hardware_decode, start_tc=args.start_tc,
                                             reel=args.reel))
            spotting = spot(args.video, config, progress=progress,
                            rhythm_spots=args.spots, stills_to=stills, cues=args.cues)
    if args.json:
        print(spotting.to_json())
        return 0
    _print_spotting(args.video, spotting)
    return 0


def _print_spotting(video: Path, spotting) -> None:  # noqa: ANN001  (a Spotting; imported late)
    """Shots and hits in the picture's timecode with seconds beside; each hit's weight and frames off."""
    from ..report.cuesheet import bar_beat, frames_off_beat
    from ..spot.tempo import tempo_steps

    tm, clock = spotting.tempo_map, spotting.clock()
    print(f"{video}: {clock.label(spotting.duration)} out ({spotting.duration:.3f} s), {clock.fps:.3f} fps"
          f"{' drop-frame' if clock.drop_frame else ''}, starts {clock.start},"
          f" {spotting.width}x{spotting.height}, emotion {spotting.emotion},"
          f" {tm.changes[0].bpm:.1f} bpm {tm.meter[0]}/{tm.meter[1]}")
    for cue in spotting.cue_list():
        print(f"  cue {cue.number} {clock.label(cue.start)}-{clock.label(cue.end)}  theme {cue.theme or '-'}"
              f"  {cue.mood or '-'}  {cue.title}: {cue.reason}")
    for i, shot in enumerate(spotting.shots, 1):
        print(f"  shot {i:>2} {clock.label(shot.start)} ({shot.start:7.3f} s)  motion {shot.motion_speed:.3f}"
              f"  {shot.attributes.emotion or '-'}"
              + "".join(f", {v}" for v in (shot.attributes.setting, shot.attributes.behaviour) if v)
              + (f", theme {shot.attributes.theme}" if shot.attributes.theme else ""))
    errors = list(zip(spotting.cuts, spotting.cut_errors, strict=True))
    steps = tempo_steps(tm)
    on_grid = 0.0
    for hit in spotting.rhythm_spots:
        where = bar_beat(tm, hit.time)
        downbeat = " (a downbeat)" if where.endswith("|1") else ""
        err = next((e for cut, e in errors if abs(cut - hit.time) < 1e-6 and hit.kind == "cut"), None)
        why = "" if err is None else _off_beat(hit.time, err, on_grid) + _tempo_jump(hit.time, steps)
        print(f"  {hit.kind:<6} {clock.label(hit.time)} ({hit.time:7.3f} s)  weight {hit.weight:.2f}"
              f"  {where}  {frames_off_beat(tm, clock, hit.time):+.1f} frames off{downbeat}{why}")
        if err is not None and abs(err) <= OFF_BEAT_S:
            on_grid = hit.time
