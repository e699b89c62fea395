"""Test fixtures: a real PostgreSQL database and a real Redis db per run, cleaned up after.

PostgreSQL: RENKEI_TEST_PG_ADMIN_URL (default postgresql+psycopg2://postgres@127.0.0.1:5432/postgres)
names the server; each run creates its own database and drops it at the end.
Redis: RENKEI_TEST_REDIS_URL, flushed before and after each test that uses it. Unset, the
run claims a free db of 1–15 for itself (tests/redis_claim.py: a lock key in db 0, kept
alive while the run lasts), so two runs at once on one machine never share one.
"""

from __future__ import annotations

import base64
import os
import re
import secrets
import threading

import pytest
import sqlalchemy as sa
from werkzeug.serving import make_server

from tests.redis_claim import run_redis_url

PG_ADMIN_URL = os.environ.get(
    "RENKEI_TEST_PG_ADMIN_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"
)
# The sandboxes speak plain http on loopback; real providers are https.
os.environ.setdefault("OAUTHLIB_INSECURE_TRANSPORT", "1")
REDIS_URL = run_redis_url("RENKEI_TEST_REDIS_URL")
TEST_SECRET = secrets.token_urlsafe(48)
TEST_ENCRYPTION_KEY = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


def make_database() -> str:
    """Create an empty PostgreSQL database for this run; return its URL."""
    name = f"renkei_test_{os.getpid()}_{secrets.token_hex(3)}"
    engine = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return sa.engine.make_url(PG_ADMIN_URL).set(database=name).render_as_string(False)


def drop_database(url: str) -> None:
    """Drop a database made by make_database, closing other sessions first."""
    name = sa.engine.make_url(url).database
    engine = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


def build_app(database_url: str, **overrides):
    """A Renkei app in test mode on ``database_url``, migrated and bootstrapped."""
    os.environ["RENKEI_ENV"] = "test"
    os.environ["SECRET_KEY"] = TEST_SECRET
    os.environ["RENKEI_ENCRYPTION_KEY"] = TEST_ENCRYPTION_KEY
    os.environ["DATABASE_URL"] = database_url
    from flask_migrate import upgrade

    from app import create_app
    from app.cli import bootstrap, ensure_demo_users

    config = {
        "RATELIMIT_ENABLED": False,
        "SESSION_COOKIE_SECURE": False,
        "SANDBOX_ENABLED": True,
        "REDIS_URL": REDIS_URL,
        "SERVER_NAME": None,
    }
    config.update(overrides)
    app = create_app(config)
    # first, before FAB sets g.user from the (stale) signed-in user
    app.before_request_funcs.setdefault(None, []).insert(0, _fresh_request_state)
    with app.app_context():
        upgrade()
        bootstrap()
        ensure_demo_users()
    return app


def _fresh_request_state():
    """Tests hold one app context across requests, where a real server has one per request:
    forget the previous request's ``g`` and cached translations."""
    from flask import g
    from flask_babel import refresh

    for name in list(g):  # signed-in user, CSRF token, … of the previous request
        g.pop(name, None)
    refresh()


@pytest.fixture(scope="session")
def pg_url():
    url = make_database()
    yield url
    drop_database(url)


@pytest.fixture(scope="session")
def app(pg_url):
    application = build_app(pg_url)
    yield application
    from app.extensions import db

    with application.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="session")
def sqlite_app(tmp_path_factory):
    """A second app on a SQLite file (the demo's database), migrated like the first."""
    saved = os.environ.get("DATABASE_URL")
    path = tmp_path_factory.mktemp("sqlite") / "renkei.db"
    application = build_app(f"sqlite:///{path}")
    if saved is not None:  # later apps built from the environment stay on PostgreSQL
        os.environ["DATABASE_URL"] = saved
    yield application
    from app.extensions import db

    with application.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(params=["postgresql", "sqlite"])
def any_app(request):
    """The PostgreSQL app, then the SQLite app: a test using it runs on both databases."""
    return request.getfixturevalue("app" if request.param == "postgresql" else "sqlite_app")


