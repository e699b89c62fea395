"""The home page's "reminders due today" tile: registered with services/home at import."""

from __future__ import annotations

from flask import url_for
from flask_babel import lazy_gettext as _l

from app.services import home
from app.services.reminders import schedule


def _due_today(session, user, today) -> int:
    """Reminders that would go out today and are not held (the preview's own plan)."""
    return sum(1 for planned in schedule.plan(today, session) if planned.held is None)


SOURCE = home.WaitingSource(
    "reminders-due",
    _l("Reminders due today"),
    _due_today,
    lambda: url_for("RemindersView.preview"),
    ("can_read", "Reminder"),
)
if all(s.key != SOURCE.key for s in home.WAITING_SOURCES):
    home.WAITING_SOURCES.append(SOURCE)
