"""One registry entry per provider; no branch on a provider's name outside its package
(issue #12). Read from the source with ast, like tests/test_layering.py."""

from __future__ import annotations

import ast
from pathlib import Path

from app.provider_keys import PROVIDER_KEYS
from app.providers.registry import ENTRIES
from app.services.connections import DEMO_CONNECTIONS
from app.services.sync.adapters import ADAPTERS

APP = Path(__file__).resolve().parent.parent / "app"
NAMES = set(PROVIDER_KEYS)
# Where a provider's name may be written: its own package, the sandboxes (one per
# provider) and the plain list of keys (app/provider_keys.py, which models may import).
ALLOWED = {"provider_keys.py"}
ALLOWED_DIRS = ("sandbox/",) + tuple(f"providers/{name}/" for name in NAMES)


def _literal_names(node: ast.AST) -> list[str]:
    """Provider names written as string constants in ``node`` or its tuple/list/set."""
    if isinstance(node, ast.Constant) and node.value in NAMES:
        return [node.value]
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        return [n for elt in node.elts for n in _literal_names(elt)]
    return []


def branches_on_names(source: str) -> list[tuple[int, str]]:
    """(line, name) of every comparison, ``in`` test, dict key or match case that
    names a provider."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Compare):
            parts = [node.left, *node.comparators]
        elif isinstance(node, ast.Dict):
            parts = [k for k in node.keys if k is not None]
        elif isinstance(node, ast.MatchValue):
            parts = [node.value]
        else:
            continue
        found += [(node.lineno, n) for part in parts for n in _literal_names(part)]
    return found


def _allowed(relative: str) -> bool:
    return relative in ALLOWED or relative.startswith(ALLOWED_DIRS)


def test_no_branch_on_a_provider_name_outside_its_package():
    wrong = []
    for path in sorted(APP.rglob("*.py")):
        relative = path.relative_to(APP).as_posix()
        if _allowed(relative):
            continue
        for line, name in branches_on_names(path.read_text(encoding="utf-8")):
            wrong.append(f"app/{relative}:{line} {name!r}")
    assert wrong == [], f"branches on a provider's name (use its registry entry): {wrong}"


def test_no_provider_name_in_templates():
    """Jinja compares with ``==`` too: templates take labels from the entries."""
    wrong = [
        f"{path.relative_to(APP)}: {name!r}"
        for path in sorted((APP / "templates").rglob("*.html"))
        for name in NAMES
        for quote in "'\""
        if f"{quote}{name}{quote}" in path.read_text(encoding="utf-8")
    ]
    assert wrong == []


def test_the_walk_sees_each_kind_of_branch():
    """The check above would pass vacuously if it missed a kind of branch."""
    source = (
        'if p == "zoho": pass\n'
        'if p in ("zoho", "freee"): pass\n'
        'X = {"moneyforward": 1}\n'
        'match p:\n    case "freee": pass\n'
        'label = "zoho"  # a plain value is not a branch\n'
    )
    assert branches_on_names(source) == [
        (1, "zoho"),
        (2, "zoho"),
        (2, "freee"),
        (3, "moneyforward"),
        (5, "freee"),
    ]


def test_one_entry_adapter_and_demo_per_provider():
    assert tuple(ENTRIES) == PROVIDER_KEYS
    assert set(ADAPTERS) == set(PROVIDER_KEYS)
    assert all(ADAPTERS[key].provider == key for key in PROVIDER_KEYS)
    assert [d.provider for d in DEMO_CONNECTIONS] == list(PROVIDER_KEYS)
