"""`python3 install.py --reaper`: the actions land in REAPER, reaper.ini changes only where it must."""

from __future__ import annotations

import importlib.util
import json
import platform
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = ROOT / "reaper_scripts"

#: a reaper.ini as REAPER writes one (CRLF, many sections, keys REAPER owns), with our keys partly present
REAPER_INI = (
    "[REAPER]\r\n"
    "lastthemefn5=C:\\Users\\me\\AppData\\Roaming\\REAPER\\ColorThemes\\Default_6.0.ReaperThemeZip\r\n"
    "multiprojopt=0\r\n"
    "pythonlibdll64=python38.dll\r\n"
    "audioasync=1\r\n"
    "Reascript=0\r\n"
    "vstpath64=C:\\Program Files\\VSTPlugins;C:\\Program Files\\Common Files\\VST3\r\n"
    "\r\n"
    "[audioconfig]\r\n"
    "reascript=ignored here\r\n"
    "srate=48000\r\n"
    "\r\n"
    "[Recent]\r\n"
    "recent01=D:\\film\\reel1.RPP\r\n"
    "; a comment REAPER never writes but a person might\r\n"
    "[verchk]\r\n"
    "lastcheck=1700000000\r\n"
)

#: python-reapy's repository at the commit that set version 0.10.0 (its .py files are the PyPI wheel's)
REAPY_UPSTREAM = "https://raw.githubusercontent.com/RomeoDespres/reapy/b2464fb433783cca1c146ca36a40155fdf0c4a04/"

KB_INI = b'SCR 4 0 RSabc "Custom: mine.lua" "mine.lua"\r\nKEY 1 65 _RSabc 0\r\n'


