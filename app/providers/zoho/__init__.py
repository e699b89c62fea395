"""Zoho Invoice v3."""

from flask_babel import lazy_gettext as _l

from ..entry import DemoValues, ProviderEntry, ProviderInfo
from . import dialect, mapping
from .client import ZohoInvoiceClient


def build_client(connection, tokens, **common) -> ZohoInvoiceClient:
    """The client of ``connection``'s Zoho organization."""
    return ZohoInvoiceClient.for_connection(
        tokens, connection.organization_id, base_url=connection.api_base_url, **common
    )


def default_urls(data_centre: str) -> tuple[str, str, str]:
    """(API base, authorize, token) of a data centre (Canada's accounts: zohocloud.ca)."""
    accounts = dialect.accounts_base(data_centre)
    api = dialect.api_base(data_centre)
    return api, f"{accounts}/oauth/v2/auth", f"{accounts}/oauth/v2/token"


def status_of(word: str | None) -> str | None:
    """Zoho's invoice status in Renkei's terms."""
    return mapping.STATUS.get(word) if word else None


ENTRY = ProviderEntry(
    dialect.PROVIDER,
    dialect.oauth_settings,
    build_client=build_client,
    # The sandbox's own organization (app/sandbox/zoho/model.py ORG_ID).
    demo=DemoValues("Zoho Invoice (sandbox)", organization_id="10234695", data_centre="com"),
    name="Zoho Invoice",
    info=ProviderInfo(
        dialect.PROVIDER,
        "Zoho Invoice",
        "https://www.zohoapis.{dc}/invoice/v3",
        "https://accounts.zoho.{dc}/oauth/v2/auth",
        "https://accounts.zoho.{dc}/oauth/v2/token",
        dialect.SCOPE,
        "/sandbox/zoho",
    ),
    sandbox_paths=("/invoice/v3", "/oauth/v2/auth", "/oauth/v2/token"),
    default_urls=default_urls,
    needs_organization_id=True,
    connection_fields=("organization_id", "data_centre"),
    setup_needs_organization_id=_l("Zoho needs the organization ID."),
    status_of=status_of,
)

__all__ = ["ENTRY", "ZohoInvoiceClient"]
