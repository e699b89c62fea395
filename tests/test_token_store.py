"""Tokens kept in the connection row: refreshed ahead of expiry, rotated exactly once."""

import datetime as dt
import multiprocessing

import requests
import sqlalchemy as sa

from app.models.connection import Connection
from app.providers.oauth import OAuthClient
from app.providers.tokens import TokenManager
from app.services.oauth_flow import oauth_settings
from app.services.token_store import ConnectionTokenStore
from tests.factories import make_connected_mf
from tests.token_workers import token_in_worker

REDIRECT = "http://127.0.0.1/connections/oauth/callback"


def _connected(db_session, sandbox_root: str) -> Connection:
    """A connected Money Forward connection whose access token already expired."""
    return make_connected_mf(db_session, sandbox_root, "MF tokens", dt.timedelta(minutes=-5))


def _token_requests(sandbox_root: str) -> int:
    log = requests.get(f"{sandbox_root}/sandbox/moneyforward/_sandbox/requests", timeout=10).json()[
        "requests"
    ]
    return sum(1 for r in log if r["path"].endswith("/oauth/token"))


def _cleanup(db_session):
    db_session.rollback()
    db_session.execute(sa.text("DELETE FROM connection"))
    db_session.commit()


def test_expired_token_is_refreshed_and_the_rotation_saved(app, live_server, db_session):
    connection = _connected(db_session, live_server.url)
    old_refresh = connection.refresh_token
    try:
        from app.extensions import db

        manager = TokenManager(
            OAuthClient(oauth_settings(connection, REDIRECT)),
            ConnectionTokenStore(db.engine, connection.id),
        )
        token = manager.access_token()
        db_session.expire_all()
        saved = db_session.get(Connection, connection.id)
        assert saved.access_token == token
        assert saved.refresh_token != old_refresh  # the sandbox rotates refresh tokens
        assert saved.token_expires_at > dt.datetime.now(dt.UTC).replace(tzinfo=None)
        raw = db_session.execute(sa.text("SELECT refresh_token FROM connection")).scalar_one()
        assert saved.refresh_token not in raw  # encrypted at rest
    finally:
        _cleanup(db_session)


def test_two_workers_refreshing_at_once_spend_the_refresh_token_once(
    app, live_server, pg_url, db_session
):
    connection = _connected(db_session, live_server.url)
    before = _token_requests(live_server.url)
    context = multiprocessing.get_context("spawn")
    barrier, out = context.Barrier(2), context.Queue()
    workers = [
        context.Process(
            target=token_in_worker, args=(pg_url, connection.id, REDIRECT, barrier, out)
        )
        for _ in range(2)
    ]
    try:
        for worker in workers:
            worker.start()
        tokens = [out.get(timeout=120) for _ in workers]
        for worker in workers:
            worker.join(60)
        assert all(worker.exitcode == 0 for worker in workers)
        assert tokens[0] == tokens[1], "both workers must end with the same, new token"
        assert _token_requests(live_server.url) - before == 1, "exactly one refresh"
        db_session.expire_all()
        assert db_session.get(Connection, connection.id).access_token == tokens[0]
    finally:
        for worker in workers:
            if worker.is_alive():
                worker.kill()
        _cleanup(db_session)
