"""Money Forward Cloud Invoice v3."""

from flask_babel import gettext as _

from ..entry import DemoValues, ProviderEntry, ProviderInfo
from . import dialect, mapping
from .client import MoneyForwardClient


def build_client(connection, tokens, **common) -> MoneyForwardClient:
    """The client of ``connection``: its writes share one budget per connection."""
    return MoneyForwardClient.for_connection(
        connection.id, tokens, base_url=connection.api_base_url, **common
    )


def agreement_hint(rounding_word: str) -> str:
    """Why Money Forward's tax may differ from Renkei's."""
    return _(
        "Money Forward rounds consumption tax as its office's invoice settings say "
        "(消費税の端数処理), which Renkei cannot set: make it the issuer's rounding "
        "(%(mode)s).",
        mode=rounding_word,
    )


def status_of(word: str | None) -> str | None:
    """Money Forward's payment_status (a code or its Japanese label) in Renkei's terms."""
    return mapping.STATUS_BY_PAYMENT.get(str(word)) if word is not None else None


ENTRY = ProviderEntry(
    dialect.PROVIDER,
    dialect.oauth_settings,
    build_client=build_client,
    demo=DemoValues("Money Forward (sandbox)"),
    name="Money Forward",
    info=ProviderInfo(
        dialect.PROVIDER,
        "Money Forward クラウド請求書",
        dialect.API_BASE,
        dialect.AUTHORIZE_URL,
        dialect.TOKEN_URL,
        dialect.SCOPE,
        "/sandbox/moneyforward",
    ),
    sandbox_paths=("/api/v3", "/oauth/authorize", "/oauth/token"),
    agreement_hint=agreement_hint,
    status_of=status_of,
)

__all__ = ["ENTRY", "MoneyForwardClient"]
