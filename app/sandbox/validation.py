"""Holding the emulators to the providers' OpenAPI files.

Two layers:
- ``BodyChecker`` (always on): validates request bodies and query parameters against
  the spec with jsonschema, so the emulator refuses (4xx) what the real service
  refuses, with the offending field named.
- ``SpecValidator`` (``validate=True``): openapi-core checks every request the
  sandbox accepted and every response it returned; a mismatch turns the response
  into a 500 carrying the validation error, so tests cannot miss it.
"""

from __future__ import annotations

import copy
import datetime as _dt
import functools
import json
import re
from urllib.parse import urlsplit

import jsonschema

from .specs import load_spec

_REQUIRED = re.compile(r"'(?P<name>[^']+)' is a required property")
_SLASH_DATE = re.compile(r"^\d{4}/\d{2}/\d{2}$")
_MF_TIME = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} [+-]\d{4}$")


def _date_either_way(value) -> bool:
    """Money Forward's ``format: date``: ISO (its request examples) or YYYY/MM/DD (its
    answers and its BillingItem example)."""
    if not isinstance(value, str):
        return True
    text = value.replace("/", "-") if _SLASH_DATE.match(value) else value
    try:
        _dt.date.fromisoformat(text)
    except ValueError:
        return False
    return len(text) == 10


def _time_either_way(value) -> bool:
    """Money Forward's ``format: date-time``: RFC 3339, or '2023-03-20 14:56:10 +0900'
    as every example in its spec writes it."""
    if not isinstance(value, str):
        return True
    try:
        if _MF_TIME.match(value):
            _dt.datetime.strptime(value, "%Y-%m-%d %H:%M:%S %z")
            return True
        return "T" in value and _dt.datetime.fromisoformat(value).tzinfo is not None
    except ValueError:
        return False


# The formats a provider's own examples use where its schema's ``format`` says less.
EXAMPLE_FORMATS = {
    "moneyforward": {"date": _date_either_way, "date-time": _time_either_way},
}


class BodyChecker:
    """jsonschema validation of request bodies and query strings against one spec."""

    def __init__(self, provider: str):
        spec = load_spec(provider)
        self.formats = EXAMPLE_FORMATS.get(provider, {})
        self.openapi_31 = str(spec.get("openapi", "")).startswith("3.1")
        root = {"components": spec["components"], "paths": spec["paths"]}
        if not self.openapi_31:
            root = _nullable_to_jsonschema(copy.deepcopy(root))
        self._root = root
        self.spec = spec

    @functools.cache  # noqa: B019 - one checker per sandbox, kept for the app's life
    def _validator(self, pointer: str):
        schema = {**self._root, "$ref": pointer}
        cls = jsonschema.Draft202012Validator if self.openapi_31 else jsonschema.Draft7Validator
        checker = copy.deepcopy(cls.FORMAT_CHECKER)
        if "/parameters/" not in pointer:  # query strings stay ISO (from/to: YYYY-MM-DD)
            for name, check in self.formats.items():
                checker.checks(name)(check)
        return cls(schema, format_checker=checker)

    def errors(self, pointer: str, instance) -> list[tuple[str, str]]:
        """[(field path, message)] for ``instance`` against the schema at ``pointer``."""
        found = []
        for error in sorted(self._validator(pointer).iter_errors(instance), key=str):
            path = _dotted(error.absolute_path)
            if error.validator == "required":
                match = _REQUIRED.search(error.message)
                name = match.group("name") if match else "?"
                found.append((f"{path}.{name}" if path else name, "required"))
            else:
                found.append((path or "(body)", error.message))
        return found

    def query_errors(self, path: str, method: str, args) -> list[tuple[str, str]]:
        """[(parameter, message)] for the query string of an operation, as the spec
        declares its parameters (required, type, bounds, enum, format, pattern)."""
        item = self.spec["paths"][path]
        escaped = path.replace("~", "~0").replace("/", "~1")
        declared = [
            (f"#/paths/{escaped}/parameters/{i}", p)
            for i, p in enumerate(item.get("parameters", []))
        ]
        operation = item[method.lower()].get("parameters", [])
        declared += [
            (f"#/paths/{escaped}/{method.lower()}/parameters/{i}", p)
            for i, p in enumerate(operation)
        ]
        found = []
        for pointer, param in declared:
            if param.get("in") != "query":
                continue
            name = param["name"]
            if name not in args:
                if param.get("required"):
                    found.append((name, "required"))
                continue
            kind = param.get("schema", {}).get("type")
            try:
                value = _coerce(args[name], kind)
            except ValueError:
                found.append((name, f"{args[name]!r} is not of type '{kind}'"))
                continue
            errors = self._validator(f"{pointer}/schema").iter_errors(value)
            found.extend((name, error.message) for error in errors)
        return found

    def operation_body(self, path: str, method: str) -> str:
        """The JSON pointer of the request-body schema of an operation in the spec."""
        body = self.spec["paths"][path][method.lower()]["requestBody"]
        if "$ref" in body:  # a component under #/components/requestBodies
            return f"{body['$ref']}/content/application~1json/schema"
        escaped = path.replace("~", "~0").replace("/", "~1")
        return f"#/paths/{escaped}/{method.lower()}/requestBody/content/application~1json/schema"


