"""Money: Decimal end to end, the one place where amounts are rounded, and its bounds.

Amounts live in ``Numeric(18, 4)`` columns: fewer than 10^14 in size, at most four
decimals. An amount in a currency (a payment, a deal's amount, a rule's threshold) has
at most the currency's minor units (JPY 0, USD 2); a unit price and a quantity may have
four. ``check_decimal`` refuses anything else in words that name the field.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from decimal import ROUND_DOWN, ROUND_HALF_UP, ROUND_UP, Decimal, InvalidOperation

from babel import Locale
from babel.numbers import format_currency, get_currency_precision
from flask_babel import gettext as _

from app.services.errors import InvalidInput

ROUNDING_MODES = {"down": ROUND_DOWN, "half_up": ROUND_HALF_UP, "up": ROUND_UP}
MONEY_LIMIT = Decimal(10) ** 14  # Numeric(18, 4): 14 digits before the point
QUANTITY_LIMIT = Decimal(10) ** 10  # Numeric(14, 4)
COLUMN_PLACES = 4


# A number as people type it, once full-width forms are folded: an optional sign, digits
# grouped by commas in threes (13,870) or not at all (13870), an optional decimal part.
_NUMBER = re.compile(r"([+-]?)(\d{1,3}(?:,\d{3})+|\d+|(?=\.\d))((?:\.\d+)?)")
_MINUSES = "\u2212\u2012\u2013\uff0d"  # minus sign, dashes, full-width hyphen-minus


def normalize_number(text: str) -> str | None:
    """``text`` as a plain number string ("13870", "-1.5"), or None when it is not one.

    Accepts what Japanese finance staff type: full-width digits, comma and period
    (１３，８７０．５), grouping commas (13,870), a leading ¥ or ￥, a trailing 円, and
    spaces (half- or full-width) around the number or between it and the sign."""
    folded = unicodedata.normalize("NFKC", text)  # ￥ → ¥, １ → 1, ， → ,, 　 → space
    for minus in _MINUSES:
        folded = folded.replace(minus, "-")
    folded = folded.strip()
    sign = ""
    if folded[:1] in "+-" and folded:
        sign, folded = folded[0], folded[1:].strip()
    if folded.startswith("¥"):
        folded = folded[1:].strip()
    if folded.endswith("円"):
        folded = folded[:-1].strip()
    match = _NUMBER.fullmatch(sign + folded) if folded[:1] not in "+-" else None
    if match is None:
        return None
    sign, whole, fraction = match.groups()
    return f"{'-' if sign == '-' else ''}{(whole or '0').replace(',', '')}{fraction}"


def parse_amount(value, field: str = "amount", label: str | None = None) -> Decimal | None:
    """A number as typed (see ``normalize_number``) as a Decimal; None for blank; or
    InvalidInput in words naming the field. Screens and the API both read numbers here."""
    if value is None or isinstance(value, Decimal):
        return value
    if isinstance(value, bool):
        raise InvalidInput(_not_a_number(label or field), field=field)
    if isinstance(value, int | float):
        value = str(value)
    if not isinstance(value, str):
        raise InvalidInput(_not_a_number(label or field), field=field)
    if not value.strip():
        return None
    plain = normalize_number(value)
    if plain is None:
        raise InvalidInput(_not_a_number(label or field), field=field)
    return Decimal(plain)


def _not_a_number(label) -> str:
    return _(
        "%(field)s is not a number: write it like 13,870 or 13870 (a trailing 円 is fine).",
        field=label,
    )


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
    if isinstance(value, str):
        number = parse_amount(value, field, label)
        if number is None:
            raise InvalidInput(_not_a_number(label), field=field)
    else:
        try:
            number = value if isinstance(value, Decimal) else Decimal(str(value).strip())
        except (InvalidOperation, ValueError):
            raise InvalidInput(_not_a_number(label), field=field) from None
    if not number.is_finite():
        raise InvalidInput(_not_a_number(label), field=field)
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


@functools.lru_cache(maxsize=64)
def _locale(name) -> Locale:
    """The parsed locale, once per name: parsing it is most of a format_currency call
    (31 µs → 9 µs a figure; a receivables page shows about 400)."""
    return Locale.parse(name)


def format_money(amount: Decimal | None, currency: str, locale: str = "ja_JP") -> str:
    """Show ``amount`` with the currency's own minor units, e.g. ¥1,200 or $12.50."""
    if amount is None:
        return ""
    digits = minor_units(currency)
    return format_currency(
        round_money(amount, currency),
        currency,
        locale=_locale(locale),
        format=None,
        currency_digits=True,
        decimal_quantization=digits >= 0,
    )
