"""The providers' OpenAPI files, loaded once and patched for their known defects.

The files under ``specs/`` are verbatim copies of the shared references (see
``specs/README.md`` beside the repository). They carry a few defects that make a
strict validator choke; ``patch_spec`` repairs them in the loaded dict only — the
emulators' behaviour never bends to the defects.
"""

from __future__ import annotations

import copy
import functools
import re
from pathlib import Path

import yaml

SPEC_DIR = Path(__file__).resolve().parent / "specs"
SPEC_FILES = {
    "moneyforward": "moneyforward-invoice-v3.yaml",
    "freee": "freee-invoice-iv.yml",
}

# Ruby regex literals such as '/\A(\+|＋)?[0-9]+\z/' or '/^T\d{13}$/'.
_RUBY_REGEX = re.compile(r"^/(?P<body>.*)/[a-z]*$", re.S)


@functools.cache
def load_spec(provider: str) -> dict:
    """The patched spec of ``provider`` ("moneyforward" or "freee"); cached, do not mutate."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the C loader is ~10x faster
    with open(SPEC_DIR / SPEC_FILES[provider], encoding="utf-8") as fh:
        raw = yaml.load(fh, Loader=loader)
    return patch_spec(raw, openapi_31=str(raw.get("openapi", "")).startswith("3.1"))


def patch_spec(spec: dict, openapi_31: bool) -> dict:
    """Return a copy of ``spec`` with the documented defects repaired.

    - numeric bounds written as strings ('10_000_000_000') become numbers;
    - in an OpenAPI 3.1 file, a 3.0-style ``nullable: true`` becomes a JSON-Schema
      null alternative (3.1 validators ignore ``nullable``, so ``null`` would fail);
    - Ruby regex literals (``/\\A…\\z/``) become ECMA/Python patterns (``^…$``);
    - in an OpenAPI 3.0 file (freee), a ``nullable`` enum gets ``null`` in its list:
      OAS 3.0.3 requires it there, and freee answers null for unset values.

    Money Forward's payment_status (written as codes '0'/'1'/'2', read back as labels
    未設定/未入金/入金済み) needs no patch: the request schema lists the codes and the
    Billing schema the labels, which is exactly what the service does.
    """
    return _walk(copy.deepcopy(spec), openapi_31)


def _walk(node, openapi_31: bool):
    if isinstance(node, list):
        return [_walk(item, openapi_31) for item in node]
    if not isinstance(node, dict):
        return node
    for key in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        if isinstance(node.get(key), str):
            node[key] = _number(node[key])
    if isinstance(node.get("pattern"), str):
        node["pattern"] = ruby_regex_to_python(node["pattern"])
    if not openapi_31 and node.get("nullable") is True and isinstance(node.get("enum"), list):
        if None not in node["enum"]:
            node["enum"].append(None)  # OAS 3.0.3: a nullable enum must list null itself
    if openapi_31 and node.get("nullable") is True:
        node.pop("nullable")
        if "$ref" in node:
            node["anyOf"] = [{"$ref": node.pop("$ref")}, {"type": "null"}]
        elif isinstance(node.get("type"), str):
            node["type"] = [node["type"], "null"]
    for key, value in list(node.items()):
        # Examples are documentation: leave them exactly as the provider wrote them.
        if key not in ("example", "examples"):
            node[key] = _walk(value, openapi_31)
    return node


def _number(text: str) -> int | float:
    cleaned = text.replace("_", "")
    try:
        return int(cleaned)
    except ValueError:
        return float(cleaned)


def ruby_regex_to_python(pattern: str) -> str:
    """'/\\A…\\z/' → '^…$'; any other pattern is returned unchanged."""
    match = _RUBY_REGEX.match(pattern)
    if not match:
        return pattern
    body = match.group("body")
    return body.replace("\\A", "^").replace("\\z", "$").replace("\\Z", "$")


def schema_at(spec: dict, pointer: str) -> dict:
    """The node of ``spec`` at a JSON pointer such as '#/components/schemas/Billing'."""
    node = spec
    for part in pointer.lstrip("#/").split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def property_names(spec: dict, pointer: str) -> list[str]:
    """The property names a response schema declares, in the spec's order."""
    return list(schema_at(spec, pointer).get("properties", {}))