@pytest.fixture()
def any_session(any_app):
    """``db_session`` for ``any_app``."""
    from app.extensions import db

    with any_app.app_context():
        yield db.session
        db.session.rollback()
        wipe_crm(db.session)


@pytest.fixture()
def db_session(app):
    """The app's session inside an app context; CRM rows are wiped after the test."""
    from app.extensions import db

    with app.app_context():
        yield db.session
        db.session.rollback()
        wipe_crm(db.session)


def wipe_crm(session) -> None:
    """Delete every CRM and document row (children first) so tests do not see each other's data."""
    documents = (  # the audit trail and template versions stay: they are append-only
        "time_entry",
        "milestone",
        "milestone_contract",
        "closing_run",
        "shipment_line",
        "shipment",
        "sales_order_line",
        "sales_order",
        "billing_setting",
        "subscription_period",
        "subscription_usage",
        "subscription_change",
        "subscription_line",
        "subscription",
        "follow_up_note",
        "reminder_pause",
        "reminder",
        "automation_event",
        "automation_rule",
        "mismatch",
        "sync_failure",
        "sync_outcome",
        "sync_run",
        "external_document",
        "email_dispatch",
        "document_pdf",
        "payment",
        "approval_request",
        "document_line",
        "document",
        "approval_rule",
        "exchange_rate",
        "legal_entity",
    )
    links = ("contact_link", "product_link")
    crm = ("deal_line", "deal", "contact", "company", "product", "deal_type")
    for table in documents + links + crm:
        session.execute(sa.text(f"DELETE FROM {table}"))
    # every rule goes (a test or the API fuzz may have added or changed default ones);
    # the shipped default set comes back as bootstrap makes it
    session.execute(sa.text("DELETE FROM reminder_rule"))
    session.commit()
    from app.services.reminders.rules import ensure_default_rules

    ensure_default_rules(session)


@pytest.fixture()
def client(app, db_session):
    return app.test_client()


class LiveServer:
    """The app served over real HTTP on a loopback port, in a thread."""

    def __init__(self, app, port: int = 0):
        self.server = make_server("127.0.0.1", port, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.thread.join(5)


@pytest.fixture(scope="session")
def live_server(app):
    with LiveServer(app) as server:
        yield server


def drain_queues(app, redis_conn) -> None:
    """Run every queued job, whatever its queue, to the end with a real RQ worker (burst)."""
    from rq import Queue, SimpleWorker

    from app.jobs.queue import set_worker_app

    set_worker_app(app)
    queues = Queue.all(connection=redis_conn)
    if queues:
        SimpleWorker(queues, connection=redis_conn).work(burst=True)


@pytest.fixture()
def run_jobs(app, redis_conn):
    """``run_jobs()`` drains the queues as a production worker would (see drain_queues)."""
    return lambda: drain_queues(app, redis_conn)


@pytest.fixture()
def redis_conn():
    import redis

    conn = redis.Redis.from_url(REDIS_URL)
    conn.flushdb()
    yield conn
    conn.flushdb()


CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def csrf_token(client, url: str) -> str:
    """The CSRF token of the form at ``url``."""
    html = client.get(url).get_data(as_text=True)
    match = (
        CSRF_RE.search(html)
        or re.search(r'id="csrf_token"[^>]*value="([^"]+)"', html)
        or re.search(r'name="csrf_token" value="([^"]+)"', html)
    )
    assert match, f"no CSRF token on {url}"
    return match.group(1)


def login(client, username: str = "admin", password: str | None = None):
    """Log ``client`` in through the login form (CSRF token included)."""
    token = csrf_token(client, "/login/")
    response = client.post(
        "/login/",
        data={"username": username, "password": password or username, "csrf_token": token},
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return response


@pytest.fixture()
def admin_client(client):
    login(client)
    return client


@pytest.fixture()
def api_token(client):
    """A JWT access token for the admin, from FAB's login API."""
    response = client.post(
        "/api/v1/security/login",
        json={"username": "admin", "password": "admin", "provider": "db", "refresh": True},
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["access_token"]


@pytest.fixture()
def sample(db_session):
    """A small CRM: two companies, products, a deal type, deals with and without lines."""
    from tests.factories import make_sample

    return make_sample(db_session)
