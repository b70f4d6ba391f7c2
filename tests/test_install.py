"""install.py decides what to install from what is missing, and names the exact command elsewhere."""

from __future__ import annotations

import importlib.util
import platform
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
