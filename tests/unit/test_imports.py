"""The package's import graph: no cycles, and the core and control plane import no service."""
from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Dict, List, Set

from support import ROOT

PACKAGE = ROOT / "mockserver"
SERVICES = ("mockserver.wechat", "mockserver.authing")


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES: Dict[str, Path] = {module_name(path): path for path in PACKAGE.rglob("*.py")}


def imports(name: str) -> Set[str]:
    """Every module of the package that ``name`` imports, at the top or inside a function."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found: Set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            for alias in node.names:  # ``from x import y``: the submodule x.y if there is one, else x
                found.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base)
    return {module for module in found if module in MODULES and module != name}


GRAPH = {name: imports(name) for name in MODULES}


def cycles() -> List[List[str]]:
    found, state, stack = [], {}, []

    def visit(node: str) -> None:
        state[node] = "open"
        stack.append(node)
        for target in sorted(GRAPH[node]):
            if state.get(target) == "open":
                found.append(stack[stack.index(target):] + [target])
            elif target not in state:
                visit(target)
        stack.pop()
        state[node] = "done"

    for node in sorted(GRAPH):
        if node not in state:
            visit(node)
    return found


def reachable(start: str) -> Set[str]:
    seen, todo = set(), [start]
    while todo:
        for target in GRAPH[todo.pop()] - seen:
            seen.add(target)
            todo.append(target)
    return seen


def test_the_graph_is_read_right():
    assert "mockserver.wechat.repo" in GRAPH["mockserver.wechat.users"]  # from .repo import ...
    assert "mockserver.runtime" in GRAPH["mockserver.control.routes"]  # from ..runtime import ...
    assert "mockserver.authing.graphql" in GRAPH["mockserver.authing.routes.graphql"]  # inside a function


def test_no_module_imports_itself_back():
    assert cycles() == []


def test_the_app_core_and_control_plane_import_no_service():
    for module in ("mockserver.app", "mockserver.runtime", "mockserver.registry", "mockserver.emulation"):
        assert not {m for m in reachable(module) if m.startswith(SERVICES)}, module
    for module in (m for m in MODULES if m.startswith(("mockserver.control", "mockserver.core"))):
        assert not {m for m in reachable(module) if m.startswith(SERVICES)}, module


def test_only_the_repositories_name_their_namespaces():
    from mockserver.authing import repo as authing_repo
    from mockserver.wechat import repo as wechat_repo

    for repo in (wechat_repo, authing_repo):
        assert repo.NAMESPACES
        for name, path in MODULES.items():
            if name != repo.__name__:
                text = path.read_text(encoding="utf-8")
                named = [ns for ns in repo.NAMESPACES if re.search(f"[\"']{re.escape(ns)}[\"':]", text)]
                assert not named, f"{name} names {named}, namespaces of {repo.__name__}"
