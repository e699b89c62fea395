"""Wholesale's daily job: the monthly closings of customers whose closing day was
yesterday in Tokyo (from the one scheduler: schedule.py, demo_schedule.py)."""

from __future__ import annotations

from app.jobs.queue import job

# 01:00 Asia/Tokyo: the closing day has ended everywhere the business works.
CLOSING_HOUR = 1


@job(queue="default", timeout=1800)
def daily_closing_job() -> dict[str, int]:
    """Close every monthly customer whose closing day was yesterday (safe to run twice:
    a period is closed once)."""
    from app.services.billing.orders import daily_closing

    return daily_closing()
