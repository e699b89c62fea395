"""Plain data a document PDF is rendered from; no database objects cross this line."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

from app.services.tax import InvoiceTotals


@dataclass(frozen=True)
class PdfLine:
    """One printed line: what, how many, at what price, and its tax rate."""

    name: str
    quantity: Decimal
    unit: str
    unit_price: Decimal
    amount: Decimal
    rate_code: str
    reduced: bool = False
    discount_percent: Decimal = Decimal(0)


@dataclass(frozen=True)
class InvoicePdfData:
    """Everything a document PDF shows (the six items of a qualified invoice and more).

    ``kind`` picks the title and wording (invoice, quote, delivery_note, credit_note); a
    credit note names the invoice it corrects in ``reference_number`` / ``reference_date``.
    """

    issuer_name: str
    registration_number: str
    recipient_name: str
    document_number: str
    issue_date: date
    transaction_date: date
    currency: str
    lines: tuple[PdfLine, ...]
    totals: InvoiceTotals
    due_date: date | None = None
    brand_colour: str = "#1f4e79"
    logo_path: Path | None = None
    issuer_address: str = ""
    notes: str = ""
    kind: str = "invoice"
    reference_number: str = ""
    reference_date: date | None = None
    subject: str = ""  # 件名: what the document is about (the deal's title, else its first line)
    issuer_phone: str = ""
    issuer_email: str = ""
    bank_account: str = ""  # printed under お振込先 / Bank details (invoices)
    # Another currency than the issuer's: the rate used and the base-currency total, in
    # the document's language (services/exchange_rates.conversion_text; 0020_entities).
    exchange_note: str = ""
