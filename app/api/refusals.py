"""The REST API's one boundary for typed errors, and CSRF for cookie sessions.

``answered`` wraps an API method (inside FAB's ``@safe``): a ``RenkeiError`` rolls the
session back and answers 403 (Forbidden), 404 (NotFound) or 422 with the sentence under
the field it names. ``answer`` is the same outside a method (the app's error handler).

The APIs accept the browser's session cookie (``allow_browser_login``) as well as a JWT.
A cookie rides along on a forged cross-site form, so a state-changing call signed in by
cookie must carry the page's CSRF token (``X-CSRFToken`` header or ``csrf_token`` field);
a call with a bearer token cannot be forged by a form and needs none.
"""

from __future__ import annotations

import functools

from flask import jsonify, request

from app.extensions import csrf, db
from app.services.errors import Forbidden, NotFound, RenkeiError


def _body(exc: RenkeiError) -> tuple[dict, int]:
    # The service's sentence says why (which right, whose request): a person needs it.
    if isinstance(exc, Forbidden):
        return {"message": str(exc) or "Forbidden"}, 403
    if isinstance(exc, NotFound):
        return {"message": str(exc) or "Not found"}, 404
    return {"message": {getattr(exc, "field", None) or "_schema": [str(exc)]}}, 422


def answer(exc: RenkeiError, api=None):
    """The 4xx JSON answer to ``exc`` (through ``api``'s own responses when given)."""
    db.session.rollback()
    body, status = _body(exc)
    if api is not None:
        return api.response(status, message=body["message"])
    return jsonify(body), status


def require_csrf_unless_bearer() -> None:
    """Refuse (400) a cookie-session call without a valid CSRF token; JWT calls pass."""
    if request.headers.get("Authorization", "").lower().startswith("bearer "):
        return
    csrf.protect()


def answered(method=None, *, check_csrf: bool = True):
    """Decorate an API method: CSRF for cookie sessions, typed errors → 4xx."""

    def wrap(f):
        @functools.wraps(f)
        def inner(self, *args, **kwargs):
            try:
                if check_csrf:
                    require_csrf_unless_bearer()
                return f(self, *args, **kwargs)
            except RenkeiError as exc:
                return answer(exc, self)

        return inner

    return wrap(method) if method is not None else wrap
