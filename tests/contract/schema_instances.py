"""Answers built from a provider's response schema, for specs that carry no examples.

freee's spec has no ``example`` anywhere, so its schemas stand in: one instance per
enum value of every enumerated field (all payment and cancel statuses are seen),
dates in the pattern the schema declares, numbers both whole and fractional. Each
instance is checked against the schema before it is used.
"""

from __future__ import annotations

import re

from app.sandbox.specs import schema_at

DATE = "2024-05-01"
TIMES = ("2024-05-01T10:00:00+09:00", "2024-05-01 10:00:00")
# Values tried, in order, for a string with a ``pattern``.
CANDIDATES = (DATE, "2024-05-01 10:00:00", *TIMES, "T1234567890123", "100-0005", "text")


def _matching(pattern: str) -> str:
    for candidate in CANDIDATES:
        if re.search(pattern, candidate):
            return candidate
    raise AssertionError(f"no candidate value matches the pattern {pattern!r}")


def instances(spec: dict, pointer: str) -> list:
    """Instances of the schema at ``pointer`` cycling through every enum value."""
    width = max(2, _widest_enum(spec, schema_at(spec, pointer), set()))
    return [_instance(spec, schema_at(spec, pointer), i, set()) for i in range(width)]


def _resolve(spec: dict, schema: dict) -> dict:
    while "$ref" in schema:
        schema = schema_at(spec, schema["$ref"])
    return schema


def _widest_enum(spec: dict, schema: dict, seen: set) -> int:
    schema = _resolve(spec, schema)
    if id(schema) in seen:
        return 0
    seen = seen | {id(schema)}
    widths = [len([v for v in schema.get("enum", []) if v is not None])]
    for sub in (schema.get("properties") or {}).values():
        widths.append(_widest_enum(spec, sub, seen))
    if isinstance(schema.get("items"), dict):
        widths.append(_widest_enum(spec, schema["items"], seen))
    for key in ("oneOf", "anyOf", "allOf"):
        widths += [_widest_enum(spec, sub, seen) for sub in schema.get(key, [])]
    return max(widths)


def _instance(spec: dict, schema: dict, i: int, seen: set):
    schema = _resolve(spec, schema)
    if "example" in schema:
        return schema["example"]
    enum = [v for v in schema.get("enum", []) if v is not None]
    if enum:
        return enum[i % len(enum)]
    for key in ("oneOf", "anyOf"):
        if schema.get(key):
            return _instance(spec, schema[key][0], i, seen)
    if schema.get("allOf"):
        merged: dict = {}
        for sub in schema["allOf"]:
            value = _instance(spec, sub, i, seen)
            if isinstance(value, dict):
                merged.update(value)
        return merged
    kind = schema.get("type")
    kind = next((k for k in kind if k != "null"), None) if isinstance(kind, list) else kind
    if kind == "object" or "properties" in schema:
        if id(schema) in seen:
            return {}
        inner = seen | {id(schema)}
        return {
            name: _instance(spec, sub, i, inner)
            for name, sub in (schema.get("properties") or {}).items()
        }
    if kind == "array":
        return [_instance(spec, schema.get("items") or {}, i, seen)]
    if kind == "integer":
        return max(int(schema.get("minimum", 1)), 1) if schema.get("minimum", 1) >= 0 else 1
    if kind == "number":
        return 1100 if i % 2 == 0 else 1100.5
    if kind == "boolean":
        return i % 2 == 0
    if schema.get("pattern"):
        return _matching(schema["pattern"])
    if schema.get("format") == "date":
        return DATE
    if schema.get("format") == "date-time":
        return TIMES[i % 2]
    return "text"
