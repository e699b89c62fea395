"""The written forms of dates and times in a provider's own examples.

A schema says ``format: date``; the provider's examples say ``2022/12/09``. A client
that only reads what the schema promises breaks on what the service really sends, so
the strict sandboxes answer in the examples' forms and check their answers against
them. A form is the example with every digit turned into ``9``: ``9999/99/99``,
``9999-99-99 99:99:99 +9999``. Only answers are read (response examples and response
schemas' ``example``), never request bodies, whose examples may use other forms.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
from collections.abc import Iterator
from pathlib import Path

from .specs import SPEC_DIR, load_spec

# Values that look like a date or a time stamp: the only ones whose form is learnt.
_DATELIKE = re.compile(r"^\d{4}[-/]\d{1,2}[-/]\d{1,2}")
ZOHO_EXAMPLES = SPEC_DIR / "zoho-invoice-v3-examples.json"


def form(value: str) -> str:
    """'2022/12/09' → '9999/99/99'; a zone's sign is either ('-0800' ≈ '+0900')."""
    shape = re.sub(r"\d", "9", value)
    return re.sub(r"[+-](?=99:?99$)", "±", shape)


def _walk_values(node, key: str | None = None) -> Iterator[tuple[str, object]]:
    if isinstance(node, dict):
        for name, value in node.items():
            yield from _walk_values(value, name)
    elif isinstance(node, list):
        for value in node:
            yield from _walk_values(value, key)
    elif key is not None:
        yield key, node


def _as_json_value(value):
    """YAML reads an unquoted 2022-12-09 as a date; the wire would carry text."""
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def response_examples(spec: dict) -> Iterator[tuple[str, dict]]:
    """(where, example value) of every response example in an OpenAPI document:
    ``examples``/``example`` under responses, resolved through components/examples."""
    named = spec.get("components", {}).get("examples", {})
    for path, item in spec.get("paths", {}).items():
        for method, operation in item.items():
            if not isinstance(operation, dict):
                continue
            for status, response in (operation.get("responses") or {}).items():
                for media, content in (response.get("content") or {}).items():
                    where = f"{method.upper()} {path} {status} {media}"
                    if "example" in content:
                        yield where, content["example"]
                    for name, example in (content.get("examples") or {}).items():
                        if "$ref" in example:
                            example = named[example["$ref"].rsplit("/", 1)[-1]]
                        if "value" in example:
                            yield f"{where} ({name})", example["value"]


def schema_examples(spec: dict) -> Iterator[tuple[str, str, object]]:
    """(schema, property, example) of every ``example`` on a response schema's property."""
    for name, schema in spec.get("components", {}).get("schemas", {}).items():
        for prop, values in _schema_properties(schema):
            if "example" in values:
                yield name, prop, values["example"]


def _schema_properties(schema: dict, prefix: str = "") -> Iterator[tuple[str, dict]]:
    for prop, values in (schema.get("properties") or {}).items():
        if isinstance(values, dict):
            yield prop, values
            if values.get("type") == "object":
                yield from _schema_properties(values)
            if isinstance(values.get("items"), dict):
                yield from _schema_properties(values["items"])


@functools.cache
def zoho_examples() -> dict:
    """Zoho's documented example answers (see the file's ``_source``)."""
    return json.loads(Path(ZOHO_EXAMPLES).read_text(encoding="utf-8"))


def _examples_of(provider: str) -> list[object]:
    if provider == "zoho":
        data = zoho_examples()
        return [v for k, v in data.items() if not k.startswith("_")]
    spec = load_spec(provider)
    found: list[object] = [value for _where, value in response_examples(spec)]
    found += [{prop: value} for _schema, prop, value in schema_examples(spec)]
    return found


@functools.cache
def example_forms(provider: str) -> dict[str, frozenset[str]]:
    """{field name: the forms its date/time values take in the provider's examples}."""
    forms: dict[str, set[str]] = {}
    for example in _examples_of(provider):
        for key, value in _walk_values(example):
            value = _as_json_value(value)
            if isinstance(value, str) and _DATELIKE.match(value):
                forms.setdefault(key, set()).add(form(value))
    return {key: frozenset(values) for key, values in forms.items()}


def form_mismatches(provider: str, payload) -> list[str]:
    """Date/time values of ``payload`` written unlike the provider's examples write them."""
    known = example_forms(provider)
    problems = []
    for key, value in _walk_values(payload):
        if key in known and isinstance(value, str) and value.strip():
            if form(value) not in known[key]:
                shown = " or ".join(sorted(known[key]))
                problems.append(f"{key} {value!r} is not written as in the examples ({shown})")
    return problems
