"""Connection verbs: fill defaults, pause, resume, disable, and the OAuth2 dance's state."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from flask_babel import gettext as _

from app.models.connection import Connection
from app.models.crm import utcnow
from app.providers.catalog import PROVIDERS, default_urls, sandbox_urls
from app.providers.registry import ENTRIES, entry
from app.services.errors import InvalidInput
from app.services.provider_urls import check_provider_urls

STATE_LIFETIME = dt.timedelta(minutes=10)


def apply_defaults(connection: Connection) -> None:
    """Fill blank URLs and scopes with the provider's real ones; refuse URLs that point
    to local or private addresses (services/provider_urls.py)."""
    if connection.provider not in PROVIDERS:
        raise InvalidInput(_("Unknown provider %(p)s.", p=connection.provider), field="provider")
    api, authorize, token = default_urls(connection.provider, connection.data_centre or "com")
    connection.api_base_url = connection.api_base_url or api
    connection.authorize_url = connection.authorize_url or authorize
    connection.token_url = connection.token_url or token
    connection.scopes = connection.scopes or PROVIDERS[connection.provider].default_scopes
    refusal = entry(connection.provider).setup_needs_organization_id
    if refusal is not None and not connection.organization_id:
        raise InvalidInput(str(refusal), field="organization_id")
    check_provider_urls(connection)


def keep_blank_secret(form) -> None:
    """Drop a blank client-secret field from an edit form: the stored secret is kept."""
    if "client_secret" in form and not (form["client_secret"].data or "").strip():
        del form["client_secret"]


# Fields every connection has; "optional" ones only where the provider's entry names them.
OPTIONAL_FIELDS = ("organization_id", "data_centre")
# Which statuses each verb accepts (the screen offers a button only where it works).
PAUSABLE = ("connected", "error")
RESUMABLE = ("paused",)


def unused_fields(provider: str | None) -> list[str]:
    """The optional connection fields ``provider`` does not use (none known: all used)."""
    if provider not in ENTRIES:
        return []
    used = entry(provider).connection_fields
    return [name for name in OPTIONAL_FIELDS if name not in used]


def fields_by_provider() -> dict[str, list[str]]:
    """provider → the optional fields it uses (for the add form's script)."""
    return {key: list(e.connection_fields) for key, e in ENTRIES.items()}


def available_verbs(connection: Connection) -> list[str]:
    """The verbs that apply to ``connection`` now, in the order they are offered."""
    verbs = ["connect"]
    if connection.status in PAUSABLE:
        verbs.append("pause")
    if connection.status in RESUMABLE:
        verbs.append("resume")
    if connection.status != "disabled":
        verbs.append("disable")
    return verbs


def pause(connection: Connection) -> None:
    """Stop syncing for a while; tokens are kept."""
    _require(connection, PAUSABLE, _("Only a working connection can be paused."))
    connection.status = "paused"


def resume(connection: Connection) -> None:
    """Sync again after a pause."""
    _require(connection, RESUMABLE, _("Only a paused connection can be resumed."))
    connection.status = "connected" if connection.refresh_token else "new"


def disable(connection: Connection) -> None:
    """Switch the integration off and forget its tokens; reconnect to use it again."""
    connection.status = "disabled"
    connection.access_token = None
    connection.refresh_token = None
    connection.token_expires_at = None
    connection.oauth_state_hash = None


def is_syncing(connection: Connection) -> bool:
    """Whether jobs may talk to the provider through this connection."""
    return connection.status == "connected"


def _require(connection: Connection, statuses, message) -> None:
    if connection.status not in statuses:
        raise InvalidInput(message, field="status")


def issue_state(connection: Connection) -> str:
    """A fresh single-use OAuth ``state``; only its hash is stored."""
    state = secrets.token_urlsafe(32)
    connection.oauth_state_hash = _hash(state)
    connection.oauth_state_issued_at = utcnow()
    return state


def connection_for_state(session, state: str | None) -> Connection:
    """The connection that issued ``state``, which is then used up; refuses unknown/expired."""
    if not state:
        raise InvalidInput(_("The provider's answer has no state: start connecting again."))
    digest = _hash(state)
    connection = session.query(Connection).filter(Connection.oauth_state_hash == digest).first()
    if connection is None or not hmac.compare_digest(connection.oauth_state_hash, digest):
        raise InvalidInput(
            _(
                "This answer from the provider does not match a connection attempt "
                "(it was already used, or it is forged). Start connecting again."
            )
        )
    issued = connection.oauth_state_issued_at
    connection.oauth_state_hash = None
    connection.oauth_state_issued_at = None
    if issued is None or utcnow() - issued > STATE_LIFETIME:
        raise InvalidInput(_("The connection attempt expired after 10 minutes: start again."))
    return connection


def _hash(state: str) -> str:
    return hashlib.sha256(state.encode()).hexdigest()


@dataclass(frozen=True)
class DemoConnection:
    """One connection the demo offers, on the built-in sandbox of its provider."""

    provider: str
    name: str
    organization_id: str | None = None  # what the sandbox serves: Zoho org, freee company
    data_centre: str | None = None  # Zoho only; its sandbox answers as zoho.com ("us")


# Each registry entry names its demo connection (the ids are the sandboxes' own).
DEMO_CONNECTIONS = tuple(
    DemoConnection(e.key, e.demo.name, e.demo.organization_id, e.demo.data_centre)
    for e in ENTRIES.values()
)


def ensure_demo_connections(session, root_url: str) -> dict[str, Connection]:
    """The demo's connections, one per provider, on the built-in sandboxes at ``root_url``.

    They start unconnected (base currency JPY, every deal type): the person connects each
    through the sandbox's OAuth consent page. Calling again creates nothing new.
    """
    connections = {}
    for demo in DEMO_CONNECTIONS:
        connection = session.query(Connection).filter_by(name=demo.name).first()
        if connection is None:
            connection = Connection(
                provider=demo.provider,
                name=demo.name,
                client_id="renkei-demo",
                client_secret="renkei-demo-secret",
                base_currency="JPY",
            )
            session.add(connection)
        # Kept when the person changed them; filled when blank (Zoho cannot do without).
        connection.organization_id = connection.organization_id or demo.organization_id
        connection.data_centre = connection.data_centre or demo.data_centre
        # The port may differ from the last run: keep the URLs on this server.
        urls = sandbox_urls(demo.provider, root_url)
        connection.api_base_url, connection.authorize_url, connection.token_url = urls
        apply_defaults(connection)
        connections[demo.provider] = connection
    session.commit()
    return connections


def reencrypt_secrets(session) -> int:
    """Write every connection's secrets again, so they are encrypted with the newest key."""
    from sqlalchemy.orm.attributes import flag_modified

    connections = session.query(Connection).all()
    for connection in connections:
        for name in ("client_secret", "access_token", "refresh_token"):
            if getattr(connection, name):
                flag_modified(connection, name)
    session.commit()
    return len(connections)
