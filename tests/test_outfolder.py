"""OUT is written file by file: ours replaced, the user's kept or refused, nothing left behind on failure."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from fc_backend.cli import main
from fc_backend.scorefolder import MANIFEST, ScoreFolder
from fc_backend.staging import remove_stale, staged_output


def _copy(scored, tmp_path: Path) -> Path:
    out = tmp_path / "out"
    shutil.copytree(scored.out_dir, out)
    return out


def _snapshot(folder: Path) -> dict[str, bytes]:
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in files}


def _leftovers(parent: Path) -> list[str]:
    return [p.name for p in parent.iterdir() if p.name.endswith(".partial")]


def _one_error_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


def test_the_manifest_records_every_file_we_wrote(scored) -> None:
    ours = ScoreFolder(scored.out_dir).manifest()
    assert "scheme.json" in ours and "master.wav" in ours
    assert any(name.startswith("stems/") for name in ours)
    assert any(name.startswith("stills/") for name in ours)
    assert ScoreFolder(scored.out_dir).foreign(list(ours)) == []


def test_a_users_files_in_stems_and_stills_survive_a_new_score(scored, clip, tmp_path: Path,
                                                              capsys: pytest.CaptureFixture) -> None:
    out = _copy(scored, tmp_path)
    (out / "stems" / "vocal_take3.wav").write_bytes(b"my take")
    (out / "stills" / "holiday.jpg").write_bytes(b"my photo")
    (out / "notes.txt").write_text("mine")
    assert main(["score", str(clip[0]), "-o", str(out), "--seed", "5", "-q"]) == 0
    assert (out / "stems" / "vocal_take3.wav").read_bytes() == b"my take"
    assert (out / "stills" / "holiday.jpg").read_bytes() == b"my photo"
    assert (out / "notes.txt").read_text() == "mine"
    assert "vocal_take3.wav" not in json.dumps(ScoreFolder(out).manifest())
    assert not _leftovers(tmp_path)


def test_a_hand_made_report_or_an_edited_scheme_is_refused_by_name_until_force(
        scored, clip, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    out = _copy(scored, tmp_path)
    (out / "report.html").write_text("<p>my own notes</p>")
    scheme = json.loads((out / "scheme.json").read_text())
    scheme["tracks"][0]["panning"] = -0.9
    (out / "scheme.json").write_text(json.dumps(scheme))
    before = _snapshot(out)
    capsys.readouterr()
    assert main(["score", str(clip[0]), "-o", str(out), "-q"]) == 2
    line = _one_error_line(capsys.readouterr().err)
    assert "report.html" in line and "scheme.json" in line and "--force" in line
    assert _snapshot(out) == before and not _leftovers(tmp_path)

    assert main(["score", str(clip[0]), "-o", str(out), "-q", "--force"]) == 0
    assert (out / "report.html").read_text() != "<p>my own notes</p>"
    assert json.loads((out / "scheme.json").read_text())["tracks"][0]["panning"] != -0.9
    assert ScoreFolder(out).foreign(["report.html", "scheme.json"]) == []


def test_render_keeps_the_edited_scheme_it_rendered_from(scored, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture) -> None:
    out = _copy(scored, tmp_path)
    scheme = json.loads((out / "scheme.json").read_text())
    scheme["tracks"][0]["panning"] = -0.9
    edited = json.dumps(scheme)
    (out / "scheme.json").write_text(edited)
    assert main(["render", str(out), "-q"]) == 0
    assert (out / "scheme.json").read_text() == edited
    plan = json.loads((out / "plan.json").read_text())
    assert plan["tracks"][0]["pan"] == pytest.approx(-0.9)
    assert ScoreFolder(out).edited("scheme.json")  # still the user's: a new score would ask first


def test_an_edited_plan_is_not_replaced_by_render_without_force(scored, tmp_path: Path,
                                                                capsys: pytest.CaptureFixture) -> None:
    out = _copy(scored, tmp_path)
    plan = json.loads((out / "plan.json").read_text())
    plan["tracks"][0]["pan"] = 0.5
    (out / "plan.json").write_text(json.dumps(plan))
    before = _snapshot(out)
    assert main(["render", str(out), "-q"]) == 2
    assert "plan.json" in _one_error_line(capsys.readouterr().err)
    assert _snapshot(out) == before
    assert main(["render", str(out), "--plan", "-q"]) == 0  # rendering the edited plan as it is: fine


def test_out_that_is_a_file_is_one_line_and_leaves_nothing(clip, tmp_path: Path,
                                                           capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "taken"
    out.write_text("a file")
    assert main(["score", str(clip[0]), "-o", str(out), "-q"]) == 2
    assert "not a folder" in _one_error_line(capsys.readouterr().err)
    assert out.read_text() == "a file" and not _leftovers(tmp_path)


def test_an_unwritable_parent_is_refused_up_front(clip, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture) -> None:
    if os.geteuid() == 0:
        pytest.skip("root writes everywhere")
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o555)
    assert main(["score", str(clip[0]), "-o", str(locked / "out"), "-q"]) == 2
    assert "not writable" in _one_error_line(capsys.readouterr().err)


def test_a_staging_folder_of_a_dead_run_is_removed_and_a_live_ones_kept(tmp_path: Path) -> None:
    out = tmp_path / "out"
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True, check=True)
    stale = tmp_path / f".out.{dead.stdout.strip()}.abc123.partial"
    (stale / "stems").mkdir(parents=True)
    (stale / "stems" / "x.wav").write_bytes(b"half")
    live = tmp_path / f".out.{os.getppid()}.def456.partial"
    live.mkdir()
    with staged_output(out) as staging:
        (staging / "a.txt").write_text("new")
    assert not stale.exists() and live.exists()
    assert (out / "a.txt").read_text() == "new"
    assert remove_stale(out) == []


def test_failure_inside_the_block_leaves_out_as_it_was(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with staged_output(out) as staging:
        (staging / "a.txt").write_text("first")
    with pytest.raises(RuntimeError), staged_output(out) as staging:
        (staging / "a.txt").write_text("second")
        raise RuntimeError("stage failed")
    assert (out / "a.txt").read_text() == "first" and not _leftovers(tmp_path)


def test_our_old_stem_of_a_renamed_track_goes_the_users_stays(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with staged_output(out) as staging:
        (staging / "stems").mkdir()
        (staging / "stems" / "French_Horns.wav").write_bytes(b"horns")
    (out / "stems" / "mine.wav").write_bytes(b"mine")
    with staged_output(out) as staging:
        (staging / "stems").mkdir()
        (staging / "stems" / "Solo_Violin.wav").write_bytes(b"violin")
    assert sorted(p.name for p in (out / "stems").iterdir()) == ["Solo_Violin.wav", "mine.wav"]
    assert set(ScoreFolder(out).manifest()) == {"stems/Solo_Violin.wav"}


def test_a_users_file_where_our_folder_goes_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "stems").write_text("not a folder")
    with pytest.raises(Exception, match="stems/a.wav") as err, staged_output(out) as staging:
        (staging / "stems").mkdir()
        (staging / "stems" / "a.wav").write_bytes(b"x")
    assert "--force" in str(err.value)
    assert (out / "stems").read_text() == "not a folder" and not _leftovers(tmp_path)
    assert not (out / MANIFEST).exists()


def _staging_of(parent: Path) -> list[Path]:
    return [p for p in parent.iterdir() if p.name.endswith(".partial")]


@pytest.mark.parametrize("delay", [0.8, 2.5])
def test_sigterm_during_a_score_leaves_no_staging_and_says_one_line(clip, tmp_path: Path,
                                                                     delay: float) -> None:
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "fc_backend.cli", "score", str(clip[0]), "-o", str(out), "-q"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while not _staging_of(tmp_path) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(delay)
    proc.terminate()
    _, err = proc.communicate(timeout=60)
    if proc.returncode == 0:  # finished before the signal: then OUT is complete
        assert (out / "master.wav").is_file()
    else:
        assert proc.returncode == 143
        assert "SIGTERM" in _one_error_line(err)
        assert not out.exists()
    assert not _leftovers(tmp_path)
