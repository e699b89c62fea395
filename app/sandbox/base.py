"""What every emulator shares: the blueprint, the request pipeline and the hooks.

Pipeline of a request to ``/sandbox/<provider>/…``:
1. API and OAuth-token requests are logged and may meet an injected fault;
2. API requests must carry a valid access token (else the provider's 401), then
   pass the provider's own checks (organisation / company, rate limits);
3. the route answers, raising ``ApiError`` for refusals (→ the provider's error body);
4. with ``validate=True`` the exchange is checked against the provider's spec.
"""

from __future__ import annotations

import re
import time

from flask import Blueprint, Response, g, jsonify, request

from .common import ApiError
from .control import register_control
from .example_forms import form_mismatches
from .faults import FaultInjector, drop_connection
from .oauth import OAuthConfig, OAuthServer, seed_oauth
from .traffic import RateLimiter, RequestLog
from .validation import BodyChecker, SpecValidator

# Per-request values kept in flask.g by the pipeline.
_REQUEST_KEYS = ("sandbox_kind", "sandbox_entry", "sandbox_fault", "sandbox_dropped")
_REQUEST_KEYS += ("sandbox_token", "zoho_org", "freee_limits")


class Sandbox:
    """One provider's emulator. Subclasses fill in the hooks and ``register_api``."""

    name = ""
    display_name = ""
    api_prefixes: tuple[str, ...] = ()  # below the mount, e.g. ("/api/v3",)
    spec: str | None = None  # key for specs.load_spec, when the provider publishes one
    spec_prefix = ""  # the api prefix the spec describes
    # Routes (below spec_prefix) the provider documents outside its spec file, e.g. the
    # PDF behind Money Forward's ``pdf_url``: not checked against the file.
    beyond_spec: tuple[str, ...] = ()
    oauth_config: OAuthConfig
    default_settings: dict = {}

    def __init__(self, store, validate: bool = False, token_ttl: int = 3600):
        self.store = store
        self.mount = f"/sandbox/{self.name}"
        # "strict": answer in the provider's own written forms (its examples), and check
        # every answer against them; "lenient" is the old ISO-only habit, for comparison.
        self.initial_settings = {
            "forms": "strict",
            **self.default_settings,
            "token_ttl": int(token_ttl),
        }
        self.settings = dict(self.initial_settings)
        self.faults = FaultInjector()
        self.log = RequestLog()
        self.limiter = RateLimiter()
        self.oauth = OAuthServer(self, self.oauth_config)
        self.checker = BodyChecker(self.spec) if self.spec else None
        self._spec_paths = {}  # "/billings/{}" → "/billings/{billing_id}"
        if self.checker is not None:
            for path in self.checker.spec["paths"]:
                self._spec_paths[re.sub(r"\{[^}]+\}", "{}", path)] = path
        self.validator = None
        if validate and self.spec:
            self.validator = SpecValidator(self.spec, self.mount + self.spec_prefix)
        self.blueprint = self._build_blueprint()

    # -- state ---------------------------------------------------------------------------
    @property
    def state(self) -> dict:
        return self.store.namespace(self.name, self.seed)

    def seed(self) -> dict:
        return {"oauth": seed_oauth(), "seq": {}, **self.seed_data()}

    def reset(self) -> None:
        self.store.reset(self.name, self.seed)
        self.faults.clear()
        self.log.clear()
        self.limiter.clear()
        self.settings = dict(self.initial_settings)

    def next_id(self, kind: str, start: int = 1) -> int:
        return self.store.next_id(self.state, kind, start)

    # -- hooks for the providers -----------------------------------------------------------
    def seed_data(self) -> dict:
        return {}

    def register_api(self, bp: Blueprint) -> None:
        raise NotImplementedError

    def error(self, status: int, message: str, field=None, code=None) -> Response:
        raise NotImplementedError

    def unauthorized(self, reason: str) -> Response:
        raise NotImplementedError

    def before_api(self, token: dict) -> Response | None:
        return None

    def after_api(self, response: Response) -> Response:
        return response

    def authorize_extras(self) -> dict:
        return {}

    def token_extras(self, issued_at: int) -> dict:
        return {}

    def documents(self) -> list[dict]:
        return []

    def set_document_status(self, doc_id: str, values: dict) -> dict:
        raise ApiError(404, "document not found")

    def delete_document(self, doc_id: str) -> None:
        raise ApiError(404, "document not found")

    # Test controls (see control.py): invoices only, in the provider's own representation.
    def record_payment(self, doc_id: str, values: dict) -> dict:
        raise ApiError(404, "document not found")

    def edit_invoice(self, doc_id: str, values: dict) -> dict:
        raise ApiError(404, "document not found")

    def create_invoice(self, values: dict) -> dict:
        raise ApiError(400, "this sandbox cannot make invoices from its control API")

    # -- helpers for routes ------------------------------------------------------------------
    def json_body(self) -> dict:
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            raise ApiError(400, "The request body must be a JSON object.", "(body)")
        return body

    def check_body(self, spec_path: str, method: str, body: dict) -> None:
        """Refuse a body the spec refuses, naming the first offending field."""
        pointer = self.checker.operation_body(spec_path, method)
        problems = self.checker.errors(pointer, body)
        if problems:
            field, message = problems[0]
            raise ApiError(400, self.describe_invalid(field, message), field)

    def check_query(self, spec_path: str, method: str = "get") -> None:
        """Refuse query parameters the spec refuses (missing, mistyped, out of range)."""
        problems = self.checker.query_errors(spec_path, method, request.args)
        if problems:
            field, message = problems[0]
            raise ApiError(400, self.describe_invalid(field, message), field)

    def describe_invalid(self, field: str, message: str) -> str:
        return f"{field} is required" if message == "required" else f"{field}: {message}"

    # -- pipeline ------------------------------------------------------------------------------
    def _kind(self, path: str) -> str:
        rel = path[len(self.mount) :]
        if any(rel == p or rel.startswith(p + "/") for p in self.api_prefixes):
            return "api"
        if rel == self.oauth_config.token_path:
            return "token"
        if rel == self.oauth_config.authorize_path:
            return "authorize"
        return "control" if rel.startswith("/_sandbox") else "page"

    def _lock(self) -> None:
        """Serialise request handling on the store's lock: views iterate and change
        the shared dicts, and the console serves threads. Released at teardown."""
        self.store.lock.acquire()
        g.sandbox_locked = True

    def _unlock(self, _exc=None) -> None:
        if g.pop("sandbox_locked", False):
            self.store.lock.release()
        for key in _REQUEST_KEYS:  # an app context may outlive the request (tests)
            g.pop(key, None)

    def _before(self):
        for key in _REQUEST_KEYS:
            g.pop(key, None)
        kind = g.sandbox_kind = self._kind(request.path)
        if kind in ("control", "page"):
            self._lock()
            return None
        entry = g.sandbox_entry = self.log.start(
            request.method, request.path, request.query_string.decode("latin-1")
        )
        if kind in ("api", "token"):
            fault = self.faults.take(request.method, request.path)
            if fault is not None:
                entry["fault"] = fault.kind
                response = self._apply_fault(fault)
                if response is not None:
                    g.sandbox_fault = True
                    return response
        self._lock()  # after any "slow" sleep: a delayed answer must not stall the others
        if kind != "api":
            return None
        token, reason = self.oauth.authenticate()
        if token is None:
            return self.unauthorized(reason)
        g.sandbox_token = token
        refusal = self.before_api(token)
        if refusal is None and self.checker is not None:
            spec_path = self._spec_path()
            if spec_path:
                self.check_query(spec_path, request.method.lower())
        return refusal

    def _spec_path(self) -> str | None:
        """The spec's path template of this request's route, if the spec has the call."""
        rule = request.url_rule.rule if request.url_rule else ""
        head = self.mount + self.spec_prefix
        if not rule.startswith(head + "/"):
            return None
        key = re.sub(r"<[^>]+>", "{}", rule[len(head) :])
        spec_path = self._spec_paths.get(key)
        methods = self.checker.spec["paths"].get(spec_path, {})
        return spec_path if request.method.lower() in methods else None

    def _beyond_spec(self) -> bool:
        rule = request.url_rule.rule if request.url_rule else ""
        return rule in {self.mount + self.spec_prefix + path for path in self.beyond_spec}

    def _apply_fault(self, fault) -> Response | None:
        if fault.kind == "slow":
            time.sleep(fault.delay)
            return None
        if fault.kind == "drop" and drop_connection(request.environ):
            g.sandbox_dropped = True
            return Response(b"", status=500)  # written to a closed socket: never seen
        if fault.kind == "429":
            response = self.error(429, "Too Many Requests (injected fault)")
            response.headers["Retry-After"] = str(fault.retry_after)
            return response
        return self.error(500, "Internal Server Error (injected fault)")

    def _after(self, response: Response) -> Response:
        entry = g.get("sandbox_entry")
        if g.get("sandbox_kind") == "api":
            response = self.after_api(response)
            rel = request.path[len(self.mount) :]
            checked = rel.startswith(self.spec_prefix) and not self._beyond_spec()
            if self.validator and not g.get("sandbox_fault") and checked:
                problem = self.validator.check(request, response)
            else:
                problem = None
            if not problem and self.strict and not g.get("sandbox_fault"):
                problem = self._form_problem(response)
            if problem:
                if entry is not None:
                    entry["validation_error"] = problem
                response = Response(f"sandbox validation failed\n{problem}\n", status=500)
                response.mimetype = "text/plain"
        if entry is not None:
            entry["status"] = None if g.get("sandbox_dropped") else response.status_code
        return response

    @property
    def strict(self) -> bool:
        """Answers in the provider's documented forms (the default)."""
        return self.settings.get("forms", "strict") == "strict"

    def _form_problem(self, response: Response) -> str | None:
        """A JSON answer whose dates or times are not written as the provider writes them."""
        if response.mimetype != "application/json" or response.status_code >= 400:
            return None
        problems = form_mismatches(self.name, response.get_json(silent=True))
        return "answer not in the provider's forms: " + "; ".join(problems) if problems else None

    def _build_blueprint(self) -> Blueprint:
        bp = Blueprint(f"sandbox_{self.name}", __name__, url_prefix=self.mount)
        bp.before_request(self._before)
        bp.after_request(self._after)
        bp.teardown_request(self._unlock)
        bp.register_error_handler(
            ApiError, lambda exc: self.error(exc.status, exc.message, exc.field, exc.code)
        )
        self.oauth.register(bp)
        register_control(self, bp)
        self.register_api(bp)
        return bp

    def api_base(self) -> str:
        return (
            request.host_url.rstrip("/") + request.script_root + self.mount + self.api_prefixes[0]
        )

    def json(self, payload, status: int = 200) -> Response:
        response = jsonify(payload)
        response.status_code = status
        return response
