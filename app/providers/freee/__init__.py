"""freee Invoice (iv)."""

from ..entry import DemoValues, ProviderEntry, ProviderInfo
from . import dialect, mapping
from .client import FreeeInvoiceClient


def accounting_base(api_base_url: str) -> str:
    """freee's accounting API lives next to the invoice API (…/iv → …/api/1)."""
    base = api_base_url.rstrip("/")
    return base[: -len("/iv")] + "/api/1" if base.endswith("/iv") else dialect.ACCOUNTING_API_BASE


def build_client(connection, tokens, **common) -> FreeeInvoiceClient:
    """The client of ``connection``'s freee company."""
    return FreeeInvoiceClient.for_connection(
        tokens,
        int(connection.organization_id),
        base_url=connection.api_base_url,
        accounting_base_url=accounting_base(connection.api_base_url),
        **common,
    )


def status_of(word: str | None) -> str | None:
    """freee's payment status (or "canceled", kept for a cancelled invoice) in Renkei's terms."""
    if word == "canceled":
        return "void"
    return mapping.PAYMENT_STATUS.get(word) if word else None


ENTRY = ProviderEntry(
    dialect.PROVIDER,
    dialect.oauth_settings,
    build_client=build_client,
    connected=dialect.connected,
    # The sandbox's own company (app/sandbox/freee/model.py COMPANY_ID).
    demo=DemoValues("freee請求書 (sandbox)", organization_id="2000001"),
    name="freee",
    info=ProviderInfo(
        dialect.PROVIDER,
        "freee請求書",
        dialect.API_BASE,
        dialect.AUTHORIZE_URL,
        dialect.TOKEN_URL,
        dialect.SCOPE,
        "/sandbox/freee",
    ),
    sandbox_paths=("/iv", "/public_api/authorize", "/public_api/token"),
    needs_organization_id=True,
    status_of=status_of,
    connection_fields=("organization_id",),
)

__all__ = ["ENTRY", "FreeeInvoiceClient"]
