"""締め日 and 支払サイト: the date math of a monthly closing, as pure functions.

A customer's closing day (締め日) is 5, 10, 15, 20, 25 or the month's end (stored as 31).
Its closing period ends on a closing date and starts the day after the previous one:
20日締め → 1/21 .. 2/20; 月末締め → 2/1 .. 2/29 in 2028. Payment terms (支払サイト) are
"``months_later`` months after the closing month, on ``pay_day``" (31 = the month's end;
a day the month lacks is its last day): 月末締め翌月末払い = (31, 1, 31),
20日締め翌月10日払い = (20, 1, 10).
"""

from __future__ import annotations

import calendar
import datetime as dt

MONTH_END = 31
CLOSING_DAYS = (5, 10, 15, 20, 25, MONTH_END)


def _last_day(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


def _add_months(year: int, month: int, months: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + months
    return index // 12, index % 12 + 1


def closing_date_in(year: int, month: int, closing_day: int) -> dt.date:
    """The closing date of ``closing_day`` in that month (month end: its last day)."""
    if closing_day not in CLOSING_DAYS:
        raise ValueError(f"closing day {closing_day} is not one of {CLOSING_DAYS}")
    return dt.date(year, month, min(closing_day, _last_day(year, month)))


def closing_date_on_or_after(day: dt.date, closing_day: int) -> dt.date:
    """The closing date whose period holds ``day``."""
    this_month = closing_date_in(day.year, day.month, closing_day)
    if day <= this_month:
        return this_month
    year, month = _add_months(day.year, day.month, 1)
    return closing_date_in(year, month, closing_day)


def is_closing_date(day: dt.date, closing_day: int) -> bool:
    """True when ``day`` is a closing date of ``closing_day``."""
    return closing_date_on_or_after(day, closing_day) == day


def previous_closing_date(closing_date: dt.date, closing_day: int) -> dt.date:
    """The closing date one month before ``closing_date``."""
    year, month = _add_months(closing_date.year, closing_date.month, -1)
    return closing_date_in(year, month, closing_day)


def period(closing_date: dt.date, closing_day: int) -> tuple[dt.date, dt.date]:
    """(first day, last day) of the closing period ending on ``closing_date``."""
    if not is_closing_date(closing_date, closing_day):
        raise ValueError(f"{closing_date} is not a closing date of day {closing_day}")
    start = previous_closing_date(closing_date, closing_day) + dt.timedelta(days=1)
    return start, closing_date


def due_date(closing_date: dt.date, months_later: int, pay_day: int) -> dt.date:
    """The payment date of a period closed on ``closing_date`` under 支払サイト
    (``months_later``, ``pay_day``; 31 or more = the month's end)."""
    year, month = _add_months(closing_date.year, closing_date.month, months_later)
    return dt.date(year, month, min(pay_day, _last_day(year, month)))


def latest_closed_date(today: dt.date, closing_day: int) -> dt.date:
    """The newest closing date strictly before ``today`` (the period one may close)."""
    yesterday = today - dt.timedelta(days=1)
    candidate = closing_date_on_or_after(yesterday, closing_day)
    if candidate == yesterday:
        return candidate
    return previous_closing_date(candidate, closing_day)
