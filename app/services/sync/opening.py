"""What a click on "Open at provider" of one of a deal's documents gets.

The adapter decides (app/services/sync/adapters): the provider's own page for the
document when its records carry one a browser can open (Zoho's ``invoice_url``,
freee's ``report_url``), else the PDF fetched through the connection's client with its
token (Money Forward's ``pdf_url`` answers only with a bearer token). A provider's
refusal becomes InvalidInput in words, for the screen to flash.
"""

from __future__ import annotations

from flask_babel import gettext as _

from app.models.sync import ExternalDocument
from app.providers.errors import (
    AuthenticationError,
    NotFoundError,
    ProviderError,
    RateLimitError,
    TransientError,
)
from app.providers.retry import RetryPolicy
from app.services.errors import InvalidInput
from app.services.sync.adapters import DocumentFile

# A person is waiting: try twice at most, and never sleep more than a few seconds.
INTERACTIVE = RetryPolicy(max_attempts=2, base_delay=0.5, max_delay=2.0, max_total_wait=4.0)


def _words(exc: ProviderError) -> str:
    name = exc.provider_name
    if isinstance(exc, NotFoundError):
        return _("The document no longer exists at %(provider)s.", provider=name)
    if isinstance(exc, AuthenticationError):
        return _(
            "%(provider)s did not accept the connection's credentials; connect it again.",
            provider=name,
        )
    if isinstance(exc, TransientError | RateLimitError):
        return _(
            "%(provider)s could not be reached (%(reason)s); try again later.",
            provider=name,
            reason=exc.provider_message or exc.message,
        )
    return _(
        "%(provider)s did not give the document: %(reason)s",
        provider=name,
        reason=exc.provider_message or exc.message,
    )


def open_at_provider(document: ExternalDocument) -> str | DocumentFile:
    """A URL to send the person to, or the document's PDF; InvalidInput when neither."""
    from app.services.sync.clients import adapter_for

    connection = document.connection
    if not document.external_id:
        raise InvalidInput(_("This document is not at %(name)s yet.", name=connection.name))
    if document.deleted_at_provider:
        raise InvalidInput(
            _("The document no longer exists at %(provider)s.", provider=connection.name)
        )
    if connection.status != "connected":
        raise InvalidInput(_("The connection %(name)s is not active.", name=connection.name))
    try:
        adapter, _session = adapter_for(connection, retry=INTERACTIVE)
        opened = adapter.open_document(
            document.kind, document.external_id, document.number, document.provider_url
        )
    except ProviderError as exc:
        raise InvalidInput(_words(exc)) from exc
    if opened is None:
        raise InvalidInput(_("%(name)s gives no link to this document.", name=connection.name))
    return opened
