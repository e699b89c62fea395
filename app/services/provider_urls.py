"""Where a connection's provider URLs may point.

The token URL receives the client secret and the API URL our tokens: an administrator's
edit (or a stolen admin session) must not be able to send them to an internal service
(cloud metadata, a database console, localhost). Outside the demo and the tests only
https on public addresses is accepted; ALLOW_PRIVATE_PROVIDER_URLS (on in demo/test,
whose sandboxes listen on loopback over http) lifts the rule, and
PROVIDER_URL_ALLOWED_HOSTS names hosts allowed on private addresses (https still).
Checked when a connection is saved and again before each use (a host's address may
change after it was saved).
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import gettext as _

from app.services.errors import InvalidInput

URL_FIELDS = ("api_base_url", "authorize_url", "token_url")
LOCAL_NAMES = ("localhost", "localhost.localdomain")


def check_provider_urls(connection) -> None:
    """Raise InvalidInput naming the field when one of ``connection``'s URLs may not be used."""
    for field in URL_FIELDS:
        url = getattr(connection, field, None)
        if url:
            check_provider_url(url, field)


def check_provider_url(url: str, field: str | None = None) -> None:
    """Raise InvalidInput unless ``url`` may receive our secrets (see the module doc)."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("http", "https") or not host:
        raise InvalidInput(_("%(url)s is not a web address.", url=url), field=field)
    if parts.username or parts.password:
        raise InvalidInput(_("A provider URL may not carry a user name or password."), field)
    config = current_app.config
    if config.get("ALLOW_PRIVATE_PROVIDER_URLS"):
        return
    if parts.scheme != "https":
        raise InvalidInput(_("Provider URLs must use https: %(url)s", url=url), field=field)
    if host in config.get("PROVIDER_URL_ALLOWED_HOSTS", ()):
        return
    if (
        host in LOCAL_NAMES
        or host.endswith(".localhost")
        or not all(_public(address) for address in _addresses(host))
    ):
        raise InvalidInput(
            _(
                "%(host)s is a local or private address: provider URLs must point to the "
                "provider on the internet.",
                host=host,
            ),
            field=field,
        )


def _addresses(host: str) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    """The host's addresses: itself when it is one, else what DNS says (none if unknown:
    such a URL cannot be reached either, and it is checked again before each use)."""
    try:
        return [ipaddress.ip_address(host.strip("[]"))]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        return []
    return [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]


def _public(address) -> bool:
    mapped = getattr(address, "ipv4_mapped", None)
    if mapped is not None:
        address = mapped
    return address.is_global and not address.is_multicast
