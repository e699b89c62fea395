"""Zoho Invoice v3."""

from flask_babel import lazy_gettext as _l

from ..entry import DemoValues, ProviderEntry
from . import dialect
from .client import ZohoInvoiceClient


def build_client(connection, tokens, **common) -> ZohoInvoiceClient:
    """The client of ``connection``'s Zoho organization."""
    return ZohoInvoiceClient.for_connection(
        tokens, connection.organization_id, base_url=connection.api_base_url, **common
    )


ENTRY = ProviderEntry(
    dialect.PROVIDER,
    dialect.oauth_settings,
    build_client=build_client,
    # The sandbox's own organization (app/sandbox/zoho/model.py ORG_ID).
    demo=DemoValues("Zoho Invoice (sandbox)", organization_id="10234695", data_centre="com"),
    needs_organization_id=True,
    setup_needs_organization_id=_l("Zoho needs the organization ID."),
)

__all__ = ["ENTRY", "ZohoInvoiceClient"]
