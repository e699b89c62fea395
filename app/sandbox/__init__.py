"""Sandbox emulators of the invoicing services Renkei syncs with.

Plain Flask blueprints, one per provider, each with its own OAuth2 server, API,
control API (``/_sandbox/…``: faults, reset, request log, clients, tokens, document
statuses; for tests, payments, edits and invoices made behind Renkei's back — see
control.py) and a small HTML page listing its documents:

- Money Forward Cloud Invoice v3: ``/sandbox/moneyforward/api/v3/…``
- Zoho Invoice v3: ``/sandbox/zoho/invoice/v3/…``
- freee Invoice: ``/sandbox/freee/iv/…``

``create_sandbox_app()`` serves them alone (tests, a stand-alone demo);
``register_sandboxes(app)`` mounts them into the console and returns the blueprints
so the host can exempt them from CSRF (``csrf.exempt(bp)``): API clients post JSON
without a CSRF token, and the page's buttons are sandbox-only.
"""

from __future__ import annotations

import os

from flask import Blueprint, Flask

from .freee import FreeeSandbox
from .moneyforward import MoneyForwardSandbox
from .store import Store
from .zoho import ZohoSandbox

SANDBOX_CLASSES = (MoneyForwardSandbox, ZohoSandbox, FreeeSandbox)
EXTENSION_KEY = "renkei_sandboxes"

__all__ = ["create_sandbox_app", "register_sandboxes", "sandboxes_of"]


def register_sandboxes(
    flask_app: Flask,
    state_path: str | os.PathLike | None = None,
    validate: bool = False,
    token_ttl: int = 3600,
) -> list[Blueprint]:
    """Mount the three sandboxes on ``flask_app``; return their blueprints.

    One Store holds the three providers' state (in memory, or in the JSON file
    ``state_path`` so a demo keeps its documents across restarts). ``validate``
    checks Money Forward and freee traffic against their OpenAPI files (tests).
    """
    store = Store(state_path)
    sandboxes = {
        cls.name: cls(store, validate=validate, token_ttl=token_ttl) for cls in SANDBOX_CLASSES
    }
    for sandbox in sandboxes.values():
        flask_app.register_blueprint(sandbox.blueprint)
    flask_app.extensions[EXTENSION_KEY] = sandboxes
    return [sandbox.blueprint for sandbox in sandboxes.values()]


def sandboxes_of(flask_app: Flask) -> dict:
    """{"moneyforward": …, "zoho": …, "freee": …} of an app the sandboxes are mounted on."""
    return flask_app.extensions[EXTENSION_KEY]


def create_sandbox_app(
    state_path: str | os.PathLike | None = None, validate: bool = False, token_ttl: int = 3600
) -> Flask:
    """A plain Flask app serving only the three sandboxes."""
    app = Flask(__name__)
    app.json.sort_keys = False  # keep the providers' field order, as they send it
    app.json.ensure_ascii = False  # Japanese labels as UTF-8, like the services
    register_sandboxes(app, state_path=state_path, validate=validate, token_ttl=token_ttl)
    return app
