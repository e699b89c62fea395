"""A sample invoice (demo, tests, benchmark, template review): no database needed."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from app.pdf.data import InvoicePdfData, PdfLine
from app.services.money import line_amount
from app.services.tax import TaxLine, compute_totals

_ITEMS = (
    ("コンサルティング業務（10月分）", "式", Decimal("1"), Decimal("150000"), "standard_10"),
    ("お茶菓子セット", "箱", Decimal("3"), Decimal("333"), "reduced_8"),
    ("クラウド利用料", "月", Decimal("1"), Decimal("9800"), "standard_10"),
    ("業界新聞 定期購読", "部", Decimal("2"), Decimal("4400"), "reduced_8"),
    ("収入印紙代（立替）", "件", Decimal("1"), Decimal("200"), "exempt"),
)


def sample_invoice_data(
    line_count: int = 5, currency: str = "JPY", rounding: str = "down"
) -> InvoicePdfData:
    """An invoice of ``line_count`` lines cycling through 10 %, 8 % and exempt items."""
    lines = []
    for i in range(line_count):
        name, unit, qty, price, code = _ITEMS[i % len(_ITEMS)]
        if i >= len(_ITEMS):
            name = f"{name} #{i + 1}"
        amount = line_amount(price, qty, Decimal(0), currency)
        lines.append(PdfLine(name, qty, unit, price, amount, code, code == "reduced_8"))
    totals = compute_totals([TaxLine(x.amount, x.rate_code) for x in lines], currency, rounding)
    return InvoicePdfData(
        issuer_name="株式会社レンケイ商事",
        registration_number="T5835678256246",
        issuer_address="東京都千代田区丸の内1-1-1",
        recipient_name="株式会社サンプル",
        document_number="INV-2026-0042",
        issue_date=date(2026, 11, 22),
        transaction_date=date(2026, 10, 31),
        due_date=date(2026, 12, 31),
        currency=currency,
        lines=tuple(lines),
        totals=totals,
        notes="お振込手数料は貴社にてご負担ください。",
        subject="クラウド会計導入支援（10月分）",
        issuer_phone="03-1234-5678",
        issuer_email="billing@renkei.example.com",
        bank_account="みずほ銀行 丸の内支店 普通 1234567 カ）レンケイショウジ",
    )
