"""The business calendar of the sync: Japanese days, whatever the server's zone.

Due dates at Money Forward, Zoho and freee are calendar days in Japan, so "is it past
due?" and "which day do we date the invoice?" are answered in Asia/Tokyo. A server in
UTC would otherwise call an invoice due today overdue from 09:00 JST onwards, or date
an invoice made at 08:00 JST the day before.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

BUSINESS_TZ = ZoneInfo("Asia/Tokyo")


def business_today(now: datetime | None = None) -> date:
    """Today's date in Asia/Tokyo (``now`` naive means UTC, as stored times are)."""
    moment = now or datetime.now(UTC)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(BUSINESS_TZ).date()


def business_day_of(moment: datetime | None) -> date | None:
    """The Tokyo calendar day of a stored (naive UTC) time."""
    return business_today(moment) if moment is not None else None


def overdue_unless_paid(status: str, due: date | None, today: date) -> str:
    """``status``, or "overdue" when it awaits payment and its due date has passed."""
    if status == "unpaid" and due is not None and due < today:
        return "overdue"
    return status
