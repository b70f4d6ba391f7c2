# @noindex
# @version 0.3.0
"""Run the `filmcomposer` bridge as a child process without ever blocking REAPER's UI.

Standard library only. The actions start a command (`filmcomposer request score ... --progress-json`,
`filmcomposer reroll ...`, `filmcomposer render ...`) and call `Job.poll()` from a defer loop: two
reader threads drain the child's stdout and stderr into queues, so a poll only looks at what already
arrived. Which `filmcomposer` to run comes from, in order: the global ExtState FilmComposer/bridge
(set it from a script or REAPER's console), then filmcomposer.json beside these scripts (written by
`python3 install.py --reaper`), then `filmcomposer` on PATH.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import subprocess
import sys
import threading

CONFIG_NAME = "filmcomposer.json"
HERE = os.path.dirname(os.path.abspath(__file__))


def bridge_command(get_ext_state=None) -> list[str]:
    """The command that starts the bridge, as an argv prefix; [] when none can be found."""
    if get_ext_state is not None:
        configured = get_ext_state("FilmComposer", "bridge")
        if configured:
            return json.loads(configured) if configured.startswith("[") else [configured]
    config = os.path.join(HERE, CONFIG_NAME)
    if os.path.isfile(config):
        with open(config, encoding="utf-8") as f:
            bridge = json.load(f).get("bridge")
        if bridge:
            return list(bridge) if isinstance(bridge, list) else [bridge]
    found = shutil.which("filmcomposer")
    return [found] if found else []


class Job:
    """A running bridge command: its JSON events, its other output, its exit status."""

    def __init__(self, argv: list[str], cwd: str | None = None) -> None:
        flags = 0x08000000 if sys.platform == "win32" else 0  # CREATE_NO_WINDOW: no console pops up
        self.argv = argv
        self.process = subprocess.Popen(argv, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, text=True, encoding="utf-8",
                                        errors="replace", creationflags=flags)
        self._out: queue.Queue[str | None] = queue.Queue()
        self._err: list[str] = []
        self._threads = [threading.Thread(target=self._pump, args=(self.process.stdout, self._out.put),
                                          daemon=True),
                         threading.Thread(target=self._pump, args=(self.process.stderr, self._err.append),
                                          daemon=True)]
        for thread in self._threads:
            thread.start()
        self.events: list[dict] = []
        self.text: list[str] = []
        self._stdout_closed = False

    @staticmethod
    def _pump(stream, put) -> None:
        for line in stream:
            put(line.rstrip("\r\n"))
        stream.close()
        put(None)

    def poll(self) -> list[dict]:
        """New JSON events since the last poll (never waits)."""
        new = []
        while True:
            try:
                line = self._out.get_nowait()
            except queue.Empty:
                break
            if line is None:
                self._stdout_closed = True
                continue
            try:
                event = json.loads(line)
            except ValueError:
                self.text.append(line)
                continue
            if isinstance(event, dict):
                new.append(event)
        self.events.extend(new)
        return new

    @property
    def done(self) -> bool:
        return self._stdout_closed and self.process.poll() is not None

    @property
    def returncode(self) -> int | None:
        return self.process.poll()

    def error_message(self) -> str:
        """The one line that explains a failure: the error event's message, else stderr's last line."""
        for event in reversed(self.events):
            if event.get("event") == "error":
                return f"{event.get('code', 'error')}: {event.get('message', '')}"
        lines = [line for line in self._err if line]
        return lines[-1] if lines else f"exit status {self.returncode}"

    def cancel(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()


class ProgressLine:
    """Progress in REAPER's console: one line per stage, then every 25 %."""

    def __init__(self, show) -> None:
        self.show = show
        self.last: tuple[str, int] | None = None

    def __call__(self, event: dict) -> None:
        kind = event.get("event")
        if kind == "progress":
            stage, step = event.get("stage", ""), int(float(event.get("fraction", 0.0)) * 4)
            if (stage, step) != self.last:
                self.last = (stage, step)
                self.show(f"  {stage} {step * 25}%\n")
        elif kind in ("accepted", "queued"):
            where = f" (position {event['position']})" if event.get("position") else ""
            self.show(f"  job {event.get('job', '')} {kind}{where}\n")
