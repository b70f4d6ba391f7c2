"""OSC notice of finished jobs, for a REAPER (or anything) listening on UDP: `serve --notify-osc HOST:PORT`.

A user who runs the backend on another machine can have REAPER (its OSC control surface, or a script
listening on the port) react when a job ends, instead of watching the bridge. One message a job, sent
once it ended: address `/filmcomposer/job`, arguments (job id, kind "score" | "reroll", state "done" |
"failed" | "cancelled", detail: the result's file count as text, or the error code and message).
UDP: sending never blocks the broker, and a lost notice costs nothing but the notice; a send that
fails is logged and forgotten. python-osc (pure Python) is imported only when notices are asked for.
"""

from __future__ import annotations

import logging

from ..errors import InputError

log = logging.getLogger(__name__)

ADDRESS = "/filmcomposer/job"


def parse_target(text: str) -> tuple[str, int]:
    """HOST:PORT (an IPv6 host in brackets: [::1]:9000) -> (host, port); an InputError otherwise."""
    host, sep, port = text.rpartition(":")
    host = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise InputError("--notify-osc", f"{text!r} is not HOST:PORT (a UDP port 1..65535)")
    return host, int(port)


class OscNotifier:
    """Sends `/filmcomposer/job` messages to one OSC server."""

    def __init__(self, target: str) -> None:
        host, port = parse_target(target)
        try:
            from pythonosc.udp_client import SimpleUDPClient
        except ImportError:
            raise InputError("--notify-osc", "needs python-osc: pip install python-osc==1.10.2") from None
        self.client = SimpleUDPClient(host, port, allow_broadcast=False)
        self.target = f"{host}:{port}"

    def job_ended(self, job: str, kind: str, state: str, detail: str = "") -> None:
        try:
            self.client.send_message(ADDRESS, [job, kind, state, detail])
        except OSError as err:
            log.warning("OSC notice to %s failed: %s", self.target, err)
