"""The layout's rules, checked on the source: no import cycle between project modules, no
function-local import that only dodges one, and small blueprint modules that never commit.

Imports are read with `ast` from every module the wheel ships (pyproject's packages and
py-modules), including imports inside functions, so a cycle hidden by a local import
still counts.
"""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Function-local imports that stay, each with the reason it cannot move to the top.
ALLOWED_LOCAL_IMPORTS = {
    ("worker", "worker"): "RQ must find the jobs in module `worker`, not in `__main__`",
}

BLUEPRINT_PACKAGES = ("console", "widget")
MAX_LINES = 300


def project_modules() -> dict[str, Path]:
    """Module name -> file, for every Python module pyproject.toml ships."""
    tool = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    modules = {name: ROOT / f"{name}.py" for name in tool["py-modules"]}
    for package in tool["packages"]:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            if len(parts) > 1 and "versions" in parts:  # migration scripts: run, never imported
                continue
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            modules[name] = path
    return modules


def imports_of(path: Path, modules: dict[str, Path]) -> list[tuple[str, bool]]:
    """(imported project module, whether the import is below module level) for one file."""
    tree = ast.parse(path.read_text(), filename=str(path))
    top_level = {id(node) for node in tree.body}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            # `from a import b`: the submodule a.b if it is one, else the module a
            names = [
                f"{node.module}.{alias.name}"
                if f"{node.module}.{alias.name}" in modules
                else node.module
                for alias in node.names
            ]
        else:
            continue
        nested = id(node) not in top_level
        found += [(t, nested) for t in map(lambda n: _owning_module(n, modules), names) if t]
    return found


def _owning_module(name: str, modules: dict[str, Path]) -> str | None:
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def import_graph() -> dict[str, set[str]]:
    modules = project_modules()
    return {
        name: {target for target, _ in imports_of(path, modules) if target != name}
        for name, path in modules.items()
    }


def cycles(graph: dict[str, set[str]]) -> list[set[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in graph.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(component)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_check_sees_every_layer_and_a_cycle():
    graph = import_graph()
    assert {"app", "extensions", "core.models", "console.inbox", "widget.booking"} <= set(graph)
    assert "core.models" in graph["extensions"]
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [{"a", "b", "c"}]


def test_no_import_cycle_between_project_modules():
    assert [sorted(c) for c in cycles(import_graph())] == []


def test_no_function_local_import_of_a_project_module_without_a_reason():
    modules = project_modules()
    local = {
        (name, target)
        for name, path in modules.items()
        for target, nested in imports_of(path, modules)
        if nested
    }
    assert local - ALLOWED_LOCAL_IMPORTS.keys() == set()


def test_core_never_imports_the_web_side():
    web = {"app", "extensions", "clock", "links", "ops", "worker"}
    for name, targets in import_graph().items():
        if name.startswith("core"):
            outside = {t for t in targets if t in web or not t.startswith("core")}
            assert outside == set(), name


def test_notifications_never_import_the_widget():
    for name, targets in import_graph().items():
        if name.startswith("notifications"):
            assert not any(t.startswith("widget") for t in targets), name


def test_blueprint_modules_are_small_and_never_commit():
    for package in BLUEPRINT_PACKAGES:
        for path in sorted((ROOT / package).glob("*.py")):
            text = path.read_text()
            assert len(text.splitlines()) <= MAX_LINES, f"{path.name}: split it by what it holds"
            assert ".commit(" not in text, f"{package}/{path.name}: a core use case commits"
