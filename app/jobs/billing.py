"""Subscription billing's jobs: the daily run (from the one scheduler) and "Bill now"."""

from __future__ import annotations

from app.jobs.queue import job
from app.services import launchers
from app.services.billing.run import BILL_NOW_JOB

# The daily run's hour in Asia/Tokyo: early, so the day's invoices wait for approval by
# the time people arrive. The run bills Tokyo's day, whatever the server's zone.
BILLING_HOUR = 6


@job(queue="default", timeout=3600)
def daily_billing_job() -> dict[str, int]:
    """Invoice the subscription periods due today in Tokyo (safe to run twice)."""
    from app.services.billing.run import run

    return run()


@job(queue="default", timeout=3600, requires=("can_run", "Subscription"))
def bill_subscriptions_now_job(as_user=None) -> dict[str, int]:
    """ "Bill now" on the preview page, with the rights of who pressed it (checked here)."""
    from flask import current_app

    from app.services.billing.run import run

    user = current_app.appbuilder.sm.get_user_by_id(as_user) if as_user else None
    return run(user=user)


def wire(app) -> None:
    """Let the preview page queue "Bill now"."""
    launchers.register(app, BILL_NOW_JOB, bill_subscriptions_now_job.enqueue)
