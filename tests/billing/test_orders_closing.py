"""締め日 and 支払サイト date math (pure functions; no database)."""

from __future__ import annotations

import datetime as dt

import pytest

from app.services.billing import closing

D = dt.date


@pytest.mark.parametrize(
    ("closing_day", "closing_date", "start"),
    [
        (5, D(2027, 3, 5), D(2027, 2, 6)),
        (10, D(2027, 3, 10), D(2027, 2, 11)),
        (15, D(2027, 1, 15), D(2026, 12, 16)),
        (20, D(2027, 3, 20), D(2027, 2, 21)),
        (25, D(2027, 3, 25), D(2027, 2, 26)),
        (31, D(2027, 3, 31), D(2027, 3, 1)),
        (31, D(2027, 2, 28), D(2027, 2, 1)),
        (31, D(2028, 2, 29), D(2028, 2, 1)),  # leap year
        (31, D(2028, 3, 31), D(2028, 3, 1)),
        (31, D(2027, 4, 30), D(2027, 4, 1)),
        (25, D(2028, 3, 25), D(2028, 2, 26)),  # through a leap February
    ],
)
def test_period_for_each_closing_day(closing_day, closing_date, start):
    assert closing.period(closing_date, closing_day) == (start, closing_date)


def test_periods_tile_the_calendar_without_gaps_or_overlaps():
    for closing_day in closing.CLOSING_DAYS:
        day = closing.closing_date_on_or_after(D(2027, 12, 1), closing_day)
        covered = []
        for _ in range(30):  # through Feb 2028 and Feb 2029
            start, end = closing.period(day, closing_day)
            covered.append((start, end))
            day = closing.closing_date_on_or_after(end + dt.timedelta(days=1), closing_day)
        for (_s1, e1), (s2, _e2) in zip(covered, covered[1:], strict=False):
            assert s2 == e1 + dt.timedelta(days=1)


def test_closing_date_of_a_day():
    assert closing.closing_date_on_or_after(D(2028, 2, 29), 31) == D(2028, 2, 29)
    assert closing.closing_date_on_or_after(D(2028, 2, 21), 20) == D(2028, 3, 20)
    assert closing.closing_date_on_or_after(D(2028, 2, 20), 20) == D(2028, 2, 20)
    assert closing.closing_date_on_or_after(D(2027, 12, 26), 25) == D(2028, 1, 25)
    assert not closing.is_closing_date(D(2028, 2, 28), 31)
    assert closing.is_closing_date(D(2027, 2, 28), 31)
    with pytest.raises(ValueError):
        closing.period(D(2028, 2, 28), 31)
    with pytest.raises(ValueError):
        closing.closing_date_in(2028, 2, 30)


def test_due_dates_month_end_close_paid_end_of_next_month():
    # 月末締め翌月末払い
    assert closing.due_date(D(2028, 1, 31), 1, 31) == D(2028, 2, 29)
    assert closing.due_date(D(2027, 1, 31), 1, 31) == D(2027, 2, 28)
    assert closing.due_date(D(2028, 2, 29), 1, 31) == D(2028, 3, 31)
    assert closing.due_date(D(2027, 12, 31), 1, 31) == D(2028, 1, 31)
    # 月末締め翌々月末払い
    assert closing.due_date(D(2027, 12, 31), 2, 31) == D(2028, 2, 29)


def test_due_dates_twentieth_close_paid_tenth_of_next_month():
    # 20日締め翌月10日払い
    assert closing.due_date(D(2027, 12, 20), 1, 10) == D(2028, 1, 10)
    assert closing.due_date(D(2028, 1, 20), 1, 10) == D(2028, 2, 10)
    # a pay day the month lacks is its last day; 当月払い is 0 months later
    assert closing.due_date(D(2028, 1, 20), 1, 30) == D(2028, 2, 29)
    assert closing.due_date(D(2028, 1, 10), 0, 25) == D(2028, 1, 25)


def test_latest_closed_date():
    assert closing.latest_closed_date(D(2028, 3, 1), 31) == D(2028, 2, 29)
    assert closing.latest_closed_date(D(2028, 2, 29), 31) == D(2028, 1, 31)
    assert closing.latest_closed_date(D(2028, 2, 21), 20) == D(2028, 2, 20)
    assert closing.latest_closed_date(D(2028, 2, 20), 20) == D(2028, 1, 20)
