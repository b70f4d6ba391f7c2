"""`filmcomposer serve`, `filmcomposer worker` and `filmcomposer request` (the bridge REAPER calls)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from ..config import LOUDNESS_TARGETS, Config
from .reroll import add_reroll_options

DEFAULT_BIND = "tcp://127.0.0.1:5555"


def add_commands(commands: Any) -> None:
    """Register serve, worker and request on the `filmcomposer` sub-parsers."""
    serve = commands.add_parser("serve", help="run the backend: a ZeroMQ broker and its local workers")
    serve.add_argument("--bind", default=DEFAULT_BIND, help=f"client endpoint (default {DEFAULT_BIND})")
    serve.add_argument("--workers", type=int, default=1,
                       help="local worker processes (default 1; 0: remote only)")
    serve.add_argument("--workers-bind", metavar="ADDR",
                       help="endpoint where remote `filmcomposer worker --connect` machines join")
    serve.add_argument("--curve-keys", type=Path, metavar="DIR", help="CurveZMQ key folder (see --make-keys)")
    serve.add_argument("--make-keys", type=Path, metavar="DIR",
                       help="create server, client and worker key pairs in DIR and exit")
    serve.add_argument("--insecure", action="store_true",
                       help="allow a non-loopback bind without CURVE keys (trusted networks only)")
    serve.add_argument("--queue", type=int, default=16, help="jobs waiting or uploading before 'busy' (16)")
    serve.add_argument("--client-uploads", type=int, default=2,
                       help="uploads one client may have in flight at once (2)")
    serve.add_argument("--client-queue", type=int, default=4,
                       help="jobs one client may have uploading or queued at once (4)")
    serve.add_argument("--upload-timeout", type=float, default=60,
                       help="seconds an upload may send nothing before it is dropped (60)")
    serve.add_argument("--queue-timeout", type=float, default=300,
                       help="seconds a queued job waits with no worker able to run it (300); then no_worker")
    serve.add_argument("--max-upload-mb", type=float, default=2048, help="largest video accepted, MB (2048)")
    serve.add_argument("--max-duration", type=float, default=1800, help="longest clip accepted, s (1800)")
    serve.add_argument("--heartbeat", type=float, default=1.0, help="heartbeat interval, s (1)")
    serve.add_argument("--timeout", type=float, default=5.0, help="a peer silent this long is gone, s (5)")
    serve.add_argument("--retries", type=int, default=1, help="reruns of a job whose worker vanished (1)")
    serve.add_argument("--job-timeout", type=float, default=3600, help="longest job, s (3600)")
    serve.add_argument("--work-dir", type=Path,
                       help="where uploads and results wait (default: a temp folder)")
    serve.add_argument("--soundfont", help="General MIDI .sf2 the local workers render with")
    serve.add_argument("--notify-osc", metavar="HOST:PORT",
                       help="send an OSC message /filmcomposer/job there when a job ends (needs python-osc)")
    serve.add_argument("--state-file", type=Path, help=argparse.SUPPRESS)
    serve.add_argument("--idle-exit", type=float, help=argparse.SUPPRESS)
    serve.set_defaults(run=_run_serve)

    worker = commands.add_parser("worker", help="run score and reroll jobs for a `filmcomposer serve` broker")
    worker.add_argument("--connect", required=True, metavar="ADDR",
                        help="the broker's --workers-bind endpoint")
    worker.add_argument("--curve-keys", type=Path, metavar="DIR",
                        help="folder with server.key and worker.key_secret")
    worker.add_argument("--work-dir", type=Path, help="where job files live while a job runs")
    worker.add_argument("--soundfont", help="General MIDI .sf2 for the offline render")
    worker.add_argument("--heartbeat", type=float, default=1.0)
    worker.add_argument("--timeout", type=float, default=5.0)
    worker.add_argument("--insecure", action="store_true",
                        help="join a loopback broker started with serve --insecure (no keys)")
    worker.add_argument("--exit-with-parent", action="store_true", help=argparse.SUPPRESS)
    worker.set_defaults(run=_run_worker)

    request = commands.add_parser("request", help="ask a backend (started on demand if none is given)")
    request.add_argument("--server", metavar="ADDR",
                         help="backend endpoint (default: a local one, started on demand)")
    request.add_argument("--curve-keys", type=Path, metavar="DIR",
                         help="folder with server.key and client.key_secret")
    request.add_argument("--insecure", action="store_true",
                         help="talk to a loopback server started with serve --insecure (no keys)")
    request.add_argument("--timeout", type=float, default=10.0,
                         help="seconds of server silence before giving up (10)")
    request.add_argument("--progress-json", action="store_true",
                         help="print one JSON object per event on stdout (for the REAPER action)")
    request.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")
    ops = request.add_subparsers(dest="operation", required=True, metavar="OPERATION")
    ops.add_parser("ping", help="check the backend answers; print its load")
    score = ops.add_parser("score", help="score VIDEO on the backend; artifacts into OUT")
    score.add_argument("video", type=Path)
    score.add_argument("-o", "--out", type=Path, required=True)
    score.add_argument("--seed", type=int, default=Config.seed)
    score.add_argument("--description", default="")
    score.add_argument("--loudness", type=float, default=Config.loudness, choices=LOUDNESS_TARGETS)
    reroll = ops.add_parser("reroll", help="compose OUT's measures over [FROM, TO] s anew on the backend")
    reroll.add_argument("out", type=Path, help="a folder `score` (or `request score`) wrote")
    add_reroll_options(reroll)
    for name in ("status", "cancel"):
        op = ops.add_parser(name, help=f"{name} of a job")
        op.add_argument("job")
    request.set_defaults(run=_run_request)


def _run_serve(args: argparse.Namespace) -> int:
    if args.make_keys:
        from ..server.auth import make_keys

        made = make_keys(args.make_keys)
        print(f"wrote key pairs to {args.make_keys}: give clients server.key and client.key_secret, "
              f"remote workers server.key and worker.key_secret; allowed keys are in clients/ and workers/")
        return 0 if made else 1
    from ..server.broker import serve
    from ..server.settings import ServeSettings

    settings = ServeSettings(
        bind=args.bind, workers=args.workers, workers_bind=args.workers_bind, curve_keys=args.curve_keys,
        insecure=args.insecure, queue=args.queue, queue_timeout=args.queue_timeout,
        client_uploads=args.client_uploads, client_queue=args.client_queue,
        upload_timeout=args.upload_timeout,
        max_upload=int(args.max_upload_mb * (1 << 20)),
        max_duration=args.max_duration, heartbeat=args.heartbeat, timeout=args.timeout, retries=args.retries,
        job_timeout=args.job_timeout, work_dir=args.work_dir, state_file=args.state_file,
        idle_exit=args.idle_exit, soundfont=args.soundfont, notify_osc=args.notify_osc)
    settings.check()
    return serve(settings)


def _run_worker(args: argparse.Namespace) -> int:
    from ..server.worker import work

    return work(args.connect, curve_keys=args.curve_keys, work_dir=args.work_dir, soundfont=args.soundfont,
                heartbeat=args.heartbeat, timeout=args.timeout, exit_with_parent=args.exit_with_parent,
                insecure=args.insecure)


def _run_request(args: argparse.Namespace) -> int:
    from ..errors import FilmComposerError
    from ..server.client import Client

    events = _EventPrinter(json_lines=args.progress_json, human=not args.quiet)
    try:
        if args.operation in ("score", "reroll"):  # before a backend is even started
            from ..server.client import check_writable

            check_writable(args.out)
        server = args.server
        if server is None:
            from ..server.local import ensure_backend

            server = ensure_backend()
        with Client(server, curve_keys=args.curve_keys, timeout=args.timeout,
                    insecure=args.insecure) as client:
            if args.operation == "ping":
                reply = client.ping()
                events.final({"event": "pong", **_public(reply)},
                             f"{server}: protocol {reply['version']}, {reply.get('workers', 0)} workers, "
                             f"{reply.get('uploading', 0)} uploading, {reply.get('queued', 0)} queued, "
                             f"{reply.get('running', 0)} running")
            elif args.operation == "status":
                reply = client.status(args.job)
                events.final({"event": "status", **_public(reply)}, " ".join(
                    f"{k}={v}" for k, v in _public(reply).items() if v not in ("", None)))
            elif args.operation == "cancel":
                client.cancel(args.job)
                events.final({"event": "cancelled", "job": args.job}, f"cancelled {args.job}")
            elif args.operation == "reroll":
                result = client.reroll(args.out, args.t0, args.t1, seed=args.seed, loudness=args.loudness,
                                       on_event=events)
                s = result["summary"]
                events.close()
                first, last = s.get("measures", [0, 0])
                span = f"measure {first}" if first == last else f"measures {first}-{last}"
                print(f"re-rolled {span} with seed {s.get('seed')}; "
                      f"assessment {s.get('assessment')}/{s.get('criteria', 19)}", file=sys.stderr)
                print(f"rewrote {len(result['files'])} files in {args.out}", file=sys.stderr)
            else:
                result = client.score(args.video, args.out, seed=args.seed, description=args.description,
                                      loudness=args.loudness, on_event=events)
                s = result["summary"]
                events.close()
                print(f"{s.get('shots')} shots, {s.get('rhythm_spots')} rhythm spots, {s.get('key')}, "
                      f"{s.get('tracks')} tracks; assessment {s.get('assessment')}/{s.get('criteria', 19)}",
                      file=sys.stderr)
                print(f"wrote {len(result['files']) + 1} files to {args.out}", file=sys.stderr)
    except FilmComposerError as err:
        events.error(getattr(err, "code", "input"), getattr(err, "message", str(err)))
        raise
    finally:
        events.close()
    return 0


def _public(reply: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in reply.items() if k not in ("v", "op", "rid")}


class _EventPrinter:
    """Events as JSON lines on stdout (for programs) and as progress bars on stderr (for people)."""

    def __init__(self, *, json_lines: bool, human: bool) -> None:
        self.json_lines = json_lines
        self.human = human
        self._bar: Any = None
        self._stage = ""

    def __call__(self, event: dict[str, Any]) -> None:
        if self.json_lines:
            print(json.dumps(event), flush=True)
        if not self.human:
            return
        if event["event"] == "progress":
            if event["stage"] != self._stage:
                self.close()
                from ..progress import stage_bar

                self._stage = event["stage"]
                self._cm = stage_bar(self._stage)
                self._bar = self._cm.__enter__()
            self._bar(event["fraction"])
        elif event["event"] in ("accepted", "queued"):
            self.close()
            detail = f" (position {event['position']})" if event.get("position") else ""
            print(f"job {event['job']}: {event['event']}{detail}", file=sys.stderr)

    def close(self) -> None:
        if self._bar is not None:
            self._cm.__exit__(None, None, None)
            self._bar, self._stage = None, ""

    def final(self, event: dict[str, Any], line: str) -> None:
        if self.json_lines:
            print(json.dumps(event), flush=True)
        else:
            print(line)

    def error(self, code: str, message: str) -> None:
        self.close()
        if self.json_lines:
            print(json.dumps({"event": "error", "code": code, "message": message}), flush=True)


def lean_main(argv: list[str] | None = None) -> int:
    """serve, worker and request alone (`python -m fc_backend.server`): the broker starts its local
    workers this way, importing only what a worker needs, so they join in a fraction of the time the
    whole `filmcomposer` command takes to load."""
    from . import run_command

    parser = argparse.ArgumentParser(prog="python -m fc_backend.server")
    add_commands(parser.add_subparsers(dest="command", required=True, metavar="COMMAND"))
    return run_command(parser, argv)
