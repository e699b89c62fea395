"""Billing periods of a subscription, anchored on its start day.

A monthly subscription started on day D of a month has periods starting on day D of each
month, or on the month's last day when it has no day D: started Jan 31, periods start
Jan 31, Feb 28 (Feb 29 in a leap year), Mar 31, Apr 30, … An annual one likewise: started
Feb 29, 2028, its periods start Feb 28 in the years without a Feb 29. A period ends the
day before the next one starts; its length N in days is its own (28–31, 365 or 366).
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

MONTHS = {"monthly": 1, "annual": 12}


@dataclass(frozen=True)
class Period:
    """One billing period: ``start`` to ``end`` inclusive, ``index`` from 0. ``final``:
    the one-day closing of a cancelled subscription on its end day (exclusive end), which
    bills what is still owed in arrears (usage, changes) and no plan lines."""

    index: int
    start: dt.date
    end: dt.date
    final: bool = False

    @property
    def days(self) -> int:
        """N: the number of days of the period (leap years and month lengths count)."""
        return (self.end - self.start).days + 1

    @property
    def next_start(self) -> dt.date:
        return self.end + dt.timedelta(days=1)


def add_months(anchor: dt.date, months: int) -> dt.date:
    """``anchor`` moved by ``months``, on the anchor's day or the month's last day."""
    total = anchor.year * 12 + (anchor.month - 1) + months
    year, month = divmod(total, 12)
    month += 1
    return dt.date(year, month, min(anchor.day, calendar.monthrange(year, month)[1]))


def start_of(start: dt.date, interval: str, index: int) -> dt.date:
    """The first day of period ``index`` (always counted from the start, never chained,
    so a Jan 31 start comes back to the 31st after February)."""
    return add_months(start, MONTHS[interval] * index)


def period(start: dt.date, interval: str, index: int) -> Period:
    """Period ``index`` of a subscription started on ``start``."""
    first = start_of(start, interval, index)
    following = start_of(start, interval, index + 1)
    return Period(index, first, following - dt.timedelta(days=1))


def period_containing(start: dt.date, interval: str, day: dt.date) -> Period:
    """The period that holds ``day`` (``day`` on or after ``start``)."""
    if day < start:
        raise ValueError("day before the subscription's start")
    step = MONTHS[interval]
    index = ((day.year - start.year) * 12 + day.month - start.month) // step
    index = max(index - 1, 0)
    while start_of(start, interval, index + 1) <= day:
        index += 1
    while index > 0 and start_of(start, interval, index) > day:
        index -= 1
    return period(start, interval, index)


def periods_starting(start: dt.date, interval: str, until: dt.date) -> list[Period]:
    """Every period starting on or before ``until``, in order."""
    found = []
    index = 0
    while start_of(start, interval, index) <= until:
        found.append(period(start, interval, index))
        index += 1
    return found
