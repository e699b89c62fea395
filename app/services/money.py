"""Money: Decimal end to end, and the one place where amounts are rounded."""

from __future__ import annotations

from decimal import ROUND_DOWN, ROUND_HALF_UP, ROUND_UP, Decimal

from babel.numbers import format_currency, get_currency_precision

ROUNDING_MODES = {"down": ROUND_DOWN, "half_up": ROUND_HALF_UP, "up": ROUND_UP}


def minor_units(currency: str) -> int:
    """Digits after the decimal point for ``currency`` (JPY 0, USD 2)."""
    return get_currency_precision(currency or "JPY")


def round_money(amount: Decimal, currency: str, mode: str = "half_up") -> Decimal:
    """Round ``amount`` to the currency's minor unit; ``mode`` is down, half_up or up."""
    exponent = Decimal(1).scaleb(-minor_units(currency))
    return Decimal(amount).quantize(exponent, rounding=ROUNDING_MODES[mode])


def line_amount(
    unit_price: Decimal, quantity: Decimal, discount_percent: Decimal, currency: str
) -> Decimal:
    """Net amount of one line: price × quantity less the discount, rounded half-up."""
    gross = Decimal(unit_price) * Decimal(quantity)
    net = gross * (Decimal(100) - Decimal(discount_percent or 0)) / Decimal(100)
    return round_money(net, currency)


def format_money(amount: Decimal | None, currency: str, locale: str = "ja_JP") -> str:
    """Show ``amount`` with the currency's own minor units, e.g. ¥1,200 or $12.50."""
    if amount is None:
        return ""
    digits = minor_units(currency)
    return format_currency(
        round_money(amount, currency),
        currency,
        locale=locale,
        format=None,
        currency_digits=True,
        decimal_quantization=digits >= 0,
    )
