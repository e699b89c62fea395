"""Periods anchored on the start day, and the proration rule, at month ends and leap years."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from app.services.billing import periods
from app.services.billing.proration import prorate, remaining_days

pytestmark = pytest.mark.usefixtures("english")

D = dt.date


def starts(start, interval, n):
    return [periods.start_of(start, interval, i) for i in range(n)]


def test_monthly_from_the_31st_bills_the_last_day_of_shorter_months():
    assert starts(D(2027, 1, 31), "monthly", 5) == [
        D(2027, 1, 31),
        D(2027, 2, 28),
        D(2027, 3, 31),
        D(2027, 4, 30),
        D(2027, 5, 31),
    ]
    assert starts(D(2028, 1, 31), "monthly", 3) == [D(2028, 1, 31), D(2028, 2, 29), D(2028, 3, 31)]
    first = periods.period(D(2027, 1, 31), "monthly", 0)
    assert (first.end, first.days) == (D(2027, 2, 27), 28)
    leap = periods.period(D(2028, 1, 31), "monthly", 0)
    assert (leap.end, leap.days) == (D(2028, 2, 28), 29)


def test_annual_from_february_29():
    assert starts(D(2028, 2, 29), "annual", 6) == [
        D(2028, 2, 29),
        D(2029, 2, 28),
        D(2030, 2, 28),
        D(2031, 2, 28),
        D(2032, 2, 29),
        D(2033, 2, 28),
    ]
    assert periods.period(D(2028, 2, 29), "annual", 0).days == 365
    assert periods.period(D(2028, 2, 29), "annual", 3).days == 366  # 2031-02-28 .. 2032-02-28


@pytest.mark.parametrize("start", [D(2027, 1, 31), D(2028, 2, 29), D(2027, 3, 15), D(2026, 12, 1)])
@pytest.mark.parametrize("interval", ["monthly", "annual"])
def test_period_containing_covers_every_day_once(start, interval):
    seen = set()
    day = start
    while day < start + dt.timedelta(days=800):
        found = periods.period_containing(start, interval, day)
        assert found.start <= day <= found.end
        assert found == periods.period(start, interval, found.index)
        seen.add(found.index)
        day += dt.timedelta(days=1)
    assert seen == set(range(max(seen) + 1))


def test_proration_rule_counts_the_day_of_the_change_and_the_real_length():
    february = periods.period(D(2028, 1, 31), "monthly", 1)  # 2028-02-29 .. 2028-03-30
    assert february.days == 31
    feb_leap = periods.Period(0, D(2028, 2, 1), D(2028, 2, 29))
    assert remaining_days(feb_leap, D(2028, 2, 29)) == 1
    assert remaining_days(feb_leap, D(2028, 2, 1)) == 29
    # +¥10,000 a month from Feb 15 2028: 15 of 29 days
    assert prorate(Decimal(10000), Decimal(20000), feb_leap, D(2028, 2, 15), "JPY", "down") == (
        Decimal(10000) * 15 / 29
    ).quantize(Decimal(1), rounding="ROUND_DOWN")
    assert prorate(0, 10000, feb_leap, D(2028, 2, 15), "JPY", "up") == Decimal(5173)
    assert prorate(0, 10000, feb_leap, D(2028, 2, 15), "JPY", "half_up") == Decimal(5172)
    assert prorate(10000, 0, feb_leap, D(2028, 2, 15), "JPY", "down") == Decimal(-5172)
    assert prorate(0, 100, feb_leap, D(2028, 2, 15), "USD", "down") == Decimal("51.72")
    with pytest.raises(ValueError):
        remaining_days(feb_leap, D(2028, 3, 1))
