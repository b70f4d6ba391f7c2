"""install.py decides what to install from what is missing, and names the exact command elsewhere."""

from __future__ import annotations

import importlib.util
import os
import platform
import shutil
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture()
def install():
    spec = importlib.util.spec_from_file_location("fc_install", ROOT / "install.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_installer_uses_only_the_standard_library() -> None:
    import ast

    tree = ast.parse((ROOT / "install.py").read_text())
    imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names}
    imported |= {node.module.split(".")[0] for node in ast.walk(tree)
                 if isinstance(node, ast.ImportFrom) and node.module}
    import sys

    assert imported <= set(sys.stdlib_module_names) | {"__future__"}


@pytest.mark.parametrize("system,expected", [
    ("Linux", "sudo apt-get install -y ffmpeg abcmidi"),
    ("Darwin", "brew install ffmpeg abcmidi"),
    ("Windows", "choco install ffmpeg abcmidi"),
])
def test_install_command_names_each_package_once(install, monkeypatch, system: str, expected: str) -> None:
    monkeypatch.setattr(platform, "system", lambda: system)
    missing = [t for t in install.SYSTEM_TOOLS if t[0] in ("ffmpeg", "midi2abc", "abc2midi")]
    assert install.install_command(missing) == expected


def test_everything_the_default_needs_is_present_after_install(install) -> None:
    assert install.missing_tools() == []


def test_torch_is_not_a_default_dependency() -> None:
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert not any(dep.lower().startswith("torch") for dep in project["dependencies"])


def test_every_torch_requirement_is_the_local_cpu_build() -> None:
    """Any other torch spec downloads gigabytes of CUDA packages on this kind of machine."""
    import re

    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    specs = [dep for deps in project["optional-dependencies"].values() for dep in deps]
    torch = [dep for dep in specs if re.match(r"torch\b", dep)]
    assert torch == ["torch==2.13.0"]


# -- reaper.ini through a symlink, and a held dpkg lock (issue 14, case 7) ---------------------------

INI = "[REAPER]\nreascript=0\nlastproject=/films/reel1.RPP\n"


@pytest.mark.skipif(not hasattr(os, "symlink") or os.name != "posix", reason="POSIX symlinks and modes")
def test_reaper_ini_is_edited_through_its_symlink_keeping_its_mode_and_one_backup(install,
                                                                                  tmp_path: Path) -> None:
    dotfiles = tmp_path / "dotfiles"
    dotfiles.mkdir()
    real = dotfiles / "reaper.ini"
    real.write_text(INI)
    real.chmod(0o600)
    resource = tmp_path / "REAPER"
    resource.mkdir()
    (resource / "reaper.ini").symlink_to(real)

    backup = install.configure_reaper_python(resource, None)
    assert (resource / "reaper.ini").is_symlink() and (resource / "reaper.ini").resolve() == real
    assert "reascript=1" in real.read_text() and "lastproject=/films/reel1.RPP" in real.read_text()
    assert stat.S_IMODE(real.stat().st_mode) == 0o600
    assert backup == resource / install.INI_BACKUP and backup.read_text() == INI
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600

    for _ in range(3):  # already configured: nothing written, still one backup
        assert install.configure_reaper_python(resource, None) is None
    real.write_text(real.read_text().replace("reascript=1", "reascript=0"))  # REAPER turned it off
    install.configure_reaper_python(resource, None)
    assert sorted(p.name for p in resource.iterdir()) == sorted([install.INI_BACKUP, "reaper.ini"])
    assert sorted(p.name for p in dotfiles.iterdir()) == ["reaper.ini"]


_HOLDER = """
import fcntl, os, sys, time
for path in sys.argv[1:]:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o640)
    fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
print("held", flush=True)
time.sleep(60)
"""


@pytest.mark.skipif(platform.system() != "Linux" or shutil.which("apt-get") is None or os.geteuid() != 0,
                    reason="runs the real apt-get, which install.py uses only as root on Debian/Ubuntu")
@pytest.mark.parametrize("step", ["update", "install"])
def test_a_held_dpkg_lock_is_waited_for_then_one_line(install, monkeypatch, capsys, tmp_path: Path,
                                                      step: str) -> None:
    """apt's own state in a private folder (APT_CONFIG), its locks held by another process: the real
    apt-get meets a held lock exactly as on a machine that is updating itself."""
    state = tmp_path / "apt"
    for sub in ("lists/partial", "cache/archives/partial", "dpkg/updates", "parts"):
        (state / sub).mkdir(parents=True)
    (state / "dpkg" / "status").write_text("")
    (state / "sources.list").write_text("")
    (state / "apt.conf").write_text(
        f'Dir::State::status "{state}/dpkg/status"; Dir::State::Lists "{state}/lists";\n'
        f'Dir::Cache "{state}/cache"; Dir::Etc::sourcelist "{state}/sources.list";\n'
        f'Dir::Etc::sourceparts "{state}/parts"; Dir::Bin::dpkg "/bin/false";\n')
    locks = [state / "dpkg" / "lock-frontend", state / "dpkg" / "lock"]
    if step == "update":
        locks.append(state / "lists" / "lock")
    holder = subprocess.Popen([sys.executable, "-c", _HOLDER, *map(str, locks)], stdout=subprocess.PIPE,
                              text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        monkeypatch.setenv("APT_CONFIG", str(state / "apt.conf"))
        monkeypatch.setattr(install, "APT_LOCK_TIMEOUT", 3.0)
        monkeypatch.setattr(install, "missing_tools", lambda dev=False: [("hello", ("hello",), (), ())])
        capsys.readouterr()
        started = time.monotonic()
        with pytest.raises(SystemExit) as exited:
            install.ensure_system_tools()
        waited = time.monotonic() - started
    finally:
        holder.kill()
        holder.wait()
    assert exited.value.code == 1
    assert 3.0 <= waited < 20
    out = capsys.readouterr()
    lines = out.out.strip().splitlines()
    assert "Traceback" not in out.err + out.out
    assert "waiting up to 3 s" in lines[-2]
    assert lines[-1] == (f"install: apt-get {step}: another package manager still holds the apt/dpkg lock "
                         "after 3 s; run install.py again once it has finished")
