"""The package's shape: imports follow the stage order, no two modules import each other, one home per idea.

Read from the source with `ast` (nothing is imported), so a lazy import inside a function counts too.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "fc_backend"
#: the stages in pipeline order (DESIGN.md), then the report drawn from their artifacts
STAGES = ("spot", "compose", "notate", "assess", "arrange", "plan", "realize", "report")
#: what drives the stages: may import them, never imported by them
DRIVERS = ("pipeline", "cues", "cli", "server", "demo", "eval")


def _modules() -> dict[str, tuple[Path, bool]]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        found[".".join(parts[:-1] if is_package else parts)] = (path, is_package)
    return found


MODULES = _modules()


def _imports(name: str) -> set[str]:
    """The fc_backend modules `name` imports anywhere in its source (a package when no module matches)."""
    path, is_package = MODULES[name]
    package = name if is_package else name.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[:len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                out.add(sub if sub in MODULES else target)
        elif isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
    return {t for t in out if t.startswith("fc_backend") and t != name}


GRAPH = {name: _imports(name) for name in MODULES}


def _area(name: str) -> str:
    """The top-level part of fc_backend a module belongs to ("plan", "model", "cli", ...)."""
    return name.split(".")[1] if "." in name else ""


def test_the_graph_reads_real_imports() -> None:
    assert "fc_backend.theory" in GRAPH["fc_backend.model"]
    assert "fc_backend.plan.follow" in GRAPH["fc_backend.plan"]


def test_no_two_modules_import_each_other() -> None:
    pairs = sorted((a, b) for a in GRAPH for b in GRAPH[a] if a < b and a in GRAPH.get(b, ()))
    assert pairs == []


def test_no_import_cycle_of_any_length() -> None:
    """Tarjan's strongly connected components: every one is a single module."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in GRAPH.get(node, ()):
            if nxt not in GRAPH:
                continue
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for name in sorted(GRAPH):
        if name not in index:
            visit(name)
    assert cycles == []


def test_no_stage_imports_a_later_stage_or_what_drives_it() -> None:
    upward = []
    for name, targets in GRAPH.items():
        if _area(name) not in STAGES:
            continue
        for target in targets:
            area = _area(target)
            later = area in STAGES and STAGES.index(area) > STAGES.index(_area(name))
            if later or area in DRIVERS:
                upward.append((name, target))
    assert sorted(upward) == []


def test_shared_modules_import_no_stage() -> None:
    """model, theory, loudness, formats, schemes, agents, ... sit under every stage."""
    below = [(name, target) for name, targets in GRAPH.items()
             if _area(name) not in STAGES + DRIVERS for target in targets
             if _area(target) in STAGES + DRIVERS]
    assert sorted(below) == []


def test_runtime_never_imports_measurement() -> None:
    """eval/ measures scored folders; nothing that scores imports it (as inference never imports training).

    Only the command line's `eval` command does, to offer the measurement.
    """
    runtime = [(name, target) for name, targets in GRAPH.items() if _area(name) not in ("eval", "cli")
               for target in targets if _area(target) == "eval"]
    assert sorted(runtime) == []


def test_a_stage_uses_another_stage_only_through_its_public_face() -> None:
    reaching = [(name, target) for name, targets in GRAPH.items() if _area(name) in STAGES
                for target in targets
                if _area(target) in STAGES and _area(target) != _area(name) and target.count(".") > 1]
    assert sorted(reaching) == []


@pytest.mark.parametrize(("pattern", "home"), [
    (r"=\s*-23(\.0)?\b(?!.*LOUDNESS_TARGETS)", "fc_backend/config.py"),  # the delivery loudness default
    (r"\b6\.35, 2\.23, 3\.48", "fc_backend/theory.py"),  # the Krumhansl-Kessler profiles
    (r"IIRfilter\(4\.0", "fc_backend/loudness/bs1770.py"),  # the K-weighting head shelf
    (r"\(4, 7\): \"maj\"", "fc_backend/theory.py"),  # the triad table
    (r"def (parse_key|scale_pitch_classes|estimate_chords|k_weighted|integrated_loudness)\b",
     "fc_backend/theory.py|fc_backend/loudness/bs1770.py"),
    (r"\[len\(\"measure\"\):?\]|removeprefix\(\"measure\"\)", ""),  # measure keys: model.measure_number only
])
def test_one_definition(pattern: str, home: str) -> None:
    found = sorted(str(path.relative_to(PACKAGE.parent)) for path in PACKAGE.rglob("*.py")
                   if re.search(pattern, path.read_text(encoding="utf-8")))
    assert all(re.fullmatch(home, f) for f in found) if home else found == [], found


def test_reviewer_modules_follow_the_reviewer_names() -> None:
    from fc_backend.assess.panel import CRITERIA, REVIEWER_MODULES
    from fc_backend.model import REVIEWERS

    assert tuple(module.REVIEWER for module in REVIEWER_MODULES) == REVIEWERS
    assert tuple(name for name, _ in CRITERIA) == REVIEWERS


def test_one_reader_of_earlier_artifacts(tmp_path: Path) -> None:
    """ScoreFolder.load: the pipeline, the report and eval read OUT the same way and fail the same way."""
    from fc_backend.errors import InputError
    from fc_backend.model import Melody, Note, TempoMap
    from fc_backend.scorefolder import MELODY, ScoreFolder

    folder = ScoreFolder(tmp_path)
    with pytest.raises(InputError, match="missing; score the clip first"):
        folder.load(Melody, MELODY)
    melody = Melody([Note(62, 0.0, 1.0)], "D minor", TempoMap.constant(90.0))
    melody.save(tmp_path / MELODY)
    assert folder.load(Melody, MELODY) == melody
    (tmp_path / MELODY).write_text('{"notes": [], "key": "H minor", "tempo_map": {"changes": [[0, 90]]}}')
    with pytest.raises(InputError, match="not a valid Melody"):
        folder.load(Melody, MELODY)
    sources = "".join(p.read_text(encoding="utf-8") for p in PACKAGE.rglob("*.py"))
    assert "def load_artifact" not in sources and "def _load_artifact" not in sources