@pytest.fixture()
def install():
    spec = importlib.util.spec_from_file_location("fc_install_reaper", ROOT / "install.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _other_lines(text: str) -> list[str]:
    """Every line except the three Python keys of [REAPER]."""
    out, section = [], ""
    for line in text.splitlines(keepends=True):
        if line.startswith("["):
            section = line.strip().lower()
        key = line.split("=", 1)[0].strip().lower()
        if not (section == "[reaper]" and key in ("reascript", "pythonlibpath64", "pythonlibdll64")):
            out.append(line)
    return out


def test_edit_ini_changes_only_the_python_keys(install) -> None:
    values = {"reascript": "1", "pythonlibpath64": "/usr/lib/x86_64-linux-gnu",
              "pythonlibdll64": "libpython3.11.so"}
    edited = install.edit_ini(REAPER_INI, "REAPER", values)
    assert _other_lines(edited) == _other_lines(REAPER_INI)  # every other byte, CRLF included
    reaper = edited.split("[audioconfig]")[0]
    assert "pythonlibdll64=libpython3.11.so\r\n" in reaper and "Reascript=1\r\n" in reaper
    assert reaper.endswith("pythonlibpath64=/usr/lib/x86_64-linux-gnu\r\n\r\n")  # before the blank line
    assert "reascript=ignored here\r\n" in edited  # same key, other section: untouched
    assert install.edit_ini(edited, "REAPER", values) == edited  # idempotent


def test_edit_ini_adds_a_missing_section_at_the_end(install) -> None:
    edited = install.edit_ini("[other]\nx=1", "REAPER", {"reascript": "1"})
    assert edited == "[other]\nx=1\n[REAPER]\nreascript=1\n"


@pytest.mark.parametrize("system,env,expected", [
    ("Windows", {"APPDATA": "C:/Users/me/AppData/Roaming"}, "C:/Users/me/AppData/Roaming/REAPER"),
    ("Darwin", {}, "~/Library/Application Support/REAPER"),
    ("Linux", {}, "~/.config/REAPER"),
])
def test_resource_path_per_platform(install, monkeypatch, system: str, env: dict, expected: str) -> None:
    monkeypatch.setattr(platform, "system", lambda: system)
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    assert install.reaper_resource_path() == Path(expected).expanduser()
    assert install.reaper_resource_path("/opt/reaper-portable") == Path("/opt/reaper-portable")


@pytest.fixture()
def resource(tmp_path: Path) -> Path:
    folder = tmp_path / "REAPER"
    folder.mkdir()
    (folder / "reaper.ini").write_bytes(REAPER_INI.encode())
    (folder / "reaper-kb.ini").write_bytes(KB_INI)
    return folder


def test_install_reaper_copies_registers_and_configures(install, monkeypatch, resource: Path) -> None:
    monkeypatch.setattr(install, "reaper_is_running", lambda: False)
    bridge = ROOT / ".venv" / "bin" / "filmcomposer"
    assert install.install_reaper(str(resource), bridge) == 0
    assert install.install_reaper(str(resource), bridge) == 0  # again: nothing doubles

    target = resource / "Scripts" / "FilmComposer"
    for script in SCRIPTS.glob("*.py"):
        assert (target / script.name).read_bytes() == script.read_bytes()
    # python-reapy 0.10.0 for REAPER's Python, beside the scripts (fc_reapy puts lib/ on sys.path)
    reapy = target / "lib" / "reapy"
    assert '__version__ = "0.10.0"' in (reapy / "__init__.py").read_text()
    assert (reapy / "core" / "track" / "track.py").is_file()
    assert not list(reapy.rglob("__pycache__")) and not list((target / "lib").glob(".*partial"))
    assert sorted(p.name for p in (target / "lib").iterdir()) == ["reapy"]  # no psutil, nothing compiled
    assert not [p for p in (target / "lib").rglob("*") if p.suffix in (".so", ".pyd", ".dll", ".dylib")]
    library = json.loads((ROOT / "schemes" / "instruments.json").read_text())
    assert json.loads((target / "instruments.json").read_text()) == library
    assert json.loads((target / "filmcomposer.json").read_text()) == {"bridge": [str(bridge)]}

    kb = (resource / "reaper-kb.ini").read_bytes().decode()
    assert kb.startswith(KB_INI.decode())
    ours = [line for line in kb.splitlines() if "FilmComposer/" in line]
    assert len(ours) == len(install.REAPER_ACTIONS)
    for line, (script, name) in zip(ours, install.REAPER_ACTIONS, strict=True):
        assert re.fullmatch(r'SCR 4 0 RS[0-9a-f]{40} "Custom: ' + re.escape(name) + r'" "FilmComposer/'
                            + re.escape(script) + '"', line)
        assert (target / script).is_file()

    ini = (resource / "reaper.ini").read_bytes().decode()
    assert _other_lines(ini) == _other_lines(REAPER_INI)
    assert "Reascript=1\r\n" in ini
    library = install.python_shared_library(install.venv_python())
    if library is not None:
        assert f"pythonlibdll64={library.name}\r\n" in ini and f"pythonlibpath64={library.parent}\r\n" in ini
    backups = sorted(resource.glob("reaper.ini.filmcomposer*.bak"))
    assert backups == [resource / install.INI_BACKUP]  # one backup; the second run changed nothing
    assert backups[0].read_bytes() == REAPER_INI.encode()


def test_install_reaper_leaves_the_ini_files_alone_while_reaper_runs(install, monkeypatch,
                                                                     resource: Path) -> None:
    monkeypatch.setattr(install, "reaper_is_running", lambda: True)
    before = {p.name: p.read_bytes() for p in resource.iterdir() if p.is_file()}
    assert install.install_reaper(str(resource), Path("/x/filmcomposer")) == 0
    assert {p.name: p.read_bytes() for p in resource.iterdir() if p.is_file()} == before
    assert (resource / "Scripts" / "FilmComposer" / "score_selected_video.py").is_file()


def test_a_missing_resource_folder_is_a_clear_failure(install, tmp_path: Path, capsys) -> None:
    assert install.install_reaper(str(tmp_path / "nope"), Path("/x/filmcomposer")) == 1
    assert "--reaper PATH" in capsys.readouterr().out


def _header_version(path: Path) -> str | None:
    match = re.search(r"^# @version (\S+)$", path.read_text(encoding="utf-8"), re.M)
    return match[1] if match else None


def test_reapack_index_lists_every_script_with_its_version(install, tmp_path: Path) -> None:
    index = ET.parse(SCRIPTS / "index.xml").getroot()
    assert index.tag == "index" and index.get("version") == "1"
    (package,) = index.iter("reapack")
    (version,) = package.iter("version")
    sources = {s.get("file"): s for s in version.iter("source")}
    ours = {name for name in sources if "/" not in name and name.endswith(".py")}
    assert ours == {p.name for p in SCRIPTS.glob("*.py")}
    for name in ours:
        assert _header_version(SCRIPTS / name) == version.get("name"), name
    assert sources["instruments.json"].text == "../schemes/instruments.json"
    # python-reapy 0.10.0 comes with the package: every module of the release, from its upstream commit
    reapy = Path(importlib.util.find_spec("reapy").origin).parent  # found, not imported
    lib = {name: s.text for name, s in sources.items() if name.startswith("lib/")}
    assert set(lib) == {f"lib/reapy/{p.relative_to(reapy).as_posix()}" for p in reapy.rglob("*.py")}
    assert all(url == REAPY_UPSTREAM + name[4:] for name, url in lib.items())
    mains = {name for name, s in sources.items() if s.get("main") == "main"}
    assert mains == {script for script, _ in install.REAPER_ACTIONS}
    for script, title in install.REAPER_ACTIONS:
        assert re.search(r"^# @description " + re.escape(title) + "$", (SCRIPTS / script).read_text(), re.M)

    written = ET.parse(install.write_reapack_index(tmp_path)).getroot()
    urls = [s.text for s in written.iter("source")]
    assert all(u.startswith("file://") for u in urls)
    assert [u.rsplit(tmp_path.name + "/", 1)[1] for u in urls] == list(sources)


def test_install_reaper_without_reapy_in_the_venv_says_so(install, monkeypatch, resource: Path,
                                                          capsys) -> None:
    monkeypatch.setattr(install, "reaper_is_running", lambda: False)
    monkeypatch.setattr(install, "reapy_package", lambda python: None)
    assert install.install_reaper(str(resource), Path("/x/filmcomposer")) == 1
    assert "python-reapy==0.10.0" in capsys.readouterr().out
    assert not (resource / "Scripts" / "FilmComposer" / "lib").exists()


def test_reapy_package_is_found_without_importing_reapy(install) -> None:
    """Importing reapy outside REAPER reaches for its network server; the installer only locates it."""
    found = install.reapy_package(install.venv_python())
    assert found is not None and (found / "__init__.py").is_file() and found.name == "reapy"
