"""What a deal invoices, in no provider's words: lines with a net unit price and a tax rate.

Every line sent is exact: its unit price × quantity is the line's net amount as Renkei
computes it (``money.line_amount``: price × quantity less the discount, rounded once),
so a provider's own line rounding (Money Forward's 明細行ごとの端数処理, freee's
line_amount_fraction, Zoho's item_total) has nothing to round and every rate's net at
the provider is Renkei's. A discount is folded into the unit price when that price
times the quantity still gives the exact amount; otherwise (a fractional quantity, or a
discounted price that no longer divides) the line goes as one unit at its net amount and
its name says "3 × 333, 10% off" so the reader sees why. A deal without lines is
invoiced as one line: its title at the contract amount, standard rate.

The issuer's tax rounding (LegalEntity.tax_rounding) travels with the lines: providers
that take it in the request (freee's tax_fraction) are sent it, the others are checked
against it (app/services/sync/agreement.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from app.services.money import line_amount, round_money

STANDARD_RATE = "standard_10"
DEFAULT_ROUNDING = "down"


@dataclass(frozen=True)
class InvoiceLine:
    """One line of the invoice: ``tax_rate`` is ours (standard_10, reduced_8, exempt)."""

    name: str
    unit_price: Decimal
    quantity: Decimal
    tax_rate: str
    unit: str | None = None

    @property
    def amount(self) -> Decimal:
        """Net amount of the line as sent: unit price × quantity (exact by construction)."""
        return self.unit_price * self.quantity


class InvoiceLines(list):
    """The lines of one invoice, with the currency and the issuer's tax rounding."""

    def __init__(self, lines, currency: str = "JPY", rounding: str | None = None):
        super().__init__(lines)
        self.currency = currency
        self._rounding = rounding

    @property
    def rounding(self) -> str:
        """The issuer's tax rounding ("down", "half_up", "up"), looked up when first asked."""
        if self._rounding is None:
            self._rounding = issuer_rounding()
        return self._rounding


def issuer_rounding() -> str:
    """The tax rounding of the issuing legal entity (the first one, as documents default
    to); "down" when none is set up yet."""
    from app.extensions import db
    from app.models.documents import LegalEntity

    entity = db.session.query(LegalEntity).order_by(LegalEntity.id).first()
    return entity.tax_rounding if entity is not None else DEFAULT_ROUNDING


def plain(value: Decimal) -> str:
    """'1', '2.5': a Decimal without trailing zeros."""
    text = format(Decimal(value).normalize(), "f")
    return "0" if text in ("-0", "") else text


def _line(line, currency: str) -> InvoiceLine:
    """One deal line as an exact invoice line."""
    discount = Decimal(line.discount_percent or 0)
    price = Decimal(line.unit_price)
    quantity = Decimal(plain(line.quantity))
    amount = line_amount(price, quantity, discount, currency)
    folded = round_money(price * (Decimal(100) - discount) / Decimal(100), currency)
    unit = line.unit or None
    if folded * quantity == amount:
        name = line.name if not discount else f"{line.name} ({plain(discount)}% off)"
        return InvoiceLine(name, folded, quantity, line.tax_rate, unit)
    how = f"{plain(quantity)}{unit or ''} × {plain(price)}"
    if discount:
        how += f", {plain(discount)}% off"
    return InvoiceLine(f"{line.name} ({how})", amount, Decimal(1), line.tax_rate, None)


def invoice_lines(deal, rounding: str | None = None) -> InvoiceLines:
    """The lines ``deal`` invoices: its own lines, or its title and contract amount.

    ``rounding`` is the issuer's tax rounding; by default the issuing legal entity's."""
    currency = getattr(deal, "currency", None) or "JPY"
    if not deal.lines:
        amount = round_money(Decimal(deal.amount), currency)
        lines = [InvoiceLine(deal.title, amount, Decimal(1), STANDARD_RATE)]
    else:
        lines = [_line(line, currency) for line in deal.lines]
    return InvoiceLines(lines, currency, rounding)


def document_lines(document) -> InvoiceLines:
    """The lines a Renkei document sends: each exact as above, with the rounding the
    issuer had when the document left draft (app/services/documents/issuer.py)."""
    from app.services.documents.issuer import rounding_of

    currency = document.currency or "JPY"
    lines = [_line(line, currency) for line in document.lines]
    return InvoiceLines(lines, currency, rounding_of(document))
