"""Payment reminders' jobs: the daily run (from the one scheduler) and "Send now"."""

from __future__ import annotations

from app.jobs.queue import job
from app.services import launchers
from app.services.reminders.schedule import SEND_NOW_JOB


@job(queue="default", timeout=1800)
def daily_reminders_job() -> dict[str, int]:
    """Send the reminders due today in Tokyo (safe to run twice: each step goes once)."""
    from app.services.reminders.schedule import run

    return run()


@job(queue="default", timeout=1800, requires=("can_send", "Reminder"))
def send_reminders_now_job(as_user=None) -> dict[str, int]:
    """ "Send now" on the preview page, with the rights of who pressed it (checked here)."""
    from flask import current_app

    from app.services.reminders.schedule import run

    user = current_app.appbuilder.sm.get_user_by_id(as_user) if as_user else None
    return run(user=user)


def wire(app) -> None:
    """Let the preview page queue "Send now"."""
    launchers.register(app, SEND_NOW_JOB, send_reminders_now_job.enqueue)
