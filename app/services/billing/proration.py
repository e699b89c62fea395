"""Proration by day — the rule, in one place.

A change effective on day d of a period of N days (N = the actual days of that period,
so month lengths and leap years count) charges, or credits when negative,

    (new − old) × remaining_days / N

where new and old are the line's amount per period (unit price × quantity) after and
before the change, and remaining_days counts from d to the period's end, both inclusive
(a change on the first day takes the whole period, on the last day one day). The amount
is rounded once, to the currency's minor unit, with the issuer's tax rounding
(LegalEntity.tax_rounding: down, half_up or up; ``money.round_money``). A cancellation
at once on day d is the change to nothing: it credits old × remaining_days / N.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from app.services.billing.periods import Period
from app.services.money import round_money


def remaining_days(period: Period, effective: dt.date) -> int:
    """Days from ``effective`` to the period's end, inclusive."""
    if not period.start <= effective <= period.end:
        raise ValueError("the change is not in this period")
    return (period.end - effective).days + 1


def prorate(
    old: Decimal, new: Decimal, period: Period, effective: dt.date, currency: str, rounding: str
) -> Decimal:
    """(new − old) × remaining_days / N, rounded with ``rounding`` (see the module)."""
    exact = (Decimal(new) - Decimal(old)) * remaining_days(period, effective) / period.days
    return round_money(exact, currency, rounding)
