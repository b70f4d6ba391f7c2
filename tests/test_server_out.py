"""`request score` and `request reroll` check that OUT can be written before anything is sent
(issue 14, case 6): an unwritable OUT used to fail only after the whole job had run."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

import fc_backend
from tests.test_server_support import SERVER_CMD

CODE = str(Path(fc_backend.__file__).resolve().parent.parent)
#: nothing listens there: had the bridge sent anything, the error would say "unreachable"
NOWHERE = "tcp://127.0.0.1:9"


def _refused(run: subprocess.CompletedProcess[str], out: Path) -> None:
    assert run.returncode == 2, run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and str(out) in lines[0] and "cannot be written" in lines[0], run.stderr
    assert "unreachable" not in lines[0]


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="uses /proc as a folder no one can write")
def test_an_out_no_one_can_write_is_refused_before_any_upload(clip) -> None:
    out = Path("/proc/self/fc-out")  # even root cannot make a folder there
    run = subprocess.run([*SERVER_CMD, "request", "--server", NOWHERE, "--timeout", "30", "score",
                          str(clip[0]), "-o", str(out)], capture_output=True, text=True, timeout=60)
    _refused(run, out)


@pytest.mark.skipif(os.getuid() != 0 or shutil.which("runuser") is None,
                    reason="plays a user without write access as nobody via runuser, which needs root")
@pytest.mark.parametrize("operation", ["score", "reroll"])
def test_a_folder_the_user_cannot_write_is_refused_before_any_upload(operation: str, clip, scored) -> None:
    base = Path(tempfile.mkdtemp(prefix="fc-readonly-"))
    try:
        os.chmod(base, 0o755)  # root's: nobody may read it but not write
        video = base / "clip.mp4"
        shutil.copy(clip[0], video)
        out = base / "out"
        if operation == "score":
            args = ["score", str(video), "-o", str(out)]
        else:
            shutil.copytree(scored.out_dir, out)
            args = ["reroll", str(out), "--from", "1", "--to", "2"]
        for path in base.rglob("*"):
            path.chmod(0o755 if path.is_dir() else 0o644)
        before = sorted(p.relative_to(base) for p in base.rglob("*"))
        env = [f"PATH={os.environ.get('PATH', '/usr/bin:/bin')}", f"PYTHONPATH={CODE}", "HOME=/nonexistent"]
        run = subprocess.run(["runuser", "-u", "nobody", "--", "env", "-i", *env, *SERVER_CMD, "request",
                              "--server", NOWHERE, "--timeout", "30", *args],
                             capture_output=True, text=True, timeout=60)
        _refused(run, out)
        assert sorted(p.relative_to(base) for p in base.rglob("*")) == before
    finally:
        shutil.rmtree(base, ignore_errors=True)
