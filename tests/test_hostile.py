"""A hostile user: random edits to scheme.json and plan.json, random re-roll spans, a score killed at random
points. Never a traceback, never a leftover staging folder, never a lost or half-replaced file."""

from __future__ import annotations

import contextlib
import io
import json
import math
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fc_backend.cli import main
from fc_backend.scorefolder import ARTIFACTS, MANIFEST, ScoreFolder
from fc_backend.staging import remove_stale

#: small on purpose: every example that passes validation renders audio (about two seconds)
EXAMPLES = 3
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

values = st.one_of(
    st.none(), st.booleans(), st.integers(-10**12, 10**12), st.sampled_from([math.nan, math.inf, -math.inf]),
    st.floats(allow_nan=False, allow_infinity=False, width=32), st.text(max_size=12),
    st.lists(st.integers(-3, 200), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2))


def _paths(node: object, prefix: tuple = ()) -> list[tuple]:
    """Every place in a JSON document a value can be replaced (or a key removed)."""
    found = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, child in node.items():
            found += _paths(child, (*prefix, key))
    elif isinstance(node, list):
        for index, child in enumerate(node[:4]):  # the first few items of long lists (notes) are enough
            found += _paths(child, (*prefix, index))
    return found


def _apply(doc: dict, path: tuple, value: object, delete: bool) -> None:
    parent = doc
    for step in path[:-1]:
        parent = parent[step]
    if delete and isinstance(parent, dict):
        del parent[path[-1]]
    else:
        parent[path[-1]] = value


def _snapshot(folder: Path) -> dict[str, bytes]:
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in files}


def _run(argv: list[str]) -> tuple[int, str]:
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        status = main(argv)
    return status, err.getvalue()


def _check_outcome(status: int, err: str, out: Path, before: dict[str, bytes], kept: str) -> None:
    assert "Traceback" not in err
    assert not [p for p in out.parent.iterdir() if p.name.endswith(".partial")]
    if status == 2:
        lines = err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("filmcomposer: error: "), err
        assert _snapshot(out) == before, "a refused edit changed OUT"
    else:
        assert status == 0, err
        assert (out / kept).read_bytes() == before[kept], f"the edited {kept} was replaced"
        assert all((out / name).is_file() for name in ARTIFACTS)


def _edit_and_render(scored, name: str, argv: list[str], data: st.DataObject) -> None:  # noqa: ANN001
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out"
        shutil.copytree(scored.out_dir, out)
        doc = json.loads((out / name).read_text())
        path = data.draw(st.sampled_from(_paths(doc)), label="path")
        _apply(doc, path, data.draw(values, label="value"), data.draw(st.booleans(), label="delete"))
        (out / name).write_text(json.dumps(doc))
        before = _snapshot(out)
        status, err = _run(["render", str(out), "-q", *argv])
        _check_outcome(status, err, out, before, name)


@SETTINGS
@given(data=st.data())
def test_random_edits_to_the_scheme_render_or_refuse_in_one_line(scored, data: st.DataObject) -> None:
    _edit_and_render(scored, "scheme.json", [], data)


@SETTINGS
@given(data=st.data())
def test_random_edits_to_the_plan_render_or_refuse_in_one_line(scored, data: st.DataObject) -> None:
    _edit_and_render(scored, "plan.json", ["--plan"], data)


spans = st.one_of(st.floats(-5, 20, width=32), st.sampled_from([math.nan, math.inf, -1e300, 1e300]))


@SETTINGS
@given(t0=spans, t1=spans)
def test_random_reroll_spans_reroll_or_refuse_in_one_line(scored, t0: float, t1: float) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out"
        shutil.copytree(scored.out_dir, out)
        before = _snapshot(out)
        status, err = _run(["reroll", str(out), f"--from={t0!r}", f"--to={t1!r}", "-q"])
        _check_outcome(status, err, out, before, "spotting.json")
        if status == 0:
            assert (out / "melody.json").read_bytes() != before["melody.json"]


def _complete(out: Path) -> bool:
    """Every artifact there, and every file the manifest names holds what it says."""
    if not all((out / name).is_file() for name in ARTIFACTS):
        return False
    return ScoreFolder(out).foreign(list(ScoreFolder(out).manifest())) == []


@pytest.mark.parametrize(("sig", "seed"), [(signal.SIGTERM, 1), (signal.SIGKILL, 2), (signal.SIGKILL, 3)])
def test_a_score_killed_at_a_random_point_loses_nothing_and_the_next_run_cleans_up(
        scored, clip, tmp_path: Path, sig: signal.Signals, seed: int) -> None:
    """SIGTERM is caught (no leftover); SIGKILL cannot be, so the next run removes what it left."""
    rng = random.Random(seed)
    out = tmp_path / "out"
    shutil.copytree(scored.out_dir, out)
    (out / "stems" / "my_take.wav").write_bytes(b"the user's own")
    cmd = [sys.executable, "-m", "fc_backend.cli", "score", str(clip[0]), "-o", str(out),
           "--seed", str(seed), "-q"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(rng.uniform(0.5, 6.0))
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert "Traceback" not in err
    if sig == signal.SIGTERM and proc.returncode != 0:
        assert proc.returncode == 143 and len(err.strip().splitlines()) == 1
        assert not [p for p in tmp_path.iterdir() if p.name.endswith(".partial")]
    assert _complete(out), "the kill left OUT without a complete score"
    assert (out / "stems" / "my_take.wav").read_bytes() == b"the user's own"
    remove_stale(out)  # what the next run does first
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".partial")]
    assert MANIFEST in {p.name for p in out.iterdir()}
