"""The layout holds: one shared domain, surfaces that never import each other, two deployments
that load only their own code, no import circles, and demo code outside the product."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SURFACES = ("intake", "api", "standards", "console")
# The delivery API is served by intake and may call police-side services; nothing else crosses.
ALLOWED_CROSSINGS = {("api", "intake"), ("api", "standards")}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules(package: str) -> dict[str, Path]:
    return {module_name(p): p for p in sorted((ROOT / package).rglob("*.py"))}


def imported(path: Path, known: dict[str, Path]) -> set[str]:
    """Every module `path` imports: `from a.b import c` counts as a.b.c when that is a module."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                child = f"{node.module}.{alias.name}"
                found.add(child if child in known else node.module)
    return found


def surface_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "app" and parts[1] in SURFACES else None


APP = modules("app")


def test_no_surface_imports_another_and_the_shared_domain_imports_none() -> None:
    crossings = []
    for module, path in APP.items():
        if module == "app":
            continue  # the two factories: each wires its own deployment's surfaces
        mine = surface_of(module)
        for target in imported(path, APP):
            theirs = surface_of(target)
            if theirs is None or theirs == mine or (mine, theirs) in ALLOWED_CROSSINGS:
                continue
            crossings.append(f"{module} ({mine or 'shared'}) imports {target}")
    assert crossings == []


def test_the_product_never_imports_the_demo_and_crypto_imports_no_app_or_flask() -> None:
    into_demo = [
        m for m, p in APP.items() if any(t.split(".")[0] == "demo" for t in imported(p, APP))
    ]
    crypto = modules("crypto")
    impure = [
        m for m, p in crypto.items()
        if any(t.split(".")[0] in {"app", "flask", "demo"} for t in imported(p, crypto))
    ]
    assert into_demo == [] and impure == []


def test_there_are_no_import_circles() -> None:
    graph = {m: {t for t in imported(p, APP) if t in APP and t != m} for m, p in APP.items()}
    circles = [component for component in _strongly_connected(graph) if len(component) > 1]
    assert circles == []


def _strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iteratively (the standard library has none)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
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
                found.append(sorted(component))
    return found


def loaded_by(factory: str) -> list[str]:
    """The app modules a fresh interpreter has loaded after calling one app factory."""
    code = (
        f"import json, sys; from app import {factory}; {factory}(); "
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in ('app', 'demo'))))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    loaded: list[str] = json.loads(result.stdout.strip().splitlines()[-1])
    return loaded


def test_the_police_side_loads_no_console_code() -> None:
    loaded = loaded_by("create_intake_app")
    assert "app.intake.views" in loaded and "app.standards.dashboard_views" in loaded
    assert [m for m in loaded if m.startswith(("app.console", "demo"))] == []


def test_the_provider_side_loads_no_intake_api_or_standards_code() -> None:
    loaded = loaded_by("create_console_app")
    assert "app.console.case_views" in loaded
    police = ("app.intake", "app.api", "app.standards", "demo")
    assert [m for m in loaded if m.startswith(police)] == []


def test_a_production_app_has_no_demo_command() -> None:
    from app import create_intake_app
    from demo import create_intake_app as create_demo_intake_app

    assert "demo-data" not in create_intake_app().cli.list_commands(None)  # type: ignore[arg-type]
    assert "demo-data" in create_demo_intake_app().cli.list_commands(None)  # type: ignore[arg-type]
