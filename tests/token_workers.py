"""Run in child processes by test_token_store: one 'worker' asking for a token."""

from __future__ import annotations


def token_in_worker(database_url: str, connection_id: int, redirect_uri: str, barrier, out):
    """Like an RQ worker: its own app, its own DB connection, the connection's token."""
    import os

    os.environ["DATABASE_URL"] = database_url
    from app import create_app
    from app.extensions import db
    from app.models.connection import Connection
    from app.providers.oauth import OAuthClient
    from app.providers.tokens import TokenManager
    from app.services.oauth_flow import oauth_settings
    from app.services.token_store import ConnectionTokenStore

    app = create_app({"SANDBOX_ENABLED": False})
    with app.app_context():
        connection = db.session.get(Connection, connection_id)
        client = OAuthClient(oauth_settings(connection, redirect_uri))
        manager = TokenManager(
            client, ConnectionTokenStore(db.engine, connection_id), provider="moneyforward"
        )
        db.session.close()
        barrier.wait(timeout=60)
        out.put(manager.access_token())