def _coerce(text: str, kind: str | None):
    """A query-string value as the parameter's declared type (ValueError if it is not)."""
    if kind == "integer":
        return int(text)
    if kind == "number":
        return float(text)
    if kind == "boolean":
        if text not in ("true", "false"):
            raise ValueError(text)
        return text == "true"
    return text


def _dotted(path) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _nullable_to_jsonschema(node):
    """OpenAPI 3.0 ``nullable: true`` → JSON-Schema ``type: [t, "null"]`` (for jsonschema)."""
    if isinstance(node, list):
        return [_nullable_to_jsonschema(item) for item in node]
    if not isinstance(node, dict):
        return node
    if node.pop("nullable", False):
        if isinstance(node.get("type"), str):
            node["type"] = [node["type"], "null"]
        if isinstance(node.get("enum"), list) and None not in node["enum"]:
            node["enum"] = [*node["enum"], None]
    return {key: _nullable_to_jsonschema(value) for key, value in node.items()}


class _OpenAPIRequest:
    """The werkzeug request seen at the spec's server URL instead of the sandbox mount."""

    def __init__(self, request, host_url: str, path: str):
        from openapi_core.datatypes import RequestParameters

        self.host_url = host_url
        self.path = path
        self.method = request.method.lower()
        self.body = request.get_data(cache=True) or None
        self.content_type = request.content_type or "application/octet-stream"
        self.parameters = RequestParameters(
            query=request.args, header=request.headers, cookie=request.cookies
        )


class _OpenAPIResponse:
    def __init__(self, response):
        self.data = response.get_data()
        self.status_code = response.status_code
        self.content_type = response.mimetype or ""
        self.headers = response.headers


class SpecValidator:
    """openapi-core validation of a sandbox's traffic against its provider's spec."""

    def __init__(self, provider: str, mount: str):
        from openapi_core import Config, OpenAPI

        spec = load_spec(provider)
        server = urlsplit(spec["servers"][0]["url"])
        self.host_url = f"{server.scheme}://{server.netloc}" if server.netloc else "http://sandbox"
        self.base_path = server.path.rstrip("/")
        self.mount = mount.rstrip("/")
        config = Config(
            extra_media_type_deserializers={"application/problem+json": json.loads},
            extra_format_validators=EXAMPLE_FORMATS.get(provider, {}),
        )
        self.api = OpenAPI.from_dict(_without_security(spec), config=config)

    def check(self, request, response) -> str | None:
        """None when both sides agree with the spec, else the error text."""
        from openapi_core.templating.paths.exceptions import PathNotFound
        from openapi_core.templating.responses.exceptions import ResponseNotFound

        path = self.base_path + request.path[len(self.mount) :]
        oa_request = _OpenAPIRequest(request, self.host_url, path)
        accepted = response.status_code < 400
        if accepted:
            try:
                self.api.validate_request(oa_request)
            except Exception as exc:  # every openapi-core error is a finding here
                return f"request does not match the spec: {_describe(exc)}"
        try:
            self.api.validate_response(oa_request, _OpenAPIResponse(response))
        except (ResponseNotFound, PathNotFound) as exc:
            # Error statuses the file does not list (401, 429, ...) are documented
            # elsewhere by the provider; an undeclared success status is a bug.
            return None if not accepted else f"response not in the spec: {_describe(exc)}"
        except Exception as exc:
            return f"response does not match the spec: {_describe(exc)}"
        return None


def _without_security(spec: dict) -> dict:
    """The spec minus its security requirements: openapi-core cannot check OAuth2
    (it only warns), and the sandbox's own OAuth server checks every token anyway."""
    copy_ = {**spec, "paths": {}}
    copy_.pop("security", None)
    for path, item in spec["paths"].items():
        copy_["paths"][path] = {
            method: {k: v for k, v in op.items() if k != "security"} if isinstance(op, dict) else op
            for method, op in item.items()
        }
    return copy_


def _describe(exc: Exception) -> str:
    parts = [f"{type(exc).__name__}: {exc}"]
    cause = exc.__cause__
    while cause is not None:
        errors = getattr(cause, "schema_errors", None)
        if errors:
            parts.extend(f"  - {'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors)
        else:
            parts.append(f"  caused by {type(cause).__name__}: {cause}")
        cause = cause.__cause__
    return "\n".join(parts)
