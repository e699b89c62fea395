"""The layers of app/ import downwards only, and no two app packages import each other
in a circle (issue #12). Read from the source with ast: every ``import``, also those
inside functions, since a deferred import is still a dependency (and hides a circle).

Layers: views/api → jobs → services → providers / models. A service that queues work is
handed the way to (app.services.launchers); it does not import the job.
"""

from __future__ import annotations

import ast
from pathlib import Path

APP = Path(__file__).resolve().parent.parent / "app"

# (importer prefix, imported prefixes it must not import)
FORBIDDEN = [
    ("app.services", ("app.jobs", "app.views", "app.api")),
    ("app.providers", ("app.views", "app.api", "app.jobs")),
    ("app.models", ("app.providers", "app.services", "app.views", "app.api", "app.jobs")),
]
# Known exceptions, each to be removed by the work that owns it. Keep this list short.
KNOWN: set[tuple[str, str]] = set()


def _modules() -> dict[str, Path]:
    found = {}
    for path in APP.rglob("*.py"):
        parts = list(path.relative_to(APP.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def _imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The app modules ``name`` imports (``from a import b`` counts a.b when it is one)."""
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            out.add(module)
            out.update(f"{module}.{alias.name}" for alias in node.names)
    return {m for m in out if m in modules and m != name}


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imports(name, path, modules) for name, path in modules.items()}


def _package(module: str) -> str:
    return ".".join(module.split(".")[:2])


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
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
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_layers_import_downwards_only():
    graph = _graph()
    wrong = sorted(
        (importer, imported)
        for importer, imported_set in graph.items()
        for imported in imported_set
        for prefix, banned in FORBIDDEN
        if importer.startswith(prefix)
        and imported.startswith(banned)
        and (importer, imported) not in KNOWN
    )
    assert wrong == [], f"imports against the layers: {wrong}"


def test_no_import_circle_between_app_packages():
    """A circle inside one package (a package's __init__ and its modules) is allowed;
    one that spans two packages (jobs ↔ services, say) is not."""
    graph = _graph()
    for importer, imported in KNOWN:
        graph.get(importer, set()).discard(imported)
    spanning = [c for c in _cycles(graph) if len({_package(m) for m in c}) > 1]
    assert spanning == [], f"import circles across app packages: {spanning}"


def test_known_exceptions_still_exist():
    """An exception that no longer happens is taken off the list."""
    graph = _graph()
    gone = [pair for pair in KNOWN if pair[1] not in graph.get(pair[0], set())]
    assert gone == [], f"remove from KNOWN, fixed already: {gone}"


def test_the_walk_sees_deferred_and_relative_imports(tmp_path):
    """The checks above would pass vacuously if imports inside functions were missed."""
    source = tmp_path / "sending.py"
    source.write_text(
        "def later():\n    from app.jobs.documents import send_document_email\n"
        "from . import lifecycle\n"
    )
    modules = {"app.jobs.documents": source, "app.services.documents.lifecycle": source}
    found = _imports("app.services.documents.sending", source, modules)
    assert found == {"app.jobs.documents", "app.services.documents.lifecycle"}
    assert "app.services.launchers" in _graph()["app.services.documents.sending"]
