"""Line items, as deals and documents both have them: completed from the product, checked.

One set of rules for a DealLine and a DocumentLine (they share their columns): a line
takes its name, unit, price and tax rate from its product when they are blank, is
refused in words when a value breaks a rule, and gets its net amount.
"""

from __future__ import annotations

from decimal import Decimal

from flask_babel import gettext as _

from app.models.choices import TAX_RATES
from app.services.errors import InvalidInput
from app.services.money import QUANTITY_LIMIT, check_decimal, line_amount


def complete_line(line, currency: str) -> None:
    """Fill a line's blanks from its product and defaults, check it, compute its amount."""
    product = line.product
    if product is not None:
        line.name = line.name or product.name
        line.unit = line.unit or product.unit
        if line.unit_price is None:
            line.unit_price = product.unit_price
        line.tax_rate = line.tax_rate or product.tax_rate
    # Column defaults apply only at INSERT; fill them now so the checks see real values.
    line.tax_rate = line.tax_rate or "standard_10"
    if line.quantity is None:
        line.quantity = Decimal(1)
    if line.discount_percent is None:
        line.discount_percent = Decimal(0)
    check_line(line)
    amount = line_amount(line.unit_price, line.quantity, line.discount_percent, currency)
    check_decimal(amount, "amount", _("The line amount (price × quantity)"))
    if line.amount is None or Decimal(line.amount) != amount:
        line.amount = amount


def check_line(line) -> None:
    """Refuse a line that breaks a rule, naming the field."""
    if not line.name:
        raise InvalidInput(_("A line needs a product or an item name."), field="name")
    if line.unit_price is None or Decimal(line.unit_price) < 0:
        raise InvalidInput(_("The unit price cannot be negative."), field="unit_price")
    check_decimal(line.unit_price, "unit_price", _("The unit price"))
    if line.quantity is None or Decimal(line.quantity) <= 0:
        raise InvalidInput(_("The quantity must be greater than zero."), field="quantity")
    check_decimal(line.quantity, "quantity", _("The quantity"), limit=QUANTITY_LIMIT)
    discount = Decimal(line.discount_percent or 0)
    if discount < 0 or discount > 100:
        raise InvalidInput(
            _("The discount is a percentage from 0 to 100."), field="discount_percent"
        )
    check_decimal(discount, "discount_percent", _("The discount"), places=2)
    if line.tax_rate not in TAX_RATES:
        raise InvalidInput(
            _("Unknown tax rate %(rate)s: use 10%%, 8%% (reduced) or exempt.", rate=line.tax_rate),
            field="tax_rate",
        )
