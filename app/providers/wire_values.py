"""Values read from the providers' answers, in every form their specs and examples use.

Money Forward's v3 examples write dates as ``2022/12/09`` under a ``format: date``
schema and times as ``2023-03-20 14:56:10 +0900``; Zoho writes times as
``2013-11-17T02:17:40-0800`` and leaves unset dates as ``" "``; freee writes ISO dates
and ``2024-05-01 10:00:00`` (Japan time, no zone). Amounts come as JSON numbers or as
decimal strings (``'1100.0'``). Every reader here returns our type or None for an
empty value, and raises ProviderDataError naming the field and the value for anything
else — never a bare ValueError from deep inside a job.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation

from .errors import ProviderDataError

JST = timezone(timedelta(hours=9))

_DATE = re.compile(r"^(\d{4})[-/](\d{1,2})[-/](\d{1,2})$")
_DATETIME = re.compile(
    r"^(?P<date>\d{4}[-/]\d{1,2}[-/]\d{1,2})[T ](?P<time>\d{1,2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)"
    r"\s*(?P<zone>Z|[+-]\d{2}:?\d{2})?$"
)
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
DATE_FORMS = "a date (YYYY-MM-DD or YYYY/MM/DD)"
TIME_FORMS = "a time (ISO 8601, or YYYY-MM-DD HH:MM:SS with or without a zone)"


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _calendar_date(text: str, field: str, value, provider: str | None) -> date:
    match = _DATE.match(text)
    if not match:
        raise ProviderDataError(field, value, DATE_FORMS, provider=provider)
    try:
        return date(*(int(part) for part in match.groups()))
    except ValueError:
        raise ProviderDataError(field, value, DATE_FORMS, provider=provider) from None


def parse_date(value, field: str, provider: str | None = None) -> date | None:
    """A calendar date from 'YYYY-MM-DD', 'YYYY/MM/DD' or a time stamp (its own day)."""
    if _blank(value):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        raise ProviderDataError(field, value, DATE_FORMS, provider=provider)
    text = value.strip()
    if _DATETIME.match(text):
        return parse_datetime(text, field, provider).date()
    return _calendar_date(text, field, value, provider)


def parse_datetime(value, field: str, provider: str | None = None, assume=JST) -> datetime | None:
    """An aware time from ISO 8601 ('…T10:00:00+09:00', '+0900', 'Z', fractions) or
    'YYYY-MM-DD HH:MM:SS +0900'; without a zone, ``assume`` (Japan time); a bare date
    is its midnight."""
    if _blank(value):
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=assume)
    if not isinstance(value, str):
        raise ProviderDataError(field, value, TIME_FORMS, provider=provider)
    text = value.strip()
    match = _DATETIME.match(text)
    if not match:
        if _DATE.match(text):
            day = _calendar_date(text, field, value, provider)
            return datetime(day.year, day.month, day.day, tzinfo=assume)
        raise ProviderDataError(field, value, TIME_FORMS, provider=provider)
    day = _calendar_date(match["date"], field, value, provider)
    clock = match["time"].split(":")
    seconds = Decimal(clock[2]) if len(clock) > 2 else Decimal(0)
    zone = _zone(match["zone"], field, value, provider) if match["zone"] else assume
    try:
        return datetime(
            day.year,
            day.month,
            day.day,
            int(clock[0]),
            int(clock[1]),
            int(seconds),
            int((seconds % 1) * 1_000_000),
            tzinfo=zone,
        )
    except ValueError:
        raise ProviderDataError(field, value, TIME_FORMS, provider=provider) from None


def _zone(text: str, field: str, value, provider) -> timezone:
    if text == "Z":
        return UTC
    digits = text[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:])
    if hours > 23 or minutes > 59:
        raise ProviderDataError(field, value, TIME_FORMS, provider=provider)
    offset = timedelta(hours=hours, minutes=minutes)
    return timezone(-offset if text[0] == "-" else offset)


def parse_amount(value, field: str, provider: str | None = None) -> Decimal | None:
    """A Decimal from a JSON number or a decimal string ('1100.0', '12', '-3.5');
    refuses booleans, NaN and infinities."""
    if _blank(value):
        return None
    if isinstance(value, bool):
        raise ProviderDataError(field, value, "an amount", provider=provider)
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int | float):
        result = Decimal(str(value))  # repr of a float is its shortest exact decimal
    elif isinstance(value, str) and _NUMBER.match(value.strip()):
        try:
            result = Decimal(value.strip())
        except InvalidOperation:  # pragma: no cover - the pattern admits only numbers
            raise ProviderDataError(field, value, "an amount", provider=provider) from None
    else:
        raise ProviderDataError(field, value, "an amount", provider=provider)
    if not result.is_finite():
        raise ProviderDataError(field, value, "an amount", provider=provider)
    return result


def parse_count(value, field: str, provider: str | None = None) -> int | None:
    """A whole number (page counts): 3, 3.0 or '3'."""
    amount = parse_amount(value, field, provider)
    if amount is None:
        return None
    if amount != amount.to_integral_value():
        raise ProviderDataError(field, value, "a whole number", provider=provider)
    return int(amount)


def parse_status(value, table: Mapping[str, str], field: str, provider: str | None = None) -> str:
    """Our word for a provider's status ``value`` (codes and labels alike) from ``table``."""
    key = str(value).strip() if value is not None else ""
    if key not in table:
        known = ", ".join(sorted(table))
        raise ProviderDataError(field, value, f"a known status ({known})", provider=provider)
    return table[key]


_TRUE = {"true", "1"}
_FALSE = {"false", "0", ""}


def parse_flag(value, field: str, provider: str | None = None) -> bool:
    """A yes/no: JSON true/false, or the same written as text or 1/0 ("false" is no)."""
    if isinstance(value, bool):
        return value
    if value is None:
        return False
    key = str(value).strip().lower()
    if key in _TRUE:
        return True
    if key in _FALSE:
        return False
    raise ProviderDataError(field, value, "true or false", provider=provider)


def parse_text(value, field: str, provider: str | None = None) -> str | None:
    """A free-text field (memo, reference_number) trimmed, None when blank (Zoho writes
    an unset one as " "); a number is read as its digits, anything else refused."""
    if _blank(value):
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ProviderDataError(field, value, "a text", provider=provider)
    return str(value).strip()


def parse_id(value, field: str, provider: str | None = None) -> str:
    """A record id as text: Zoho and freee write numbers, Money Forward strings."""
    if isinstance(value, bool) or _blank(value) or not isinstance(value, str | int):
        raise ProviderDataError(field, value, "a record id", provider=provider)
    return str(value).strip()
