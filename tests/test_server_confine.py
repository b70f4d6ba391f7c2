"""The server reads only files the client sent for the job (issue 14, case 1).

`request reroll` sends plan.json; its "video" used to be taken as a path on the server, so a client
could get a server-only video's frames back as stills and learn from the error whether a path
exists. Now any name there is a file of the job's folder or one `bad_request` that says nothing.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from fc_backend.server.client import Client, reroll_inputs
from fc_backend.server.protocol import ServerError
from fc_backend.server.transfer import sha256_file
from tests.test_server_support import running_server, wait_for

pytestmark = pytest.mark.skipif(not Path("/proc").is_dir(), reason="process checks read /proc")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("serve")
    with running_server(folder, "--workers", "1", "--heartbeat", "0.25", "--timeout", "3", ready=1) as server:
        yield server


@pytest.fixture(scope="module")
def secret(clip, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A video only the server's side has."""
    path = tmp_path_factory.mktemp("server_only") / "secret.mp4"
    shutil.copy(clip[0], path)
    return path


def _tree(folder: Path) -> dict[str, bytes]:
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in files}


def _hostile_reroll(server, out: Path, sent: Path, **videos: object) -> dict:  # noqa: ANN001
    """What a modified client sends: OUT's files, but plan.json's and/or spotting.json's "video" set
    as given (`plan=...`, `spotting=...`); the edited copies go up from `sent`, OUT stays as it is."""
    inputs = reroll_inputs(out)
    digests = {name: sha256_file(path) for name, path in inputs.items()}
    sent.mkdir(exist_ok=True)
    for kind, video in videos.items():
        data = json.loads((out / f"{kind}.json").read_text())
        data["video"] = video
        inputs[f"{kind}.json"] = sent / f"{kind}.json"
        inputs[f"{kind}.json"].write_text(json.dumps(data))
    with Client(server.endpoint, timeout=30) as client:
        return client._reroll(out, inputs, digests, 0.0, 2.0, None, -23.0, lambda e: None, None)


@pytest.mark.parametrize("name", ["SECRET", "../../../SECRET", "input/../../SECRET", "NOWHERE"])
def test_a_plan_naming_a_server_path_is_one_bad_request_and_nothing_comes_back(
        server, scored, secret: Path, tmp_path: Path, name: str) -> None:
    out = tmp_path / "out"
    shutil.copytree(scored.out_dir, out)
    video = name.replace("SECRET", str(secret).lstrip("/") if name != "SECRET" else str(secret))
    video = video.replace("NOWHERE", "/no/such/folder/clip.mp4")
    before = _tree(out)
    with pytest.raises(ServerError) as caught:
        _hostile_reroll(server, out, tmp_path / "sent", plan=video)
    assert caught.value.code == "bad_request"
    message = caught.value.message
    assert message == "plan.json: video: must be the name of a file sent with this job"
    assert "secret" not in message and "/" not in message
    assert _tree(out) == before
    wait_for(lambda: server.job_dirs() == [], 10, "the job folder to be removed")


def test_a_spotting_naming_a_server_path_gives_no_stills_of_it(server, scored, secret: Path,
                                                                tmp_path: Path) -> None:
    out = tmp_path / "out"
    shutil.copytree(scored.out_dir, out)
    spotting = (out / "spotting.json").read_bytes()
    result = _hostile_reroll(server, out, tmp_path / "sent", plan=None, spotting=str(secret))
    names = {f["name"] for f in result["files"]}
    assert "spotting.json" not in names and not any(n.startswith("stills/") for n in names)
    assert (out / "spotting.json").read_bytes() == spotting
    assert "was not found" in (out / "report.html").read_text()  # no frame of the server's file


def test_a_local_clip_kept_elsewhere_still_rerolls_and_keeps_its_path(server, scored, tmp_path: Path) -> None:
    out = tmp_path / "out"
    shutil.copytree(scored.out_dir, out)
    clip = json.loads((out / "plan.json").read_text())["video"]
    assert Path(clip).is_absolute()
    with Client(server.endpoint, timeout=30) as client:
        client.reroll(out, 0.0, 2.0)
    assert json.loads((out / "plan.json").read_text())["video"] == clip
