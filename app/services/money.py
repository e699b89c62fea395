"""Money: Decimal end to end, the one place where amounts are rounded, and its bounds.

Amounts live in ``Numeric(18, 4)`` columns: fewer than 10^14 in size, at most four
decimals. An amount in a currency (a payment, a deal's amount, a rule's threshold) has
at most the currency's minor units (JPY 0, USD 2); a unit price and a quantity may have
four. ``check_decimal`` refuses anything else in words that name the field.
"""

from __future__ import annotations

from decimal import ROUND_DOWN, ROUND_HALF_UP, ROUND_UP, Decimal, InvalidOperation

from babel.numbers import format_currency, get_currency_precision
from flask_babel import gettext as _

from app.services.errors import InvalidInput

ROUNDING_MODES = {"down": ROUND_DOWN, "half_up": ROUND_HALF_UP, "up": ROUND_UP}
MONEY_LIMIT = Decimal(10) ** 14  # Numeric(18, 4): 14 digits before the point
QUANTITY_LIMIT = Decimal(10) ** 10  # Numeric(14, 4)
COLUMN_PLACES = 4


def decimal_places(value: Decimal) -> int:
    """How many decimals ``value`` really has (trailing zeros do not count)."""
    exponent = Decimal(value).normalize().as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def check_decimal(
    value,
    field: str,
    label: str,
    *,
    places: int = COLUMN_PLACES,
    limit: Decimal = MONEY_LIMIT,
) -> Decimal:
    """``value`` as a Decimal smaller than ``limit`` with at most ``places`` decimals,
    or InvalidInput naming the field (``label`` in words, ``field`` for forms and APIs)."""
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise InvalidInput(_("%(field)s is not a number.", field=label), field=field) from None
    if not number.is_finite():
        raise InvalidInput(_("%(field)s is not a number.", field=label), field=field)
    if abs(number) >= limit:
        largest = limit - Decimal(1).scaleb(-places)
        raise InvalidInput(
            _("%(field)s is too large: at most %(max)s.", field=label, max=f"{largest:,f}"),
            field=field,
        )
    if decimal_places(number) > places:
        if places == 0:
            message = _("%(field)s must be a whole number.", field=label)
        else:
            message = _(
                "%(field)s has too many decimals: at most %(places)s.", field=label, places=places
            )
        raise InvalidInput(message, field=field)
    return number


def check_money(value, currency: str | None, field: str, label: str) -> Decimal:
    """An amount in ``currency``: bounded, with at most the currency's minor units."""
    places = minor_units(currency) if currency else COLUMN_PLACES
    return check_decimal(value, field, label, places=min(places, COLUMN_PLACES))


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
