"""Connecting a Connection: the authorization-code dance, from our side."""

from __future__ import annotations

from collections.abc import Mapping

from flask_babel import gettext as _

from app.models.connection import Connection
from app.models.crm import utcnow
from app.providers import registry
from app.providers.errors import ProviderError
from app.providers.oauth import OAuthClient, OAuthSettings
from app.services.connections import connection_for_state, issue_state
from app.services.errors import InvalidInput
from app.services.token_store import store_tokens


def oauth_settings(connection: Connection, redirect_uri: str) -> OAuthSettings:
    """The OAuth settings of ``connection``: the provider's registry entry (client
    authentication, consent parameters, scope form) with the connection's own app
    credentials, URLs and scopes."""
    return registry.oauth_settings(
        connection.provider,
        client_id=connection.client_id,
        client_secret=connection.client_secret or "",
        redirect_uri=redirect_uri,
        authorize_url=connection.authorize_url,
        token_url=connection.token_url,
        scope=connection.scopes,
    )


def begin(connection: Connection, redirect_uri: str) -> str:
    """Issue a state and return the provider's consent URL to send the browser to."""
    if not connection.client_secret:
        raise InvalidInput(_("Enter the client secret before connecting."))
    state = issue_state(connection)
    url, _state = OAuthClient(oauth_settings(connection, redirect_uri)).authorization_url(state)
    return url


def complete(session, query: Mapping[str, str], redirect_uri: str) -> Connection:
    """Check the provider's answer, trade the code for tokens and store them encrypted."""
    state = query.get("state")
    connection = connection_for_state(session, state)
    client = OAuthClient(oauth_settings(connection, redirect_uri))
    try:
        code = client.code_from_callback(query, expected_state=state)
        tokens = client.exchange_code(code)
    except ProviderError as exc:
        connection.last_error = str(exc)
        raise InvalidInput(str(exc)) from exc
    store_tokens(connection, tokens)
    for name, value in registry.entry(connection.provider).connected(tokens).items():
        setattr(connection, name, value)  # e.g. the company chosen at freee
    connection.status = "connected"
    connection.connected_at = utcnow()
    connection.last_error = None
    return connection
