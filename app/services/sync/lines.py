"""What a deal invoices, in no provider's words: lines with a net unit price and a tax rate.

Discounts are folded into the unit price (rounded to the currency's minor unit, half-up,
in services/money.py) so every provider shows one line per deal line and its total is
the deal's net amount; the line's name says "(n% off)" so the reader sees why. A deal
without lines is invoiced as one line: its title at the contract amount, standard rate.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from app.services.money import round_money

STANDARD_RATE = "standard_10"


@dataclass(frozen=True)
class InvoiceLine:
    """One line of the invoice: ``tax_rate`` is ours (standard_10, reduced_8, exempt)."""

    name: str
    unit_price: Decimal
    quantity: Decimal
    tax_rate: str
    unit: str | None = None


def plain(value: Decimal) -> str:
    """'1', '2.5': a Decimal without trailing zeros."""
    text = format(Decimal(value).normalize(), "f")
    return "0" if text in ("-0", "") else text


def invoice_lines(deal) -> list[InvoiceLine]:
    """The lines ``deal`` invoices: its own lines, or its title and contract amount."""
    currency = getattr(deal, "currency", None) or "JPY"
    if not deal.lines:
        amount = round_money(Decimal(deal.amount), currency)
        return [InvoiceLine(deal.title, amount, Decimal(1), STANDARD_RATE)]
    lines = []
    for line in deal.lines:
        discount = Decimal(line.discount_percent or 0)
        price = Decimal(line.unit_price) * (Decimal(100) - discount) / Decimal(100)
        name = line.name if not discount else f"{line.name} ({plain(discount)}% off)"
        lines.append(
            InvoiceLine(
                name=name,
                unit_price=round_money(price, currency),
                quantity=Decimal(plain(line.quantity)),
                tax_rate=line.tax_rate,
                unit=line.unit or None,
            )
        )
    return lines
