"""Random invoices created at the sandboxes through our real adapters and clients over
real HTTP, each checked against Renkei's own figures (issue #12, "Same money everywhere").

Shared by the property test (tests/providers/test_money_agreement_property.py, a few
hundred examples per provider) and its bench (``python -m tests.bench money``, more).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from types import SimpleNamespace

from hypothesis import strategies as st

from app.providers.errors import ValidationError
from app.services.money import line_amount
from app.services.sync.adapters import OutgoingDocument, adapter_class
from app.services.sync.agreement import differences, refusal, renkei_totals
from app.services.sync.lines import invoice_lines
from app.services.tax import compute_totals
from tests.providers.sandbox_clients import freee_client, mf_client, zoho_client

PROVIDERS = ("moneyforward", "zoho", "freee")
ROUNDINGS = ("down", "half_up", "up")
MF_ROUNDING = {"down": "round_down", "half_up": "round_off", "up": "round_up"}
# Lift the sandboxes' rate limits: this measures money, not throttling.
UNLIMITED = {
    "moneyforward": {"writes_per_second": 100000},
    "zoho": {"requests_per_minute": 1000000},
    "freee": {"per_minute": 1000000, "per_hour": 1000000, "per_day": 1000000},
}
COMPANY = SimpleNamespace(
    code="C-MONEY",
    name="株式会社 金額検証",
    kana="カブシキガイシャキンガクケンショウ",
    postal_code="100-0005",
    prefecture="東京都",
    address1="千代田区丸の内1-1-1",
    address2=None,
    phone="03-1234-5678",
    email="money@example.invalid",
)

_prices = st.one_of(
    st.integers(1, 2_000_000).map(Decimal),
    st.decimals(Decimal("0.01"), Decimal("99999.99"), places=2),
)
_quantities = st.one_of(
    st.integers(1, 500).map(Decimal),
    st.decimals(Decimal("0.25"), Decimal("99.75"), places=2),
)
_discounts = st.one_of(
    st.just(Decimal(0)),
    st.integers(1, 100).map(Decimal),
    st.decimals(Decimal("0.5"), Decimal("99.5"), places=1),
)
_line = st.builds(
    SimpleNamespace,
    name=st.sampled_from(["作業費", "お弁当", "保守", "ライセンス"]),
    unit_price=_prices,
    quantity=_quantities,
    discount_percent=_discounts,
    tax_rate=st.sampled_from(["standard_10", "reduced_8", "exempt"]),
    unit=st.sampled_from([None, "式", "個", "時間"]),
)
invoices = st.tuples(st.lists(_line, min_size=1, max_size=6), st.sampled_from(ROUNDINGS))


@dataclass
class Provider:
    """One provider's adapter and the customer the random invoices are made for."""

    name: str
    adapter: object
    customer: object
    box: object
    mf_rounding: str | None = None
    created: int = 0
    refused: int = 0

    def set_office_rounding(self, rounding: str) -> None:
        """Money Forward: the office's 消費税の端数処理 is the issuer's (set once per mode)."""
        if self.name == "moneyforward" and self.mf_rounding != rounding:
            body = {"rounding_consumption_tax": MF_ROUNDING[rounding]}
            self.box.control("moneyforward", "POST", "settings", json=body)
            self.mf_rounding = rounding


def connect(sandbox, name: str) -> Provider:
    """The real client and adapter for ``name`` on the sandbox, and a customer there."""
    sandbox.control(name, "POST", "settings", json=UNLIMITED[name])
    client = {
        "moneyforward": lambda: mf_client(sandbox, throttled=False),
        "zoho": lambda: zoho_client(sandbox),
        "freee": lambda: freee_client(sandbox),
    }[name]()
    adapter = adapter_class(name)(client, date(2026, 12, 2))
    customer = adapter.create_customer(COMPANY)
    return Provider(name, adapter, customer, sandbox)


_references = itertools.count(1)


def check_one(provider: Provider, lines, rounding: str) -> None:
    """Create one invoice of ``lines`` with the issuer's ``rounding`` and check that the
    provider holds Renkei's total and tax per rate (Zoho: or refuses, in words)."""
    deal = SimpleNamespace(title="金額検証", lines=lines, amount=Decimal(0), currency="JPY")
    sent = invoice_lines(deal, rounding)
    ours = renkei_totals(sent)
    # The lines sent are exact: per rate, Renkei's document totals of the deal lines.
    direct = compute_totals(
        [(line_amount(x.unit_price, x.quantity, x.discount_percent, "JPY"), x.tax_rate)
         for x in lines],
        "JPY",
        rounding,
    )  # fmt: skip
    assert ours == direct
    provider.set_office_rounding(rounding)
    reference = f"money-{next(_references)}"
    outgoing = OutgoingDocument(reference, deal.title, None, date(2026, 12, 2), None, sent)
    why = refusal("Zoho Invoice", sent, "half_up") if provider.name == "zoho" else None
    if why:
        try:
            provider.adapter.create_invoice(outgoing, provider.customer)
        except ValidationError as exc:
            assert "Zoho Invoice" in exc.message
            provider.refused += 1
            return
        raise AssertionError("Zoho was sent an invoice it would total differently")
    remote = provider.adapter.create_invoice(outgoing, provider.customer)
    assert remote.taxes is not None, "the create answer states the tax per rate"
    found = differences(ours, remote.total, remote.taxes)
    assert found == [], (provider.name, rounding, found, [vars(x) for x in lines])
    provider.created += 1
