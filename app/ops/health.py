"""/health and /ready for a load balancer: no login, no secrets, JSON answers.

- ``GET /health``: the process answers (no database, no Redis). Use it as a liveness check.
- ``GET /ready``: the database answers a query, Redis answers a ping (when REDIS_URL is
  set) and the schema is at the migrations' head. 200 ``{"status": "ready"}``, otherwise
  503 ``{"status": "not ready", "reason": ...}``. Use it to take a node out of rotation
  (a migration not yet run, Redis or PostgreSQL down).

Reasons name the failed check only (``database``, ``redis``, ``migrations``), never a URL,
a host or the driver's message, which may carry a password.
"""

from __future__ import annotations

import logging
import time
from functools import lru_cache
from pathlib import Path

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from app.extensions import db

log = logging.getLogger(__name__)
blueprint = Blueprint("health", __name__)
MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"
REDIS_TIMEOUT = 2.0  # seconds: a load balancer's check must not hang on a dead Redis


@lru_cache(maxsize=1)
def migration_heads() -> frozenset[str]:
    """The revision ids at the head of ``migrations/`` (read once per process)."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return frozenset(ScriptDirectory.from_config(config).get_heads())


def _database_revisions() -> set[str]:
    with db.engine.connect() as connection:
        rows = connection.execute(text("SELECT version_num FROM alembic_version")).scalars()
        return set(rows)


def _redis_ping(url: str) -> None:
    from redis import Redis

    client = Redis.from_url(url, socket_connect_timeout=REDIS_TIMEOUT, socket_timeout=REDIS_TIMEOUT)
    try:
        client.ping()
    finally:
        client.close()


def readiness() -> tuple[bool, dict]:
    """(ready, body): every check in order; the first failure is the reason."""
    started = time.perf_counter()
    checks: dict[str, str] = {}
    try:
        revisions = _database_revisions()
        checks["database"] = "ok"
    except Exception as exc:  # any failure means "not ready"; the message stays in the log
        log.warning("ready: database check failed: %s", type(exc).__name__)
        return False, _not_ready("database", "the database does not answer", checks)
    if revisions != set(migration_heads()):
        checks["migrations"] = "behind"
        return False, _not_ready(
            "migrations", "the database schema is not at the migrations' head", checks
        )
    checks["migrations"] = "ok"
    url = current_app.config.get("REDIS_URL")
    if url:
        try:
            _redis_ping(url)
            checks["redis"] = "ok"
        except Exception as exc:
            log.warning("ready: redis check failed: %s", type(exc).__name__)
            return False, _not_ready("redis", "Redis does not answer", checks)
    body = {"status": "ready", "checks": checks}
    body["duration_ms"] = round((time.perf_counter() - started) * 1000, 1)
    return True, body


def _not_ready(check: str, message: str, checks: dict) -> dict:
    return {
        "status": "not ready",
        "reason": check,
        "message": message,
        "checks": {**checks, check: "failed"},
    }


@blueprint.get("/health")
def health():
    """The process is alive and serving requests (touches nothing else)."""
    return jsonify(status="ok")


@blueprint.get("/ready")
def ready():
    """Ready for traffic: database, migrations at head, Redis. 503 with the reason if not."""
    ok, body = readiness()
    response = jsonify(body)
    response.status_code = 200 if ok else 503
    response.headers["Cache-Control"] = "no-store"
    return response


def install(app) -> None:
    """Serve /health and /ready on ``app`` (no login: a load balancer has none)."""
    app.register_blueprint(blueprint)
