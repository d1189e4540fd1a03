"""The layers hold, read from the code's own imports (inside functions too).

    config -> demo -> transparency -> demands -> assets -> scenarios -> operation
           -> tenants -> core

A package imports only packages to its right (config and demo may import any); no two
modules import each other, directly or round a loop; only tenants/permissions.py compares
a membership's organization or role, or reads roles and object permissions.
ARCHITECTURE.md explains why.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LAYERS = [
    "core",
    "tenants",
    "operation",
    "scenarios",
    "assets",
    "demands",
    "transparency",
    "demo",
    "config",
]
PERMISSIONS = "tenants.permissions"


def _modules() -> dict[str, Path]:
    found = {}
    for package in LAYERS:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            found[name.removesuffix(".__init__")] = path
    return found


MODULES = _modules()


def _resolve(name: str) -> str | None:
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _imports(module: str) -> set[str]:
    """The project's modules that ``module`` imports, wherever in it the import stands."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            names = [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        for name in names:
            target = _resolve(name)
            if target and target != module:
                found.add(target)
    return found


GRAPH = {module: _imports(module) for module in MODULES}


def _layer(module: str) -> int:
    return LAYERS.index(module.split(".")[0])


def test_every_import_points_down_the_layers():
    upward = sorted(
        f"{module} -> {target}"
        for module, targets in GRAPH.items()
        for target in targets
        if _layer(target) > _layer(module) and _layer(module) < LAYERS.index("demo")
    )
    assert upward == []


def _cycles() -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []
    for root in GRAPH:
        if root in index:
            continue
        work = [(root, iter(sorted(GRAPH[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(GRAPH[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_no_modules_import_each_other_round_a_loop():
    assert _cycles() == []


def test_the_cycle_finder_finds_a_loop(monkeypatch):
    monkeypatch.setitem(GRAPH, "core.errors", {*GRAPH["core.errors"], "core.text"})
    assert ["core.errors", "core.text"] in _cycles()


@pytest.mark.parametrize("attribute", ["organization_id", "organization", "role"])
def test_only_the_permissions_module_reads_a_membership(attribute):
    """A membership's organization and role answer "may this user ...?", which is asked of
    tenants/permissions.py alone (reading them to show or copy them is fine elsewhere)."""
    compared = []
    for module, path in MODULES.items():
        if module == PERMISSIONS:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Compare):
                continue
            for side in [node.left, *node.comparators]:
                if (
                    isinstance(side, ast.Attribute)
                    and side.attr == attribute
                    and "membership" in ast.unparse(side.value)
                ):
                    compared.append(f"{module}:{node.lineno}: {ast.unparse(node)}")
    assert compared == []


READERS_OF_ROLES = {"tenants.permissions", "tenants.roles"}
ROLE_READS = {"has_role", "user_roles", "get_objects_for_user", "has_perm"}


def test_only_the_permissions_module_reads_roles_and_object_permissions():
    """Roles (groups) and object permissions (guardian) are read through the predicates of
    tenants/permissions.py (is_operator_staff, sees_everything, visible_objects ...)."""
    calls = []
    for module, path in MODULES.items():
        if module in READERS_OF_ROLES:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call):
                name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
                if name in ROLE_READS:
                    calls.append(f"{module}:{node.lineno}: {ast.unparse(node.func)}")
    assert calls == []
