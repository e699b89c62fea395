"""/health and /ready for a load balancer: no login, JSON, 503 with a reason, no secrets."""

from __future__ import annotations

import socket

import pytest
import sqlalchemy as sa

from tests.conftest import REDIS_URL, TEST_SECRET


def _closed_port() -> int:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


@pytest.fixture()
def anonymous(app):
    return app.test_client()  # nobody signed in


def _other_app(pg_url, **overrides):
    from app import create_app

    # On this run's database, whatever DATABASE_URL an earlier test left behind.
    config = {
        "SESSION_COOKIE_SECURE": False,
        "RATELIMIT_ENABLED": False,
        "SQLALCHEMY_DATABASE_URI": pg_url,
    }
    config.update(overrides)
    return create_app(config)


def test_health_answers_without_login_or_database(anonymous):
    response = anonymous.get("/health")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_health_needs_no_database(pg_url):
    port = _closed_port()
    dead_db = f"postgresql+psycopg2://postgres:dbpass99@127.0.0.1:{port}/nothing"
    other = _other_app(pg_url, SQLALCHEMY_DATABASE_URI=dead_db)
    assert other.test_client().get("/health").status_code == 200
    ready = other.test_client().get("/ready")
    assert ready.status_code == 503
    body = ready.get_json()
    assert body["status"] == "not ready" and body["reason"] == "database"
    text = ready.get_data(as_text=True)
    assert "dbpass99" not in text and str(port) not in text  # no URL, no password


def test_ready_when_database_redis_and_migrations_are_fine(anonymous):
    response = anonymous.get("/ready")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["status"] == "ready"
    assert body["checks"] == {"database": "ok", "migrations": "ok", "redis": "ok"}
    assert response.headers["Cache-Control"] == "no-store"


def test_not_ready_when_redis_is_down(pg_url):
    port = _closed_port()
    secret_url = f"redis://:hunter2secret@127.0.0.1:{port}/5"
    other = _other_app(pg_url, REDIS_URL=secret_url)
    response = other.test_client().get("/ready")
    assert response.status_code == 503
    body = response.get_json()
    assert body["reason"] == "redis"
    assert body["checks"] == {"database": "ok", "migrations": "ok", "redis": "failed"}
    text = response.get_data(as_text=True)
    assert "hunter2secret" not in text and str(port) not in text
    assert TEST_SECRET not in text


def test_not_ready_when_the_database_is_behind_head(app, anonymous, db_session):
    from app.ops.health import migration_heads

    (head,) = migration_heads()
    db_session.execute(sa.text("UPDATE alembic_version SET version_num = '0013_automation'"))
    db_session.commit()
    try:
        response = anonymous.get("/ready")
        assert response.status_code == 503
        body = response.get_json()
        assert body["reason"] == "migrations"
        assert body["checks"]["migrations"] == "failed"
    finally:
        db_session.execute(sa.text("UPDATE alembic_version SET version_num = :v"), {"v": head})
        db_session.commit()
    assert anonymous.get("/ready").status_code == 200


def test_ready_pings_the_configured_redis(anonymous, redis_conn):
    # the fixture's Redis is the one the app uses: the check really talks to it
    assert REDIS_URL.endswith(str(redis_conn.connection_pool.connection_kwargs["db"]))
    before = redis_conn.info("stats")["total_commands_processed"]
    assert anonymous.get("/ready").status_code == 200
    assert redis_conn.info("stats")["total_commands_processed"] > before
